"""Hostile or broken records (issue 21 items 5 and 6): an unreadable or malformed checkpoint, journal line or
run record is skipped and named (its key and why), never fatal to the others; fields are type-checked on load;
nesting deeper than Python's recursion limit is refused, not a RecursionError."""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
from pathlib import Path

import pytest

from toolkit.errors import GuardError
from toolkit.records.checkpoints import ApplyRecord, Checkpoint, CheckpointStore, StateVersion
from toolkit.records.journal import Journal, JournalEntry
from toolkit.rollback.history import history_since
from toolkit.state.local_runs import LocalRuns
from toolkit.state.lock import HeldLock, LockInfo
from toolkit.typed_records import RecordError

REPO = Path(__file__).resolve().parents[2]
DEEP = b"[" * 200000
GOOD, LATER = "20261206T230000Z-0001", "20261206T231000Z-0002"


def _good(store: CheckpointStore, checkpoint_id: str, serial: int, after: int) -> Checkpoint:
    checkpoint = Checkpoint(id=checkpoint_id, environment="prod", created_at="2026-12-06T23:00:00Z", created_by="ana",
                            state=StateVersion(backend="local", lineage="l", serial=serial),
                            apply=ApplyRecord(result="success", applied_by="ana", started_at="t",
                                              state_serial_after=after, state_lineage="l", state_serial_before=serial,
                                              changed_state=True))
    store.save(checkpoint)
    return checkpoint


HOSTILE = {
    "20261206T232000Z-0003": DEEP,
    "20261206T233000Z-0004": b"{not json",
    "20261206T234000Z-0005": json.dumps({"id": "20261206T234000Z-0005", "environment": "prod", "created_at": "t",
                                         "created_by": "x", "apply": {"result": "started", "applied_by": "x",
                                                                      "started_at": "t", "pid": "abc"}}).encode(),
    "20261206T235000Z-0006": json.dumps({"id": "20261206T235000Z-0006", "environment": "prod", "created_at": "t",
                                         "created_by": "x", "state": {"backend": "s3", "lineage": "l",
                                                                      "serial": "4"}}).encode(),
    "20261206T235900Z-0007": json.dumps(["a list"]).encode(),
}
WHY = {"20261206T232000Z-0003": "nested too deeply", "20261206T233000Z-0004": "not JSON",
       "20261206T234000Z-0005": "apply.pid must be a whole number, not \"abc\"",
       "20261206T235000Z-0006": "state.serial must be a whole number, not \"4\"",
       "20261206T235900Z-0007": "must be an object, not list"}


@pytest.fixture
def store(tmp_path: Path) -> CheckpointStore:
    store = CheckpointStore(tmp_path / "checkpoints")
    _good(store, GOOD, 3, 4)
    _good(store, LATER, 4, 5)
    for checkpoint_id, body in HOSTILE.items():
        (store.directory / f"{checkpoint_id}.json").write_bytes(body)
    return store


def test_unreadable_checkpoints_are_skipped_and_named(store: CheckpointStore) -> None:
    assert [item.id for item in store.list()] == [GOOD, LATER]
    assert set(store.skipped) == {str(store.path(item)) for item in HOSTILE}
    for checkpoint_id, why in WHY.items():
        assert why in store.skipped[str(store.path(checkpoint_id))], store.skipped
    assert all(line.startswith("skipped ") for line in store.skipped_lines())


def test_rollback_decisions_read_past_the_hostile_records(store: CheckpointStore) -> None:
    target = store.newest_state_change()
    assert target is not None and target.id == LATER
    assert store.newest_successful().id == LATER  # type: ignore[union-attr]
    history = history_since(store, store.load(GOOD), current_serial=5)
    assert history.names() == [LATER] and history.unrecorded is None
    # One of the skipped records may have written the state: the serial check still names it.
    assert history_since(store, store.load(GOOD), current_serial=6).names() == [LATER, "unrecorded"]


def test_the_interrupted_apply_warning_reads_past_them(store: CheckpointStore) -> None:
    from toolkit.engine.pre_apply import interrupted_apply_warning

    assert interrupted_apply_warning(store, "prod") is None


