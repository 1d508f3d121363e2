"""A rollback run's journal read back for `--undo RUN` and `--resume-from RUN` is editable by anyone with the
bucket: a value of the wrong type is a clear error naming the run, the field and what is allowed, raised before
anything is changed (never a ValueError/TypeError/KeyError traceback, never "not a step of tier ['short']")."""

from __future__ import annotations

from typing import Any

import pytest

from toolkit.errors import ToolkitError
from toolkit.records.journal import JournalEntry
from toolkit.rollback.request import RollbackRequest
from toolkit.rollback.runbook import resolve_resume
from toolkit.rollback.state import undo_target

RUN = "20261207T000001.000000Z-00000001"
CHECKPOINT = "20261206T230000.000000Z-00000001"
LOCAL = {"written_sha256": "ab", "replaced_serial": 5, "state": "/x/terraform.tfstate", "kept": "/y/kept.tfstate",
         "lineage": "L"}
S3 = {"bucket": "b", "key": "k", "replaced_version": "v", "written_md5": "m", "replaced_serial": 5}


def _write(action: str, request: Any) -> JournalEntry:
    return JournalEntry(time="t", run_id=RUN, environment="dev", who="w", event="action", step="terraform-state",
                        action=action, request=request, result="ok", checkpoint=CHECKPOINT)


def test_a_well_formed_journal_is_undone() -> None:
    assert undo_target(RUN, [_write("file:write", LOCAL)])[1].version.serial == 5
    checkpoint, target = undo_target(RUN, [_write("s3:CopyObject", S3)])
    assert checkpoint == CHECKPOINT and target.version.s3_version_id == "v"


@pytest.mark.parametrize(("action", "request_", "field", "allowed"), [
    ("file:write", {**LOCAL, "replaced_serial": "abc"}, "replaced_serial", "a state serial"),
    ("file:write", {**LOCAL, "replaced_serial": -1}, "replaced_serial", "a state serial"),
    ("s3:CopyObject", {**S3, "replaced_serial": [1]}, "replaced_serial", "a state serial"),
    ("s3:CopyObject", {key: value for key, value in S3.items() if key != "bucket"}, "bucket", "a non-empty string"),
    ("file:write", {key: value for key, value in LOCAL.items() if key != "state"}, "state", "a non-empty string"),
    ("file:write", {**LOCAL, "kept": {"a": 1}}, "kept", "a non-empty string"),
    ("s3:CopyObject", {**S3, "key": "\x1b[2Jk\u202e"}, None, None),  # a key is a string: allowed, shown escaped
])
def test_wrong_types_in_an_undo_journal_are_named(action: str, request_: dict[str, Any], field: str | None,
                                                   allowed: str | None) -> None:
    if field is None:
        assert undo_target(RUN, [_write(action, request_)])[1].version.s3_key == "\x1b[2Jk\u202e"
        return
    with pytest.raises(ToolkitError) as caught:
        undo_target(RUN, [_write(action, request_)])
    message = str(caught.value)
    assert message.startswith(f"rollback run {RUN}'s journal: {field} is ") and allowed in message, message
    assert message.endswith("nothing was changed") and "\x1b" not in message


def _entry(event: str, **fields: Any) -> JournalEntry:
    return JournalEntry(time="t", run_id=RUN, environment="dev", who="w", event=event, **fields)


class _Journal:
    location = "journal.jsonl"

    def __init__(self, entries: list[JournalEntry]) -> None:
        self.entries = entries

    def read(self, run_id: str | None = None) -> list[JournalEntry]:
        return self.entries


@pytest.mark.parametrize(("tier", "failed_step", "field"), [
    (["short"], "terraform-state", "tier"),
    ("bogus", "terraform-state", "tier"),
    ("short", ["x"], "failed_step"),
    ("short", "no-such-step\x1b[2K", "failed_step"),
])
def test_odd_tiers_and_failed_steps_in_a_resumed_journal_are_named(tier: Any, failed_step: Any, field: str) -> None:
    journal = _Journal([_entry("run-start", checkpoint=CHECKPOINT, details={"tier": tier}),
                        _entry("run-end", result="failed", details={"failed_step": failed_step})])
    request = RollbackRequest(environment="dev", resume_from=RUN)
    with pytest.raises(ToolkitError) as caught:
        resolve_resume(request, journal)  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.startswith(f"rollback run {RUN}'s journal: {field} is "), message
    assert "one of " in message and "\x1b" not in message


def test_a_well_formed_resumed_journal_gives_its_tier_step_and_checkpoint() -> None:
    journal = _Journal([_entry("run-start", checkpoint=CHECKPOINT, details={"tier": "short"}),
                        _entry("run-end", result="failed", details={"failed_step": "terraform-state"})])
    request = RollbackRequest(environment="dev", resume_from=RUN)
    resolve_resume(request, journal)  # type: ignore[arg-type]
    assert (request.tier, request.resume_from, request.checkpoint_id) == ("short", "terraform-state", CHECKPOINT)
