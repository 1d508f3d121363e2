"""`toolkit check --validate` with the real AWS provider 6 built by make setup: its own validators run
(an enum value the schema stub accepts is refused), and `real` without the builds is a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.checks.real_providers import built_providers
from toolkit.cli import app
from toolkit.go_builds import go_build

from .conftest import PROJECT_ROOT, write_files

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(built_providers() is None,
                                 reason="the AWS provider 6 / random builds are absent (make setup builds them)")]
ENGINE = PROJECT_ROOT / ".cache" / "engine" / "bin" / "terraform"
VERSIONS = ('terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n'
            '      version = ">= 6.0"\n    }\n  }\n}\n')
BUCKET = ('provider "aws" {\n  region = "sa-east-1"\n}\n\n'
          'resource "aws_s3_bucket" "this" {\n  bucket = "toolkit-validate-real"\n}\n\n'
          'resource "aws_s3_bucket_versioning" "this" {\n  bucket = aws_s3_bucket.this.id\n\n'
          '  versioning_configuration {\n    status = "STATUS"\n  }\n}\n')


def project(tmp_path: Path, status: str) -> Path:
    write_files(tmp_path, {"envs/defaults.yaml": "# Shared defaults.\n# Test project.\n{}\n",
                           "terraform/versions.tf": VERSIONS, "terraform/main.tf": BUCKET.replace("STATUS", status)})
    return tmp_path


@pytest.fixture(autouse=True)
def engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLKIT_TERRAFORM", str(ENGINE))
    monkeypatch.setenv("TOOLKIT_VALIDATE_PROVIDERS", "auto")


def validate(root: Path, monkeypatch: pytest.MonkeyPatch, choice: str | None = None):
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(root))
    if choice:
        monkeypatch.setenv("TOOLKIT_VALIDATE_PROVIDERS", choice)
    return CliRunner().invoke(app, ["check", "--validate"])


def test_the_real_provider_refuses_an_enum_value_the_stub_accepts(tmp_path: Path, monkeypatch) -> None:
    root = project(tmp_path, "On")
    real = validate(root, monkeypatch)
    assert real.exit_code == 1, real.output
    assert "terraform/main.tf:13" in real.output and "Enabled" in real.output, real.output
    stub = validate(root, monkeypatch, "stub")
    assert stub.exit_code == 0, stub.output


def test_a_valid_configuration_passes_with_the_real_provider(tmp_path: Path, monkeypatch) -> None:
    result = validate(project(tmp_path, "Enabled"), monkeypatch)
    assert result.exit_code == 0, result.output


def test_an_unknown_choice_is_refused(tmp_path: Path, monkeypatch) -> None:
    result = validate(project(tmp_path, "Enabled"), monkeypatch, "maybe")
    assert result.exit_code == 1
    assert "TOOLKIT_VALIDATE_PROVIDERS=maybe: expected one of auto, real, stub" in result.output


TOFU = go_build("tofu")


@pytest.mark.skipif(TOFU.record() is None, reason="the OpenTofu build is absent (make setup builds it)")
def test_opentofu_validates_with_the_real_provider_and_skips_terraform_only_test_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same provider validators under tofu; a Terraform-only test file (override_during) does not fail it."""
    root = project(tmp_path, "On")
    write_files(root, {"terraform/tests/only_terraform.tftest.hcl":
                       'override_resource {\n  target          = aws_s3_bucket.this\n  override_during = plan\n}\n\n'
                       'run "plan" {\n  command = plan\n}\n'})
    monkeypatch.setenv("TOOLKIT_TERRAFORM", str(TOFU.path))
    refused = validate(root, monkeypatch, "real")
    assert refused.exit_code == 1, refused.output
    assert "terraform/main.tf:13" in refused.output and "Enabled" in refused.output, refused.output
    assert "tftest" not in refused.output
    (root / "terraform" / "main.tf").write_text(BUCKET.replace("STATUS", "Enabled"))
    passed = validate(root, monkeypatch, "real")
    assert passed.exit_code == 0, passed.output
