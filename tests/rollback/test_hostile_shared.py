"""Hostile objects beside the S3 state (issue 21 items 5 and 6), against the emulator: an unreadable checkpoint or
journal object is skipped and named, never fatal to the others; an unreadable `.tflock` is explained by
`toolkit unlock` with a command that can be pasted; `toolkit rollback --format json` prints one document, also
when the run stops."""

from __future__ import annotations

import json

from tests.rollback.conftest import (
    ENVIRONMENT,
    STATE_BUCKET,
    STATE_KEY,
    World,
    invoke,
    pin_lock,
    state_document,
)

PREFIX = f"edu-platform/{ENVIRONMENT}/toolkit/"
DEEP = b"[" * 200000


def _put(world: World, key: str, body: bytes) -> None:
    world.client("s3").put_object(Bucket=STATE_BUCKET, Key=key, Body=body)


def test_one_unreadable_checkpoint_object_stops_nothing(world: World, cli) -> None:
    from toolkit.clock import new_id

    bad = new_id(after=world.checkpoint_id)  # newer than the good one: read first when choosing
    typed = new_id(after=bad)
    _put(world, f"{PREFIX}checkpoints/{bad}.json", DEEP)
    _put(world, f"{PREFIX}checkpoints/{typed}.json", json.dumps(
        {"id": typed, "environment": ENVIRONMENT, "created_at": "t", "created_by": "x",
         "apply": {"result": "success", "applied_by": "x", "started_at": "t", "pid": "abc"}}).encode())
    listed = invoke(cli, "checkpoints", ENVIRONMENT)
    assert listed.exit_code == 0, listed.output
    assert world.checkpoint_id in listed.stdout
    assert (f"Warning: skipped s3://{STATE_BUCKET}/{PREFIX}checkpoints/{bad}.json: unreadable checkpoint: not a "
            "toolkit record: nested too deeply") in listed.stderr, listed.stderr
    assert "apply.pid must be a whole number, not \"abc\"" in listed.stderr, listed.stderr

    # The default target reads past both (they are the newest ids), and the runbook names them.
    dry = invoke(cli, "rollback", ENVIRONMENT, "--step", "ecs-task-definition")
    assert dry.exit_code == 0, dry.output
    assert f"checkpoint {world.checkpoint_id}" in dry.output.splitlines()[0], dry.output
    assert f"warning: skipped s3://{STATE_BUCKET}/{PREFIX}checkpoints/{bad}.json" in dry.output, dry.output


def test_one_unreadable_journal_object_stops_nothing(world: World, cli) -> None:
    done = invoke(cli, "rollback", ENVIRONMENT, "--step", "autoscaling", "--yes")
    assert done.exit_code == 0, done.output
    _put(world, f"{PREFIX}journal/20261206T234346Z-6cbc.jsonl", DEEP + b"\n")
    journal = invoke(cli, "rollback", ENVIRONMENT, "--journal")
    assert journal.exit_code == 0, journal.output
    assert "application-autoscaling:RegisterScalableTarget" in journal.stdout, journal.output
    assert (f"Warning: skipped s3://{STATE_BUCKET}/{PREFIX}journal/20261206T234346Z-6cbc.jsonl:1: not a journal "
            "line (not a toolkit record: nested too deeply)") in journal.stderr, journal.stderr
    as_json = invoke(cli, "rollback", ENVIRONMENT, "--journal", "--format", "json")
    assert as_json.exit_code == 0 and json.loads(as_json.stdout)[0]["event"] == "run-start"


def test_an_unreadable_lock_file_is_explained_with_a_command_that_pastes(world: World, cli) -> None:
    pin_lock(world.project, "s3")
    _put(world, f"{STATE_KEY}.tflock", DEEP)
    shown = invoke(cli, "unlock", ENVIRONMENT)
    assert shown.exit_code == 1, shown.output
    assert "RecursionError" not in shown.output and "Traceback" not in shown.output
    assert f"`toolkit unlock {ENVIRONMENT} '(unreadable)' --yes`" in shown.output, shown.output
    released = invoke(cli, "unlock", ENVIRONMENT, "(unreadable)", "--yes")  # what the pasted command runs
    assert released.exit_code == 0, released.output
    assert invoke(cli, "unlock", ENVIRONMENT).output.endswith("the state is not locked; nothing to release\n")


def test_rollback_format_json_dry_run(world: World, cli) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["environment"] == ENVIRONMENT and document["mode"] == "dry-run"
    assert document["checkpoint"]["id"] == world.checkpoint_id and document["error"] is None
    ecs = next(step for step in document["steps"] if step["name"] == "ecs-task-definition")
    assert ecs["changes"][0]["action"] == "ecs:UpdateService" and ecs["outcome"] is None
    assert document["summary"]["executed"] is False and document["summary"]["changing_calls"] == 0


def test_rollback_format_json_when_the_run_stops(world: World, cli) -> None:
    """A refusal (a state written outside any recorded apply): the document still comes, with the error."""
    record = world.store.load(world.checkpoint_id).apply
    assert record is not None
    record.state_serial_after = 8
    world.store.update_apply(world.checkpoint_id, record)
    world.client("s3").put_object(Bucket=STATE_BUCKET, Key=STATE_KEY, Body=state_document(9))
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "terraform-state", "--format", "json")
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert "cannot run as planned" in document["error"] and document["summary"] is None
    (step,) = document["steps"]
    assert "--also-undo unrecorded" in step["problem"]
    early = invoke(cli, "rollback", ENVIRONMENT, "--step", "nope", "--format", "json")
    assert early.exit_code == 1 and json.loads(early.stdout)["error"].startswith("unknown step 'nope'")
