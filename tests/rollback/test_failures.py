"""Throttling and 5xx answers are retried; persistent failures stop the runbook with a resume command."""

from __future__ import annotations

import json

import pytest

from tests.rollback.conftest import ENVIRONMENT, STATE_BUCKET, STATE_KEY, World, invoke, restored_state, state_document
from tests.support.fault_proxy import FaultProxy

FAST = ("--poll-interval", "0.05")
STATE_WRITE = f"PutObject /{STATE_BUCKET}/{STATE_KEY}"  # the restore's write of the state object


@pytest.mark.parametrize(("kind", "action", "step"), [
    ("503", "UpdateService", "ecs-task-definition"),             # JSON protocol, 5xx
    ("throttle", "DescribeServices", "ecs-task-definition"),      # JSON protocol, ThrottlingException
    ("throttle", "ModifyDBParameterGroup", "db-parameter-group"),  # query protocol, <Code>Throttling</Code>
    ("500", STATE_WRITE, "terraform-state"),                      # S3 REST protocol, 5xx
])
def test_transient_failures_are_retried(world: World, cli, proxy: FaultProxy, kind: str, action: str,
                                        step: str) -> None:
    proxy.inject(kind, 2, match=action)
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", step, "--yes", *FAST)
    assert result.exit_code == 0, result.output
    attempts = [call for call in proxy.calls if action in (call.action, f"{call.action} {call.path.split('?')[0]}")]
    assert [call.injected for call in attempts][:3] == [True, True, False]
    if step == "ecs-task-definition":
        assert world.service()["taskDefinition"] == world.good_arn
    elif step == "db-parameter-group":
        assert world.parameters() == {"max_connections": "200", "work_mem": "16384"}
    else:
        assert json.loads(world.state_object()[1]) == restored_state(state_document(7), 9)


def test_persistent_failure_stops_the_tier_and_resumes_from_the_failed_step(world: World, cli, proxy: FaultProxy,
                                                                           monkeypatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    proxy.inject("500", 1000, match="ModifyDBParameterGroup")
    failed = invoke(cli, "rollback", ENVIRONMENT, "--tier", "short", "--yes", *FAST)
    assert failed.exit_code == 1, failed.output
    run_id = world.journal()[0]["run_id"]
    assert failed.stderr == (
        "Error: step db-parameter-group failed: rds:ModifyDBParameterGroup: InternalFailure: injected fault "
        "(gave up after 2 attempts)\n"
        "done: terraform-state (done)\n"
        "not done: db-parameter-group, cache-disable\n"
        f"resume with: toolkit rollback sandbox --tier short --resume-from db-parameter-group --to "
        f"{world.checkpoint_id} --yes\n"
        f"(or: toolkit rollback sandbox --resume-from {run_id} --yes)\n"
        f"journal: toolkit rollback sandbox --journal --run {run_id}\n"
        "still to do:\n"
        f"  - resume the rollback: toolkit rollback sandbox --tier short --resume-from db-parameter-group --to "
        f"{world.checkpoint_id} --yes\n"
        "  - revert what the undone apply applied, so the next apply does not bring it back: git revert --no-edit "
        "0123456789ab\n"
        "  - re-plan: the plan must not propose the broken change again: toolkit plan sandbox\n")
    assert [call.injected for call in proxy.calls if call.action == "ModifyDBParameterGroup"] == [True, True]
    assert json.loads(world.state_object()[1]) == restored_state(state_document(7), 9), "the step before the " \
        "failure was done"
    assert world.service()["taskDefinition"] == world.bad_arn, "the step after the failure was not started"
    end = world.journal()[-1]
    assert (end["event"], end["result"], end["details"]["failed_step"]) == ("run-end", "failed", "db-parameter-group")
    assert end["details"]["not_done"] == ["db-parameter-group", "cache-disable"]

    proxy.reset()
    resumed = invoke(cli, "rollback", ENVIRONMENT, "--tier", "short", "--resume-from", "db-parameter-group",
                     "--to", world.checkpoint_id, "--yes", *FAST)
    assert resumed.exit_code == 0, resumed.output
    assert "terraform-state" not in resumed.output
    assert "Executed 2 steps: 2 done;" in resumed.output
    assert not [call for call in proxy.calls if f"{call.action} {call.path.split('?')[0]}" == STATE_WRITE]
    assert world.parameters() == {"max_connections": "200", "work_mem": "16384"}
    assert world.service()["taskDefinition"].endswith(":3")


def test_resume_by_run_id(world: World, cli, proxy: FaultProxy, monkeypatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    proxy.inject("503", 1, match="RegisterScalableTarget")
    failed = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--yes", *FAST)
    assert failed.exit_code == 1, failed.output
    assert "Error: step autoscaling failed: application-autoscaling:RegisterScalableTarget: " in failed.stderr
    run_id = world.journal()[0]["run_id"]
    proxy.reset()
    resumed = invoke(cli, "rollback", ENVIRONMENT, "--resume-from", run_id, "--yes", *FAST)
    assert resumed.exit_code == 0, resumed.output
    assert resumed.output.splitlines()[0] == (f"Rollback {ENVIRONMENT}: tier immediate (target < 5 minutes), "
                                              f"checkpoint {world.checkpoint_id}")
    assert "[1/1] autoscaling:" in resumed.output
    assert [call.action for call in proxy.mutating_calls()] == ["RegisterScalableTarget"]
    # Run ids sort by the second they start in, and these two runs may share one: pick the resumed run by id.
    resumed_id = next(entry["run_id"] for entry in world.journal() if entry["run_id"] != run_id)
    finished = invoke(cli, "rollback", ENVIRONMENT, "--resume-from", resumed_id, "--yes")
    assert finished.exit_code == 1, finished.output
    assert finished.stderr == f"Error: run {resumed_id} did not fail: nothing to resume\n"


def test_throttling_that_persists_is_a_clear_error(world: World, cli, proxy: FaultProxy, monkeypatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    proxy.inject("throttle", 1000, match="DescribeServices")
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "ecs-task-definition", "--yes")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: step ecs-task-definition failed: ecs:DescribeServices: "
                                    "ThrottlingException: Rate exceeded (gave up after 2 attempts)\n")
    assert proxy.mutating_calls() == []
