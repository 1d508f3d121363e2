"""A local journal grown past its cap (anyone who can write the folder can append junk during an incident) still
lists its newest runs, names what it did not read, and takes new entries: no rollback is blocked by it."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

import toolkit.records.journal
from toolkit.records.journal import JOURNAL_FILE, Journal, JournalEntry

CAP = 4096


def _entry(run_id: str, event: str = "run-start") -> JournalEntry:
    return JournalEntry(time="2026-12-08T00:00:00Z", run_id=run_id, environment="dev", who="ana", event=event)


def _line(entry: JournalEntry) -> bytes:
    return (json.dumps(asdict(entry)) + "\n").encode()


@pytest.fixture(autouse=True)
def small_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(toolkit.records.journal, "MAX_LOCAL_JOURNAL_BYTES", CAP)


@pytest.mark.parametrize("junk", [b"x" * (CAP * 3) + b"\nyyyy\n", b"x" * (CAP * 3 - 1) + b"\n", b"{}\n" * CAP])
def test_past_its_cap_the_journal_lists_its_newest_runs_and_names_what_it_skipped(tmp_path: Path,
                                                                                     junk: bytes) -> None:
    path = tmp_path / JOURNAL_FILE
    path.write_bytes(_line(_entry("20261207T000000.000000Z-00000001")) + junk
                     + _line(_entry("20261208T000000.000000Z-00000002")))
    journal = Journal(tmp_path)
    assert journal.run_ids() == ["20261208T000000.000000Z-00000002"]
    (why,) = [line for line in journal.skipped_lines() if "were not read" in line]
    assert why.startswith(f"skipped {path}: the journal is ") and "runs there are not listed" in why, why
    # Appending still works, and the new run is listed after the newest.
    journal.write(_entry("20261208T000000.000000Z-00000003"))
    assert Journal(tmp_path).run_ids()[-2:] == ["20261208T000000.000000Z-00000002",
                                                "20261208T000000.000000Z-00000003"]


def test_a_line_starting_exactly_at_the_tail_is_read_whole(tmp_path: Path) -> None:
    first, last = _line(_entry("20261207T000000.000000Z-00000001")), _line(_entry("20261208T000000.000000Z-00000002"))
    tail = first + b"\n" * (CAP - len(first) - len(last)) + last  # exactly the cap
    (tmp_path / JOURNAL_FILE).write_bytes(b"x" * 100 + b"\n" + tail)
    journal = Journal(tmp_path)
    assert journal.run_ids() == ["20261207T000000.000000Z-00000001", "20261208T000000.000000Z-00000002"]
    assert any("first 0.0 MiB (101 bytes) were not read" in line for line in journal.skipped_lines())


def test_under_its_cap_the_journal_is_read_whole(tmp_path: Path) -> None:
    (tmp_path / JOURNAL_FILE).write_bytes(_line(_entry("20261207T000000.000000Z-00000001"))
                                          + _line(_entry("20261208T000000.000000Z-00000002")))
    journal = Journal(tmp_path)
    assert journal.run_ids() == ["20261207T000000.000000Z-00000001", "20261208T000000.000000Z-00000002"]
    assert journal.skipped_lines() == []


def test_a_rollback_still_runs_on_a_journal_grown_past_its_cap(project, cli, proxy) -> None:
    from tests.rollback.conftest import invoke, local_state_checkpoint, restored_state, state_document
    from toolkit.records.places import local_journal

    state_path = local_state_checkpoint(project, state_document(8))
    path = local_journal(project, "dev").path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"junk " * CAP)
    result = invoke(cli, "rollback", "dev", "--step", "terraform-state", "--yes", "--poll-interval", "0.05")
    assert result.exit_code == 0, result.output
    assert json.loads(state_path.read_bytes()) == restored_state(state_document(7), 9)
    assert len(Journal(path.parent).run_ids()) == 1, "the run was written down after the junk"
