"""When a rollback's journal entries are written down (B7: fewer round trips, the same records).

Everything so far is on record before each change (the run before its first, each change before the next); the
rest goes out before a wait's first sleep, with a failure or at the run's end; an unexpected error, SIGTERM and
SIGHUP still write what was held. Each test fails on a journal that drops one of those writes, or on one that
writes every entry in a round trip of its own (findings of a review are kept here too)."""

from __future__ import annotations

import os
import signal
from typing import Any

import botocore.client
import pytest

from tests.rollback.conftest import CLUSTER, ENVIRONMENT, SERVICE, STATE_BUCKET, World, invoke
from toolkit.records.journal import Journal, JournalEntry
from toolkit.rollback.waits import WaitPolicy, wait_for

FAST = ("--poll-interval", "0.05")
ENTRIES = [
    ("run-start", None, "started"),
    ("action", "ecs-task-definition", "ok"),
    ("step", "ecs-task-definition", "done"),
    ("action", "autoscaling", "ok"),
    ("step", "autoscaling", "done"),
    ("run-end", None, "finished"),
]


def _journal_objects(world: World) -> list[tuple[str, list[str]]]:
    """Each journal object in the bucket with its entries' events (read directly, not through the toolkit)."""
    s3 = world.client("s3")
    prefix = "edu-platform/sandbox/toolkit/journal/"
    listing = s3.list_objects_v2(Bucket=STATE_BUCKET, Prefix=prefix).get("Contents", [])
    found = []
    for item in listing:
        body = s3.get_object(Bucket=STATE_BUCKET, Key=item["Key"])["Body"].read().decode()
        found.append((item["Key"], [line.split('"event": "')[1].split('"')[0] for line in body.splitlines()]))
    return found


