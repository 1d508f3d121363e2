"""`toolkit check --tflint` with the real tflint binary built by make setup: planted mistakes are reported at their
file and line with the rule's name, a clean tree passes, a missing binary says how to get it, and the real
repository is clean."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit import go_builds
from toolkit.checks.findings import SKIPPED
from toolkit.checks.tflint import CONFIG_FILE, TFLINT_VARIABLE, find_tflint, run_tflint_check, tflint_targets
from toolkit.cli import app

from .conftest import PROJECT_ROOT, write_files

needs_tflint = pytest.mark.skipif(find_tflint() is None, reason="tflint is not built (make setup builds it)")

VERSIONS = ('terraform {\n  required_version = ">= 1.5.0"\n\n  required_providers {\n    random = {\n'
            '      source  = "hashicorp/random"\n      version = ">= 3.0"\n    }\n  }\n}\n')
MAIN = 'resource "random_id" "this" {\n  byte_length = var.length\n}\n'
VARIABLES = ('variable "length" {\n  description = "Bytes of the id."\n  type        = number\n}\n')
OUTPUTS = 'output "id" {\n  description = "The id."\n  value       = random_id.this.hex\n}\n'
UNUSED = '\nvariable "unused" {\n  description = "Declared and never read."\n  type        = string\n}\n'


def project(root: Path, **overrides: str) -> Path:
    """A module-shaped terraform/ with the repository's own .tflint.hcl; `overrides` replace or add files."""
    files = {"envs/defaults.yaml": "# Shared defaults.\n# Test project.\n{}\n", "terraform/versions.tf": VERSIONS,
             "terraform/main.tf": MAIN, "terraform/variables.tf": VARIABLES, "terraform/outputs.tf": OUTPUTS,
             **{f"terraform/{name}.tf": text for name, text in overrides.items()}}
    write_files(root, files)
    shutil.copy(PROJECT_ROOT / CONFIG_FILE, root / CONFIG_FILE)
    return root


def check(root: Path, monkeypatch: pytest.MonkeyPatch, *options: str):
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(root))
    return CliRunner().invoke(app, ["check", "--tflint", *options])


@needs_tflint
def test_a_planted_unused_variable_is_reported_and_fails_the_check(tmp_path: Path, monkeypatch) -> None:
    clean = check(project(tmp_path / "clean"), monkeypatch)
    assert clean.exit_code == 0, clean.output
    assert "tflint  passed  targets=1 issues=0" in clean.output
    planted = check(project(tmp_path / "planted", variables=VARIABLES + UNUSED), monkeypatch)
    assert planted.exit_code == 1, planted.output
    assert ('terraform/variables.tf:6: variable "unused" is declared but not used (terraform_unused_declarations)'
            in planted.output), planted.output


@needs_tflint
def test_the_rules_beyond_the_recommended_preset_are_on(tmp_path: Path) -> None:
    """.tflint.hcl switches on documented outputs, naming, comment syntax and module structure."""
    root = project(tmp_path, outputs='output "id" {\n  value = random_id.this.hex\n}\n',
                   main='// a C++ comment\nresource "random_id" "ThisId" {\n  byte_length = var.length\n}\n')
    result = run_tflint_check(root)
    rules = {finding.message.rsplit("(", 1)[1].rstrip(")") for finding in result.findings}
    assert rules == {"terraform_documented_outputs", "terraform_naming_convention", "terraform_comment_syntax"}, \
        result.findings
    assert {finding.path for finding in result.findings} == {"terraform/outputs.tf", "terraform/main.tf"}
    assert all(finding.severity == "error" for finding in result.findings)  # a notice fails the check too


EXAMPLE_MAIN = 'module "box" {\n  source = "../../"\n  length = 8\n}\n'
EXAMPLE_OUTPUTS = 'output "id" {\n  description = "The id."\n  value       = module.box.id\n}\n'
EXAMPLE_VERSIONS = 'terraform {\n  required_version = ">= 1.5.0"\n}\n'
NO_INPUT = "# This example takes no input.\n"


