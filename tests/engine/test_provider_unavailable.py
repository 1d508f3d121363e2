"""`toolkit plan prod` where no provider can be had: a way forward (--offline, or how to get the provider), not
terraform's raw provider-resolution error (issue 28)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.engine.conftest import REPO, toolkit


def test_a_plan_without_a_reachable_provider_says_to_plan_offline(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "project"
    ignore = shutil.ignore_patterns(".terraform*", "*.tfstate*", "tests")
    for folder in ("terraform", "modules", "envs"):
        shutil.copytree(REPO / folder, root / folder, ignore=ignore)
    (root / ".cache").symlink_to(REPO / ".cache")
    # A mirror that holds nothing: terraform cannot get the providers, and never tries the network.
    (tmp_path / "empty-mirror").mkdir()
    monkeypatch.setenv("TOOLKIT_PROVIDER_MIRROR", str(tmp_path / "empty-mirror"))
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(root))
    monkeypatch.chdir(root)
    result = toolkit("plan", "prod")
    assert result.exit_code == 1, result.output
    assert "prod: terraform init cannot get hashicorp/aws" in result.output
    assert "toolkit plan prod --offline" in result.output
    assert "TOOLKIT_PROVIDER_MIRROR" in result.output
    assert "To see which modules are currently depending" not in result.output
    assert not (root / ".toolkit" / "envs" / "prod" / "plans" / "latest").exists()
