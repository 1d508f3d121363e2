"""API parameter limits read from botocore's service models (installed with boto3), not typed by hand.

`limit("iam", "roleNameType")` gives the shape's min/max length, pattern and enum as the API documents them;
the rule cites the shape (`iam:roleNameType`) as its source. Models are loaded once per service.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
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
        return list(_problems(self, value))


@lru_cache(maxsize=65536)
def _problems(limit: Limit, value: str) -> tuple[str, ...]:
    """Cached: the same tag keys and values repeat on every resource of a plan."""
    found: list[str] = []
    if limit.max_length is not None and len(value) > limit.max_length:
        found.append(f"is {len(value)} characters long (at most {limit.max_length})")
    if limit.min_length is not None and len(value) < limit.min_length:
        found.append(f"is {len(value)} characters long (at least {limit.min_length})")
    if limit.pattern and value and not _full_match(limit.pattern, value):
        found.append(f"does not match the allowed pattern {limit.pattern}")
    if limit.enum and value not in limit.enum:
        found.append(f"is not one of {', '.join(limit.enum)}")
    return tuple(found)


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


@cache
def _ascii_compiled(pattern: str) -> re.Pattern[str] | None:
    """The pattern for ASCII values: each Unicode class becomes its ASCII members."""
    translated = pattern.replace(r"\p{L}", "A-Za-z").replace(r"\p{Z}", " ").replace(r"\p{N}", "0-9")
    try:
        return re.compile(translated)
    except re.error:
        return None


def _full_match(pattern: str, value: str) -> bool:
    if value.isascii():
        compiled_ascii = _ascii_compiled(pattern)
        return compiled_ascii is None or compiled_ascii.fullmatch(value) is not None
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
