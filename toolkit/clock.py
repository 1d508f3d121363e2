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

Clocks far apart. Whatever is in the store when an id is made was made before it, so the new id follows the
store's newest however far ahead of this clock it is dated (a CI runner two days fast, or this machine two days
slow: from here the two look the same), up to SKEW_LIMIT. That shifts later ids by the skew until real time
catches up, which costs nothing (ids only order; people read created_at), and every id made that way says so
(`clock_behind`: a warning with the apply). An id dated more than SKEW_LIMIT ahead is no clock in service (an
AWS request from it would be refused as skewed): it was written by hand, or by a clock reset to a default date.
It is not followed (`99991231T235959.999999Z-…` would leave no later id, and any plant would shift every id
for good) and a store does not take it for its newest record (`is_far_ahead`): it is named instead, and
`--to ID` still reads it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

# ASCII digits only (`\d` also takes other scripts' digits, which strptime reads), and `\Z`: `$` also matches
# before a final newline, so `<id>\n.json` would pass as an id.
ID_PATTERN = r"[0-9]{8}T[0-9]{6}(?:Z-[0-9a-f]{4}|\.[0-9]{6}Z-[0-9a-f]{8})"
RECORD_ID = re.compile(rf"{ID_PATTERN}\Z")
EXAMPLE_ID = "20261126T141500.000000Z-3f9a01c2"
_TICK = timedelta(microseconds=1)
# A record dated further ahead of this clock than this is worth a warning (a skewed clock here or where it was made).
FUTURE_LIMIT = timedelta(days=1)
# Further ahead than this, no clock in service made it: not followed, not a store's newest (module docstring).
SKEW_LIMIT = timedelta(days=30)


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """A time for people (records' created_at, started_at): UTC, to the second."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def is_record_id(value: object) -> bool:
    """The shape, and a real moment (`20261399T999999Z-0000` has the shape of one, not a date)."""
    if not isinstance(value, str) or RECORD_ID.fullmatch(value) is None:
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
    """A new id, strictly after every id in `after` (the store's ids, or its newest one) but those dated more than
    SKEW_LIMIT ahead of this clock (`is_far_ahead`: see the module docstring)."""
    moment = moment or utc_now()
    known = [item for item in ([after] if isinstance(after, str) else after or []) if is_record_id(item)
             and not is_far_ahead(item, moment)]
    previous = newest(known)
    candidate = format_id(moment)
    if previous is not None and sort_key(candidate) <= sort_key(previous):
        candidate = format_id(id_time(previous) + _TICK)
    return candidate


def days_ahead(record_id: str, moment: datetime | None = None) -> float:
    """How far ahead of this clock (or `moment`) an id is dated, in days (negative: behind)."""
    return (id_time(record_id) - (moment or utc_now())) / timedelta(days=1)


def is_far_ahead(record_id: str, moment: datetime | None = None) -> bool:
    """Dated more than SKEW_LIMIT ahead of this clock: not followed by new ids, not a store's newest record."""
    return id_time(record_id) - (moment or utc_now()) > SKEW_LIMIT


def far_ahead_reason(record_id: str, moment: datetime | None = None) -> str:
    return (f"dated {days_ahead(record_id, moment):.0f} days ahead of this machine's clock (more than "
            f"{SKEW_LIMIT.days}): a skewed clock (check this machine's) or an edited record; not taken as the "
            "newest, `--to ID` still uses it")


def clock_behind(newest_id: str | None, moment: datetime | None = None) -> str | None:
    """A warning when the newest id a new one follows is dated more than FUTURE_LIMIT ahead of this clock: the new
    id sorts after it (it was made after it), so it is dated ahead too, and someone should look at the clocks."""
    if newest_id is None or not is_record_id(newest_id):
        return None
    ahead = id_time(newest_id) - (moment or utc_now())
    if ahead <= FUTURE_LIMIT or ahead > SKEW_LIMIT:
        return None
    return (f"this machine's clock is {ahead / timedelta(days=1):.1f} days behind the newest record {newest_id} "
            "(or the clock that made it was ahead, or it was edited): the new id follows it, to keep the order "
            "records were made in; check the clocks (`date -u`)")
