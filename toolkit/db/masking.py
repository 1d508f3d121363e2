"""Migration SQL as the toolkit may print it: string literals that may hold a secret replaced by the mask.

A statement that mentions a password, a secret or a token anywhere (`CREATE ROLE app LOGIN PASSWORD 'x'`,
`OPTIONS (user 'a', "password" 'x')`, `set_config('my.token', 'x', false)`) has every string literal masked,
whatever its quoting (`'x'`, `E'x'`, `U&'x'`, `$$x$$`, `$tag$x$tag$`) and whatever stands between the keyword and
the literal (`PASSWORD /* c */ 'x'`). The mention is looked for in the statement's letters alone, comments left
out and quotes, operators and spaces dropped, so `'pass'||'word=x'` mentions it too: masking a literal too many
costs a less readable plan, one too few a leaked password. Everything else goes through the toolkit's
shape-based masking (toolkit/secrets.py: URLs with a password, tokens, key=value pairs). Every place that echoes
a statement (db plan, a failure, the Lambda log line, lint, the rehearsal) prints it through here.
"""

from __future__ import annotations

import re

from toolkit.secrets import MASK, mask_text

# What ends a statement or hides text from the mention check, in the order PostgreSQL reads them. An unterminated
# comment, literal or quoted identifier (a statement's first line only, a truncated message) runs to the end: masked,
# not shown. A block comment's end is found by `_comment_end` (PostgreSQL nests `/* /* */ */`). A dollar tag is made
# of identifier characters (any letter, non-ASCII too, digits after the first, `_`), no `$`. A quoted identifier
# (`"o'brien"`, `"app.token;x"`) is a token of its own: its `'` opens no literal, its `;` ends no statement, its
# letters still count for the mention check.
# Out of scope: deliberate obfuscation by the migration's author (`U&"pass\0077ord"`, `chr(112)||…`): the author
# owns the secret; this masking keeps it from leaking into logs by accident.
_TOKENS = re.compile(
    r"(?P<comment>--[^\n]*|/\*)"
    r"|(?P<identifier>\"(?:[^\"]|\"\")*(?:\"|\Z))"
    r"|(?P<literal>(?<![\w$])[Ee]'(?:[^'\\]|\\.|'')*(?:'|\Z)"  # E'…': backslash escapes
    r"|'(?:[^']|'')*(?:'|\Z)"                                   # '…' and U&'…' (the U& stays outside)
    r"|(?P<tag>\$(?:[^\W\d][\w]*)?\$).*?(?:(?P=tag)|\Z))"
    r"|(?P<end>;)", re.DOTALL)
_COMMENT_MARK = re.compile(r"/\*|\*/")


def _comment_end(sql: str, start: int) -> int:
    """Where the block comment opened at `start` ends (nested comments included), or the end of `sql`."""
    depth, position = 0, start
    for mark in _COMMENT_MARK.finditer(sql, start):
        if mark.start() < position:
            continue  # `/*/`: the `*` already opened the comment
        depth += 1 if mark[0] == "/*" else -1
        position = mark.end()
        if depth == 0:
            return position
    return len(sql)


_MENTION = re.compile(r"password|passwd|secret|token|credential")
_NOT_LETTER = re.compile(r"[^a-z]+")


def _mentions_secret(pieces: list[str]) -> bool:
    return bool(_MENTION.search(_NOT_LETTER.sub("", "".join(pieces).lower())))


def _mask_literals(sql: str) -> str:
    out: list[str] = []
    statement: list[tuple[str, bool]] = []  # (text, is a literal) since the last `;`
    letters: list[str] = []                 # the statement without its comments, for the mention check

    def flush() -> None:
        secret = _mentions_secret(letters)
        out.extend(f"'{MASK}'" if literal and secret else text for text, literal in statement)
        statement.clear()
        letters.clear()

    position = 0
    while (match := _TOKENS.search(sql, position)) is not None:
        between = sql[position:match.start()]
        statement.append((between, False))
        letters.append(between)
        position = match.end()
        if match[0] == "/*":
            position = _comment_end(sql, match.start())
            statement.append((sql[match.start():position], False))
        elif match["comment"] is not None:
            statement.append((match[0], False))
        elif match["identifier"] is not None:
            # Its letters count; a JSON log line's `"ALTER ROLE app PASSWORD 'x'"` is masked inside too.
            quoted = match[0]
            closed = len(quoted) > 1 and quoted.endswith('"')
            inner = quoted[1:-1] if closed else quoted[1:]
            if _mentions_secret([inner]):
                quoted = '"' + _mask_literals(inner) + ('"' if closed else "")
            statement.append((quoted, False))
            letters.append(inner)
        elif match["literal"] is not None:
            statement.append((match[0], True))
            letters.append(match[0])
        else:
            statement.append((match[0], False))
            flush()
    tail = sql[position:]
    statement.append((tail, False))
    letters.append(tail)
    flush()
    return "".join(out)


def mask_sql(sql: str) -> str:
    """`sql` with every string literal of a statement that mentions a secret masked, and every secret-shaped
    value masked."""
    if _mentions_secret([sql]):
        sql = _mask_literals(sql)
    # Line by line: the shape-based scan then stays linear in the size of a big data migration.
    return "\n".join(mask_text(line) for line in sql.split("\n"))
