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

from toolkit.errors import ToolkitError
from toolkit.secrets import MASK, is_secret_name, mask_text

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
    result: str = ""                  # ok | error | done | nothing-to-do | failed | manual | finished
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
    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / JOURNAL_FILE

    def write(self, entry: JournalEntry) -> None:
        entry.request = sanitise(entry.request)
        entry.details = sanitise(entry.details)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(asdict(entry), default=str, sort_keys=False)
        # One write per line in append mode: concurrent writers never interleave within a line.
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def read(self, run_id: str | None = None) -> list[JournalEntry]:
        if not self.path.is_file():
            return []
        entries: list[JournalEntry] = []
        known = set(JournalEntry.__dataclass_fields__)
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except ValueError:
                raise ToolkitError(f"{self.path}:{number}: not a JSON line") from None
            entry = JournalEntry(**{key: value for key, value in data.items() if key in known})
            if run_id is None or entry.run_id == run_id:
                entries.append(entry)
        return entries
