"""Guards on a protected environment (prod, pointing at the sandbox root): --auto, approval, destroying
stateful resources, and releasing a dead run's state lock.

The PostgreSQL instance is switched off (TF_VAR_create_db_instance=false): its creation waits 30 s in
the provider and no guard here depends on it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.engine.conftest import EngineProject, bootstrap_backend, make_project, sandbox_environment, toolkit
from tests.support.moto_server import MotoServer
from tests.support.protected import PROTECTED_SETTINGS
from toolkit.errors import GuardError

# One scenario on one shared emulator project: each test builds on the ones before it.
pytestmark = [pytest.mark.slow, pytest.mark.in_order]
PROJECT = "eng-guard"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory,
            module_environment: pytest.MonkeyPatch) -> Iterator[EngineProject]:
    created = make_project(tmp_path_factory.mktemp("engine"), PROJECT, {
        "prod": sandbox_environment(PROJECT, **PROTECTED_SETTINGS),
        "staging": sandbox_environment(PROJECT),
    })
    module_environment.setenv("TOOLKIT_PROJECT_DIR", str(created.root))
    module_environment.setenv("TF_VAR_create_db_instance", "false")
    bootstrap_backend(created, "prod")
    yield created


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_auto_is_refused_for_staging_and_prod(project: EngineProject, environment: str) -> None:
    result = toolkit("apply", environment, "--auto")
    assert result.exit_code == 1, result.output
    assert result.output.strip() == (
        f"Error: --auto is not allowed for {environment}: it applies only a reviewed saved plan. Run "
        f"`toolkit plan {environment}`, `toolkit review {environment}`, then `toolkit apply {environment}`")
    assert not project.data_dir(environment).exists()


def test_protected_apply_without_approval_is_refused(project: EngineProject, moto_server: MotoServer) -> None:
    planned = toolkit("plan", "prod", "--quiet")
    assert planned.exit_code == 2, planned.output
    result = toolkit("apply", "prod")
    assert result.exit_code == 1, result.output
    assert result.output.strip().endswith(
        "Error: prod is protected: applying needs approval. Re-run with `--approve prod` or run it in a terminal "
        "and type the environment name when asked")
    wrong = toolkit("apply", "prod", "--approve", "staging")
    assert wrong.exit_code == 1, wrong.output
    assert "Error: --approve staging does not match the environment being applied (prod)" in wrong.output
    assert project.state(moto_server, "prod") is None
    assert project.checkpoints("prod") == []


def test_a_mistyped_name_at_the_prompt_is_refused(project: EngineProject, moto_server: MotoServer) -> None:
    from toolkit.engine import apply_environment
    from toolkit.project import Project

    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return "prd"

    with pytest.raises(GuardError) as refused:
        apply_environment(Project(project.root), "prod", prompt=prompt)
    assert str(refused.value) == "approval not given: typed 'prd', expected 'prod'; nothing was applied"
    summary = project.metadata("prod")["summary"]
    assert f"Plan: {summary['add']} to add, 0 to change, 0 to replace, 0 to destroy." in asked[0]
    assert project.state(moto_server, "prod") is None


def test_approved_apply_proceeds(project: EngineProject, moto_server: MotoServer) -> None:
    result = toolkit("apply", "prod", "--approve", "prod")
    assert result.exit_code == 0, result.output
    state = project.state(moto_server, "prod")
    assert state is not None
    assert {resource["type"] for resource in state["resources"]} >= {"aws_ecs_service", "aws_s3_bucket"}
    (checkpoint,) = project.checkpoints("prod")
    assert checkpoint["apply"]["result"] == "success" and checkpoint["state"] is None


def test_destroying_a_stateful_resource_needs_allow_destroy(project: EngineProject, moto_server: MotoServer) -> None:
    values = project.read_environment("prod")
    del values["storage"]["buckets"]["exports"]
    project.write_environment("prod", values)
    planned = toolkit("plan", "prod", "--quiet")
    assert planned.exit_code == 2, planned.output
    serial = project.state(moto_server, "prod")["serial"]
    address = 'aws_s3_bucket.this["exports"]'

    refused = toolkit("apply", "prod", "--approve", "prod")
    assert refused.exit_code == 1, refused.output
    assert (f"Error: the plan of prod would destroy stateful resource (data would be lost):\n  - destroy {address}\n"
            f"If that is intended, re-run with --allow-destroy '{address}'") in refused.output
    assert project.state(moto_server, "prod")["serial"] == serial

    allowed = toolkit("apply", "prod", "--approve", "prod", "--allow-destroy", address)
    assert allowed.exit_code == 0, allowed.output
    buckets = {bucket["Name"] for bucket in moto_server.client("s3").list_buckets()["Buckets"]}
    assert f"{PROJECT}-prod-exports" not in buckets and f"{PROJECT}-prod-uploads" in buckets


def plant_dead_lock(moto: MotoServer) -> dict[str, Any]:
    """The lock entry a killed terraform run leaves behind in the DynamoDB lock table."""
    path = f"{PROJECT}-state/{PROJECT}/prod/terraform.tfstate"
    info = {"ID": str(uuid.uuid4()), "Operation": "OperationTypeApply", "Info": "", "Who": "ci@runner-7",
            "Version": "1.0.3", "Created": "2026-11-26T09:00:00.000000Z", "Path": path}
    moto.client("dynamodb").put_item(TableName=f"{PROJECT}-locks",
                                     Item={"LockID": {"S": path}, "Info": {"S": json.dumps(info)}})
    return info


def lock_entries(moto: MotoServer) -> list[dict[str, Any]]:
    items = moto.client("dynamodb").scan(TableName=f"{PROJECT}-locks")["Items"]
    return [item for item in items if "Info" in item]


def test_dead_lock_is_named_and_released_only_when_confirmed(project: EngineProject, moto_server: MotoServer) -> None:
    lock = plant_dead_lock(moto_server)
    planned = toolkit("plan", "prod")
    assert planned.exit_code == 1, planned.output
    assert ("Error: terraform plan for prod: the state is locked by another run (the DynamoDB lock item "
            f"{lock['Path']}):") in planned.output
    assert f"lock ID:   {lock['ID']}" in planned.output and "held by:   ci@runner-7" in planned.output

    unconfirmed = toolkit("unlock", "prod")
    assert unconfirmed.exit_code == 1, unconfirmed.output
    assert f"re-run with `toolkit unlock prod {lock['ID']} --yes`" in unconfirmed.output
    wrong_id = toolkit("unlock", "prod", "not-the-lock", "--yes")
    assert wrong_id.exit_code == 1, wrong_id.output
    assert "Error: prod: lock not-the-lock is not the current lock; the state is locked by:" in wrong_id.output
    assert len(lock_entries(moto_server)) == 1

    released = toolkit("unlock", "prod", lock["ID"], "--yes")
    assert released.exit_code == 0, released.output
    assert f"prod: lock {lock['ID']} released" in released.output
    assert lock_entries(moto_server) == []
    again = toolkit("unlock", "prod")
    assert again.exit_code == 0, again.output
    assert again.output.strip().endswith("prod: the state is not locked; nothing to release")


def _swap_binary_plan(project: EngineProject, change: Callable[[dict[str, Any]], None]) -> str:
    """Plan staging (the reviewed plan), plan it again with `change` applied to its environment file, then put
    that second binary plan into the reviewed folder with its hash fixed up, as someone with write access to the
    plan folder could; returns the reviewed plan's id."""
    from toolkit.plans.saved import sha256_file

    reviewed = toolkit("plan", "staging", "--quiet")
    assert reviewed.exit_code == 2, reviewed.output
    reviewed_folder = project.latest_plan("staging").resolve()
    original = project.read_environment("staging")
    swapped_values = json.loads(json.dumps(original))
    change(swapped_values)
    project.write_environment("staging", swapped_values)
    other = toolkit("plan", "staging", "--quiet")
    assert other.exit_code == 2, other.output
    other_plan = project.latest_plan("staging").resolve() / "plan.tfplan"
    project.write_environment("staging", original)
    (reviewed_folder / "plan.tfplan").write_bytes(other_plan.read_bytes())
    metadata_file = reviewed_folder / "metadata.json"
    metadata = json.loads(metadata_file.read_text())
    metadata["plan_sha256"] = sha256_file(reviewed_folder / "plan.tfplan")
    metadata_file.write_text(json.dumps(metadata))
    latest = project.latest_plan("staging")
    latest.unlink()
    latest.symlink_to(reviewed_folder.name, target_is_directory=True)
    return str(metadata["plan_id"])


