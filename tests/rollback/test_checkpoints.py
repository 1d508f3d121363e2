"""Checkpoints: targets from terraform state, capture against the emulator, storage, `toolkit checkpoints`."""

from __future__ import annotations

import json

import pytest

from tests.rollback.conftest import (
    CLUSTER,
    CLUSTER_PARAMETER_GROUP,
    DB_CLUSTER,
    DB_INSTANCE,
    ENVIRONMENT,
    PARAMETER_GROUP,
    REGION,
    SERVICE,
    World,
    invoke,
)
from toolkit.errors import ToolkitError, UsageError
from toolkit.records.checkpoints import (
    ApplyRecord,
    Checkpoint,
    CheckpointStore,
    EcsServiceRef,
    ParameterSetting,
    ScalableTargetRef,
    Targets,
    capture,
    targets_from_state,
)


def resource(kind: str, attributes: dict, mode: str = "managed") -> dict:
    return {"mode": mode, "type": kind, "name": "this", "instances": [{"attributes": attributes}]}


def test_targets_come_from_managed_resources_only() -> None:
    state = {"version": 4, "resources": [
        resource("aws_ecs_service", {"name": "web", "cluster": "arn:aws:ecs:sa-east-1:1:cluster/edu"}),
        resource("aws_ecs_service", {"name": "ghost", "cluster": "edu"}, mode="data"),
        resource("aws_db_instance", {"identifier": "edu-db"}),
        resource("aws_db_instance", {"identifier": "edu-db-replica-1", "replicate_source_db": "edu-db"}),
        resource("aws_rds_cluster", {"cluster_identifier": "edu-aurora"}),
        resource("aws_db_parameter_group", {"name": "edu-pg"}),
        resource("aws_rds_cluster_parameter_group", {"name": "edu-cpg"}),
        resource("aws_appautoscaling_target", {"service_namespace": "ecs", "resource_id": "service/edu/web",
                                               "scalable_dimension": "ecs:service:DesiredCount"}),
        resource("aws_s3_bucket", {"bucket": "uploads"}),
    ]}
    assert targets_from_state(state) == Targets(
        ecs_services=[EcsServiceRef("edu", "web")], db_instances=["edu-db"], db_clusters=["edu-aurora"],
        db_parameter_groups=["edu-pg"], db_cluster_parameter_groups=["edu-cpg"],
        autoscaling_targets=[ScalableTargetRef("ecs", "service/edu/web", "ecs:service:DesiredCount")])


def test_targets_refuse_an_unknown_state_format() -> None:
    with pytest.raises(ToolkitError) as raised:
        targets_from_state({"version": 3, "modules": []})
    assert str(raised.value) == "terraform state format version 3 is not supported (expected 4)"


def test_capture_records_the_values_before_the_apply(world: World) -> None:
    checkpoint = world.store.load(world.checkpoint_id)
    assert [(item.cluster, item.service, item.task_definition_arn, item.desired_count, item.running_count)
            for item in checkpoint.ecs_services] == [(CLUSTER, SERVICE, world.good_arn, 2, 2)]
    groups = {group.name: group for group in checkpoint.db_parameter_groups}
    assert groups[PARAMETER_GROUP].kind == "instance"
    assert groups[PARAMETER_GROUP].parameters == {"max_connections": ParameterSetting("200", "static"),
                                                  "work_mem": ParameterSetting("16384", "dynamic")}
    assert groups[CLUSTER_PARAMETER_GROUP].parameters == {
        "log_min_duration_statement": ParameterSetting("1000", "dynamic")}
    snapshots = {item.source_identifier: item for item in checkpoint.db_snapshots}
    assert snapshots[DB_INSTANCE].identifier == f"{DB_INSTANCE}-before-apply"
    assert snapshots[DB_INSTANCE].type == "instance"
    assert snapshots[DB_CLUSTER].type == "cluster"
    assert snapshots[DB_CLUSTER].engine == "aurora-postgresql"
    assert [(item.resource_id, item.min, item.max, any(item.suspended_state.values()))
            for item in checkpoint.autoscaling] == [(f"service/{CLUSTER}/{SERVICE}", 1, 3, False)]
    assert checkpoint.apply is not None and checkpoint.apply.result == "success"
    assert checkpoint.warnings == []
    text = world.store.records.get(f"{world.checkpoint_id}.json").decode()
    assert "not-a-real-secret" not in text and "s3cr3t" not in text


