"""The version floor, run (toolkit/checks/floor.py): the modules validate at Terraform 1.5.7, the lowest they
declare (built by make setup from the Go module proxy), and their tests run at 1.11.4, the lowest that runs them.
A feature newer than 1.5 in a module is caught at its line; 1.15.5 accepts the same code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.checks.floor import TESTS_ENGINE, TESTS_VERSION, VALIDATE_BUILD, run_floor_check
from toolkit.checks.module_tests import run_tests_check
from toolkit.checks.validate import run_validate_check, validate_targets
from toolkit.cli import app
from toolkit.engine.terraform import describe_binary
from toolkit.go_builds import go_build

from .conftest import PROJECT_ROOT, TERRAFORM, write_files

FLOOR = go_build(VALIDATE_BUILD)
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(FLOOR.record() is None, reason="Terraform 1.5.7 is not built (make setup builds it)"),
              pytest.mark.skipif(not (PROJECT_ROOT / TESTS_ENGINE).is_file(),
                                 reason=f"Terraform {TESTS_VERSION} is not installed (make setup installs it)")]

VERSIONS = 'terraform {\n  required_version = ">= 1.5.0"\n}\n'
ROOT = ('variable "name" {\n  description = "A name."\n  type        = string\n}\n\n'
        'resource "terraform_data" "this" {\n  input = var.name\n}\n')
MODULE = ROOT + '\noutput "id" {\n  description = "The id."\n  value       = terraform_data.this.id\n}\n'
# override_during arrived in Terraform 1.11 (1.10.5 refuses it): the reason the tests floor is 1.11.
MODULE_TEST = ('override_resource {\n  target          = terraform_data.this\n  override_during = plan\n\n'
               '  values = {\n    id = "planned-id"\n  }\n}\n\n'
               'run "names" {\n  command = plan\n\n  variables {\n    name = "floor"\n  }\n\n'
               '  assert {\n    condition     = output.id == "planned-id"\n'
               '    error_message = "override lost"\n  }\n}\n')
# Terraform 1.9 lets a validation read other variables; 1.5 refuses it.
CROSS_VALIDATION = ('variable "minimum" {\n  description = "Lower bound."\n  type        = number\n'
                    '  default     = 1\n}\n\n'
                    'variable "maximum" {\n  description = "Upper bound."\n  type        = number\n'
                    '  default     = 2\n\n'
                    '  validation {\n    condition     = var.maximum >= var.minimum\n'
                    '    error_message = "maximum below minimum."\n  }\n}\n')


def project(root: Path, extra: str = "") -> Path:
    return write_files(root, {"envs/defaults.yaml": "# Shared defaults.\n# Test project.\n{}\n",
                              "terraform/versions.tf": VERSIONS, "terraform/main.tf": ROOT + extra,
                              "modules/thing/versions.tf": VERSIONS, "modules/thing/main.tf": MODULE,
                              "modules/thing/tests/names.tftest.hcl": MODULE_TEST})


@pytest.fixture(autouse=True)
def engine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TOOLKIT_TERRAFORM", str(TERRAFORM))
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(tmp_path / "no-cli-config"))


def test_the_floor_passes_a_project_within_1_5_and_runs_its_module_tests(tmp_path: Path, monkeypatch) -> None:
    root = project(tmp_path / "project")
    (root / TESTS_ENGINE).parent.mkdir(parents=True)
    (root / TESTS_ENGINE).symlink_to(PROJECT_ROOT / TESTS_ENGINE)
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(root))
    result = CliRunner().invoke(app, ["check", "--floor", "--json"])
    assert result.exit_code == 0, result.output
    [check] = json.loads(result.output)["checks"]
    assert check["counts"] == {"validated": 1, "validate_errors": 0, "test_runs": 1, "test_passed": 1,
                               "test_failed": 0, "test_errored": 0}, check


def test_a_feature_newer_than_1_5_is_caught_at_its_line_and_1_15_accepts_it(tmp_path: Path) -> None:
    root = project(tmp_path / "project", "\n" + CROSS_VALIDATION)
    floor = run_validate_check(root, binary=describe_binary(FLOOR.path), workspace="floor")
    assert floor.status == "failed"
    assert [(finding.path, finding.line) for finding in floor.errors] == [("terraform/main.tf", 22)], floor.errors
    assert "Invalid reference in variable validation" in floor.errors[0].message
    ceiling = run_validate_check(root)
    assert ceiling.errors == [], ceiling.errors


def test_the_floor_check_names_the_version_of_each_finding(tmp_path: Path) -> None:
    root = project(tmp_path / "project", "\n" + CROSS_VALIDATION)
    (root / TESTS_ENGINE).parent.mkdir(parents=True)
    (root / TESTS_ENGINE).symlink_to(PROJECT_ROOT / TESTS_ENGINE)
    result = run_floor_check(root)
    assert result.status == "failed"
    assert [finding.message.split(":")[0] for finding in result.errors] == ["at terraform 1.5.7"]
    assert result.counts["test_passed"] == 1


def test_without_the_tests_engine_the_floor_says_how_to_get_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(project(tmp_path / "project")))
    result = CliRunner().invoke(app, ["check", "--floor"])
    assert result.exit_code == 1
    assert f"Terraform {TESTS_VERSION} is not installed at {TESTS_ENGINE}: run `make setup`" in result.output


def test_the_root_and_every_module_example_validate_at_1_5_7() -> None:
    """With the real AWS provider 6 where it is built (the same providers --validate uses)."""
    result = run_validate_check(PROJECT_ROOT, binary=describe_binary(FLOOR.path), workspace="floor-1.5.7")
    assert result.errors == [], "\n".join(str(finding) for finding in result.errors)
    assert result.counts["targets"] == len(validate_targets(PROJECT_ROOT))


def test_a_module_suite_runs_at_the_tests_floor() -> None:
    """A real module's suite at 1.11.4 (kms-key: the quickest); `toolkit check --floor` runs them all."""
    result = run_tests_check(PROJECT_ROOT, targets=[PROJECT_ROOT / "modules" / "kms-key"],
                             terraform=PROJECT_ROOT / TESTS_ENGINE, workspace=f"floor-{TESTS_VERSION}")
    assert result.errors == [], "\n".join(str(finding) for finding in result.errors)
    assert result.counts["runs"] == result.counts["passed"] > 0
