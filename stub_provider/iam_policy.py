"""`aws_iam_policy_document`: the policy JSON the real AWS provider renders from the statement blocks.

The rules follow the provider's policy model (internal/service/iam/policy_model.go): keys in the order
Version, Id, Statement and Sid, Effect, Action, NotAction, Resource, NotResource, Principal, NotPrincipal,
Condition; empty ones left out; a one-element list becomes a string, a longer one is sorted in reverse;
principals grouped by type, `{"*": ["*"]}` written as "*"; condition values keep their order, one value
becomes a string; `&{var}` is written `${var}`; Go's encoder escapes <, > and & as \\u003c, \\u003e, \\u0026.
`json` is indented by two spaces, `minified_json` has no whitespace. Source documents are merged first,
then this document's statements, then the override documents (a statement with the same Sid replaces).
"""

from __future__ import annotations

import json
from typing import Any

DEFAULT_VERSION = "2012-10-17"
_GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _strings(values: list[str] | None) -> Any:
    if not values:
        return None
    items = [value.replace("&{", "${") for value in values]
    if len(items) == 1:
        return items[0]
    return sorted(items, reverse=True)


def _principals(blocks: list[dict[str, Any]] | None) -> Any:
    if not blocks:
        return None
    if len(blocks) == 1 and blocks[0].get("type") == "*" and list(blocks[0].get("identifiers") or []) == ["*"]:
        return "*"
    grouped: dict[str, Any] = {}
    for block in blocks:
        kind = block.get("type") or ""
        identifiers = _strings(list(block.get("identifiers") or []))
        current = grouped.get(kind)
        if isinstance(identifiers, list):
            merged = [] if current is None else ([current] if isinstance(current, str) else list(current))
            grouped[kind] = merged + sorted(identifiers, reverse=True)
        elif current is None:
            grouped[kind] = identifiers
        else:
            grouped[kind] = ([current] if isinstance(current, str) else list(current)) + [identifiers]
    return {kind: grouped[kind] for kind in sorted(grouped)}


def _conditions(blocks: list[dict[str, Any]] | None) -> Any:
    if not blocks:
        return None
    grouped: dict[str, dict[str, list[str]]] = {}
    for block in blocks:
        variables = grouped.setdefault(block.get("test") or "", {})
        variables.setdefault(block.get("variable") or "", []).extend(
            value.replace("&{", "${") for value in block.get("values") or [])
    return {test: {variable: values[0] if len(values) == 1 else values
                   for variable, values in sorted(grouped[test].items())}
            for test in sorted(grouped)}


def statement_json(statement: dict[str, Any]) -> dict[str, Any]:
    rendered = {
        "Sid": statement.get("sid") or None,
        "Effect": statement.get("effect") or "Allow",
        "Action": _strings(statement.get("actions")),
        "NotAction": _strings(statement.get("not_actions")),
        "Resource": _strings(statement.get("resources")),
        "NotResource": _strings(statement.get("not_resources")),
        "Principal": _principals(statement.get("principals")),
        "NotPrincipal": _principals(statement.get("not_principals")),
        "Condition": _conditions(statement.get("condition")),
    }
    return {key: value for key, value in rendered.items() if value not in (None, "", [], {})}


def _merge(document: dict[str, Any], other: dict[str, Any]) -> None:
    if other.get("Id"):
        document["Id"] = other["Id"]
    if str(other.get("Version") or "") > str(document.get("Version") or ""):
        document["Version"] = other["Version"]
    statements = document.setdefault("Statement", [])
    for statement in other.get("Statement") or []:
        sid = statement.get("Sid")
        for index, existing in enumerate(statements):
            if sid and existing.get("Sid") == sid:
                statements[index] = statement
                break
        else:
            statements.append(statement)


def _parse(text: str) -> dict[str, Any]:
    document = json.loads(text)
    statements = document.get("Statement") or []
    document["Statement"] = [statements] if isinstance(statements, dict) else list(statements)
    return document


def render(config: dict[str, Any]) -> dict[str, str]:
    """`json` and `minified_json` for the data source's config (plain Python values, all known)."""
    document: dict[str, Any] = {"Version": "", "Statement": []}
    for source in [config.get("source_json"), *(config.get("source_policy_documents") or [])]:
        if not source:
            continue
        _merge(document, _parse(source))
    own = {"Version": config.get("version") or DEFAULT_VERSION, "Id": config.get("policy_id") or "",
           "Statement": [statement_json(statement) for statement in config.get("statement") or []]}
    _merge(document, own)
    for override in [config.get("override_json"), *(config.get("override_policy_documents") or [])]:
        if not override:
            continue
        _merge(document, _parse(override))
    ordered = {"Version": document.get("Version") or DEFAULT_VERSION, "Id": document.get("Id") or None,
               "Statement": document.get("Statement") or None}
    ordered = {key: value for key, value in ordered.items() if value}
    return {"json": _go_json(ordered, indent=2), "minified_json": _go_json(ordered, indent=None)}


def _go_json(value: Any, indent: int | None) -> str:
    separators = (",", ": ") if indent else (",", ":")
    text = json.dumps(value, indent=indent, separators=separators, ensure_ascii=False)
    for character, escaped in _GO_ESCAPES.items():
        text = text.replace(character, escaped)
    return text
