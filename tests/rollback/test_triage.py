"""Rollback triage (issue 28, item 5): a bare `toolkit rollback ENV` reads what the last apply changed and
recommends the steps that undo exactly that; tier runs skip the steps for untouched parts (and say how to force
them); every run ends with "still to do"; a rollback's own checkpoint is never the default target; a step that
cannot work points at `--step full`; waits print a heartbeat. Against the moto server (tests/rollback/conftest.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.rollback.conftest import CLUSTER, ENVIRONMENT, SERVICE, World, invoke
from toolkit.engine.pre_apply import applied_changes
from toolkit.records.checkpoints import ApplyRecord, Checkpoint, StateVersion
from toolkit.rollback import waits
from toolkit.rollback.triage import Undone, recommend

FAST = ("--poll-interval", "0.05")
TASK_DEFINITION = "module.compute.aws_ecs_task_definition.app"


def definitions(image: str) -> str:
    return json.dumps([{"name": "app", "image": image, "essential": True}])


def plan_json(*extra: dict[str, Any], image_after: str = "app:2.0-broken", skip_destroy: bool = True) -> dict[str, Any]:
    """A `terraform show -json` plan document in terraform's shape: a task definition replaced for a new image
    (kept ACTIVE with skip_destroy, as modules/compute does), the service updated to it, a data source read, and an
    unchanged resource."""
    return {"format_version": "1.2", "resource_changes": [
        {"address": TASK_DEFINITION, "mode": "managed", "type": "aws_ecs_task_definition", "name": "app",
         "change": {"actions": ["create", "delete"],
                    "before": {"container_definitions": definitions("app:1.0"), "family": "edu-sandbox-app",
                               "skip_destroy": skip_destroy},
                    "after": {"container_definitions": definitions(image_after), "family": "edu-sandbox-app"},
                    "after_unknown": {"arn": True}}},
        {"address": "module.compute.aws_ecs_service.app", "mode": "managed", "type": "aws_ecs_service",
         "name": "app", "change": {"actions": ["update"], "before": {}, "after": {}}},
        {"address": "data.aws_caller_identity.current", "mode": "data", "type": "aws_caller_identity",
         "name": "current", "change": {"actions": ["read"]}},
        {"address": "module.database.aws_db_instance.main", "mode": "managed", "type": "aws_db_instance",
         "name": "main", "change": {"actions": ["no-op"], "before": {}, "after": {}}},
        *extra]}


def record_changes(world: World, plan: dict[str, Any]) -> None:
    """The bad apply's record as `toolkit apply` now writes it: with what its plan changed."""
    checkpoint = world.store.load(world.checkpoint_id)
    assert checkpoint.apply is not None
    checkpoint.apply.changes = applied_changes(plan)
    world.store.update_apply(checkpoint.id, checkpoint.apply)


def test_applied_changes_reads_counts_resources_and_images() -> None:
    changes = applied_changes(plan_json())
    assert changes.counts == {"replace": 1, "update": 1}
    assert [(item.address, item.action) for item in changes.resources] == [
        (TASK_DEFINITION, "replace"), ("module.compute.aws_ecs_service.app", "update")]
    assert [(item.container, item.before, item.after) for item in changes.images] == [("app", "app:1.0",
                                                                                       "app:2.0-broken")]
    assert changes.text() == "+0 ~1 -0 ±1"
    assert changes.deregistered == []
    assert applied_changes(plan_json(skip_destroy=False)).deregistered == [TASK_DEFINITION]
    assert changes.touched("database") == [] and len(changes.touched("compute")) == 2
    # An unchanged image is no image change; a definition the plan cannot read yet says so.
    assert applied_changes(plan_json(image_after="app:1.0")).images == []
    unknown = plan_json()
    unknown["resource_changes"][0]["change"]["after"] = {}
    unknown["resource_changes"][0]["change"]["after_unknown"] = {"container_definitions": True}
    assert [item.after for item in applied_changes(unknown).images] == ["(known after apply)"]


