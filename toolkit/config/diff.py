"""Key-by-key differences between two merged environments (what reviewers compare)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_ABSENT = object()


@dataclass(frozen=True)
class Difference:
    key: str
    left: Any
    right: Any


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """`{"a": {"b": 1}}` → `{"a.b": 1}`; lists of scalars stay whole, lists of maps index as `[i]`."""
    if isinstance(value, dict) and value:
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
        flat = {}
        for index, item in enumerate(value):
            flat.update(flatten(item, f"{prefix}[{index}]"))
        return flat
    return {prefix: value}


def diff_values(left: dict[str, Any], right: dict[str, Any]) -> list[Difference]:
    """Every key whose value differs, in a stable order (the left file's order, then new keys)."""
    left_flat, right_flat = flatten(left), flatten(right)
    keys = list(left_flat) + [key for key in right_flat if key not in left_flat]
    return [
        Difference(key, left_flat.get(key, _ABSENT), right_flat.get(key, _ABSENT))
        for key in keys
        if left_flat.get(key, _ABSENT) != right_flat.get(key, _ABSENT)
    ]


def is_absent(value: Any) -> bool:
    return value is _ABSENT
