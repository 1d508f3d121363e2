"""The one duration format of the toolkit's options: terraform's (Go's) `30s`, `5m`, `1h30m`, `500ms`.

A bare number means seconds (`30`, `0.5`), so the older float-seconds spelling of `db --lock-timeout`
still works. The same value reaches terraform as `-lock-timeout=…` and the migration runner as seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from toolkit.errors import UsageError

_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_BARE = re.compile(r"^\d+(?:\.\d+)?$")
# No wait of the toolkit (a lock, a deployment, a database) is meant to last longer; beyond it a typo
# (`99999999999h`) would reach terraform, which prints its whole usage text instead of an error.
MAX_SECONDS = 24 * 3600.0


@dataclass(frozen=True)
class Duration:
    seconds: float

    @property
    def terraform(self) -> str:
        """As terraform's -lock-timeout takes it (whole milliseconds)."""
        milliseconds = round(self.seconds * 1000)
        return f"{milliseconds // 1000}s" if milliseconds % 1000 == 0 else f"{milliseconds}ms"

    def __str__(self) -> str:
        return self.terraform


def parse_duration(value: str | Duration, *, option: str = "--lock-timeout", positive: bool = False) -> Duration:
    """`30s`, `5m`, `1h30m`, `500ms`, or a bare number of seconds, at most 24h (more than 0 when `positive`);
    anything else is a usage error."""
    if isinstance(value, Duration):
        return value
    text = str(value).strip()
    if _BARE.match(text):
        duration = Duration(float(text))
    else:
        parts = _PART.findall(text)
        if not parts or "".join(number + unit for number, unit in parts) != text:
            raise UsageError(f"{option} {value!r}: use a duration such as 0s, 30s, 5m or 1h")
        duration = Duration(sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts))
    if duration.seconds > MAX_SECONDS:
        raise UsageError(f"{option} {value!r}: at most 24h")
    if positive and round(duration.seconds * 1000) <= 0:
        raise UsageError(f"{option} {value!r}: must be more than 0 (such as 1s or 500ms)")
    return duration
