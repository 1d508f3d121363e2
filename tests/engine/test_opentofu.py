"""The offline plans of dev, staging and prod under OpenTofu (built by make setup) equal Terraform's: same
resources per module, same counts. The root's tests/ (Terraform's test framework, which tofu's init refuses)
is copied too: plans must stage the root without it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.engine.conftest import REPO, toolkit
from toolkit.go_builds import go_build

TOFU = go_build("tofu")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(TOFU.record() is None, reason="the OpenTofu build is absent (make setup builds it)")]
REAL_ENVIRONMENTS = ("dev", "staging", "prod")


def plan_all(base: Path, monkeypatch: pytest.MonkeyPatch, engine: str | None) -> dict[str, dict[str, Any]]:
    root = base / ("tofu" if engine else "terraform") / "project"
    for folder in ("terraform", "modules", "envs"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    assert any((root / "terraform" / "tests").glob("*.tftest.hcl"))
    (root / ".cache").symlink_to(REPO / ".cache")
    with monkeypatch.context() as patch:
        patch.setenv("TOOLKIT_PROJECT_DIR", str(root))
        patch.chdir(root)
        for name in ("TF_CLI_CONFIG_FILE", "TOOLKIT_PROVIDER_MIRROR", "AWS_PROFILE", "TOOLKIT_TERRAFORM"):
            patch.delenv(name, raising=False)
        if engine:
            patch.setenv("TOOLKIT_TERRAFORM", engine)
        result = toolkit("plan", "--all", "--offline", "--json")
    assert result.exit_code == 2, result.output
    return {item["environment"]: item for item in json.loads(result.stdout)["environments"]}


def test_offline_plans_under_opentofu_equal_terraforms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    terraform = plan_all(tmp_path, monkeypatch, None)
    tofu = plan_all(tmp_path, monkeypatch, str(TOFU.path))
    for environment in REAL_ENVIRONMENTS:
        assert tofu[environment]["status"] == "changes", tofu[environment]
        keys = ("add", "change", "destroy", "resources_by_module")
        assert {key: tofu[environment][key] for key in keys} == {key: terraform[environment][key] for key in keys}
