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
# comment or literal (a statement's first line only, a truncated message) runs to the end: masked, not shown.
_TOKENS = re.compile(
    r"(?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))"
    r"|(?P<literal>(?<![\w$])[Ee]'(?:[^'\\]|\\.|'')*(?:'|\Z)"  # E'…': backslash escapes
    r"|'(?:[^']|'')*(?:'|\Z)"                                   # '…' and U&'…' (the U& stays outside)
    r"|(?P<tag>\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$).*?(?:(?P=tag)|\Z))"
    r"|(?P<end>;)", re.DOTALL)
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
    for match in _TOKENS.finditer(sql):
        between = sql[position:match.start()]
        statement.append((between, False))
        letters.append(between)
        position = match.end()
        if match["comment"] is not None:
            statement.append((match[0], False))
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
