"""Records read back are bounded and checked (review 21 findings 2, 6, 8 and 9): a pid that is no process id, an
id with a trailing newline, a local record that is a symlink, FIFO or huge file, and fields naming other records
or results the toolkit never writes are each refused or read as unknown, never a crash, a hang or a path outside
the store."""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path

import pytest

from toolkit.clock import is_record_id
from toolkit.errors import ToolkitError
from toolkit.processes import MAX_PID, is_process_id, process_alive, process_still_running
from toolkit.records.checkpoints import ApplyRecord, Checkpoint, CheckpointStore, StateVersion
from toolkit.records.store import MAX_RECORD_BYTES, LocalRecords

GOOD, OTHER = "20261206T230000.000000Z-00000001", "20261206T231000.000000Z-00000002"


def _good(store: CheckpointStore, checkpoint_id: str = GOOD) -> Checkpoint:
    checkpoint = Checkpoint(id=checkpoint_id, environment="prod", created_at="t", created_by="ana",
                            state=StateVersion(backend="local", lineage="l", serial=3),
                            apply=ApplyRecord(result="success", applied_by="ana", started_at="t",
                                              state_serial_after=4, state_lineage="l", state_serial_before=3,
                                              changed_state=True))
    store.save(checkpoint)
    return checkpoint


def _record(checkpoint_id: str, **fields: object) -> bytes:
    body: dict[str, object] = {"id": checkpoint_id, "environment": "prod", "created_at": "t", "created_by": "x"}
    body.update(fields)
    return json.dumps(body).encode()


# ---- 2: pids ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("pid", [10 ** 30, 2 ** 63, 0, -1, MAX_PID + 1])
def test_a_started_apply_whose_pid_is_no_process_id_reads_as_interrupted(tmp_path: Path, pid: int) -> None:
    from toolkit.engine.pre_apply import interrupted_apply_warning

    store = CheckpointStore(tmp_path)
    (tmp_path / f"{GOOD}.json").write_bytes(_record(GOOD, apply={
        "result": "started", "applied_by": "x", "started_at": "t", "host": socket.gethostname(), "pid": pid}))
    assert [item.result for item in store.list()] == ["interrupted"]
    assert GOOD in (interrupted_apply_warning(store, "prod") or "")


@pytest.mark.parametrize("pid", [0, -1, 10 ** 30, MAX_PID + 1, True])
def test_the_liveness_helpers_never_signal_a_pid_that_is_no_process_id(pid: int) -> None:
    assert not is_process_id(pid)
    assert process_alive(pid) is False
    assert process_still_running(socket.gethostname(), pid, None) is False


def test_a_real_pid_still_reads_as_running() -> None:
    assert is_process_id(os.getpid()) and process_alive(os.getpid())


# ---- 6: ids with a trailing newline ------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [GOOD + "\n", "٢٠٢٦١٢٠٦T٢٣٠٠٠٠.٠٠٠٠٠٠Z-00000001", "20261206T230000Z-0001\n"])
def test_an_id_with_a_trailing_newline_or_other_digits_is_no_id(tmp_path: Path, value: str) -> None:
    assert not is_record_id(value)
    store = CheckpointStore(tmp_path)
    _good(store)
    (tmp_path / f"{value}.json").write_bytes(_record(value))
    assert store.ids() == [GOOD]


def test_names_checked_elsewhere_refuse_a_trailing_newline() -> None:
    from toolkit.config.sources import ENVIRONMENT_NAME
    from toolkit.db.runner import IDENTIFIER
    from toolkit.engine.source import COMMIT_ID
    from toolkit.hcl_writer import hcl_key

    assert COMMIT_ID.match("a" * 40) and not COMMIT_ID.match("a" * 40 + "\n")
    assert ENVIRONMENT_NAME.match("dev") and not ENVIRONMENT_NAME.match("dev\n")
    assert not IDENTIFIER.match("public\n")
    assert hcl_key("name\n") == json.dumps("name\n")


