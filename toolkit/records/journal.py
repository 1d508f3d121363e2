"""The rollback journal: one JSON line per action, step and run, in .toolkit/envs/ENV/journal.jsonl.

Requests are sanitised before they are written: names and identifiers stay, anything that could be
a secret (keys with secret-like names, URLs with credentials, container environments) is masked.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from toolkit.clock import is_record_id, sort_ids, sort_key
from toolkit.errors import ToolkitError
from toolkit.records.store import MAX_LOCAL_JOURNAL_BYTES, LocalRecords, Records
from toolkit.secrets import MASK, is_secret_name, mask_text
from toolkit.typed_records import RecordError, build, parse_json

JOURNAL_FILE = "journal.jsonl"
# Lists of name/value pairs whose values may be secrets (ECS container environments and secrets).
VALUE_LISTS = frozenset({"environment", "secrets"})


@dataclass
class JournalEntry:
    time: str
    run_id: str
    environment: str
    who: str
    event: str                        # run-start | action | step | run-end
    step: str | None = None
    action: str | None = None         # e.g. "ecs:UpdateService"
    request: dict[str, Any] = field(default_factory=dict)
    result: str = ""                  # ok | error | interrupted | done | nothing-to-do | failed | manual | finished
    message: str = ""
    duration_s: float | None = None
    checkpoint: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def sanitise(value: Any, key: str = "") -> Any:
    """A copy of `value` that is safe to write down: values under secret names and secret-shaped values are
    masked by the project's one rule (toolkit/secrets.py)."""
    if isinstance(value, dict):
        return {name: sanitise(item, str(name)) for name, item in value.items()}
    if isinstance(value, list | tuple):
        if key in VALUE_LISTS:
            return [{"name": item.get("name"), "value": MASK} if isinstance(item, dict) else MASK for item in value]
        return [sanitise(item, key) for item in value]
    if key and is_secret_name(key):
        return MASK
    if isinstance(value, str):
        return mask_text(value)
    return value