@pytest.fixture
def watched(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every botocore call made in this process, in order: (operation, parameters)."""
    calls: list[tuple[str, dict[str, Any]]] = []
    original = botocore.client.BaseClient._make_api_call

    def watching(client: Any, operation: str, parameters: dict[str, Any]) -> Any:
        calls.append((operation, parameters))
        return original(client, operation, parameters)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", watching)
    return calls


def test_everything_so_far_is_on_record_before_each_change_and_the_run_whole_at_its_end(
        world: World, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, list[list[str]]] = {}
    original = botocore.client.BaseClient._make_api_call

    def at_a_change(client: Any, operation: str, parameters: dict[str, Any]) -> Any:
        if operation in ("UpdateService", "RegisterScalableTarget"):
            seen[operation] = [events for _, events in _journal_objects(world)]
        return original(client, operation, parameters)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", at_a_change)
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--yes", *FAST)
    assert result.exit_code == 0, result.output
    # When UpdateService was sent, the bucket already held this run's start; when the second change was sent, the
    # first one's outcome (a review found a session dropped between two changes lost the first one's record).
    assert seen["UpdateService"] == [["run-start"]], seen
    assert seen["RegisterScalableTarget"] == [["run-start", "action", "step"]], seen
    entries = world.journal()
    assert [(entry["event"], entry["step"], entry["result"]) for entry in entries] == ENTRIES
    assert world.service()["taskDefinition"] == world.good_arn


def test_an_immediate_rollback_writes_its_journal_in_three_puts_and_checks_versioning_with_the_first(
        world: World, cli, watched) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--yes", *FAST)
    assert result.exit_code == 0, result.output
    journal_puts = [parameters for operation, parameters in watched
                    if operation == "PutObject" and "/journal/" in parameters["Key"]]
    # The service is stable at the first poll: before each of the two changes, and the rest at the end.
    assert len(journal_puts) == 3, [operation for operation, _ in watched]
    assert journal_puts[0].get("IfNoneMatch") == "*"  # a new run's object is created, never overwritten
    operations = [operation for operation, _ in watched]
    # The versioned bucket shows in the first PutObject's answer (its VersionId): no GetBucketVersioning.
    assert "GetBucketVersioning" not in operations
    # The checkpoints and the journal's runs are listed together, once (ListObjectsV2 of the place's prefix), and
    # each checkpoint read once, though the target and the closing advice both need them.
    [listing] = [parameters for operation, parameters in watched if operation == "ListObjectsV2"]
    assert listing["Prefix"] == "edu-platform/sandbox/toolkit/", listing
    checkpoint_reads = [parameters["Key"] for operation, parameters in watched
                        if operation == "GetObject" and "/checkpoints/" in parameters["Key"]]
    assert len(checkpoint_reads) == len(set(checkpoint_reads)), checkpoint_reads
    assert [(entry["event"], entry["step"], entry["result"]) for entry in world.journal()] == ENTRIES


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_stop_the_run_as_ctrl_c_does_with_every_entry_written(
        world: World, cli, monkeypatch: pytest.MonkeyPatch, number: signal.Signals) -> None:
    """A cancelled CI job (SIGTERM) or a dropped ssh session (SIGHUP) right after the second change: its outcome
    and the failure are journaled, and the resume command printed (a review found both lost)."""
    original = botocore.client.BaseClient._make_api_call

    def then_a_signal(client: Any, operation: str, parameters: dict[str, Any]) -> Any:
        answer = original(client, operation, parameters)
        if operation == "RegisterScalableTarget":
            os.kill(os.getpid(), number)
        return answer

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", then_a_signal)
    before = (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP))
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--yes", *FAST)
    assert result.exit_code == 130, result.output
    assert f"interrupted ({number.name})" in result.output, result.output
    assert "resume with: toolkit rollback" in result.output, result.output
    assert [(entry["event"], entry["step"], entry["result"]) for entry in world.journal()] == [
        *ENTRIES[:3], ("action", "autoscaling", "interrupted"), ("step", "autoscaling", "failed"),
        ("run-end", "autoscaling", "failed")]
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)) == before  # handlers put back


def test_an_unexpected_error_still_writes_what_was_held(world: World, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from toolkit.rollback.autoscaling import AutoscalingStep

    def broken(self: Any, run: Any, plan: Any) -> list[str]:
        raise RuntimeError("a bug in the step")

    monkeypatch.setattr(AutoscalingStep, "execute", broken)
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--yes", *FAST)
    assert isinstance(result.exception, RuntimeError), result.output
    entries = world.journal()
    # The UpdateService made and the step that finished are on record, though no write followed them.
    assert [(entry["event"], entry["step"], entry["result"]) for entry in entries] == ENTRIES[:3]
    assert entries[1]["request"] == {"cluster": CLUSTER, "service": SERVICE, "taskDefinition": "edu-sandbox-app:1"}


def test_a_failing_step_is_on_record_with_everything_before_it(world: World, cli,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from toolkit.errors import AwsError
    from toolkit.rollback.autoscaling import AutoscalingStep

    def refused(self: Any, run: Any, plan: Any) -> list[str]:
        raise AwsError("application-autoscaling:RegisterScalableTarget: AccessDenied")

    monkeypatch.setattr(AutoscalingStep, "execute", refused)
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--yes", *FAST)
    assert result.exit_code == 1, result.output
    assert [(entry["event"], entry["step"], entry["result"]) for entry in world.journal()] == [
        *ENTRIES[:3], ("step", "autoscaling", "failed"), ("run-end", "autoscaling", "failed")]


class _Recording:
    def __init__(self) -> None:
        self.events: list[str] = []

    def flush(self) -> None:
        self.events.append("flush")


def test_a_wait_writes_the_held_entries_before_its_first_sleep_only() -> None:
    recording = _Recording()
    polls = iter([(False, "rolling out"), (False, "rolling out"), (True, "stable")])

    def poll() -> tuple[bool, str]:
        recording.events.append("poll")
        return next(polls)

    wait_for("service", poll, lambda observed: observed, WaitPolicy(5, 0.0, before=recording.flush))
    assert recording.events == ["poll", "flush", "poll", "poll"]
    done_at_once = _Recording()
    wait_for("service", lambda: (True, "stable"), lambda observed: observed,
             WaitPolicy(5, 0.0, before=done_at_once.flush))
    assert done_at_once.events == []  # nothing waited: the run's next write takes the held entries


def _entry(run_id: str, number: int) -> JournalEntry:
    return JournalEntry(time="2026-12-07T02:00:00Z", run_id=run_id, environment="sandbox", who="oncall",
                        event="step", result="done", message=f"entry {number}")


def test_held_entries_go_out_with_the_next_write_and_a_failed_write_keeps_them(tmp_path, monkeypatch) -> None:
    journal = Journal(tmp_path)
    journal.write(_entry("20261207T020000Z-abcd", 0), hold=True)
    journal.write(_entry("20261207T020000Z-abcd", 1), hold=True)
    assert not journal.path.exists()  # held: nothing written down yet
    journal.write(_entry("20261207T020000Z-abcd", 2))
    assert [entry.message for entry in Journal(tmp_path).read()] == ["entry 0", "entry 1", "entry 2"]
    assert journal.path.exists()
    journal.write(_entry("20261207T020000Z-abcd", 3), hold=True)

    def full_disk(run_id: str, text: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(journal, "_write_lines", full_disk)
    with pytest.raises(OSError):
        journal.write(_entry("20261207T020000Z-abcd", 4))
    monkeypatch.undo()
    journal.flush()  # the disk has room again: nothing held was dropped
    assert [entry.message for entry in Journal(tmp_path).read()] == [f"entry {number}" for number in range(5)]


def test_an_ignored_sighup_stays_ignored_under_nohup() -> None:
    """`nohup toolkit rollback … --yes &` must survive the dropped session (a review's finding)."""
    from toolkit.processes import signals_interrupt

    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with signals_interrupt():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL  # still turned into an interrupt
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)
