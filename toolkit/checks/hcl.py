"""A small structural view of Terraform files, with line numbers, on top of python-hcl2's parse tree.

python-hcl2 v8's dict output has no line numbers and cannot tell `x = {...}` from a block after
round-tripping through lists, so the checks walk the lark tree instead: every block and argument keeps
its line, its labels and the source text of its expression. Values (descriptions, defaults) come from the
expression text, decoded by `string_value` where a literal string is needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.checks.findings import Finding
from toolkit.errors import ToolkitError


class HclParseError(ToolkitError):
    """A .tf file is not valid HCL; `line` is 0 when the parser did not say where."""

    def __init__(self, path: Path, line: int, reason: str) -> None:
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: not valid HCL: {reason}")
        self.path = path
        self.line = line
        self.reason = reason

    def finding(self, shown_path: str) -> Finding:
        return Finding(shown_path, self.line, "", f"not valid HCL: {self.reason}")


@dataclass
class Argument:
    """`name = expression` inside a block."""

    name: str
    line: int
    expression: str
    # "object" for `{...}`, "object_list" for `[{...}, ...]`, "other" for anything else.
    shape: str
    # For object shapes: each object literal's literal keys with their lines (computed keys are left out).
    object_keys: list[list[tuple[str, int]]] = field(default_factory=list)


@dataclass
class Block:
    """`type "label" ... { body }`; the file itself is a Block of type "" holding the top-level ones."""

    type: str
    labels: list[str]
    line: int
    arguments: dict[str, Argument] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    # Arguments in source order; a repeated name is kept here so the check can report it.
    argument_order: list[Argument] = field(default_factory=list)

    def blocks_of(self, block_type: str) -> list[Block]:
        return [block for block in self.blocks if block.type == block_type]


@dataclass
class HclFile:
    path: Path
    text: str
    body: Block


def _token_text(node) -> str:
    """Text of an identifier/keyword node (`for_each` is a keyword token in the grammar)."""
    for child in node.children:
        if hasattr(child, "children"):
            return _token_text(child)
        return str(child)
    return ""


def _string_label(node) -> str:
    parts = []
    for child in node.children:
        if hasattr(child, "children"):
            parts.extend(str(token) for token in child.children)
    return "".join(parts)


def _unwrap(node):
    """Skip `expr_term` wrappers (and parentheses) down to the node that says what the expression is."""
    while getattr(node, "data", None) == "expr_term":
        inner = [child for child in node.children if hasattr(child, "data")]
        if len(inner) != 1:
            break
        node = inner[0]
    return node


def _shape(expression) -> str:
    node = _unwrap(expression)
    kind = getattr(node, "data", None)
    if kind == "object":
        return "object"
    if kind == "tuple":
        items = [_unwrap(child) for child in node.children if hasattr(child, "data")]
        if items and all(getattr(item, "data", None) == "object" for item in items):
            return "object_list"
    return "other"


def _object_keys(expression) -> list[list[tuple[str, int]]]:
    node = _unwrap(expression)
    kind = getattr(node, "data", None)
    objects = [node] if kind == "object" else []
    if kind == "tuple":
        objects = [_unwrap(child) for child in node.children if hasattr(child, "data")]
    found: list[list[tuple[str, int]]] = []
    for literal in objects:
        keys: list[tuple[str, int]] = []
        for element in literal.children:
            if getattr(element, "data", None) != "object_elem":
                continue
            key = _unwrap(element.children[0].children[0]) if element.children[0].children else None
            key_kind = getattr(key, "data", None)
            if key_kind == "identifier":
                keys.append((_token_text(key), element.meta.line))
            elif key_kind == "string":
                keys.append((_string_label(key), element.meta.line))
        found.append(keys)
    return found


def _body(node, text: str, block: Block) -> Block:
    for child in node.children:
        kind = getattr(child, "data", None)
        if kind == "attribute":
            name = _token_text(child.children[0])
            expression = child.children[-1]
            shape = _shape(expression)
            argument = Argument(
                name=name,
                line=child.meta.line,
                expression=text[expression.meta.start_pos : expression.meta.end_pos],
                shape=shape,
                object_keys=_object_keys(expression) if shape != "other" else [],
            )
            block.arguments.setdefault(name, argument)
            block.argument_order.append(argument)
        elif kind == "block":
            block.blocks.append(_block(child, text))
    return block


def _block(node, text: str) -> Block:
    block_type = ""
    labels: list[str] = []
    body = None
    for child in node.children:
        kind = getattr(child, "data", None)
        if kind in ("identifier", "keyword") and not block_type:
            block_type = _token_text(child)
        elif kind == "string":
            labels.append(_string_label(child))
        elif kind == "identifier":
            labels.append(_token_text(child))
        elif kind == "body":
            body = child
    block = Block(type=block_type, labels=labels, line=node.meta.line)
    return _body(body, text, block) if body is not None else block


def parse_text(text: str, path: Path) -> HclFile:
    import hcl2
    from lark.exceptions import LarkError

    try:
        tree = hcl2.parses_to_tree(text)
    except (LarkError, ValueError) as error:
        line = getattr(error, "line", 0) or 0
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise HclParseError(path, line, first_line) from error
    body = next((child for child in tree.children if getattr(child, "data", None) == "body"), None)
    root = Block(type="", labels=[], line=1)
    return HclFile(path=path, text=text, body=_body(body, text, root) if body is not None else root)


def parse_file(path: Path) -> HclFile:
    return parse_text(path.read_text(encoding="utf-8"), path)


def string_value(expression: str) -> str | None:
    """The value of a literal string expression (quoted or heredoc without interpolation), else None."""
    stripped = expression.strip()
    if stripped.startswith('"') and stripped.endswith('"') and "${" not in stripped:
        try:
            return json.loads(stripped)
        except ValueError:
            return stripped[1:-1]
    if stripped.startswith("<<"):
        lines = stripped.splitlines()
        if len(lines) >= 2:
            body = lines[1:-1]
            if stripped.startswith("<<-"):
                indent = min((len(line) - len(line.lstrip()) for line in body if line.strip()), default=0)
                body = [line[indent:] for line in body]
            return "\n".join(body)
    return None


def terraform_files(directory: Path) -> list[Path]:
    """The .tf files of one module directory (not recursive), sorted."""
    return sorted(path for path in directory.glob("*.tf") if path.is_file())
