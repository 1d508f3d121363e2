"""The words of an attribute diff: a path into a resource (`tags.Name`, `ingress[0].from_port`) and one changed
attribute's two sides, shared by the analysis, the JSON-string diff and the drift filter."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

WHOLE_OBJECT = "(all attributes)"


_SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


def format_path(path: tuple[str | int, ...] | list[str | int]) -> str:
    """`tags.Name`, `ingress[0].from_port`; odd keys as `tags["a.b"]`; the whole object as `(all)`."""
    if not path:
        return WHOLE_OBJECT
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        elif _SIMPLE_KEY.match(step):
            text += f".{step}" if text else step
        else:
            text += f"[{json.dumps(step)}]"
    return text


@dataclass(frozen=True, slots=True)
class AttributeDiff:
    path: str
    before: str
    after: str
