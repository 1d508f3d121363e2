"""Structural diffs of attributes that hold JSON text: container definitions, IAM and bucket policies, dashboards.

Terraform stores `jsonencode(...)` results as one string, so a plain diff shows two long strings cut at the
review's value limit, and an image tag change at character 900 is invisible. When both sides of a changed
string attribute decode to a JSON object or array, the review shows one row per changed key or list item
instead, its path continuing into the document: `container_definitions[name=web].image`. Unchanged keys
and items are left out; a changed value that is not itself an object/array pair is shown whole (up to the
review's value limit).

Lists of objects that all carry a distinct `name` (containers, environment variables, secrets) or `Sid`
(policy statements) are matched by it, so inserting one item does not make every later item look changed;
other lists of objects are compared position by position. Lists of plain values (actions, ARNs) show the
items removed (`Action[-]: "s3:PutObject" → null`) and added (`Resource[+]: null → "arn:…"`); a list only
reordered is shown whole on both sides.

Limits keep a hostile or huge document cheap: strings over MAX_JSON_CHARS are not decoded, nesting deeper
than MAX_DEPTH is shown whole at that depth, and at most MAX_ROWS rows are listed per attribute (a last row
says how many more differ). Text that is not JSON, or is a JSON scalar, falls back to the plain diff.

Secrets: a value under a secret-looking key (`password`, `DB_TOKEN`), or the `value` of an item whose `name`
is secret-looking (`{"name": "DB_PASSWORD", "value": …}`, the ECS environment shape), is shown as
`(sensitive)`; every other value still goes through the review's redactor.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from toolkit.review.diffs import format_path
from toolkit.secrets import is_secret_name

MAX_JSON_CHARS = 2_000_000
MAX_DEPTH = 24
MAX_ROWS = 60
SENSITIVE = "(sensitive)"
# Keys that identify the items of a list of objects, tried in order.
IDENTITY_KEYS = ("name", "Sid", "sid", "containerName", "id")

MISSING = object()
_PLAIN_NAME = re.compile(r"[\w.:/@+-]+\Z")


def decode(text: str) -> Any:
    """The JSON object or array `text` holds, or None (not JSON, a scalar, too big, too deep)."""
    if len(text) > MAX_JSON_CHARS:
        return None
    stripped = text.lstrip()
    if not stripped or stripped[0] not in "{[":
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict | list) else None


class Row:
    """One changed place inside the document: its path suffix and the two sides (MISSING when absent)."""

    __slots__ = ("after", "before", "secret", "suffix")

    def __init__(self, suffix: str, before: Any, after: Any, secret: bool) -> None:
        self.suffix, self.before, self.after, self.secret = suffix, before, after, secret


def rows(before_text: str, after_text: str) -> list[Row] | None:
    """The changed places between two JSON texts, or None when either side is not a JSON object/array."""
    before, after = decode(before_text), decode(after_text)
    if before is None or after is None:
        return None
    found: list[Row] = []
    try:
        _walk(before, after, "", 0, False, found)
        for row in found[:MAX_ROWS]:  # the values shown are encoded later: make sure they can be
            json.dumps([row.before, row.after], default=str)
    except RecursionError:
        # Nested deeper than Python compares or encodes (json.loads accepts a little more): the plain diff.
        return None
    return found


def _walk(before: Any, after: Any, suffix: str, depth: int, secret: bool, into: list[Row]) -> None:
    if before == after and type(before) is type(after):
        return
    if depth < MAX_DEPTH and isinstance(before, dict) and isinstance(after, dict):
        named_secret = _secret_item(before) or _secret_item(after)
        for key in [*before, *(key for key in after if key not in before)]:
            left, right = before.get(key, MISSING), after.get(key, MISSING)
            if left == right and type(left) is type(right):
                continue
            hidden = secret or is_secret_name(str(key)) or (named_secret and key == "value")
            _walk(left, right, suffix + _key_step(key), depth + 1, hidden, into)
        return
    if depth < MAX_DEPTH and isinstance(before, list) and isinstance(after, list) and _all_containers(before, after):
        identity = _identity_key(before, after)
        if identity is not None:
            left_items = {item[identity]: item for item in before}
            right_items = {item[identity]: item for item in after}
            for name in [*left_items, *(name for name in right_items if name not in left_items)]:
                step = f"[{identity}={_identity_text(name)}]"
                _walk(left_items.get(name, MISSING), right_items.get(name, MISSING), suffix + step, depth + 1,
                      secret, into)
            return
        for index in range(max(len(before), len(after))):
            left = before[index] if index < len(before) else MISSING
            right = after[index] if index < len(after) else MISSING
            _walk(left, right, f"{suffix}[{index}]", depth + 1, secret, into)
        return
    if isinstance(before, list) and isinstance(after, list) and _plain_items(before, after):
        removed = [item for item in before if item not in after]
        added = [item for item in after if item not in before]
        if removed or added:
            into.extend(Row(f"{suffix}[-]", item, MISSING, secret) for item in removed)
            into.extend(Row(f"{suffix}[+]", MISSING, item, secret) for item in added)
            return
    into.append(Row(suffix, before, after, secret or _holds_secret(before) or _holds_secret(after)))


def _plain_items(before: list[Any], after: list[Any]) -> bool:
    """Lists of plain values (actions, ARNs, CIDRs) are shown as the items removed and added, not whole."""
    return len(before) + len(after) <= 2_000 and not any(isinstance(item, dict | list) for item in (*before, *after))


def _identity_text(name: str | int) -> str:
    """`app`, `LOG_LEVEL` as they are; anything with brackets, quotes or spaces as a JSON string."""
    text = str(name)
    return text if _PLAIN_NAME.match(text) else json.dumps(text, ensure_ascii=False)


def _all_containers(before: list[Any], after: list[Any]) -> bool:
    """Lists compared item by item: objects or lists on both sides (plain values are shown whole)."""
    return all(isinstance(item, dict | list) for item in (*before, *after))


def _identity_key(before: list[Any], after: list[Any]) -> str | None:
    for key in IDENTITY_KEYS:
        for items in (before, after):
            if not all(isinstance(item, dict) and isinstance(item.get(key), str | int) and not isinstance(
                    item.get(key), bool) for item in items):
                break
            if len({item[key] for item in items}) != len(items):
                break
        else:
            if before or after:
                return key
    return None


def _secret_item(value: dict[str, Any]) -> bool:
    name = value.get("name")
    return isinstance(name, str) and is_secret_name(name)


def _holds_secret(value: Any) -> bool:
    """A whole object shown on one side that holds a secret-named key or name/value pair."""
    if isinstance(value, dict):
        if _secret_item(value) and "value" in value:
            return True
        return any(is_secret_name(str(key)) or _holds_secret(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_secret(item) for item in value)
    return False


def _key_step(key: str) -> str:
    step = format_path((key,))
    return step if step.startswith("[") else f".{step}"


def limited(found: list[Row]) -> Iterator[Row | int]:
    """The rows to list, then (when there are more than MAX_ROWS) how many were left out."""
    yield from found[:MAX_ROWS]
    if len(found) > MAX_ROWS:
        yield len(found) - MAX_ROWS