@needs_tflint
def test_module_examples_are_linted_and_a_comment_only_variables_tf_is_enough(tmp_path: Path) -> None:
    """Examples are targets of their own: one without variables.tf breaks the standard module structure, one
    declaring a provider only the module it calls uses has an unused required provider; a variables.tf holding
    only a comment (an example that takes no input) satisfies the rule."""
    root = project(tmp_path)
    module = {"versions.tf": VERSIONS, "main.tf": MAIN, "variables.tf": VARIABLES, "outputs.tf": OUTPUTS}
    write_files(root, {f"modules/box/{name}": text for name, text in module.items()})
    example = root / "modules/box/examples/basic"
    write_files(root, {"modules/box/examples/basic/main.tf": EXAMPLE_MAIN,
                       "modules/box/examples/basic/outputs.tf": EXAMPLE_OUTPUTS,
                       "modules/box/examples/basic/versions.tf": VERSIONS})
    assert example in tflint_targets(root)
    found = run_tflint_check(root)
    assert sorted((finding.path, finding.message.rsplit("(", 1)[1].rstrip(")")) for finding in found.findings) == [
        ("modules/box/examples/basic/variables.tf", "terraform_standard_module_structure"),
        ("modules/box/examples/basic/versions.tf", "terraform_unused_required_providers")], found.findings
    write_files(root, {"modules/box/examples/basic/variables.tf": NO_INPUT,
                       "modules/box/examples/basic/versions.tf": EXAMPLE_VERSIONS})
    clean = run_tflint_check(root)
    assert clean.status == "passed" and clean.findings == [], clean.findings
    assert clean.counts["targets"] == 3


@needs_tflint
def test_a_file_tflint_cannot_parse_is_a_finding_at_its_line(tmp_path: Path) -> None:
    result = run_tflint_check(project(tmp_path, broken='locals {\n  a = \n}\n'))
    assert result.status == "failed"
    assert [(finding.path, finding.line) for finding in result.findings] == [("terraform/broken.tf", 2)], \
        result.findings


def test_a_missing_tflint_says_how_to_get_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(go_builds.BUILD_CACHE_VARIABLE, str(tmp_path / "no-builds"))
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    monkeypatch.delenv(TFLINT_VARIABLE, raising=False)
    root = project(tmp_path / "project")
    asked = check(root, monkeypatch)
    assert asked.exit_code == 1
    assert "tflint not found: run `make setup` (builds tflint 0.64.0 from the Go module proxy" in asked.output
    # In a full `toolkit check` it is skipped, and the note says the same.
    skipped = run_tflint_check(root, required=False)
    assert skipped.status == SKIPPED and skipped.notes[0].startswith("skipped tflint: tflint not found: run `make")
    (root / CONFIG_FILE).unlink()
    unconfigured = check(root, monkeypatch)
    assert unconfigured.exit_code == 1 and f"no {CONFIG_FILE} at the project root" in unconfigured.output
    assert run_tflint_check(root, required=False).status == SKIPPED
    shutil.copy(PROJECT_ROOT / CONFIG_FILE, root / CONFIG_FILE)
    monkeypatch.setenv(TFLINT_VARIABLE, str(tmp_path / "nowhere"))
    configured = check(root, monkeypatch)
    assert configured.exit_code == 1 and f"{TFLINT_VARIABLE}={tmp_path / 'nowhere'}: not an executable file" \
        in configured.output


@needs_tflint
@pytest.mark.slow
def test_the_repository_is_clean() -> None:
    result = run_tflint_check(PROJECT_ROOT)
    modules = [path for path in (PROJECT_ROOT / "modules").iterdir() if any(path.glob("*.tf"))]
    examples = [path for path in (PROJECT_ROOT / "modules").glob("*/examples/*") if any(path.glob("*.tf"))]
    assert examples, "no module examples"
    assert result.counts["targets"] == len(tflint_targets(PROJECT_ROOT)) == 1 + len(modules) + len(examples)
    assert result.findings == [], "\n".join(str(finding) for finding in result.findings)
