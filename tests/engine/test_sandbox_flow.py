"""The main path on the sandbox root, in order: plan → review's input → two concurrent applies →
plan without changes → a change applied with its checkpoint → stale, tampered and changed plans refused.

One project and one initialised environment serve the whole module (terraform init and the first apply
are the slow parts); each test states what it expects of the state the previous ones left.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.conftest import (
    EngineProject,
    bootstrap_backend,
    make_project,
    sandbox_environment,
    toolkit,
    toolkit_process,
)
from tests.support.moto_server import MotoServer

# One scenario on one shared emulator project: each test builds on the ones before it.
pytestmark = [pytest.mark.slow, pytest.mark.in_order]
ENV = "sandbox"
PROJECT = "eng-flow"
LOCK_WAIT_SECONDS = 60


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory,
            module_environment: pytest.MonkeyPatch) -> Iterator[EngineProject]:
    created = make_project(tmp_path_factory.mktemp("engine"), PROJECT, {ENV: sandbox_environment(PROJECT)})
    module_environment.setenv("TOOLKIT_PROJECT_DIR", str(created.root))
    bootstrap_backend(created, ENV)
    yield created


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def lock_item(moto: MotoServer, project: EngineProject) -> dict | None:
    """The DynamoDB lock entry terraform writes while it holds the state lock (None when unlocked)."""
    key = f"{project.name}-state/{project.name}/{ENV}/terraform.tfstate"
    item = moto.client("dynamodb").get_item(TableName=f"{project.name}-locks", Key={"LockID": {"S": key}})
    return item.get("Item")


def test_first_plan_reports_changes_and_saves_plan_with_metadata(project: EngineProject) -> None:
    result = toolkit("plan", ENV)
    assert result.exit_code == 2, result.output
    latest = project.latest_plan(ENV)
    metadata = project.metadata(ENV)
    plan = json.loads((latest / "plan.json").read_text())
    creates = [c["address"] for c in plan["resource_changes"] if c["change"]["actions"] == ["create"]]
    assert f"{ENV}: changes: {len(creates)} to add, 0 to change, 0 to replace, 0 to destroy" in result.output
    # Without --quiet, terraform's own output streams through, prefixed with the environment.
    assert f"==> {ENV}: init (terraform 1.15.5)" in result.output
    assert f"[{ENV}] Plan: {len(creates)} to add, 0 to change, 0 to destroy." in result.output
    assert "aws_ecs_service.app" in creates and 'aws_s3_bucket.this["uploads"]' in creates
    assert metadata["plan_sha256"] == sha256(latest / "plan.tfplan")
    assert metadata["tfvars_sha256"] == sha256(project.root / "build" / ENV / "terraform.tfvars")
    assert metadata["terraform_version"] == "1.15.5"
    assert metadata["state_serial"] is None and metadata["has_changes"] is True
    assert metadata["summary"]["add"] == len(creates)
    # Terraform's data dir is the environment's own, never a .terraform/ in the repository.
    assert (project.data_dir(ENV) / "terraform" / "terraform.tfstate").is_file()
    assert not (project.root / "examples" / "sandbox" / ".terraform").exists()


def test_plan_json_is_what_review_reads(project: EngineProject) -> None:
    text = (project.latest_plan(ENV) / "plan.json").read_text()
    plan = json.loads(text)
    assert plan["format_version"] and plan["terraform_version"] == "1.15.5"
    # Sensitive values (the sandbox's db_password default) never reach plan.json.
    assert plan["variables"]["db_password"]["value"] == "(sensitive)"
    assert "emulator-only-password" in (project.root / "examples" / "sandbox" / "variables.tf").read_text()
    assert "emulator-only-password" not in text
    result = toolkit("review", ENV, "--format", "json")
    assert result.exit_code == 0, result.output


def test_concurrent_apply_fails_naming_the_lock_holder_and_the_first_completes(
        project: EngineProject, moto_server: MotoServer) -> None:
    first = toolkit_process(project, "apply", ENV)
    try:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while lock_item(moto_server, project) is None:
            assert first.poll() is None, f"the first apply ended before taking the lock:\n{first.stdout.read()}"
            assert time.monotonic() < deadline, "the first apply never took the state lock"
            time.sleep(0.2)  # polling the lock table for the first apply's lock entry
        holder = json.loads(lock_item(moto_server, project)["Info"]["S"])

        second = toolkit("apply", ENV)
        assert second.exit_code == 1, second.output
        assert f"for {ENV}: the state is locked by another run (the DynamoDB lock item {holder['Path']}):" \
            in second.output
        assert f"lock ID:   {holder['ID']}" in second.output
        assert f"held by:   {holder['Who']}" in second.output
        assert "operation: apply" in second.output
        assert f"`toolkit unlock {ENV} {holder['ID']}`" in second.output and "--lock-timeout" in second.output

        unlock = toolkit("unlock", ENV)
        assert unlock.exit_code == 1, unlock.output
        assert f"lock ID:   {holder['ID']}" in unlock.output
        assert "A run on this machine that may hold it is still running: terraform apply (pid " in unlock.output
        assert lock_item(moto_server, project) is not None
    finally:
        output, _ = first.communicate(timeout=300)
    assert first.returncode == 0, output
    assert lock_item(moto_server, project) is None
    state = project.state(moto_server, ENV)
    assert state is not None
    applied = {f"{r['type']}.{r['name']}" for r in state["resources"] if r["mode"] == "managed"}
    assert {"aws_ecs_service.app", "aws_db_instance.this", "aws_appautoscaling_target.app"} <= applied
    results = [checkpoint["apply"]["result"] for checkpoint in project.checkpoints(ENV)]
    assert sorted(results) == ["failed", "success"]


def test_second_plan_shows_no_changes(project: EngineProject) -> None:
    result = toolkit("plan", ENV, "--quiet")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{ENV}: no changes: 0 to add, 0 to change, 0 to replace, 0 to destroy"
    nothing = toolkit("apply", ENV)
    assert nothing.exit_code == 0, nothing.output
    assert "has no changes; nothing applied" in nothing.output


def change_max_tasks(project: EngineProject, value: int) -> None:
    values = project.read_environment(ENV)
    values["compute"]["max_tasks"] = value
    project.write_environment(ENV, values)


def test_apply_takes_checkpoint_of_what_is_running(project: EngineProject, moto_server: MotoServer) -> None:
    state_before = project.state(moto_server, ENV)
    s3_versions = moto_server.client("s3").list_object_versions(
        Bucket=f"{PROJECT}-state", Prefix=f"{PROJECT}/{ENV}/terraform.tfstate")["Versions"]
    version_before = next(version["VersionId"] for version in s3_versions if version["IsLatest"])
    task_definition = next(r for r in state_before["resources"] if r["type"] == "aws_ecs_task_definition")
    change_max_tasks(project, 5)
    planned = toolkit("plan", ENV, "--quiet")
    assert planned.exit_code == 2, planned.output
    assert "0 to add, 1 to change" in planned.output

    result = toolkit("apply", ENV)
    assert result.exit_code == 0, result.output
    checkpoint = project.checkpoints(ENV)[-1]
    assert checkpoint["id"] in result.output
    assert checkpoint["state"]["s3_version_id"] == version_before
    assert checkpoint["state"]["serial"] == state_before["serial"]
    assert checkpoint["state"]["lineage"] == state_before["lineage"]
    (service,) = checkpoint["ecs_services"]
    assert service["task_definition_arn"] == task_definition["instances"][0]["attributes"]["arn"]
    (scaling,) = checkpoint["autoscaling"]
    assert (scaling["min"], scaling["max"]) == (1, 3)
    (group,) = checkpoint["db_parameter_groups"]
    assert group["name"] == f"{PROJECT}-{ENV}"
    assert group["parameters"]["max_connections"]["value"] == "200"
    assert checkpoint["apply"]["result"] == "success"
    assert checkpoint["plan_sha256"] == project.metadata(ENV)["plan_sha256"]
    live = moto_server.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[scaling["resource_id"]])
    assert [target["MaxCapacity"] for target in live["ScalableTargets"]] == [5]


def test_applied_plan_is_stale_and_refused(project: EngineProject, moto_server: MotoServer) -> None:
    metadata = project.metadata(ENV)
    serial = project.state(moto_server, ENV)["serial"]
    result = toolkit("apply", ENV)
    assert result.exit_code == 1, result.output
    assert (f"Error: refusing to apply the stale plan {metadata['plan_id']} of {ENV}: the state changed since "
            f"the plan (serial {metadata['state_serial']} → {serial}); another apply or a state command ran in "
            f"between. Run `toolkit plan {ENV}` again.") in result.output
    assert project.state(moto_server, ENV)["serial"] == serial


def test_plan_made_with_other_variables_is_refused(project: EngineProject, moto_server: MotoServer) -> None:
    change_max_tasks(project, 6)
    assert toolkit("plan", ENV, "--quiet").exit_code == 2
    change_max_tasks(project, 7)
    serial = project.state(moto_server, ENV)["serial"]
    result = toolkit("apply", ENV)
    assert result.exit_code == 1, result.output
    assert "the rendered variables changed since the plan" in result.output
    assert f"envs/{ENV}.yaml or envs/defaults.yaml was edited" in result.output
    assert "was modified after" not in result.output
    assert project.state(moto_server, ENV)["serial"] == serial


def test_tampered_plan_file_is_refused(project: EngineProject, moto_server: MotoServer) -> None:
    change_max_tasks(project, 6)  # back to the planned variables: only the plan file differs now
    plan_file = project.latest_plan(ENV) / "plan.tfplan"
    plan_file.write_bytes(plan_file.read_bytes() + b"\0")
    serial = project.state(moto_server, ENV)["serial"]
    result = toolkit("apply", ENV)
    assert result.exit_code == 1, result.output
    assert f"Error: refusing to apply the saved plan {project.metadata(ENV)['plan_id']} of {ENV}:" in result.output
    assert "was modified after `toolkit plan` saved it" in result.output
    assert "the rendered variables changed" not in result.output
    assert f"Run `toolkit plan {ENV}` (and review it) again." in result.output
    assert project.state(moto_server, ENV)["serial"] == serial