# ---- 8: local records that are no regular file, or huge ---------------------------------------------------------

def test_a_symlinked_record_is_refused_and_named_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_bytes(_record(OTHER))
    store = CheckpointStore(tmp_path / "checkpoints")
    _good(store)
    (store.directory / f"{OTHER}.json").symlink_to(outside)
    assert [item.id for item in store.list()] == [GOOD]
    assert "a symbolic link, not a record: not followed" in store.skipped[store.where(OTHER)]
    with pytest.raises(ToolkitError, match="symbolic link"):
        store.load(OTHER)


def test_a_symlink_to_dev_zero_asked_for_by_id_is_an_error(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    (tmp_path / f"{OTHER}.json").symlink_to("/dev/zero")
    with pytest.raises(ToolkitError, match="symbolic link"):
        store.load(OTHER)


def test_a_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    _good(store)
    os.mkfifo(tmp_path / f"{OTHER}.json")
    found: list[object] = []
    reader = threading.Thread(target=lambda: found.append([item.id for item in store.list()]), daemon=True)
    reader.start()
    reader.join(10)
    assert found == [[GOOD]], "reading a FIFO waited for a writer"
    assert "not a regular file" in store.skipped[store.where(OTHER)]


def test_a_huge_record_is_refused_unread(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    _good(store)
    with (tmp_path / f"{OTHER}.json").open("wb") as handle:
        handle.truncate(MAX_RECORD_BYTES + 1)  # sparse: costs no disk
    assert [item.id for item in store.list()] == [GOOD]
    assert f"{MAX_RECORD_BYTES + 1} bytes, more than any toolkit record" in store.skipped[store.where(OTHER)]


def test_a_symlinked_folder_inside_the_store_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "terraform.tfvars").write_text("secret = 1\n")
    store = CheckpointStore(tmp_path / "checkpoints")
    _good(store)
    (store.directory / OTHER).symlink_to(outside)
    with pytest.raises(ToolkitError, match="symbolic link, not a folder of records"):
        store.read_tfvars(OTHER)


def test_regular_records_still_read(tmp_path: Path) -> None:
    records = LocalRecords(tmp_path)
    records.put("a.json", b"{}")
    assert records.get("a.json") == b"{}" and records.get("missing.json") is None
    assert records.names() == ["a.json"]


# ---- 9: fields that name other records, and the apply's result ---------------------------------------------------

@pytest.mark.parametrize(("fields", "why"), [
    ({"live": {"checkpoint": "../outside", "git_commit": None, "tfvars_sha256": None}},
     'live.checkpoint "../outside" is not a checkpoint id'),
    ({"rollback_of": "x/../../y"}, 'rollback_of "x/../../y" is not a checkpoint id'),
    ({"apply": {"result": "bogus-result", "applied_by": "x", "started_at": "t"}},
     'apply.result "bogus-result" is none of started, success, failed, cancelled'),
])
def test_fields_outside_what_the_toolkit_writes_skip_the_record(tmp_path: Path, fields: dict[str, object],
                                                                why: str) -> None:
    store = CheckpointStore(tmp_path)
    _good(store)
    (tmp_path / f"{OTHER}.json").write_bytes(_record(OTHER, **fields))
    assert [item.id for item in store.list()] == [GOOD]
    assert why in store.skipped[store.where(OTHER)], store.skipped
    assert store.newest_state_change().id == GOOD  # type: ignore[union-attr]


def test_valid_live_and_rollback_of_still_load(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    _good(store)
    (tmp_path / f"{OTHER}.json").write_bytes(_record(OTHER, rollback_of=GOOD, live={
        "checkpoint": GOOD, "git_commit": "a" * 40, "tfvars_sha256": None}))
    loaded = store.load(OTHER)
    assert loaded.rollback_of == GOOD and loaded.live is not None and loaded.live.checkpoint == GOOD
