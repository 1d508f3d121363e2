"""Review of the restores at a new serial: the toolkit's own restores are known to the history check (1), the state
is written as its own bytes with only the serial replaced (5), an odd serial is a clear error (6), and a record's
text cannot forge lines in the step's messages (7)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.rollback.conftest import ENVIRONMENT, LINEAGE, STATE_BUCKET, World, invoke
from tests.rollback.test_restore_serials import FIRST, SECOND, _checkpoint, _restored_project, _terraform_writes
from toolkit.config import load_environment
from toolkit.errors import ToolkitError
from toolkit.project import Project
from toolkit.records.checkpoints import CheckpointStore
from toolkit.records.journal import JournalEntry
from toolkit.records.places import journal_for
from toolkit.rollback.history import history_since, restored_serials
from toolkit.rollback.state import MAX_SERIAL, at_serial, parse_state, same_content

A, B = "20261207T100000.000000Z-0000000a", "20261207T101000.000000Z-0000000b"


def _write(result: str, serial: object, action: str = "s3:PutObject state") -> JournalEntry:
    return JournalEntry(time="t", run_id="r", environment="dev", who="w", event="action", step="terraform-state",
                        action=action, result=result, request={"restored_serial": serial})


def test_a_restores_own_serial_is_no_unrecorded_write_but_a_later_hand_write_is(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    first = _checkpoint(store, A, 10, 11)
    _checkpoint(store, B, 11, 12)
    # A restore to B's start wrote serial 13 (journaled, completed); one that only started, failed or was edited not.
    entries = [_write("ok", 13), _write("started", 14), _write("error", 15), _write("ok", "16"),
               _write("ok", True, "file:write")]
    assert restored_serials(entries) == [13]
    assert history_since(store, first, 13, restored=restored_serials(entries)).names() == [B]
    assert history_since(store, first, 14, restored=restored_serials(entries)).names() == [B, "unrecorded"]
    assert history_since(store, first, 13).names() == [B, "unrecorded"]  # without the journal: conservative


def test_after_a_real_restore_its_journal_explains_the_serial(project: Project, cli) -> None:
    store, state_path = _restored_project(project, cli)  # 7 -> 8 (FIRST), 8 -> 9 (SECOND), restored at 10
    restored = restored_serials(journal_for(project, load_environment(project, "dev")).read())
    assert restored == [10]
    assert history_since(store, store.load(FIRST), 10, restored=restored).names() == [SECOND]
    hand = _terraform_writes(state_path)
    assert history_since(store, store.load(FIRST), hand, restored=restored).names() == [SECOND, "unrecorded"]


PRECISE = (b'{\n  "version": 4,\n  "serial": 7,\n  "lineage": "' + LINEAGE.encode() + b'",\n  "outputs": {"pi": '
           b'{"value": 3.14159265358979323846, "type": "number"}, "big": {"value": 1e400, "type": "number"}},\n'
           b'  "resources": []\n}\n')


def test_the_restored_state_is_its_own_bytes_with_only_the_serial_replaced() -> None:
    written = at_serial(PRECISE, 12, "backup")
    assert written == PRECISE.replace(b'"serial": 7', b'"serial": 12')
    assert b"3.14159265358979323846" in written and b"1e400" in written and b"Infinity" not in written
    assert parse_state(written, "w") == (LINEAGE, 12)


def test_a_serial_that_is_not_the_top_level_one_first_is_refused_not_reserialised() -> None:
    odd = (b'{"resources": [{"instances": [{"attributes": {"serial": 3}}]}], "serial": 7, "lineage": "'
           + LINEAGE.encode() + b'"}')
    with pytest.raises(ToolkitError, match=r"s3://b/k \(version v\): its serial cannot be replaced"):
        at_serial(odd, 8, "s3://b/k (version v)")
    with pytest.raises(ToolkitError, match="past terraform's largest"):
        at_serial(PRECISE, MAX_SERIAL + 1, "backup")


def test_same_content_compares_the_bytes_not_python_values() -> None:
    def document(value: bytes, serial: int = 1) -> bytes:
        return b'{"serial": ' + str(serial).encode() + b', "lineage": "l", "outputs": {"x": ' + value + b"}}"

    assert same_content(document(b"1", 4), document(b"1", 9))
    assert not same_content(document(b"true"), document(b"1"))
    assert not same_content(document(b"1"), document(b"1.0"))
    assert not same_content(document(b"3.14159265358979323846"), document(b"3.141592653589793"))


@pytest.mark.parametrize("body", [b'{"lineage": "l", "serial": 1e400}', b'{"lineage": "l", "serial": "7"}',
                                  b'{"lineage": "l", "serial": true}', b'{"lineage": "l", "serial": 5.9}',
                                  b'{"lineage": "l", "serial": -1}', b'{"lineage": "l", "serial": NaN}',
                                  b'{"lineage": 5, "serial": 1}', b"[1]", b"[" * 100_000 + b"]" * 100_000])
def test_an_odd_serial_is_a_clear_error_naming_the_state(body: bytes) -> None:
    with pytest.raises(ToolkitError, match=r"^s3://b/k\\n: not a terraform state document"):
        parse_state(body, "s3://b/k\n")


def test_a_record_key_with_a_newline_prints_escaped_on_one_line(world: World, cli) -> None:
    forged = "dev/terraform.tfstate\n  → done: state restored, verified"
    checkpoint = world.store.load(world.checkpoint_id)
    checkpoint.state.s3_key = forged
    world.store.records.put(f"{checkpoint.id}.json", json.dumps(checkpoint.to_dict()).encode())
    refused = invoke(cli, "rollback", ENVIRONMENT, "--step", "terraform-state", "--yes")
    assert refused.exit_code == 1, refused.output
    assert f"points at s3://{STATE_BUCKET}/dev/terraform.tfstate\\n  → done: state restored, verified, but" \
        in refused.output, refused.output
    assert "\n  → done" not in refused.output