def test_a_swapped_binary_plan_is_refused_even_with_a_matching_hash(project: EngineProject,
                                                                     moto_server: MotoServer) -> None:
    """Review and apply must agree: plan.json and metadata.json are only files beside the binary plan."""
    plan_id = _swap_binary_plan(project, lambda values: values["storage"]["buckets"].update(
        unreviewed={"versioning": False}))
    refused = toolkit("apply", "staging")
    assert refused.exit_code == 1, refused.output
    assert (f"Error: refusing to apply the saved plan {plan_id} of staging: the plan file is not the "
            "plan that was reviewed:\n  - the plan file would create aws_s3_bucket.this[\"unreviewed\"], which the "
            "reviewed plan.json does not say") in refused.output
    assert project.state(moto_server, "staging") is None
    assert f"{PROJECT}-staging-unreviewed" not in {
        bucket["Name"] for bucket in moto_server.client("s3").list_buckets()["Buckets"]}


def test_a_swapped_binary_plan_with_the_same_addresses_but_other_values_is_refused(
        project: EngineProject, moto_server: MotoServer) -> None:
    """Attack: the same resources and actions, but exports expire after 1 day instead of the reviewed 30."""
    def expire_sooner(values: dict[str, Any]) -> None:
        values["storage"]["buckets"]["exports"]["lifecycle"][0]["expiration_days"] = 1

    plan_id = _swap_binary_plan(project, expire_sooner)
    refused = toolkit("apply", "staging")
    assert refused.exit_code == 1, refused.output
    assert (f"Error: refusing to apply the saved plan {plan_id} of staging: the plan file is not the plan that was "
            "reviewed:\n  - the plan file would change aws_s3_bucket.this[\"exports\"] with other "
            "values than the reviewed plan.json shows") in refused.output, refused.output
    assert project.state(moto_server, "staging") is None
