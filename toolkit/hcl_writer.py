"""Write Python values as HCL expressions in the layout `terraform fmt` produces."""

from __future__ import annotations

import json
import re
from typing import Any

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
INDENT = "  "


def hcl_string(value: str) -> str:
    """A quoted HCL string; `${` and `%{` are escaped so values are never interpolated."""
    escaped = json.dumps(value, ensure_ascii=False)
    return escaped.replace("${", "$${").replace("%{", "%%{")


def hcl_key(key: str) -> str:
    return key if _IDENTIFIER.match(key) else hcl_string(key)


def hcl_value(value: Any, level: int = 0) -> str:
    """Render one value; objects and non-scalar lists span lines, indented for `level`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return hcl_string(value)
    if isinstance(value, list):
        if not value:
            return "[]"
        if all(not isinstance(item, dict | list) for item in value):
            return "[" + ", ".join(hcl_value(item) for item in value) + "]"
        inner = INDENT * (level + 1)
        items = [f"{inner}{hcl_value(item, level + 1)}," for item in value]
        return "[\n" + "\n".join(items) + "\n" + INDENT * level + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{\n" + _attributes(value, level + 1) + "\n" + INDENT * level + "}"
    raise TypeError(f"cannot render {type(value).__name__} as HCL")


def _attributes(mapping: dict[str, Any], level: int) -> str:
    """`key = value` lines; like terraform fmt, `=` aligns within runs of single-line values."""
    indent = INDENT * level
    rendered = [(hcl_key(str(key)), hcl_value(value, level)) for key, value in mapping.items()]
    lines: list[str] = []
    run: list[tuple[str, str]] = []

    def flush() -> None:
        width = max((len(key) for key, _ in run), default=0)
        lines.extend(f"{indent}{key.ljust(width)} = {text}" for key, text in run)
        run.clear()

    for key, text in rendered:
        if "\n" in text:
            # A multi-line value stands alone and ends the alignment group, as in terraform fmt.
            flush()
            lines.append(f"{indent}{key} = {text}")
        else:
            run.append((key, text))
    flush()
    return "\n".join(lines)


def hcl_assignments(mapping: dict[str, Any]) -> str:
    """Top-level `name = value` lines of a .tfvars file, separated by blank lines."""
    return "\n\n".join(f"{hcl_key(name)} = {hcl_value(value)}" for name, value in mapping.items())
