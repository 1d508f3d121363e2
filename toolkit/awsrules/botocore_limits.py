"""API parameter limits read from botocore's service models (installed with boto3), not typed by hand.

`limit("iam", "roleNameType")` gives the shape's min/max length, pattern and enum as the API documents them;
the rule cites the shape (`iam:roleNameType`) as its source. Models are loaded once per service.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any


@dataclass(frozen=True)
class Limit:
    service: str
    shape: str
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    enum: tuple[str, ...] = ()

    @property
    def citation(self) -> str:
        return f"botocore {self.service} service-2 shape {self.shape}"

    def problems(self, value: str) -> list[str]:
        """What is wrong with `value` under this limit, in words (empty when it fits)."""
        found: list[str] = []
        if self.max_length is not None and len(value) > self.max_length:
            found.append(f"is {len(value)} characters long (at most {self.max_length})")
        if self.min_length is not None and len(value) < self.min_length:
            found.append(f"is {len(value)} characters long (at least {self.min_length})")
        if self.pattern and value and not _full_match(self.pattern, value):
            found.append(f"does not match the allowed pattern {self.pattern}")
        if self.enum and value not in self.enum:
            found.append(f"is not one of {', '.join(self.enum)}")
        return found


@cache
def _model(service: str) -> dict[str, Any]:
    from botocore.loaders import Loader

    return Loader().load_service_model(service, "service-2")


@cache
def limit(service: str, shape: str) -> Limit:
    """The limits of one shape; KeyError names a shape the model does not have (a botocore upgrade renamed it)."""
    found = _model(service)["shapes"][shape]
    return Limit(service, shape, found.get("min"), found.get("max"), found.get("pattern"),
                 tuple(found.get("enum") or ()))


@cache
def list_max(service: str, shape: str) -> int | None:
    return _model(service)["shapes"][shape].get("max")


# Java's Unicode classes, which Python's `re` lacks: each becomes a private character, and each character of the
# value in that Unicode category is replaced by the same one before matching.
_CLASSES = {r"\p{L}": ("L", "\ue000"), r"\p{Z}": ("Z", "\ue001"), r"\p{N}": ("N", "\ue002")}


@cache
def _compiled(pattern: str) -> tuple[re.Pattern[str] | None, tuple[str, ...]]:
    translated = pattern
    used: list[str] = []
    for java, (category, private) in _CLASSES.items():
        if java in translated:
            translated = translated.replace(java, private)
            used.append(category)
    try:
        return re.compile(translated), tuple(used)
    except re.error:
        return None, ()


def _full_match(pattern: str, value: str) -> bool:
    compiled, categories = _compiled(pattern)
    if compiled is None:
        # A pattern Python cannot read is not a reason to refuse a value.
        return True
    if categories:
        value = "".join(_private(character, categories) for character in value)
    return compiled.fullmatch(value) is not None


def _private(character: str, categories: tuple[str, ...]) -> str:
    category = unicodedata.category(character)[0]
    if category in categories:
        return next(private for java, (name, private) in _CLASSES.items() if name == category)
    return character
