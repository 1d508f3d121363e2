"""The immediate tier against the emulator: ECS task definition rollback and autoscaling suspension."""

from __future__ import annotations

import json

import pytest

from tests.rollback.conftest import CLUSTER, ENVIRONMENT, SERVICE, World, build_world, invoke
from toolkit.config import load_environment
from toolkit.records.places import checkpoint_store_for

FAST = ("--poll-interval", "0.05")
# The immediate tier's AWS calls, in order: precondition reads, the two changes, verification reads.
IMMEDIATE_CALLS = ["DescribeServices", "DescribeTaskDefinition", "DescribeTaskDefinition", "UpdateService",
                   "DescribeServices", "DescribeScalableTargets", "RegisterScalableTarget", "DescribeScalableTargets"]
ALL_SUSPENDED = {"DynamicScalingInSuspended": True, "DynamicScalingOutSuspended": True,
                 "ScheduledScalingSuspended": True}


def test_dry_run_shows_every_change_and_changes_nothing(world: World, cli, proxy) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (f"Rollback {ENVIRONMENT}: tier immediate (target < 5 minutes), checkpoint "
                        f"{world.checkpoint_id}")
    assert "  DRY RUN: nothing is changed. Add --yes to execute." in lines
    # The image tags beside the revision numbers: which revision is the good one is read from its image.
    assert ("    ecs:UpdateService  edu-sandbox/web: edu-sandbox-app:2 (image app=app:2.0-broken) → "
            "edu-sandbox-app:1 (image app=app:1.0)") in lines
    assert ("    application-autoscaling:RegisterScalableTarget  service/edu-sandbox/web: scaling active → "
            "suspended (all)") in lines
    summary = lines.index("Still to do:") - 2
    assert "of the 5 min budget" in lines[summary]
    assert proxy.mutating_calls() == []
    assert world.service()["taskDefinition"] == world.bad_arn
    assert world.journal() == []


@pytest.mark.parametrize("selection", [["--tier", "immediate"], ["--tier", "short"], ["--tier", "long"],
                                       ["--step", "db-cutover"], ["--step", "autoscaling", "--resume"],
                                       ["--step", "db-parameter-group", "--reboot"]])
def test_no_dry_run_makes_a_changing_call(world: World, cli, proxy, selection: list[str]) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, *selection)
    # db-cutover cannot run before db-restore: the dry run says so (exit 1) but still changes nothing.
    assert result.exit_code == (1 if "db-cutover" in selection else 0), result.output
    assert proxy.calls, "the dry run read nothing"
    assert proxy.mutating_calls() == []
    assert world.journal() == []


def test_immediate_tier_rolls_back_and_verifies(world: World, cli, proxy) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--yes", *FAST)
    assert result.exit_code == 0, result.output
    service = world.service()
    assert service["taskDefinition"] == world.good_arn
    assert (service["runningCount"], service["desiredCount"]) == (2, 2)
    assert world.suspended() == ALL_SUSPENDED
    assert f"    {CLUSTER}/{SERVICE}: stable on edu-sandbox-app:1, running 2/2, 1 deployment, rollout COMPLETED" \
        in result.output.splitlines()
    assert "    service/edu-sandbox/web: suspended (all) (verified)" in result.output.splitlines()
    # Lean: exactly these calls reach AWS, no retries, nothing redundant.
    assert proxy.actions() == IMMEDIATE_CALLS
    assert "8 AWS API calls (2 changing)" in result.output


def test_second_run_says_nothing_to_do_and_changes_nothing(world: World, cli, proxy) -> None:
    first = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--yes", *FAST)
    assert first.exit_code == 0, first.output
    proxy.reset()
    second = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--yes", *FAST)
    assert second.exit_code == 0, second.output
    lines = second.output.splitlines()
    assert "    edu-sandbox/web: already at revision 1 of edu-sandbox-app (running 2/2): nothing to do" in lines
    assert "    service/edu-sandbox/web: already suspended (all): nothing to do" in lines
    assert proxy.mutating_calls() == []
    assert proxy.actions() == ["DescribeServices", "DescribeScalableTargets"]


