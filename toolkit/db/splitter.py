"""Split a migration file into statements, keeping where each starts, so errors can name the line.

The splitter understands what PostgreSQL's own lexer does with semicolons: they do not end a statement
inside '…' strings (with '' escapes), E'…' strings (with backslash escapes), "…" identifiers,
$tag$…$tag$ dollar quotes, -- line comments, nested /* … */ block comments, parentheses (rules:
`DO ALSO (…; …)`, as psql does), or the body of a SQL-standard `BEGIN ATOMIC … END` function body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DOLLAR_TAG = re.compile(r"\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$")
_WORD = re.compile(r"[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*")


class SplitError(ValueError):
    """The text ends inside a string, identifier, dollar quote or comment."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Statement:
    """One statement: its text (without the final semicolon) and where it starts in the file."""

    sql: str
    offset: int
    line: int

    @property
    def first_line(self) -> str:
        return self.sql.strip().splitlines()[0].strip()

    def line_of(self, position: int) -> int:
        """The file line of a 1-based character position inside this statement (PostgreSQL's `position`)."""
        return self.line + self.sql.count("\n", 0, max(position - 1, 0))


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def split_statements(text: str) -> list[Statement]:
    """Statements in order; comment-only pieces are dropped. Raises SplitError on unterminated quotes."""
    statements: list[Statement] = []
    length = len(text)
    index = 0
    start: int | None = None  # offset of the first significant character of the current statement
    atomic_depth = 0  # inside BEGIN ATOMIC: count nested BEGIN/CASE … END
    paren_depth = 0
    previous_word = ""

    def finish(end: int) -> None:
        nonlocal start
        if start is not None:
            sql = text[start:end].rstrip()
            statements.append(Statement(sql=sql, offset=start, line=_line_at(text, start)))
        start = None

    while index < length:
        char = text[index]
        if char in " \t\r\n\f":
            index += 1
            continue
        if text.startswith("--", index):
            newline = text.find("\n", index)
            index = length if newline == -1 else newline + 1
            continue
        if text.startswith("/*", index):
            depth, cursor = 1, index + 2
            while depth and cursor < length:
                if text.startswith("/*", cursor):
                    depth, cursor = depth + 1, cursor + 2
                elif text.startswith("*/", cursor):
                    depth, cursor = depth - 1, cursor + 2
                else:
                    cursor += 1
            if depth:
                raise SplitError("unterminated /* comment", _line_at(text, index))
            index = cursor
            continue
        if char == ";" and atomic_depth == 0 and paren_depth == 0:
            finish(index)
            previous_word = ""
            index += 1
            continue
        if start is None:
            start = index
        if char in "()":
            paren_depth = max(0, paren_depth + (1 if char == "(" else -1))
            index += 1
            continue
        if char == "'":
            escapes = index > 0 and text[index - 1] in "eE" and (index < 2 or not _is_word_char(text[index - 2]))
            index = _skip_quoted(text, index, "'", backslash_escapes=escapes)
            continue
        if char == '"':
            index = _skip_quoted(text, index, '"', backslash_escapes=False)
            continue
        if char == "$":
            match = _DOLLAR_TAG.match(text, index)
            if match and not (index > 0 and _is_word_char(text[index - 1])):
                closing = text.find(match.group(0), match.end())
                if closing == -1:
                    raise SplitError(f"unterminated dollar quote {match.group(0)}", _line_at(text, index))
                index = closing + len(match.group(0))
                continue
        word = _WORD.match(text, index)
        if word:
            upper = word.group(0).upper()
            opens_block = (upper == "ATOMIC" and previous_word == "BEGIN") or (
                atomic_depth and upper in ("CASE", "BEGIN"))
            if opens_block:
                atomic_depth += 1
            elif atomic_depth and upper == "END":
                atomic_depth -= 1
            previous_word = upper
            index = word.end()
            continue
        index += 1
    finish(length)
    return statements


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char in "_$"


def _skip_quoted(text: str, index: int, quote: str, *, backslash_escapes: bool) -> int:
    """Offset just after the closing quote of the literal opening at `index`."""
    cursor = index + 1
    length = len(text)
    while cursor < length:
        char = text[cursor]
        if backslash_escapes and char == "\\":
            cursor += 2
            continue
        if char == quote:
            if cursor + 1 < length and text[cursor + 1] == quote:
                cursor += 2
                continue
            return cursor + 1
        cursor += 1
    kind = "identifier" if quote == '"' else "string"
    raise SplitError(f"unterminated quoted {kind}", _line_at(text, index))
