"""Plans for the review tests: the hand-written current-format fixture, real output of the project's
engine (Terraform 1.15.5) generated once per session, and generated plans of any size (bench.plan_generator)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.plan_generator import write_plan

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "plans"
ENGINE = REPO / ".cache" / "engine" / "bin" / "terraform"
PROVIDER_MIRROR = REPO / ".cache" / "providers"

# Secrets planted in the fixtures; none may appear in any review output.
CANARY_PREFIXES = ("CANARY-", "GENERATED-SECRET-CANARY")
TERRAFORM_CANARIES = ("CANARY-tf103-password-9z", "CANARY-tf103-old-secret-4k")


@pytest.fixture(scope="session")
def current_plan() -> Path:
    return FIXTURES / "current_format.json"


@pytest.fixture(scope="session")
def generated_plan(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], Path]:
    """A generated plan with N resource changes, written once per size per session."""
    made: dict[int, Path] = {}

    def make(changes: int) -> Path:
        if changes not in made:
            path = tmp_path_factory.mktemp("generated") / f"plan_{changes}.json"
            with path.open("w", encoding="utf-8") as handle:
                write_plan(handle, changes, seed=11)
            made[changes] = path
        return made[changes]

    return make


TERRAFORM_ROOT = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "3.39.0" }
  }
}
provider "aws" {
  region                      = "eu-west-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  skip_get_ec2_platforms      = true
}
variable "db_password" {
  type      = string
  sensitive = true
  default   = "CANARY-tf103-password-9z"
}
resource "aws_db_instance" "this" {
  identifier          = "review-db"
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  allocated_storage   = 20
  username            = "app"
  password            = var.db_password
  skip_final_snapshot = true
}
resource "aws_s3_bucket" "logs" {
  bucket = "review-logs-renamed"
  tags   = { Name = "logs", Team = "platform" }
}
resource "aws_ssm_parameter" "secret" {
  name  = "/review/db/password"
  type  = "SecureString"
  value = var.db_password
}
resource "aws_security_group" "web" {
  name        = "web"
  description = "web"
  tags        = { Name = "web-public" }
}
output "password" {
  value     = var.db_password
  sensitive = true
}
output "bucket_arn" {
  value = aws_s3_bucket.logs.arn
}
"""

# Prior state so that -refresh=false plans an update, a replace (forced by `bucket`), a tainted
# replace and a delete without any network access.
TERRAFORM_STATE = """
{
  "version": 4, "terraform_version": "1.0.3", "serial": 1,
  "lineage": "6c4b8e7e-0000-4000-8000-000000000001", "outputs": {},
  "resources": [
    {"mode": "managed", "type": "aws_s3_bucket", "name": "logs",
     "provider": "provider[\\"registry.terraform.io/hashicorp/aws\\"]",
     "instances": [{"schema_version": 0, "attributes": {"id": "review-logs", "bucket": "review-logs",
       "arn": "arn:aws:s3:::review-logs", "acl": "private", "force_destroy": false,
       "tags": {"Name": "logs"}, "tags_all": {"Name": "logs"}}}]},
    {"mode": "managed", "type": "aws_s3_bucket", "name": "old",
     "provider": "provider[\\"registry.terraform.io/hashicorp/aws\\"]",
     "instances": [{"schema_version": 0, "attributes": {"id": "review-old", "bucket": "review-old",
       "arn": "arn:aws:s3:::review-old", "acl": "private", "force_destroy": false, "tags": {}, "tags_all": {}}}]},
    {"mode": "managed", "type": "aws_security_group", "name": "web",
     "provider": "provider[\\"registry.terraform.io/hashicorp/aws\\"]",
     "instances": [{"schema_version": 1, "attributes": {"id": "sg-0123", "name": "web", "description": "web",
       "arn": "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0123", "owner_id": "123456789012",
       "vpc_id": "vpc-1", "revoke_rules_on_delete": false, "ingress": [], "egress": [],
       "tags": {"Name": "web"}, "tags_all": {"Name": "web"}}}]},
    {"mode": "managed", "type": "aws_ssm_parameter", "name": "secret",
     "provider": "provider[\\"registry.terraform.io/hashicorp/aws\\"]",
     "instances": [{"status": "tainted", "schema_version": 0, "attributes": {"id": "/review/db/password",
       "name": "/review/db/password", "type": "SecureString", "value": "CANARY-tf103-old-secret-4k",
       "arn": "arn:aws:ssm:eu-west-1:123456789012:parameter/review/db/password", "tier": "Standard",
       "tags": null, "tags_all": {}},
       "sensitive_attributes": [[{"type": "get_attr", "value": "value"}]]}]}
  ]
}
"""


def _terraform(arguments: list[str], root: Path, environment: dict[str, str]) -> str:
    completed = subprocess.run(
        [str(ENGINE), *arguments], cwd=root, env=environment, capture_output=True, text=True,
        timeout=300,
    )
    assert completed.returncode == 0, f"terraform {arguments[0]} failed:\n{completed.stdout}\n{completed.stderr}"
    return completed.stdout


@pytest.fixture(scope="session")
def real_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`terraform show -json` of a real plan made offline by the engine (Terraform 1.15.5)."""
    assert ENGINE.is_file(), f"{ENGINE} is missing: run `bash scripts/setup.sh`"
    root = tmp_path_factory.mktemp("real_plan")
    (root / "main.tf").write_text(TERRAFORM_ROOT, encoding="utf-8")
    (root / "terraform.tfstate").write_text(TERRAFORM_STATE, encoding="utf-8")
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root),
        "TF_DATA_DIR": str(root / ".terraform-data"),
        "TF_IN_AUTOMATION": "1",
        "TF_CLI_CONFIG_FILE": os.devnull,
        "CHECKPOINT_DISABLE": "1",
    }
    _terraform(["init", "-input=false", "-no-color", f"-plugin-dir={PROVIDER_MIRROR}"], root, environment)
    _terraform(["plan", "-input=false", "-no-color", "-refresh=false", "-lock=false", "-out=plan.bin"], root,
               environment)
    plan_json = root / "plan.json"
    plan_json.write_text(_terraform(["show", "-json", "plan.bin"], root, environment), encoding="utf-8")
    return plan_json


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project with environments dev and prod, found through TOOLKIT_PROJECT_DIR."""
    envs = tmp_path / "envs"
    envs.mkdir()
    for name in ("defaults", "dev", "prod"):
        (envs / f"{name}.yaml").write_text(f"# {name}\n# test environment\n{{}}\n", encoding="utf-8")
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(tmp_path))
    return tmp_path
