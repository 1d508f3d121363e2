"""Issue 13: run the modules' and the root's `terraform test` pins against the offline stub provider.

Each `modules/*/tests/*.tftest.hcl` and `terraform/tests/*.tftest.hcl` asserts planned values (key policies,
log groups, alarms, edge protection, ...) that a name-level schema check cannot see. They run here with the
project's terraform in a staged copy (module siblings linked, so `../kms-key` resolves), one run per folder,
until `toolkit check --tests` runs them.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from toolkit.checks.stub import prepare_mirror
from toolkit.engine.workspace import stage_root_module
from toolkit.project import Project

from .conftest import PROJECT_ROOT, TERRAFORM

FOLDERS = sorted({path.parent.parent for path in PROJECT_ROOT.glob("modules/*/tests/*.tftest.hcl")}
                 | {path.parent.parent for path in PROJECT_ROOT.glob("terraform/tests/*.tftest.hcl")})
# The files this issue added (others' pins in the same folders run through their own runner).
PIN_FILES = {
    "modules/kms-key": ["policy.tftest.hcl"],
    "modules/database": ["kms_policy.tftest.hcl", "log_groups.tftest.hcl", "final_snapshot.tftest.hcl",
                         "input_guards.tftest.hcl", "aws_backup.tftest.hcl"],
    "modules/cache": ["kms_policy.tftest.hcl"],
    "modules/storage": ["kms_policy.tftest.hcl"],
    "modules/compute": ["deployments.tftest.hcl", "step_scaling.tftest.hcl", "origin_protection.tftest.hcl"],
    "modules/monitoring": ["kms_policy.tftest.hcl", "availability_and_database.tftest.hcl"],
    "modules/audit": ["trail.tftest.hcl"],
    "terraform": ["app_database_identity.tftest.hcl", "budget.tftest.hcl", "edge.tftest.hcl"],
}


@pytest.mark.parametrize("folder", sorted(PIN_FILES))
def test_terraform_test_pins_pass(folder: str, tmp_path: Path) -> None:
    if not TERRAFORM.is_file():
        pytest.skip("the project's terraform engine (.cache/engine) is not installed")
    for name in PIN_FILES[folder]:
        assert (PROJECT_ROOT / folder / "tests" / name).is_file(), f"{folder}/tests/{name} is missing"
    mirror = prepare_mirror(PROJECT_ROOT)
    stage = stage_root_module(Project(PROJECT_ROOT), PROJECT_ROOT / folder, None, tmp_path / "stage",
                              exclude=frozenset({".terraform.lock.hcl"}))
    environment = mirror.environment(tmp_path / "data")
    init = subprocess.run([str(TERRAFORM), "init", "-backend=false", "-input=false", "-no-color"], cwd=stage,
                          env=environment, capture_output=True, text=True, timeout=300)
    assert init.returncode == 0, init.stdout + init.stderr
    filters = [f"-filter=tests/{name}" for name in PIN_FILES[folder]]
    result = subprocess.run([str(TERRAFORM), "test", "-no-color", *filters], cwd=stage, env=environment,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = re.search(r"Success! (\d+) passed, 0 failed\.", result.stdout)
    assert summary and int(summary.group(1)) > 0, result.stdout


def test_every_pin_folder_is_listed() -> None:
    listed = {PROJECT_ROOT / folder for folder in PIN_FILES}
    assert listed <= set(FOLDERS)
