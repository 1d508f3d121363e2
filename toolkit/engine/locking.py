"""State-lock contention: read terraform's "Error acquiring the state lock" block and explain it.

The block is the same for both lock kinds (the S3 lock file's 412 and the DynamoDB conditional put).
"""

from __future__ import annotations

import re

from toolkit.errors import LockError
from toolkit.state.lock import LockInfo

LOCK_ERROR_MARKER = "Error acquiring the state lock"
_FIELD = re.compile(r"^\s*(ID|Path|Operation|Who|Version|Created|Info):\s*(.*?)\s*$")


def parse_lock_info(output: str) -> LockInfo | None:
    """The lock holder from a failed run's output, or None when the failure is not lock contention."""
    if LOCK_ERROR_MARKER not in output:
        return None
    fields: dict[str, str] = {}
    after_marker = output.split(LOCK_ERROR_MARKER, 1)[1]
    for raw_line in after_marker.splitlines():
        match = _FIELD.match(raw_line.strip("│╷╵ "))
        if match and match.group(1).lower() not in fields:
            fields[match.group(1).lower()] = match.group(2)
    if not fields.get("id"):
        # No lock holder in the message: the lock could not be taken at all (the lock table failed, access
        # denied); terraform's own error says why, and no one else holds the lock.
        return None
    return LockInfo(
        id=fields.get("id", ""),
        path=fields.get("path", ""),
        operation=fields.get("operation", ""),
        who=fields.get("who", ""),
        version=fields.get("version", ""),
        created=fields.get("created", ""),
        info=fields.get("info", ""),
    )


def lock_place(output: str, lock: LockInfo) -> str:
    """Which lock terraform found taken, from its error message: the S3 lock file or the DynamoDB item."""
    if "S3: PutObject" in output or "PreconditionFailed" in output:
        return f"the S3 lock file {lock.path}.tflock" if lock.path else "the S3 lock file"
    if "DynamoDB" in output or "ConditionalCheckFailed" in output:
        return f"the DynamoDB lock item {lock.path}" if lock.path else "the DynamoDB lock table"
    return ""


def lock_error(environment: str, lock: LockInfo, what: str, place: str = "") -> LockError:
    """A complete message: who holds the lock (and in which lock), and the two ways forward."""
    where = f" ({place})" if place else ""
    return LockError(
        f"{what} for {environment}: the state is locked by another run{where}:\n{lock.describe()}\n"
        f"Wait for it and retry with a longer --lock-timeout (e.g. --lock-timeout 10m), or, if that run is "
        f"dead, release the lock with `toolkit unlock {environment} {lock.id}`."
    )