def test_journal_records_every_action(world: World, cli) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--yes", *FAST)
    assert result.exit_code == 0, result.output
    entries = world.journal()
    assert [(entry["event"], entry["step"], entry["action"], entry["result"]) for entry in entries] == [
        ("run-start", None, None, "started"),
        ("action", "ecs-task-definition", "ecs:UpdateService", "ok"),
        ("step", "ecs-task-definition", None, "done"),
        ("action", "autoscaling", "application-autoscaling:RegisterScalableTarget", "ok"),
        ("step", "autoscaling", None, "done"),
        ("run-end", None, None, "finished"),
    ]
    assert len({entry["run_id"] for entry in entries}) == 1
    assert {entry["who"] for entry in entries} == {"responder@test"}
    assert {entry["checkpoint"] for entry in entries} == {world.checkpoint_id}
    assert all(entry["time"].endswith("Z") for entry in entries)
    assert entries[1]["request"] == {"cluster": CLUSTER, "service": SERVICE, "taskDefinition": "edu-sandbox-app:1"}
    assert all(entry["duration_s"] is not None for entry in entries if entry["event"] in ("action", "step"))
    assert entries[0]["details"]["tier"] == "immediate"
    shown = invoke(cli, "rollback", ENVIRONMENT, "--journal")
    assert shown.exit_code == 0, shown.output
    assert len(shown.output.splitlines()) == len(entries)
    assert "ecs:UpdateService  ok" in shown.output


def test_revision_previous_and_number(world: World, cli) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "ecs-task-definition", "--revision", "previous",
                    "--yes", *FAST)
    assert result.exit_code == 0, result.output
    assert world.service()["taskDefinition"] == world.good_arn
    forward = invoke(cli, "rollback", ENVIRONMENT, "--step", "ecs-task-definition", "--revision", "2", "--yes", *FAST)
    assert forward.exit_code == 0, forward.output
    assert world.service()["taskDefinition"] == world.bad_arn


def test_missing_revision_is_refused_before_any_change(world: World, cli, proxy) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "ecs-task-definition", "--revision", "9", "--yes", *FAST)
    assert result.exit_code == 1, result.output
    run_id = world.journal()[0]["run_id"]
    assert result.stderr == (
        "Error: step ecs-task-definition failed: target task definition edu-sandbox-app:9 cannot be used: "
        "ecs:DescribeTaskDefinition: ClientException: Unable to describe task definition.\n"
        "done: nothing\n"
        "not done: ecs-task-definition\n"
        # Running it again cannot help: the step that can work is named instead of a resume.
        f"running ecs-task-definition again cannot work; the step that can: toolkit rollback sandbox --step full "
        f"--to {world.checkpoint_id} (dry run first), then add --yes\n"
        f"journal: toolkit rollback sandbox --journal --run {run_id}\n"
        "still to do:\n"
        f"  - the step that can work (dry run first without --yes): toolkit rollback sandbox --step full --to "
        f"{world.checkpoint_id} --yes\n"
        "  - revert what the undone apply applied, so the next apply does not bring it back: git revert --no-edit "
        "0123456789ab\n"
        "  - re-plan: the plan must not propose the broken change again: toolkit plan sandbox\n")
    assert proxy.mutating_calls() == []
    assert world.service()["taskDefinition"] == world.bad_arn


def test_autoscaling_resume_turns_scaling_back_on(world: World, cli) -> None:
    suspended = invoke(cli, "rollback", ENVIRONMENT, "--step", "autoscaling", "--yes")
    assert suspended.exit_code == 0, suspended.output
    assert world.suspended() == ALL_SUSPENDED
    resumed = invoke(cli, "rollback", ENVIRONMENT, "--step", "autoscaling", "--resume", "--yes")
    assert resumed.exit_code == 0, resumed.output
    assert "    service/edu-sandbox/web: scaling active (verified)" in resumed.output.splitlines()
    assert not any(world.suspended().values())


def test_markdown_runbook_for_the_incident_channel(world: World, cli) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--format", "md")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"## Rollback `{ENVIRONMENT}`: tier immediate (target < 5 minutes)"
    assert "| API action | Resource | Current | Target |" in lines
    assert ("| `ecs:UpdateService` | <code>edu-sandbox/web</code> | edu-sandbox-app:2 (image app=app:2.0-broken) | "
            "edu-sandbox-app:1 (image app=app:1.0) |") in lines
    assert "- **Mode**: dry run, nothing is changed (execute with `--yes`)" in lines


