"""The stub providers served to the real Terraform 1.15.5: the whole lifecycle, import, and broken stubs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from toolkit.checks.validate import run_validate_check
from toolkit.stub_mirror import StubMirror, prepare_mirror

from .conftest import FIXTURE_SCHEMAS, REPO, Workdir

pytestmark = pytest.mark.slow
LIFECYCLE = REPO / "tests" / "fixtures" / "stub_configs" / "lifecycle" / "main.tf"
POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Assume",
      "Effect": "Allow",
      "Action": "sts:AssumeRole",
      "Principal": {
        "Service": [
          "lambda.amazonaws.com",
          "ecs-tasks.amazonaws.com"
        ]
      },
      "Condition": {
        "StringEquals": {
          "aws:SourceAccount": "123456789012"
        }
      }
    }
  ]
}"""


def _outputs(workdir: Workdir) -> dict[str, object]:
    return {name: item["value"] for name, item in workdir.json("output", "-json").items()}


def test_init_validate_plan_apply_replan_destroy(workdir: Workdir) -> None:
    shutil.copy(LIFECYCLE, workdir.path / "main.tf")
    workdir.run("init", "-input=false")
    assert "Success! The configuration is valid." in workdir.run("validate").stdout
    workdir.run("plan", "-input=false", "-out=plan.tfplan")
    plan = workdir.json("show", "-json", "plan.tfplan")
    changes = {change["address"]: change["change"] for change in plan["resource_changes"]}
    vpc = changes["aws_vpc.this"]
    # Computed attributes left unset are unknown; tags_all is the provider's default_tags merged with tags.
    assert vpc["after_unknown"]["arn"] is True and vpc["after_unknown"]["id"] is True
    assert vpc["after"]["tags_all"] == {"Name": "main", "project": "toolkit"}
    lifecycle = changes["aws_s3_bucket_lifecycle_configuration.logs"]
    assert lifecycle["after"]["rule"][0]["transition"] == [{"date": None, "days": 30, "storage_class": "GLACIER"}]
    assert lifecycle["after_unknown"]["rule"][0]["filter"][0]["object_size_greater_than"] is True

    workdir.run("apply", "-input=false", "plan.tfplan")
    outputs = _outputs(workdir)
    assert outputs["policy"] == POLICY
    assert outputs["role_arn"] == "arn:aws:iam::123456789012:role/task"
    assert re.fullmatch(r"arn:aws:ec2:sa-east-1:123456789012:subnet/subnet-[0-9a-f]{17}", outputs["subnet"])
    assert re.fullmatch(r"[0-9a-f]{8}", outputs["random_hex"])
    assert outputs["bucket_arn"] == f"arn:aws:s3:::logs-{outputs['random_hex']}"
    assert outputs["password_length"] == 24
    assert outputs["ingress_ports"] == [443]
    assert outputs["zones"] == ["sa-east-1a", "sa-east-1b", "sa-east-1c"]
    assert outputs["account"] == "123456789012"

    # Read returns the state as it is: a second plan finds nothing to change.
    replan = workdir.run("plan", "-input=false", "-detailed-exitcode")
    assert "No changes." in replan.stdout
    workdir.run("destroy", "-auto-approve", "-input=false")
    assert workdir.run("state", "list").stdout.strip() == ""


def test_import_turns_an_id_into_state(workdir: Workdir) -> None:
    (workdir.path / "main.tf").write_text(
        'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n'
        'provider "aws" {\n  region = "us-east-2"\n}\n'
        'import {\n  to = aws_kms_key.imported\n  id = "1234abcd-12ab-34cd-56ef-1234567890ab"\n}\n'
        'resource "aws_kms_key" "imported" {\n  description = "imported"\n}\n')
    workdir.run("init", "-input=false")
    plan = workdir.run("plan", "-input=false", "-out=import.tfplan").stdout
    assert "Plan: 1 to import, 0 to add, 1 to change, 0 to destroy." in plan
    workdir.run("apply", "-input=false", "import.tfplan")
    state = workdir.json("show", "-json")
    [resource] = state["values"]["root_module"]["resources"]
    assert resource["values"]["id"] == "1234abcd-12ab-34cd-56ef-1234567890ab"
    assert resource["values"]["arn"] == "arn:aws:kms:us-east-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert resource["values"]["description"] == "imported"


def _broken_project(tmp_path: Path, command: list[str] | None) -> tuple[Path, StubMirror]:
    root = tmp_path / "project"
    target = root / "modules" / "box" / "examples" / "basic"
    target.mkdir(parents=True)
    (target / "main.tf").write_text('provider "aws" {\n  region = "sa-east-1"\n}\n\n'
                                    'resource "aws_vpc" "this" {\n  cidr_block = "10.0.0.0/16"\n}\n')
    return root, prepare_mirror(root, schema_dir=FIXTURE_SCHEMAS, command=command)