PARAMETER_GROUP = "module.database.aws_db_parameter_group.main"


def undone_applies_of(checkpoint: Checkpoint) -> Undone:
    return Undone(checkpoint, [checkpoint])


def parameter_update(before: list[dict[str, str]], after: list[dict[str, str]], **more: Any) -> dict[str, Any]:
    return {"address": PARAMETER_GROUP, "mode": "managed", "type": "aws_db_parameter_group", "name": "main",
            "change": {"actions": ["update"], "before": {"parameter": before, "name": "edu-pg", **more},
                       "after": {"parameter": after, "name": "edu-pg"}}}


def test_on_the_emulator_an_update_of_mocked_echo_gaps_only_is_no_change_of_the_part() -> None:
    """moto lists no DB parameters, so every apply on the emulator re-sends them (toolkit.emulator.MOTO_ECHO_GAPS):
    triage said "database parameters: TOUCHED" after an image-only change (a newcomer's finding)."""
    echo = parameter_update([], [{"name": "log_min_duration_statement", "value": "500"}])
    on_emulator = applied_changes(plan_json(echo), emulator=True)
    assert [item.emulator_echo for item in on_emulator.resources] == [False, False, True]
    assert on_emulator.touched("database parameters") == []
    assert on_emulator.counts == {"replace": 1, "update": 2}  # still counted: terraform did update it
    checkpoint = Checkpoint(id="20261207T020000Z-abcd", environment="local", created_at="x", created_by="y",
                            apply=ApplyRecord(result="success", applied_by="y", started_at="x", changes=on_emulator))
    advice = recommend("local", undone_applies_of(checkpoint))
    assert [step for step, _ in advice.steps] == ["ecs-task-definition", "autoscaling"], advice.steps
    # On real AWS the same update is a real change; and on the emulator, one that changes more than the gap is too.
    assert len(applied_changes(plan_json(echo)).touched("database parameters")) == 1
    renamed = parameter_update([], [{"name": "a", "value": "1"}], description="old")
    assert len(applied_changes(plan_json(renamed), emulator=True).touched("database parameters")) == 1


@pytest.mark.parametrize(("kind", "restores"), [("aws_rds_cluster_instance", False), ("aws_rds_cluster", True),
                                               ("aws_db_instance", True)])
def test_only_a_replaced_database_with_data_of_its_own_recommends_a_restore(kind: str, restores: bool) -> None:
    """An Aurora cluster instance holds no data (the cluster's storage does): replacing it is undone by `full`, not
    by an hour-long snapshot restore."""
    replaced = {"address": f"module.database.{kind}.this", "mode": "managed", "type": kind, "name": "this",
                "change": {"actions": ["delete", "create"], "before": {}, "after": {}}}
    checkpoint = Checkpoint(id="20261207T020000Z-abcd", environment="sandbox", created_at="x", created_by="y",
                            apply=ApplyRecord(result="success", applied_by="y", started_at="x",
                                              changes=applied_changes(plan_json(replaced))))
    steps = [step for step, _ in recommend("sandbox", undone_applies_of(checkpoint)).steps]
    assert ("db-restore" in steps) is restores, steps
    assert "full" in steps, steps


def test_the_record_round_trips_through_the_store(world: World) -> None:
    record_changes(world, plan_json())
    loaded = world.store.load(world.checkpoint_id)
    assert loaded.apply is not None and loaded.apply.changes is not None
    assert loaded.apply.changes.images[0].after == "app:2.0-broken"