def test_wait_timeout_stops_with_the_last_status(moto_endpoint: str, project, cli) -> None:
    world = build_world(moto_endpoint, project, desired_count=3)  # moto never runs more than 2 tasks
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "ecs-task-definition", "--yes", "--wait-timeout", "0.3",
                    *FAST)
    assert result.exit_code == 1, result.output
    assert ("Error: step ecs-task-definition failed: ECS service edu-sandbox/web to become stable on "
            "edu-sandbox-app:1: not reached after 0.3 s (last status: edu-sandbox-app:1, running 2/3, "
            "1 deployment, rollout IN_PROGRESS)") in result.output
    assert (f"resume with: toolkit rollback {ENVIRONMENT} --step ecs-task-definition --to {world.checkpoint_id} "
            "--wait-timeout") not in result.output
    assert f"resume with: toolkit rollback {ENVIRONMENT} --step ecs-task-definition --to {world.checkpoint_id} --yes" \
        in result.output


@pytest.fixture
def prod_checkpoint(world: World) -> str:
    """The sandbox checkpoint filed under prod too, so prod's guards can be exercised against the same world."""
    source = world.store.load(world.checkpoint_id)
    source.environment = "prod"
    prod_store = checkpoint_store_for(world.project, load_environment(world.project, "prod"))
    prod_store.save(source)
    return source.id


def test_protected_environment_needs_the_typed_name(world: World, prod_checkpoint: str, cli, proxy) -> None:
    wrong = invoke(cli, "rollback", "prod", "--step", "autoscaling", "--yes", input="staging\n")
    assert wrong.exit_code == 1, wrong.output
    assert "Error: confirmation 'staging' does not match prod: nothing was changed" in wrong.output
    assert proxy.mutating_calls() == []
    right = invoke(cli, "rollback", "prod", "--step", "autoscaling", "--yes", input="prod\n")
    assert right.exit_code == 0, right.output
    assert world.suspended() == ALL_SUSPENDED


def test_protected_environment_with_approve(world: World, prod_checkpoint: str, cli, proxy) -> None:
    mismatch = invoke(cli, "rollback", "prod", "--step", "autoscaling", "--yes", "--approve", "staging")
    assert mismatch.exit_code == 1, mismatch.output
    assert mismatch.output == "Error: --approve staging does not match the environment prod: nothing was changed\n"
    assert proxy.mutating_calls() == []
    approved = invoke(cli, "rollback", "prod", "--step", "autoscaling", "--yes", "--approve", "prod")
    assert approved.exit_code == 0, approved.output
    assert world.suspended() == ALL_SUSPENDED


def test_checkpoint_json_holds_no_state_contents(world: World) -> None:
    data = json.loads(world.store.records.get(f"{world.checkpoint_id}.json").decode())
    assert set(data["state"]) >= {"backend", "lineage", "serial", "s3_version_id"}
    assert "resources" not in json.dumps(data["state"])


def test_protected_environment_asks_before_the_executing_header(world: World, prod_checkpoint: str, cli,
                                                                proxy) -> None:
    """The approval (plan, then the prompt) comes first; "EXECUTING run … journaled" only once it really starts."""
    refused = invoke(cli, "rollback", "prod", "--step", "autoscaling", "--yes", input="no\n")
    assert refused.exit_code == 1, refused.output
    assert "EXECUTING" not in refused.output
    assert refused.output.startswith("prod is protected. The plan first (nothing is changed yet):\n"), refused.output
    right = invoke(cli, "rollback", "prod", "--step", "autoscaling", "--yes", input="prod\n")
    assert right.exit_code == 0, right.output
    prompt = right.output.index("Type the environment name (prod) to execute this rollback")
    header = right.output.index("EXECUTING run ")
    assert prompt < header, right.output
    assert right.output[header:].count("Type the environment name") == 0


def test_piped_input_is_no_confirmation(world: World, prod_checkpoint: str, cli, proxy) -> None:
    """Like apply: the typed name needs a person at a terminal; `echo prod | toolkit rollback prod --yes` changes
    nothing and says to add --approve."""
    piped = invoke(cli, "rollback", "prod", "--step", "autoscaling", "--yes", input="prod\n", terminal=False)
    assert piped.exit_code == 1, piped.output
    assert piped.output == "Error: prod is protected: add --approve prod (nothing was changed)\n"
    assert proxy.mutating_calls() == []