class Journal:
    """The journal of one environment: `journal.jsonl` in a local folder (appended), or one object per run
    (`journal/<run id>.jsonl`) beside the state in S3 (toolkit.records.places.journal_for picks)."""

    def __init__(self, place: Path | Records) -> None:
        self.records: Records = LocalRecords(Path(place)) if isinstance(place, str | Path) else place
        self.local = isinstance(self.records, LocalRecords)
        # Lines or run objects passed over while reading (unreadable, malformed): where → why.
        self.skipped: dict[str, str] = {}
        # A shared run's object as this process last wrote it: the run is its only writer, so an entry is one
        # PutObject of the whole run (no read back first); the first entry creates the object conditionally.
        self._written: dict[str, bytes] = {}
        # Entries written with `hold`, not yet written down: (run id, line).
        self._held: list[tuple[str, str]] = []

    @property
    def path(self) -> Path:
        """The local journal file (local journals only)."""
        return Path(self.records.where(JOURNAL_FILE))

    @property
    def location(self) -> str:
        return self.records.where(JOURNAL_FILE) if self.local else self.records.location

    def write(self, entry: JournalEntry, *, hold: bool = False) -> None:
        """Write `entry` (and any held before it). `hold`: keep it back until the next write that is not held or
        `flush()`, to go out with it: one PutObject instead of one per entry. A runbook holds only what may wait
        for its next change, wait or end (toolkit.rollback.base.RunContext)."""
        entry.request = sanitise(entry.request)
        entry.details = sanitise(entry.details)
        self._held.append((entry.run_id, json.dumps(asdict(entry), default=str, sort_keys=False) + "\n"))
        if not hold:
            self.flush()

    def flush(self) -> None:
        """Write the held entries, each run's in one write (kept held if the write fails: the next flush retries)."""
        while self._held:
            run_id = self._held[0][0]
            self._write_lines(run_id, "".join(line for owner, line in self._held if owner == run_id))
            self._held = [(owner, line) for owner, line in self._held if owner != run_id]

    def _write_lines(self, run_id: str, text: str) -> None:
        if not self.local:
            # One writer per run (the run itself): its object is rewritten whole, the new entries added each time.
            name, encoded = f"{run_id}.jsonl", text.encode("utf-8")
            body = self._written.get(name)
            if body is None:
                if self.records.create(name, encoded):
                    self._written[name] = encoded
                    return
                body = self.records.get(name) or b""  # a run that was written before (not by this process)
            self.records.put(name, body + encoded)
            self._written[name] = body + encoded
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One write per flush in append mode: concurrent writers never interleave within it.
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())

    def write_run(self, run_id: str, entries: list[JournalEntry]) -> None:
        """All entries of one run at once (the upload of a local journal)."""
        body = "".join(json.dumps(asdict(entry), default=str) + "\n" for entry in entries)
        if self.local:
            raise ToolkitError("write_run is for shared journals")
        self.records.put(f"{run_id}.jsonl", body.encode("utf-8"))

    def run_ids(self) -> list[str]:
        if self.local:
            return list(self.by_run())
        return sort_ids(name[:-6] for name in self.records.names() if name.endswith(".jsonl"))

    def by_run(self) -> dict[str, list[JournalEntry]]:
        runs: dict[str, list[JournalEntry]] = {}
        for entry in self.read():
            runs.setdefault(entry.run_id, []).append(entry)
        return runs

    def read(self, run_id: str | None = None, *, after: str | None = None) -> list[JournalEntry]:
        """The entries (of one run, or of the runs made after the record id `after`), in the order they were
        written. An unreadable run object or a malformed line is skipped and named in `skipped`: one bad record
        never hides the others."""
        if self.local:
            # Past its cap only its newest MAX_LOCAL_JOURNAL_BYTES are read (anyone who can write the folder can
            # grow it: that must not stop every rollback), the part not read named.
            assert isinstance(self.records, LocalRecords)
            body, not_read = self.records.get_tail(JOURNAL_FILE, MAX_LOCAL_JOURNAL_BYTES)
            if not_read:
                mib = 1024 * 1024
                size = not_read + len(body or b"")
                self.skipped[self.location] = (
                    f"the journal is {size / mib:.1f} MiB: its first {not_read / mib:.1f} MiB ({not_read} bytes) "
                    f"were not read (the newest {MAX_LOCAL_JOURNAL_BYTES // mib} MiB were); runs there are not listed")
            entries = self._parse(body, self.location, run_id)
            return [entry for entry in entries if after is None or _made_after(entry.run_id, after)]
        # One object per run in S3: only those made after `after` are read (a shared journal holds years of runs).
        names = [f"{run_id}.jsonl"] if run_id else [f"{name}.jsonl" for name in self.run_ids()
                                                     if after is None or _made_after(name, after)]
        entries: list[JournalEntry] = []
        for name in names:
            try:
                body = self.records.get(name)
            except ToolkitError as error:
                where = self.records.where(name)
                self.skipped[where] = str(error).removeprefix(f"{where}: ")
                continue
            entries += self._parse(body, self.records.where(name), run_id)
        return entries

    def skipped_lines(self) -> list[str]:
        return [f"skipped {where}: {why}" for where, why in self.skipped.items()]

    def _parse(self, body: bytes | None, where: str, run_id: str | None) -> list[JournalEntry]:
        if not body:
            return []
        entries: list[JournalEntry] = []
        for number, line in enumerate(body.decode("utf-8", errors="replace").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                entry = build(JournalEntry, parse_json(line))
            except RecordError as error:
                self.skipped[f"{where}:{number}"] = f"not a journal line ({error})"
                continue
            if run_id is None or entry.run_id == run_id:
                entries.append(entry)
        return entries


def _made_after(run_id: str, record_id: str) -> bool:
    return is_record_id(run_id) and is_record_id(record_id) and sort_key(run_id) > sort_key(record_id)
