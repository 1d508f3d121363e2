"""State-lock contention: read terraform's "Error acquiring the state lock" block and explain it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from toolkit.errors import LockError

LOCK_ERROR_MARKER = "Error acquiring the state lock"
_FIELD = re.compile(r"^\s*(ID|Path|Operation|Who|Version|Created|Info):\s*(.*?)\s*$")


@dataclass(frozen=True)
class LockInfo:
    """The lock holder as terraform reports it."""

    id: str
    path: str = ""
    operation: str = ""
    who: str = ""
    version: str = ""
    created: str = ""
    info: str = ""

    @property
    def operation_name(self) -> str:
        """`OperationTypeApply` -> `apply`."""
        return self.operation.removeprefix("OperationType").lower() or "unknown operation"

    def describe(self) -> str:
        lines = [f"lock ID:   {self.id}", f"held by:   {self.who or 'unknown'}",
                 f"operation: {self.operation_name}", f"since:     {self.created or 'unknown'}"]
        if self.path:
            lines.append(f"state:     {self.path}")
        if self.version:
            lines.append(f"terraform: {self.version}")
        return "\n".join(f"  {line}" for line in lines)


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


def lock_error(environment: str, lock: LockInfo, what: str) -> LockError:
    """A complete message: who holds the lock, and the two ways forward."""
    return LockError(
        f"{what} for {environment}: the state is locked by another run:\n{lock.describe()}\n"
        f"Wait for it and retry with a longer --lock-timeout (e.g. --lock-timeout 10m), or, if that run is "
        f"dead, release the lock with `toolkit unlock {environment} {lock.id}`."
    )