def test_capture_turns_missing_resources_into_warnings(world: World) -> None:
    targets = Targets(ecs_services=[EcsServiceRef(CLUSTER, "gone")], db_parameter_groups=["no-such-group"],
                      db_instances=["no-such-db"])
    checkpoint = capture(ENVIRONMENT, targets, region=REGION, endpoint_url=world.endpoint)
    assert checkpoint.ecs_services == [] and checkpoint.db_parameter_groups == [] and checkpoint.db_snapshots == []
    assert len(checkpoint.warnings) == 3, checkpoint.warnings
    assert "instance parameter group no-such-group not found" in checkpoint.warnings
    assert "DB instance no-such-db: no available snapshot" in checkpoint.warnings


def test_store_saves_atomically_lists_in_order_and_updates_the_apply(tmp_path) -> None:
    store = CheckpointStore(tmp_path / "checkpoints")
    assert store.list() == [] and store.latest() is None
    older = Checkpoint(id="20261126T100000Z-aaaa", environment="dev", created_at="2026-11-26T10:00:00Z",
                       created_by="a@b")
    newer = Checkpoint(id="20261126T110000Z-0001", environment="dev", created_at="2026-11-26T11:00:00Z",
                       created_by="a@b")
    store.save(newer)
    store.save(older)
    assert [item.id for item in store.list()] == [older.id, newer.id]
    assert store.latest() == newer
    store.update_apply(newer.id, ApplyRecord(result="failed", applied_by="ci", started_at="2026-11-26T11:00:01Z",
                                             summary="Error: boom"))
    assert store.load(newer.id).apply == ApplyRecord(result="failed", applied_by="ci",
                                                     started_at="2026-11-26T11:00:01Z", summary="Error: boom")
    assert sorted(path.name for path in (tmp_path / "checkpoints").iterdir()) == [f"{older.id}.json",
                                                                                 f"{newer.id}.json"]
    with pytest.raises(UsageError) as raised:
        store.load("20200101T000000Z-ffff")
    assert str(raised.value) == ("unknown checkpoint '20200101T000000Z-ffff'; known: 20261126T100000Z-aaaa, "
                                 "20261126T110000Z-0001")


def test_checkpoints_command_lists_id_time_who_commit_result(world: World, cli) -> None:
    checkpoint = world.store.load(world.checkpoint_id)
    result = invoke(cli, "checkpoints", ENVIRONMENT)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["ID", "TIME", "(UTC)", "WHO", "COMMIT", "RESULT", "CHANGED", "(+~-±)", "IMAGES",
                                "NOTE"]
    # An apply recorded before its changes were: "?" and "-" (tests/rollback/test_triage.py has the recorded ones).
    assert lines[1].split() == [checkpoint.id, checkpoint.created_at, "responder@test", "0123456789ab", "success",
                                "?", "-", "default", "rollback", "target"]
    as_json = invoke(cli, "checkpoints", ENVIRONMENT, "--json")
    assert as_json.exit_code == 0, as_json.output
    assert [item["id"] for item in json.loads(as_json.output)] == [checkpoint.id]


def test_checkpoints_command_without_checkpoints(project, cli) -> None:
    result = invoke(cli, "checkpoints", "dev")
    assert result.exit_code == 0, result.output
    assert result.output == "no checkpoints for dev yet: `toolkit apply dev` records one before each apply\n"
