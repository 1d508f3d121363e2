"""Issue 13, defect 3: walk the immediate rollback tier against a real plan in which the task definition changed.

Terraform plans the compute module against the offline stub twice (apply with image 1.0, then plan image
2.0). The plan's replacement of `aws_ecs_task_definition.this[0]` is then carried out on the emulator the
way the AWS provider does it: register the new revision, point the service at it and, for the delete half,
DeregisterTaskDefinition unless the planned prior state says `skip_destroy` (the provider then only
forgets the revision). A revision is immutable, so every argument of aws_ecs_task_definition but tags is
ForceNew in the provider: a real plan shows ["delete", "create"]; the offline stub does not model ForceNew
and shows "update", which the walk treats the same way (a changed definition is a new revision).
The rollback to the checkpoint's revision must then succeed; with the old module
(no skip_destroy) it refuses the INACTIVE revision, which is the defect this pins.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.rollback.conftest import (
    CLUSTER,
    ENVIRONMENT,
    REGION,
    SERVICE,
    STATE_BUCKET,
    direct,
    invoke,
    reset_moto,
    shared_store,
)
from toolkit.project import Project
from toolkit.records.checkpoints import EcsServiceRef, Targets, capture
from toolkit.stub_mirror import prepare_mirror

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / ".cache" / "engine" / "bin" / "terraform"
ADDRESS = "module.compute.aws_ecs_task_definition.this[0]"
ROOT_TF = """
provider "aws" {
  region = "%(region)s"
}

variable "image" {
  type = string
}

module "compute" {
  source = "%(module)s"

  name               = "%(cluster)s"
  vpc_id             = "vpc-0123456789abcdef0"
  public_subnet_ids  = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
  private_subnet_ids = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
  container_image    = var.image
}
"""


def _terraform(stage: Path, environment: dict[str, str], *args: str) -> str:
    result = subprocess.run([str(TERRAFORM), *args, "-no-color"], cwd=stage, env=environment, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, f"terraform {args[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def task_definition_change(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The planned change of the task definition when the image goes from app:1.0 to app:2.0-broken."""
    if not TERRAFORM.is_file():
        pytest.skip("the project's terraform engine (.cache/engine) is not installed")
    work = tmp_path_factory.mktemp("compute-plan")
    stage = work / "root"
    stage.mkdir()
    (stage / "main.tf").write_text(ROOT_TF % {"region": REGION, "module": REPO / "modules" / "compute",
                                              "cluster": CLUSTER})
    environment = prepare_mirror(REPO).environment(work / "data")
    _terraform(stage, environment, "init", "-backend=false", "-input=false")
    _terraform(stage, environment, "apply", "-auto-approve", "-input=false", "-var", "image=app:1.0")
    _terraform(stage, environment, "plan", "-input=false", "-out=change.tfplan", "-var", "image=app:2.0-broken")
    plan = json.loads(_terraform(stage, environment, "show", "-json", "change.tfplan"))
    return next(item for item in plan["resource_changes"] if item["address"] == ADDRESS)


def _register(ecs: Any, values: dict[str, Any]) -> str:
    """RegisterTaskDefinition from a planned aws_ecs_task_definition's values."""
    return ecs.register_task_definition(
        family=values["family"], containerDefinitions=json.loads(values["container_definitions"]),
        requiresCompatibilities=values["requires_compatibilities"], networkMode=values["network_mode"],
        cpu=values["cpu"], memory=values["memory"])["taskDefinition"]["taskDefinitionArn"]


def _walk(endpoint: str, project: Project, change: dict[str, Any]) -> tuple[str, str]:
    """The environment before the apply, a checkpoint, then the planned replacement carried out as the provider does."""
    reset_moto(endpoint)
    ecs = direct("ecs", endpoint)
    before, after = change["change"]["before"], change["change"]["after"]
    ecs.create_cluster(clusterName=CLUSTER)
    previous = _register(ecs, before)
    ecs.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition=previous, desiredCount=2,
                       launchType="FARGATE")
    checkpoint = capture(ENVIRONMENT, Targets(ecs_services=[EcsServiceRef(CLUSTER, SERVICE)]), region=REGION,
                         endpoint_url=endpoint)
    # Beside the sandbox's S3 state, where apply keeps it (a versioned state bucket).
    s3 = direct("s3", endpoint)
    s3.create_bucket(Bucket=STATE_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=STATE_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    shared_store(project).save(checkpoint)

    assert before["container_definitions"] != after["container_definitions"], "the plan changes no container"
    new = _register(ecs, after)
    ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=new)
    if not before.get("skip_destroy"):
        ecs.deregister_task_definition(taskDefinition=previous)
    return previous, new


def test_plan_keeps_the_previous_revision(task_definition_change: dict[str, Any]) -> None:
    change = task_definition_change["change"]
    assert sorted(change["actions"]) in (["create", "delete"], ["update"]), change["actions"]
    assert change["before"]["skip_destroy"] is True
    assert json.loads(change["after"]["container_definitions"])[0]["image"] == "app:2.0-broken"


def test_immediate_rollback_after_the_planned_change(task_definition_change: dict[str, Any], moto_endpoint: str,
                                                     project: Project, cli) -> None:
    previous, _ = _walk(moto_endpoint, project, task_definition_change)
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--yes", "--poll-interval", "0.05")
    assert result.exit_code == 0, result.output
    service = direct("ecs", moto_endpoint).describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
    assert service["taskDefinition"] == previous
    assert f"{CLUSTER}/{SERVICE}: stable on {previous.rsplit('/', 1)[1]}" in result.output


def test_without_skip_destroy_the_rollback_is_refused(task_definition_change: dict[str, Any], moto_endpoint: str,
                                                      project: Project, cli) -> None:
    """What today's module did: the replacement deregisters the previous revision, and the tier cannot run."""
    change = json.loads(json.dumps(task_definition_change))
    change["change"]["before"]["skip_destroy"] = False
    previous, _ = _walk(moto_endpoint, project, change)
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--yes", "--poll-interval", "0.05")
    assert result.exit_code == 1, result.output
    assert f"target task definition {previous.rsplit('/', 1)[1]} is INACTIVE" in result.output
