"""Terraform type constraints: parse `object({a = string, b = optional(number, 3)})` and check values.

Used before rendering to compare environment values with the root module's variable declarations,
so a mistake is reported against the environment file instead of failing later inside terraform.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from toolkit.errors import RenderError

PRIMITIVES = ("string", "number", "bool", "any")
COLLECTIONS = ("list", "set", "map")


@dataclass(frozen=True)
class TypeSpec:
    kind: str  # string | number | bool | any | list | set | map | object | tuple
    element: TypeSpec | None = None
    attributes: dict[str, TypeSpec] = field(default_factory=dict)
    optional: frozenset[str] = frozenset()
    elements: tuple[TypeSpec, ...] = ()

    def describe(self) -> str:
        if self.kind in COLLECTIONS and self.element:
            return f"{self.kind}({self.element.describe()})"
        if self.kind == "object":
            return "object({" + ", ".join(self.attributes) + "})"
        if self.kind == "tuple":
            return "tuple([" + ", ".join(e.describe() for e in self.elements) + "])"
        return self.kind


_TOKEN = re.compile(r'\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_-]*)|(?P<string>"(?:[^"\\]|\\.)*")|'
                    r"(?P<number>-?\d+(?:\.\d+)?)|(?P<punct>[(){}\[\],=:]))")


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens: list[str] = []
        position = 0
        text = text.strip()
        while position < len(text):
            match = _TOKEN.match(text, position)
            if not match or match.end() == position:
                # Skip default values we cannot tokenise (they do not affect the type).
                self.tokens.append(text[position])
                position += 1
                continue
            self.tokens.append(match.group(match.lastgroup).strip())
            position = match.end()
        self.index = 0

    def peek(self) -> str | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise ValueError(f"expected {expected!r}, found {token!r}")
        self.index += 1
        return token

    def parse_type(self) -> tuple[TypeSpec, bool]:
        """Returns the type and whether it was wrapped in optional()."""
        name = self.take()
        if name in PRIMITIVES:
            return TypeSpec(name), False
        if name in COLLECTIONS:
            self.take("(")
            element, _ = self.parse_type()
            self.take(")")
            return TypeSpec(name, element=element), False
        if name == "optional":
            self.take("(")
            inner, _ = self.parse_type()
            if self.peek() == ",":
                self.take(",")
                self.skip_expression()
            self.take(")")
            return inner, True
        if name == "object":
            self.take("(")
            self.take("{")
            attributes: dict[str, TypeSpec] = {}
            optional: set[str] = set()
            while self.peek() != "}":
                key = self.take().strip('"')
                self.take("=") if self.peek() == "=" else self.take(":")
                attributes[key], is_optional = self.parse_type()
                if is_optional:
                    optional.add(key)
                if self.peek() == ",":
                    self.take(",")
            self.take("}")
            self.take(")")
            return TypeSpec("object", attributes=attributes, optional=frozenset(optional)), False
        if name == "tuple":
            self.take("(")
            self.take("[")
            elements = []
            while self.peek() != "]":
                element, _ = self.parse_type()
                elements.append(element)
                if self.peek() == ",":
                    self.take(",")
            self.take("]")
            self.take(")")
            return TypeSpec("tuple", elements=tuple(elements)), False
        raise ValueError(f"unknown type {name!r}")

    def skip_expression(self) -> None:
        depth = 0
        while (token := self.peek()) is not None:
            if token in "([{":
                depth += 1
            elif token in ")]}":
                if depth == 0:
                    return
                depth -= 1
            elif token == "," and depth == 0:
                return
            self.index += 1


def parse_type(expression: str) -> TypeSpec:
    """Parse a type constraint as python-hcl2 returns it (`${object({...})}` or a bare keyword)."""
    text = expression.strip()
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1]
    parser = _Parser(text)
    spec, _ = parser.parse_type()
    if parser.peek() is not None:
        raise ValueError(f"unexpected {parser.peek()!r} after the type")
    return spec


def type_errors(value: Any, spec: TypeSpec, path: str) -> list[str]:
    """Every place where `value` does not conform to `spec`, as `path: message` strings."""
    if value is None or spec.kind == "any":
        return []
    kind = spec.kind
    if kind == "string":
        return [] if isinstance(value, str | int | float) and not isinstance(value, bool) else \
            [f"{path}: expected string, got {_name(value)}"]
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return [f"{path}: expected number, got {_name(value)}"]
        return []
    if kind == "bool":
        return [] if isinstance(value, bool) else [f"{path}: expected bool, got {_name(value)}"]
    if kind in ("list", "set", "tuple"):
        if not isinstance(value, list):
            return [f"{path}: expected {spec.describe()}, got {_name(value)}"]
        if kind == "tuple":
            if len(value) != len(spec.elements):
                return [f"{path}: expected {len(spec.elements)} elements, got {len(value)}"]
            return [e for i, (v, s) in enumerate(zip(value, spec.elements, strict=True))
                    for e in type_errors(v, s, f"{path}[{i}]")]
        assert spec.element is not None
        return [e for i, item in enumerate(value) for e in type_errors(item, spec.element, f"{path}[{i}]")]
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{path}: expected {spec.describe()}, got {_name(value)}"]
        assert spec.element is not None
        return [e for key, item in value.items() for e in type_errors(item, spec.element, f"{path}.{key}")]
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {_name(value)}"]
        errors = [f"{path}.{key}: not an attribute of the variable's type (allowed: "
                  f"{', '.join(spec.attributes)})" for key in value if key not in spec.attributes]
        for key, attribute in spec.attributes.items():
            if key not in value:
                if key not in spec.optional:
                    errors.append(f"{path}.{key}: required attribute missing")
                continue
            errors.extend(type_errors(value[key], attribute, f"{path}.{key}"))
        return errors
    raise RenderError(f"{path}: unsupported type {kind}")


def _name(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__
