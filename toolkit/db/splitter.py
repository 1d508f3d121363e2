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
# The next character that can change the lexer's state; everything between is skipped by the regex engine,
# so a file is scanned once, in C, and the Python loop runs only at quotes, comments, parentheses,
# semicolons and the few key words of a `BEGIN ATOMIC … END` body.
_SIGNIFICANT = re.compile(r"""[;'"$()]|--|/\*|(?<![\w$])(?:BEGIN|CASE|END)(?![\w$])""", re.IGNORECASE)
_BEGIN_ATOMIC = re.compile(r"BEGIN(?:\s|--[^\n]*|/\*(?:[^*]|\*(?!/))*\*/)+ATOMIC(?![\w$])", re.IGNORECASE)
# Whitespace and -- comments between statements (block comments, which nest, are skipped by hand).
_GAP = re.compile(r"(?:[ \t\r\n\f]+|--[^\n]*)*")
_COMMENT_MARK = re.compile(r"/\*|\*/")
# Closing part of a literal, from just after its opening quote: '' and "" are escaped quotes.
_STRING_REST = re.compile(r"[^']*+(?:''[^']*+)*+'")
_ESCAPE_STRING_REST = re.compile(r"[^'\\]*+(?:(?:''|\\.)[^'\\]*+)*+'", re.DOTALL)
_IDENTIFIER_REST = re.compile(r'[^"]*+(?:""[^"]*+)*+"')


class SplitError(ValueError):
    """The text ends inside a string, identifier, dollar quote or comment."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement: its text (without the final semicolon) and where it starts in the file.

    Slots: a data migration can hold hundreds of thousands of them."""

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
    """Statements in order; comment-only pieces are dropped. Raises SplitError on unterminated quotes.

    One pass, linear in the size of the text: line numbers are counted as the scan moves forward.
    """
    statements: list[Statement] = []
    length = len(text)
    index = 0
    line, counted_to = 1, 0  # `line` is the line number at offset `counted_to`

    while True:
        # Between statements: skip whitespace, comments and empty statements (a lone ';').
        index = _GAP.match(text, index).end()
        if text.startswith("/*", index):
            index = _skip_block_comment(text, index)
            continue
        if index >= length:
            return statements
        if text[index] == ";":
            index += 1
            continue
        start = index
        line += text.count("\n", counted_to, start)
        counted_to = start
        index = _statement_end(text, start)
        statements.append(Statement(sql=text[start:index].rstrip(), offset=start, line=line))
        index += 1  # past the ';' (or past the end of the text)


def _statement_end(text: str, start: int) -> int:
    """Offset of the ';' that ends the statement starting at `start`, or the end of the text."""
    length = len(text)
    index = start
    atomic_depth = 0  # inside BEGIN ATOMIC: count nested BEGIN/CASE … END
    paren_depth = 0
    while True:
        match = _SIGNIFICANT.search(text, index)
        if match is None:
            return length
        index = match.start()
        token = match.group(0)
        if token == ";":
            if atomic_depth == 0 and paren_depth == 0:
                return index
            index += 1
        elif token == "(":
            paren_depth += 1
            index += 1
        elif token == ")":
            paren_depth = max(0, paren_depth - 1)
            index += 1
        elif token == "--":
            newline = text.find("\n", index)
            index = length if newline == -1 else newline + 1
        elif token == "/*":
            index = _skip_block_comment(text, index)
        elif token == "'":
            escapes = index > 0 and text[index - 1] in "eE" and (index < 2 or not _is_word_char(text[index - 2]))
            index = _skip_quoted(text, index, _ESCAPE_STRING_REST if escapes else _STRING_REST, "string")
        elif token == '"':
            index = _skip_quoted(text, index, _IDENTIFIER_REST, "identifier")
        elif token == "$":
            tag = _DOLLAR_TAG.match(text, index)
            if tag and not (index > 0 and _is_word_char(text[index - 1])):
                closing = text.find(tag.group(0), tag.end())
                if closing == -1:
                    raise SplitError(f"unterminated dollar quote {tag.group(0)}", _line_at(text, index))
                index = closing + len(tag.group(0))
            else:
                index += 1
        else:  # BEGIN, CASE or END
            word = token.upper()
            atomic = _BEGIN_ATOMIC.match(text, index) if word == "BEGIN" else None
            if atomic:
                atomic_depth += 1
                index = atomic.end()
                continue
            if atomic_depth and word in ("BEGIN", "CASE"):
                atomic_depth += 1
            elif atomic_depth and word == "END":
                atomic_depth -= 1
            index = match.end()


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char in "_$"


