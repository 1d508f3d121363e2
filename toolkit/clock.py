"""The toolkit's clock: UTC now, its ISO text, and the ids of records (checkpoints, plans, rollback runs), which
sort in the order they were made.

An id is the UTC time to the microsecond and eight random hex digits: `20261206T234346.123456Z-6cbc01f3`.
Ids made before (`20261206T234346Z-6cbc`, one second and four hex digits) are still read; they sort as the very
start of their second, tied ones by their suffix. Compare ids with `sort_key`, never as strings (the two
forms do not compare as strings within one second).

Sub-second time alone does not give an order across machines whose clocks differ, so an id is made against the
newest id already in its store (`new_id(after=…)`): when this machine's clock is at or behind it, the new id takes
that id's time plus one microsecond. Records written one after the other therefore sort in that order wherever
they were written; two written at the same moment by two writers get distinct ids (the random part) in a fixed
order, which is all a race can ask for (32 random bits: two such writers pick the same id about once in four
billion races).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

ID_PATTERN = r"\d{8}T\d{6}(?:Z-[0-9a-f]{4}|\.\d{6}Z-[0-9a-f]{8})"
RECORD_ID = re.compile(rf"^{ID_PATTERN}$")
EXAMPLE_ID = "20261126T141500.000000Z-3f9a01c2"
_TICK = timedelta(microseconds=1)
FUTURE_LIMIT = timedelta(days=1)


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """A time for people (records' created_at, started_at): UTC, to the second."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def is_record_id(value: object) -> bool:
    """The shape, and a real moment (`20261399T999999Z-0000` has the shape of one, not a date)."""
    if not isinstance(value, str) or RECORD_ID.match(value) is None:
        return False
    try:
        id_time(value)
    except ValueError:
        return False
    return True


def id_time(record_id: str) -> datetime:
    """The moment an id names (the start of its second for the older one-second form)."""
    stamp = record_id.split("Z-", 1)[0]
    layout = "%Y%m%dT%H%M%S.%f" if "." in stamp else "%Y%m%dT%H%M%S"
    return datetime.strptime(stamp, layout).replace(tzinfo=UTC)


def sort_key(record_id: str) -> tuple[datetime, str]:
    """Creation order: the time, then the random part (a fixed order for two ids of one microsecond)."""
    return id_time(record_id), record_id.rsplit("-", 1)[1]


def sort_ids(ids: Iterable[str]) -> list[str]:
    """The well-formed ids among `ids`, oldest first."""
    return sorted((item for item in ids if is_record_id(item)), key=sort_key)


def newest(ids: Iterable[str]) -> str | None:
    found = sort_ids(ids)
    return found[-1] if found else None


def is_after(record_id: str, other: str) -> bool:
    return sort_key(record_id) > sort_key(other)


def format_id(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y%m%dT%H%M%S.%f}Z-{secrets.token_hex(4)}"


def new_record_id(moment: datetime | None = None, after: Iterable[str] | str | None = None) -> str:
    """A new record id (RECORD_ID); with `after` (the store's ids) strictly after them: see new_id."""
    return new_id(after=after, moment=moment)


def new_id(after: Iterable[str] | str | None = None, moment: datetime | None = None) -> str:
    """A new id, strictly after every id in `after` (the store's ids, or its newest one). An id more than
    FUTURE_LIMIT ahead of this clock is not followed: no clock was that far off, it was written by hand (and
    following `99991231T235959.999999Z-…` would leave no later id to make)."""
    moment = moment or utc_now()
    limit = moment + FUTURE_LIMIT
    known = [item for item in ([after] if isinstance(after, str) else after or []) if is_record_id(item)
             and id_time(item) <= limit]
    previous = newest(known)
    candidate = format_id(moment)
    if previous is not None and sort_key(candidate) <= sort_key(previous):
        candidate = format_id(id_time(previous) + _TICK)
    return candidate