def test_an_unreadable_checkpoint_asked_for_by_id_is_an_error_naming_it(store: CheckpointStore) -> None:
    from toolkit.errors import ToolkitError

    with pytest.raises(ToolkitError, match=r"20261206T232000Z-0003\.json: unreadable checkpoint: not a toolkit "
                                           r"record: nested too deeply"):
        store.load("20261206T232000Z-0003")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("created_by", 5, "created_by must be a string, not 5"),
    ("apply", {"result": "success", "applied_by": "a", "started_at": "t", "duration_s": "long"},
     "apply.duration_s must be a number, not \"long\""),
    ("apply", {"result": "success", "applied_by": "a"}, "apply.started_at: missing"),
    ("warnings", "one", "warnings must be a list, not \"one\""),
    ("ecs_services", [{"cluster": "c", "service": "s", "task_definition_arn": "a", "desired_count": True,
                       "running_count": 1}], "ecs_services[0].desired_count must be a whole number, not true"),
    ("live", {"checkpoint": "x", "git_commit": ["a"], "tfvars_sha256": None}, "live.git_commit"),
])
def test_checkpoint_fields_are_type_checked_on_load(field: str, value: object, message: str) -> None:
    data = {"id": GOOD, "environment": "prod", "created_at": "t", "created_by": "ana", field: value}
    with pytest.raises(RecordError) as caught:
        Checkpoint.from_dict(data)
    assert message in str(caught.value)


def test_unreadable_journal_lines_and_objects_are_skipped_and_named(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    entry = JournalEntry(time="t", run_id="20261206T230000Z-0001", environment="prod", who="ana", event="run-start")
    journal.write(entry)
    with journal.path.open("ab") as handle:
        handle.write(DEEP + b"\n" + b"{\n" + json.dumps({"time": "t", "run_id": 5, "environment": "p", "who": "w",
                                                          "event": "e"}).encode() + b"\n")
    journal.write(JournalEntry(time="t2", run_id="20261206T230000Z-0001", environment="prod", who="ana",
                               event="run-end"))
    entries = Journal(tmp_path).read()
    assert [item.event for item in entries] == ["run-start", "run-end"]
    reader = Journal(tmp_path)
    reader.read()
    assert set(reader.skipped) == {f"{journal.path}:2", f"{journal.path}:3", f"{journal.path}:4"}
    assert "nested too deeply" in reader.skipped[f"{journal.path}:2"]
    assert "run_id must be a string, not 5" in reader.skipped[f"{journal.path}:4"]


@pytest.mark.parametrize(("body", "why"), [
    (DEEP, "nested too deeply"),
    (json.dumps({"pid": "abc", "host": "h", "command": "c", "started": "t"}).encode(), "pid \"abc\" is not"),
    (json.dumps({"pid": 10 ** 30, "host": "h", "command": "c", "started": "t"}).encode(), "is not a process id"),
    (json.dumps({"pid": 0, "host": socket.gethostname(), "command": "c", "started": "t"}).encode(), "pid 0 is not"),
    (json.dumps({"pid": -1, "host": socket.gethostname(), "command": "c", "started": "t"}).encode(), "pid -1 is"),
    (json.dumps({"pid": True, "host": socket.gethostname(), "command": "c", "started": "t"}).encode(),
     "pid true is not"),
    (json.dumps({"pid": 5, "host": ["h"], "command": "c", "started": "t"}).encode(), "host must be a string"),
    (b"[]", "expected a JSON object"),
])
def test_a_malformed_run_record_is_never_a_live_run_nor_a_crash(tmp_path: Path, body: bytes, why: str) -> None:
    runs = LocalRuns(tmp_path / "runs")
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "bad.json").write_bytes(body)
    (tmp_path / "runs" / f"{os.getpid()}.json").write_text(json.dumps(
        {"pid": os.getpid(), "host": socket.gethostname(), "command": "toolkit apply", "started": "t"}))
    skipped: list[str] = []
    live = runs.live(skipped)
    assert [run.pid for run in live] == [os.getpid()]
    assert len(skipped) == 1 and skipped[0].startswith(str(tmp_path / "runs" / "bad.json") + ": ")
    assert why in skipped[0], skipped
    assert (tmp_path / "runs" / "bad.json").exists(), "left in place for whoever looks"


def test_a_deeply_nested_lock_file_reads_as_unreadable() -> None:
    info = LockInfo.from_json(DEEP)
    assert info.id == "(unreadable)"


@pytest.mark.parametrize("lock_id", ["(unreadable)", "$(touch pwned)", "a;b", "x' y"])
def test_the_unlock_command_it_suggests_is_one_shell_word(lock_id: str) -> None:
    import shlex

    from toolkit.engine.unlock import lock_argument

    argument = lock_argument(HeldLock(LockInfo(id=lock_id), ("s3://b/k.tflock",)))
    assert shlex.split(f"toolkit unlock sandbox {argument} --yes") == ["toolkit", "unlock", "sandbox", lock_id,
                                                                        "--yes"]


