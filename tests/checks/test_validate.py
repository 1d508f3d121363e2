"""`toolkit check --validate`: terraform init + validate of terraform/ and every module example against the
offline stub providers; planted mistakes fail with file:line; the real repository is clean."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app

from .conftest import PROJECT_ROOT, write_files

pytestmark = pytest.mark.slow
ENGINE = PROJECT_ROOT / ".cache" / "engine" / "bin" / "terraform"
FIXTURE_SCHEMAS = PROJECT_ROOT / "tests" / "fixtures" / "stub_schemas"
VERSIONS = ('terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n'
            '      version = ">= 6.0"\n    }\n  }\n}\n')
GOOD = {
    "envs/defaults.yaml": "# Shared defaults.\n# Test project.\n{}\n",
    "modules/box/versions.tf": VERSIONS,
    "modules/box/variables.tf": (
        'variable "cidr" {\n  description = "VPC CIDR."\n  type        = string\n}\n\n'
        'variable "public" {\n  description = "Add a public subnet."\n  type        = bool\n  default     = true\n}\n'),
    "modules/box/main.tf": (
        'resource "aws_vpc" "this" {\n  cidr_block         = var.cidr\n  enable_dns_support = true\n}\n\n'
        'resource "aws_subnet" "public" {\n  count      = var.public ? 1 : 0\n  vpc_id     = aws_vpc.this.id\n'
        '  cidr_block = cidrsubnet(var.cidr, 8, 0)\n}\n'),
    "modules/box/outputs.tf": (
        'output "vpc_id" {\n  description = "VPC id."\n  value       = aws_vpc.this.id\n}\n\n'
        'output "subnet_ids" {\n  description = "Subnet ids."\n  value       = aws_subnet.public[*].id\n}\n'),
    "modules/box/examples/basic/main.tf": (
        'provider "aws" {\n  region = "sa-east-1"\n}\n\n'
        'module "box" {\n  source = "../../"\n  cidr   = "10.0.0.0/16"\n}\n\n'
        'output "vpc_id" {\n  description = "VPC id."\n  value       = module.box.vpc_id\n}\n'),
    "terraform/main.tf": (
        'provider "aws" {\n  region = "sa-east-1"\n}\n\n'
        'module "box" {\n  source = "../modules/box"\n  cidr   = "10.1.0.0/16"\n  public = false\n}\n'),
    "terraform/versions.tf": VERSIONS,
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_files(tmp_path, GOOD)
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(tmp_path))
    monkeypatch.setenv("TOOLKIT_TERRAFORM", str(ENGINE))
    monkeypatch.setenv("TOOLKIT_STUB_SCHEMA_DIR", str(FIXTURE_SCHEMAS))
    # These tests pin the stub's behaviour (fixture schemas); tests/checks/test_validate_real.py the real one's.
    monkeypatch.setenv("TOOLKIT_VALIDATE_PROVIDERS", "stub")
    return tmp_path


def validate(*extra: str):
    return CliRunner().invoke(app, ["check", "--validate", *extra])


def replace(project: Path, relative: str, old: str, new: str) -> None:
    path = project / relative
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_correct_project_passes_and_leaves_no_lock_file_in_the_real_folders(project: Path) -> None:
    result = validate("--json")
    assert result.exit_code == 0, result.output
    [check] = json.loads(result.output)["checks"]
    assert check["name"] == "validate"
    assert check["counts"] == {"targets": 2, "errors": 0, "warnings": 0}
    for folder in ("terraform", "modules/box", "modules/box/examples/basic"):
        assert not (project / folder / ".terraform.lock.hcl").exists()
        assert not (project / folder / ".terraform").exists()
    # The lock file the stub run needs is in the staged copy.
    assert (project / ".toolkit/stub/targets/terraform/stage/terraform/.terraform.lock.hcl").is_file()


def test_an_attribute_of_the_wrong_type(project: Path) -> None:
    replace(project, "modules/box/main.tf", "enable_dns_support = true", 'enable_dns_support = "maybe"')
    result = validate()
    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[:2] == [
        "== validate",
        'modules/box/main.tf:3: Incorrect attribute value type: Inappropriate value for attribute '
        '"enable_dns_support": a bool is required.',
    ]


def test_a_reference_to_an_output_that_does_not_exist(project: Path) -> None:
    replace(project, "modules/box/examples/basic/main.tf", "module.box.vpc_id", "module.box.vpc_arn")
    result = validate()
    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[1] == (
        'modules/box/examples/basic/main.tf:12: Unsupported attribute: This object does not have an attribute '
        'named "vpc_arn".')


def test_a_reference_to_a_resource_attribute_that_does_not_exist(project: Path) -> None:
    replace(project, "modules/box/outputs.tf", "aws_vpc.this.id", "aws_vpc.this.vpc_arn")
    result = validate()
    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[1] == (
        'modules/box/outputs.tf:3: Unsupported attribute: This object has no argument, nested block, or exported '
        'attribute named "vpc_arn".')


def test_a_conditional_whose_branches_differ_in_type(project: Path) -> None:
    replace(project, "modules/box/outputs.tf", "aws_subnet.public[*].id", 'var.public ? { kind = "public" } : "none"')
    result = validate()
    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[1] == (
        "modules/box/outputs.tf:8: Inconsistent conditional result types: The true and false result expressions "
        "must have consistent types. The 'true' value is object, but the 'false' value is string.")


def test_a_missing_required_argument(project: Path) -> None:
    replace(project, "modules/box/main.tf", "  vpc_id     = aws_vpc.this.id\n", "")
    result = validate()
    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[1] == (
        'modules/box/main.tf:6: Missing required argument: The argument "vpc_id" is required, but no definition '
        'was found.')


def test_a_module_input_that_is_not_declared(project: Path) -> None:
    replace(project, "terraform/main.tf", "  public = false\n", "  public = false\n  zones  = 2\n")
    result = validate()
    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[1] == (
        'terraform/main.tf:9: Unsupported argument: An argument named "zones" is not expected here.')


def test_a_mistake_in_a_module_shows_once_though_two_targets_call_it(project: Path) -> None:
    replace(project, "modules/box/main.tf", "enable_dns_support = true", "enable_dns_support = [true]")
    result = validate("--json")
    assert result.exit_code == 1, result.output
    assert result.output.endswith("Error: 1 of 1 checks failed: validate\n")
    [check] = json.JSONDecoder().raw_decode(result.output)[0]["checks"]
    assert [(finding["path"], finding["line"]) for finding in check["findings"]] == [("modules/box/main.tf", 3)]


def test_the_real_repository_validates_clean(monkeypatch: pytest.MonkeyPatch) -> None:
    """terraform/ and every modules/*/examples/* against the stub serving the full AWS 6.66 schema."""
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(PROJECT_ROOT))
    monkeypatch.setenv("TOOLKIT_TERRAFORM", str(ENGINE))
    monkeypatch.delenv("TOOLKIT_STUB_SCHEMA_DIR", raising=False)
    result = validate("--json")
    assert result.exit_code == 0, result.output
    [check] = json.loads(result.output)["checks"]
    examples = sorted(PROJECT_ROOT.glob("modules/*/examples/*"))
    assert check["counts"] == {"targets": len(examples) + 1, "errors": 0, "warnings": 0}