def test_bare_rollback_summarises_the_apply_and_recommends_the_immediate_tier(world: World, cli, proxy) -> None:
    record_changes(world, plan_json())
    result = invoke(cli, "rollback", ENVIRONMENT)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"What a rollback to checkpoint {world.checkpoint_id} undoes:" in lines
    assert "    changed: +0 ~1 -0 ±1 (create, update, delete, replace)" in lines
    assert f"      replace  {TASK_DEFINITION}" in lines
    assert "    image app: app:1.0 → app:2.0-broken" in lines
    assert "  database: not touched" in lines
    assert "  cache: not touched" in lines
    assert any(line.startswith("  1. ecs-task-definition: ") for line in lines), result.output
    assert any(line.startswith("  2. autoscaling: ") for line in lines), result.output
    assert not any(". full:" in line or ". db-restore:" in line for line in lines), result.output
    assert any(line.startswith("Skipped db-restore: the apply undone") and "--include db-restore" in line
               for line in lines), result.output
    assert f"  toolkit rollback {ENVIRONMENT} --tier immediate --to {world.checkpoint_id} --yes" in lines
    # Each command is printed first as its dry run: the first line a responder pastes changes nothing.
    commands = lines[lines.index("Run (a command without --yes is a dry run that shows every change):") + 1:]
    assert commands[0] == f"  toolkit rollback {ENVIRONMENT} --tier immediate --to {world.checkpoint_id}", commands
    for index, line in enumerate(commands):
        if line.endswith(" --yes"):
            assert line.removesuffix(" --yes") in commands[:index], commands
    # Triage reads the checkpoints only: no call reaches the infrastructure.
    assert proxy.calls == []
    assert world.service()["taskDefinition"] == world.bad_arn


def test_a_deregistered_revision_recommends_full_not_the_immediate_tier(world: World, cli) -> None:
    record_changes(world, plan_json(skip_destroy=False))
    result = invoke(cli, "rollback", ENVIRONMENT)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"    old revision deregistered (no skip_destroy): {TASK_DEFINITION}" in lines
    assert any(line.startswith("  1. full: the apply deregistered the old task definition revision") for line in lines)
    assert not any("ecs-task-definition:" in line for line in lines), result.output
    assert f"  toolkit rollback {ENVIRONMENT} --step full --to {world.checkpoint_id} --yes" in lines
    assert not any("--tier immediate" in line for line in lines), result.output


def test_bare_rollback_json_and_what_other_changes_recommend(world: World, cli) -> None:
    replica = {"address": "module.database.aws_db_instance.replica[0]", "mode": "managed", "type": "aws_db_instance",
               "name": "replica", "change": {"actions": ["delete"], "before": {}, "after": None}}
    record_changes(world, plan_json(replica))
    result = invoke(cli, "rollback", ENVIRONMENT, "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["checkpoint"] == world.checkpoint_id
    assert document["touched"]["database"] is True and document["touched"]["cache"] is False
    assert [item["step"] for item in document["recommended"]] == ["ecs-task-definition", "autoscaling",
                                                                   "db-restore", "full"]
    assert [item["step"] for item in document["skipped"]] == ["db-parameter-group", "cache-disable"]
    assert document["skipped"][1]["force"] == "--include cache-disable"
    assert f"toolkit rollback {ENVIRONMENT} --tier long --to {world.checkpoint_id} --yes" in document["commands"]
    assert document["undone"][0]["changes"]["images"][0]["before"] == "app:1.0"


def test_edited_records_cannot_rewrite_the_screen(world: World, cli) -> None:
    plan = plan_json()
    plan["resource_changes"][0]["change"]["after"]["container_definitions"] = definitions("app:3\x1b[2J\nforged")
    record_changes(world, plan)
    result = invoke(cli, "rollback", ENVIRONMENT)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\nforged" not in result.output
    assert "    image app: app:1.0 → app:3\\x1b[2J\\nforged" in result.output.splitlines()


def test_bare_rollback_with_yes_is_refused(world: World, cli, proxy) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--yes")
    assert result.exit_code != 0
    assert "--yes needs --tier immediate|short|long or --step NAME" in result.output
    assert proxy.mutating_calls() == []


def test_unknown_changes_skip_nothing_and_say_so(world: World, cli) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT)
    assert result.exit_code == 0, result.output
    assert "    what it changed was not recorded (an older toolkit)" in result.output.splitlines()
    assert "database: unknown (not recorded)" in result.output
    assert "Skipped" not in result.output


