"""Values read back from a rollback run's journal (`--undo RUN`, `--resume-from RUN`): anyone with the bucket can
edit it, so a value of the wrong type or outside what the toolkit writes is a clear error naming the run, the
field and what is allowed, raised before anything is changed, never a traceback or an odd message."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.text import cut, plain

SHOWN = 80  # of an edited value in the error: enough to recognise it, never a screenful


def journal_error(run_id: str, field: str, value: object, allowed: str) -> ToolkitError:
    shown = cut(plain(repr(value)), SHOWN)
    return ToolkitError(f"rollback run {run_id}'s journal: {field} is {shown}, not {allowed} (the journal was "
                        "edited or is damaged): nothing was changed")


def text_field(run_id: str, values: Mapping[str, Any], field: str, *, required: bool = True,
               choices: Collection[str] | None = None) -> str:
    """`values[field]` as a non-empty string (one of `choices` when given); "" when absent and not required."""
    value = values.get(field)
    if not required and (value is None or value == ""):
        return ""
    allowed = "one of " + ", ".join(choices) if choices is not None else "a non-empty string"
    if not isinstance(value, str) or not value or (choices is not None and value not in choices):
        raise journal_error(run_id, field, value, allowed)
    return value


def serial_field(run_id: str, values: Mapping[str, Any], field: str) -> int:
    """`values[field]` as a state serial (a whole number, 0 when the journal recorded none)."""
    value = values.get(field)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise journal_error(run_id, field, value, "a state serial (a whole number, 0 or more)")
    return value