def _skip_block_comment(text: str, index: int) -> int:
    """Offset just after the (possibly nested) /* comment opening at `index`."""
    depth, cursor = 1, index + 2
    while depth:
        mark = _COMMENT_MARK.search(text, cursor)
        if mark is None:
            raise SplitError("unterminated /* comment", _line_at(text, index))
        depth += 1 if mark.group(0) == "/*" else -1
        cursor = mark.end()
    return cursor


def _skip_quoted(text: str, index: int, rest: re.Pattern[str], kind: str) -> int:
    """Offset just after the closing quote of the literal opening at `index`."""
    closing = rest.match(text, index + 1)
    if closing is None:
        raise SplitError(f"unterminated quoted {kind}", _line_at(text, index))
    return closing.end()


_LEXICAL = re.compile(r"""['"$]|--|/\*""")


def line_comments(text: str) -> list[tuple[int, str]]:
    """Every `-- …` comment of the text as (offset, text without the dashes), skipping what only looks like
    one inside a string, quoted identifier, dollar quote or block comment (the same lexer as the splitter)."""
    comments: list[tuple[int, str]] = []
    length = len(text)
    index = 0
    while True:
        match = _LEXICAL.search(text, index)
        if match is None:
            return comments
        index = match.start()
        token = match.group(0)
        if token == "--":
            newline = text.find("\n", index)
            end = length if newline == -1 else newline
            comments.append((index, text[index + 2:end]))
            index = end
        elif token == "/*":
            index = _skip_block_comment(text, index)
        elif token == "'":
            escapes = index > 0 and text[index - 1] in "eE" and (index < 2 or not _is_word_char(text[index - 2]))
            index = _skip_quoted(text, index, _ESCAPE_STRING_REST if escapes else _STRING_REST, "string")
        elif token == '"':
            index = _skip_quoted(text, index, _IDENTIFIER_REST, "identifier")
        else:
            tag = _DOLLAR_TAG.match(text, index)
            if tag and not (index > 0 and _is_word_char(text[index - 1])):
                closing = text.find(tag.group(0), tag.end())
                if closing == -1:
                    raise SplitError(f"unterminated dollar quote {tag.group(0)}", _line_at(text, index))
                index = closing + len(tag.group(0))
            else:
                index += 1


def code_only(sql: str) -> str:
    """The statement with strings, quoted identifiers, dollar quotes and comments blanked to spaces (same
    length and line breaks), so a keyword search sees only the SQL's own words."""
    pieces: list[str] = []
    index = 0
    length = len(sql)
    while True:
        match = _LEXICAL.search(sql, index)
        if match is None:
            pieces.append(sql[index:])
            return "".join(pieces)
        start = match.start()
        token = match.group(0)
        if token == "--":
            newline = sql.find("\n", start)
            end = length if newline == -1 else newline
        elif token == "/*":
            end = _skip_block_comment(sql, start)
        elif token == "'":
            escapes = start > 0 and sql[start - 1] in "eE" and (start < 2 or not _is_word_char(sql[start - 2]))
            end = _skip_quoted(sql, start, _ESCAPE_STRING_REST if escapes else _STRING_REST, "string")
        elif token == '"':
            end = _skip_quoted(sql, start, _IDENTIFIER_REST, "identifier")
        else:
            tag = _DOLLAR_TAG.match(sql, start)
            if not tag or (start > 0 and _is_word_char(sql[start - 1])):
                pieces.append(sql[index:start + 1])
                index = start + 1
                continue
            closing = sql.find(tag.group(0), tag.end())
            end = length if closing == -1 else closing + len(tag.group(0))
        pieces.append(sql[index:start])
        # A quoted identifier stays a word (so `DROP TABLE "x"` still reads as dropping a table).
        filler = "Q" if token == '"' else " "
        blanked = sql[start:end]
        pieces.append(filler * len(blanked) if "\n" not in blanked
                      else "\n".join(filler * len(part) for part in blanked.split("\n")))
        index = end