def test_short_tier_skips_the_parts_the_apply_never_touched(world: World, cli, proxy) -> None:
    record_changes(world, plan_json())
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "short")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("  → skipped: the apply undone") and "changed no cache resource" in line
               and "add --include cache-disable to run it anyway" in line for line in lines), result.output
    assert any("changed no database parameter group" in line for line in lines), result.output
    assert not any("DBParameter" in action for action in proxy.actions()), proxy.actions()
    # Forced: the step runs (here its plan reads the parameter groups and the task definition).
    proxy.reset()
    forced = invoke(cli, "rollback", ENVIRONMENT, "--tier", "short", "--include", "db-parameter-group",
                    "--include", "cache-disable")
    assert forced.exit_code == 0, forced.output
    assert "skipped" not in forced.output
    assert any("DBParameter" in action for action in proxy.actions()), proxy.actions()


def test_include_names_a_skippable_step(world: World, cli) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "short", "--include", "full")
    assert result.exit_code != 0
    assert "--include full: give a step a tier may skip (db-parameter-group, cache-disable, db-restore)" \
        in result.output
    single = invoke(cli, "rollback", ENVIRONMENT, "--step", "cache-disable", "--include", "cache-disable")
    assert single.exit_code != 0
    assert "--include goes with --tier (a single --step always runs)" in single.output


def test_every_run_ends_with_still_to_do_as_commands(world: World, cli) -> None:
    record_changes(world, plan_json())
    dry = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate")
    assert dry.exit_code == 0, dry.output
    assert f"     toolkit rollback {ENVIRONMENT} --tier immediate --to {world.checkpoint_id} --yes" \
        in dry.output.splitlines()
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--yes", *FAST)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    todo = lines[lines.index("Still to do:"):]
    resume = f"     toolkit rollback {ENVIRONMENT} --step autoscaling --resume --yes"
    assert resume in todo
    assert "     git revert --no-edit 0123456789ab" in todo
    assert f"     toolkit plan {ENVIRONMENT}" == todo[-1]
    # The command works as printed: scaling is active again.
    again = invoke(cli, *resume.split()[1:])
    assert again.exit_code == 0, again.output
    assert not any(world.suspended().values())
    # A dry run with nothing left to do offers no command to "execute this plan" (a newcomer's finding).
    nothing = invoke(cli, "rollback", ENVIRONMENT, "--step", "ecs-task-definition")
    assert nothing.exit_code == 0, nothing.output
    assert "execute this plan" not in nothing.output, nothing.output


def test_json_run_carries_still_to_do(world: World, cli) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["still_to_do"][0]["command"].endswith("--yes")
    assert document["still_to_do"][-1]["command"] == f"toolkit plan {ENVIRONMENT}"


def add_rollback_checkpoint(world: World) -> str:
    """The checkpoint a `--step full` rollback takes before its own apply (on the broken state), applied."""
    rollback = Checkpoint(id=world.store.next_id(), environment=ENVIRONMENT, created_at="2026-12-07T03:10:00Z",
                          created_by="responder@test", git_commit="fedcba9876543210fedcba9876543210fedcba98",
                          rollback_of="20261126T120000Z-0a0a",
                          state=StateVersion(backend="s3", lineage="6f1c2a7e-0000-4000-8000-000000000001",
                                             serial=8))
    rollback.apply = ApplyRecord(result="success", applied_by="responder@test", started_at="2026-12-07T03:10:01Z",
                                 state_serial_after=9, changed_state=True)
    world.store.save(rollback)
    return rollback.id