def test_the_unlock_suggestion_for_an_unreadable_lock_can_be_pasted(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole path: an unreadable `.tflock` and a malformed run record; `toolkit unlock` names both."""
    import shlex

    from toolkit.engine import unlock as unlock_module
    from toolkit.project import Project

    shutil.copytree(REPO / "envs", tmp_path / "envs")
    holder = HeldLock(LockInfo.from_json(DEEP), ("s3://toolkit-sandbox-state/edu-platform/sandbox/"
                                                 "terraform.tfstate.tflock",))

    class Lock:
        def inspect(self) -> list[HeldLock]:
            return [holder]

    monkeypatch.setattr(unlock_module, "state_lock_for", lambda project, config: Lock())
    project = Project(tmp_path)
    runs = project.environment_data_dir("sandbox") / "runs"
    runs.mkdir(parents=True)
    (runs / "1.json").write_text('{"pid": "abc"}')
    warnings: list[str] = []
    with pytest.raises(GuardError) as caught:
        unlock_module.unlock_environment(project, "sandbox", warn=warnings.append)
    command = str(caught.value).split("`")[1]
    assert shlex.split(command) == ["toolkit", "unlock", "sandbox", "(unreadable)", "--yes"], command
    assert warnings == [f"skipped the run record {runs / '1.json'}: pid \"abc\" is not a process id (a whole number "
                        "from 1 to 4194304)"]


@pytest.mark.parametrize(("change", "message"), [
    ({"plan_sha256": None}, "plan_sha256 must be a string, not null"),
    ({"state_serial": "3"}, "state_serial"),
    ({"summary": {"add": "1"}}, "summary.add must be a whole number"),
    ({"has_changes": "yes"}, "has_changes must be true or false"),
])
def test_plan_metadata_is_type_checked(tmp_path: Path, change: dict, message: str) -> None:
    from toolkit.plans.saved import load_plan_folder

    metadata = {"environment": "dev", "plan_id": "20261206T230000Z-0001", "created_at": "t", "created_by": "a",
                "git_commit": None, "tfvars_sha256": "a", "source_sha256": "b", "plan_sha256": "c",
                "terraform_version": "1.15.5", "terraform_flavor": "terraform", "state_lineage": None,
                "state_serial": None, "has_changes": True, "destroy": False, "summary": {}} | change
    (tmp_path / "metadata.json").write_text(json.dumps(metadata))
    with pytest.raises(GuardError) as caught:
        load_plan_folder(tmp_path, "dev")
    assert f"{tmp_path / 'metadata.json'}: unreadable plan metadata (" in str(caught.value)
    assert message in str(caught.value), caught.value


def test_deeply_nested_plan_metadata_and_plan_json_are_refused(tmp_path: Path) -> None:
    from toolkit.plans.saved import load_plan_folder

    (tmp_path / "metadata.json").write_bytes(b'{"a": ' + DEEP)
    with pytest.raises(GuardError, match="nested too deeply"):
        load_plan_folder(tmp_path, "dev")


def test_apply_refuses_a_null_plan_sha256_before_terraform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`"plan_sha256": null` in metadata.json used to crash apply (TypeError slicing None)."""
    from typer.testing import CliRunner

    from toolkit.cli import app

    shutil.copytree(REPO / "envs", tmp_path / "envs")
    latest = tmp_path / ".toolkit" / "envs" / "dev" / "plans" / "20261206T230000Z-0001"
    latest.mkdir(parents=True)
    (latest.parent / "latest").symlink_to(latest.name)
    (latest / "metadata.json").write_text(json.dumps({
        "environment": "dev", "plan_id": latest.name, "created_at": "t", "created_by": "a", "git_commit": None,
        "tfvars_sha256": "a", "source_sha256": "b", "plan_sha256": None, "terraform_version": "1.15.5",
        "terraform_flavor": "terraform", "state_lineage": None, "state_serial": None, "has_changes": True,
        "destroy": False, "summary": {}}))
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["apply", "dev"])
    assert result.exit_code == 1, result.output
    assert "plan_sha256 must be a string, not null" in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, TypeError)


def test_a_full_disk_while_the_outcome_is_written_still_records_it(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The "started" record keeps room for the outcome: with no space for a new file the outcome is written in
    place, and the checkpoint does not stay "started" (later runs would call it interrupted)."""
    import toolkit.records.store

    store = CheckpointStore(tmp_path / "checkpoints")
    store.save(Checkpoint(id=GOOD, environment="prod", created_at="t", created_by="ana"))
    record = ApplyRecord(result="started", applied_by="ana", started_at="t", host=socket.gethostname(),
                         pid=os.getpid())
    store.update_apply(GOOD, record)

    def full(target: Path, data: bytes, mode: int | None = None) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))

    monkeypatch.setattr(toolkit.records.store, "write_bytes_atomically", full)
    record.result, record.summary, record.state_serial_after = "success", "1 added, 0 changed, 0 destroyed", 9
    record.finished_at, record.changed_state = "t2", True
    store.update_apply(GOOD, record)
    again = CheckpointStore(tmp_path / "checkpoints").load(GOOD)
    assert again.result == "success" and again.apply.state_serial_after == 9  # type: ignore[union-attr]