def test_a_crashing_stub_is_a_clear_finding(tmp_path: Path, engine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLKIT_TERRAFORM", str(engine))
    root, mirror = _broken_project(tmp_path, ["/bin/sh", "-c", "echo 'stub exploded' >&2; exit 3"])
    result = run_validate_check(root, mirror=mirror, timeout=60)
    assert result.status == "failed"
    [finding] = result.errors
    assert finding.path == "modules/box/examples/basic"
    assert finding.message.startswith("Failed to load plugin schemas: "), finding.message
    assert "Could not load the schema for provider registry.terraform.io/hashicorp/aws" in finding.message


def test_a_hanging_stub_is_stopped_within_the_limit(tmp_path: Path, engine: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLKIT_TERRAFORM", str(engine))
    sleep = f"sleep 600.{os.getpid()}{time.monotonic_ns() % 100000}"  # unique: other runs may hang too
    root, mirror = _broken_project(tmp_path, ["/bin/sh", "-c", f"exec {sleep}"])
    started = time.monotonic()
    result = run_validate_check(root, mirror=mirror, timeout=8)
    assert time.monotonic() - started < 30
    [finding] = result.errors
    assert finding.message == (
        "terraform validate did not finish within 8s and was stopped: a provider plugin (the offline stub) is not "
        "answering; raise TOOLKIT_VALIDATE_TIMEOUT if the machine is just slow")
    # The whole process group went: no stub is left behind.
    assert subprocess.run(["pgrep", "-f", sleep], capture_output=True).returncode == 1


def test_a_missing_stub_fails_init_with_the_provider_named(tmp_path: Path, engine: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLKIT_TERRAFORM", str(engine))
    root, mirror = _broken_project(tmp_path, None)
    shutil.rmtree(mirror.launcher("aws").parents[2])
    result = run_validate_check(root, mirror=mirror, timeout=60)
    [finding] = result.errors
    assert finding.path == "modules/box/examples/basic"
    assert finding.message.startswith("terraform init failed:"), finding.message
    assert "provider registry.terraform.io/hashicorp/aws was not found" in finding.message


def test_update_keeps_computed_values_and_an_old_state_still_loads(workdir: Workdir) -> None:
    config = (
        'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n'
        'provider "aws" {\n  region = "us-east-2"\n  default_tags {\n    tags = { team = "platform" }\n  }\n}\n'
        'resource "aws_vpc" "this" {\n  cidr_block = "10.0.0.0/16"\n  tags       = { Name = "NAME" }\n}\n')
    (workdir.path / "main.tf").write_text(config.replace("NAME", "before"))
    workdir.run("init", "-input=false")
    workdir.run("apply", "-auto-approve", "-input=false")
    arn = workdir.json("show", "-json")["values"]["root_module"]["resources"][0]["values"]["arn"]
    assert re.fullmatch(r"arn:aws:ec2:us-east-2:123456789012:vpc/vpc-[0-9a-f]{17}", arn)

    # A state written by a provider with one more attribute (a later schema dropped it) still loads.
    state = workdir.json("state", "pull")
    state["serial"] += 1
    state["resources"][0]["instances"][0]["attributes"]["dropped_attribute"] = "x"
    (workdir.path / "edited.tfstate").write_text(json.dumps(state))
    workdir.run("state", "push", "edited.tfstate")

    (workdir.path / "main.tf").write_text(config.replace("NAME", "after"))
    workdir.run("plan", "-input=false", "-out=update.tfplan")
    [change] = workdir.json("show", "-json", "update.tfplan")["resource_changes"]
    assert change["change"]["actions"] == ["update"]
    assert change["change"]["after"]["arn"] == arn  # kept, not "(known after apply)"
    assert change["change"]["after"]["tags_all"] == {"Name": "after", "team": "platform"}
    workdir.run("apply", "-input=false", "update.tfplan")


def test_a_force_new_attribute_is_planned_as_a_replacement(workdir: Workdir) -> None:
    # Offline reviews against a base (issue 28) must show what AWS would replace, not an update in place.
    config = ('terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n'
              'provider "aws" {\n  region = "us-east-2"\n}\n'
              'resource "aws_s3_bucket" "this" {\n  bucket = "NAME"\n  tags   = { Name = "TAG" }\n}\n')
    (workdir.path / "main.tf").write_text(config.replace("NAME", "one").replace("TAG", "a"))
    workdir.run("init", "-input=false")
    workdir.run("apply", "-auto-approve", "-input=false")
    (workdir.path / "main.tf").write_text(config.replace("NAME", "one").replace("TAG", "b"))
    workdir.run("plan", "-input=false", "-out=tags.tfplan")
    [change] = workdir.json("show", "-json", "tags.tfplan")["resource_changes"]
    assert change["change"]["actions"] == ["update"]
    (workdir.path / "main.tf").write_text(config.replace("NAME", "two").replace("TAG", "a"))
    workdir.run("plan", "-input=false", "-out=rename.tfplan")
    [change] = workdir.json("show", "-json", "rename.tfplan")["resource_changes"]
    assert change["change"]["actions"] == ["delete", "create"]
    assert change["change"]["replace_paths"] == [["bucket"]]