def test_a_rollbacks_checkpoint_is_marked_and_never_the_default_target(world: World, cli) -> None:
    rollback_id = add_rollback_checkpoint(world)
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].endswith(f"checkpoint {world.checkpoint_id}")
    triage = invoke(cli, "rollback", ENVIRONMENT)
    assert f"the newest checkpoint {rollback_id} was taken by a rollback" in triage.output
    listed = invoke(cli, "checkpoints", ENVIRONMENT)
    assert listed.exit_code == 0, listed.output
    rows = {line.split()[0]: line for line in listed.output.splitlines()[1:]}
    assert "taken by a rollback (--step full to 20261126T120000Z-0a0a's configuration)" in rows[rollback_id]
    assert "default rollback target" in rows[world.checkpoint_id]
    assert "default rollback target" not in rows[rollback_id]


def test_checkpoints_show_what_each_apply_changed_and_its_images(world: World, cli) -> None:
    record_changes(world, plan_json())
    listed = invoke(cli, "checkpoints", ENVIRONMENT)
    assert listed.exit_code == 0, listed.output
    header, row = listed.output.splitlines()[:2]
    assert "CHANGED (+~-±)" in header and "IMAGES" in header
    assert "+0 ~1 -0 ±1" in row and "app: app:1.0 → app:2.0-broken" in row
    as_json = json.loads(invoke(cli, "checkpoints", ENVIRONMENT, "--json").output)
    assert as_json[0]["apply"]["changes"]["counts"] == {"replace": 1, "update": 1}


def test_revision_shows_image_tags_beside_numbers(world: World, cli) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "ecs-task-definition", "--revision", "1")
    assert result.exit_code == 0, result.output
    assert (f"    ecs:UpdateService  {CLUSTER}/{SERVICE}: edu-sandbox-app:2 (image app=app:2.0-broken) → "
            "edu-sandbox-app:1 (image app=app:1.0)") in result.output.splitlines()


def test_a_step_that_cannot_work_suggests_full_not_a_resume(world: World, cli) -> None:
    dry = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--revision", "7")
    assert dry.exit_code != 0
    assert f"the step that can work: toolkit rollback {ENVIRONMENT} --step full --to {world.checkpoint_id}" \
        in dry.output
    world.client("ecs").deregister_task_definition(taskDefinition=world.good_arn)
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--yes", *FAST)
    assert result.exit_code != 0
    assert (f"running ecs-task-definition again cannot work; the step that can: toolkit rollback {ENVIRONMENT} "
            f"--step full --to {world.checkpoint_id} (dry run first), then add --yes") in result.output
    assert "resume with" not in result.output
    assert "still to do:" in result.output
    assert world.service()["taskDefinition"] == world.bad_arn


def test_revision_previous_is_resolved_once(world: World, cli) -> None:
    first = invoke(cli, "rollback", ENVIRONMENT, "--step", "ecs-task-definition", "--revision", "previous", "--yes",
                   *FAST)
    assert first.exit_code == 0, first.output
    assert world.service()["taskDefinition"] == world.good_arn
    # The same command again keeps the revision the first run resolved, instead of stepping back once more.
    second = invoke(cli, "rollback", ENVIRONMENT, "--step", "ecs-task-definition", "--revision", "previous", "--yes",
                    *FAST)
    assert second.exit_code == 0, second.output
    assert f"    {CLUSTER}/{SERVICE}: already at revision 1 of edu-sandbox-app (running 2/2): nothing to do" \
        in second.output.splitlines()
    assert world.service()["taskDefinition"] == world.good_arn


def test_waits_print_a_heartbeat_every_30_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(waits.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(waits.time, "sleep", lambda seconds: clock.__setitem__(0, clock[0] + seconds))
    polls = iter(range(100))
    heard: list[str] = []
    policy = waits.WaitPolicy(timeout_s=600.0, interval_s=10.0, heartbeat=heard.append)
    waits.wait_for("the thing", lambda: next(polls), lambda count: (count >= 9, f"poll {count}"), policy)
    # 9 sleeps of 10 s: heartbeats at 30, 60 and 90 s, each with the last status.
    assert heard == [f"still waiting for the thing: {seconds} s of 600 s (last status: poll {poll})"
                     for seconds, poll in ((30, 2), (60, 5), (90, 8))]
