"""The toolkit's clock: UTC now, its ISO text, and the sortable ids of records (checkpoints, plans, rollback runs)."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

# A record id: the UTC second it was made plus a short random suffix, e.g. 20261126T141500Z-3f9a; ids sort by time.
RECORD_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{4}$")


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def new_record_id(moment: datetime | None = None) -> str:
    """A new record id (RECORD_ID): sortable, the UTC second plus a short random suffix, e.g. 20261126T141500Z-3f9a."""
    return f"{(moment or utc_now()).astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}"
