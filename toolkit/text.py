"""Text the toolkit prints or posts: from records anyone with access to the bucket, table or folder could have edited
(checkpoints, locks), and into Markdown (review comments, reports, module READMEs)."""

from __future__ import annotations

import html
import re

# Terminal escapes, bidirectional overrides (U+202E turns `lla.txt` into `txt.all` on screen), lone surrogates
# (unencodable: they crash every writer) and other characters that are not printable, newline and tab aside.
_HIDDEN = re.compile(r"[^\n\t\x20-\x7e\xa0-\u02ff]")


def plain(text: object) -> str:
    """`text` with control characters (terminal escapes, newlines) shown escaped, so printing it cannot rewrite
    the operator's screen or forge extra lines."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in str(text))


def cut(text: str, limit: int) -> str:
    """`text`, or its first `limit` - 1 characters and "…" when it is longer than `limit`."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def printable_lines(text: str) -> str:
    """`text` with every character `plain` escapes escaped, except newlines and tabs (for whole documents)."""
    if text.isascii() and text.isprintable():
        return text
    return _HIDDEN.sub(lambda match: match[0] if match[0].isprintable() else repr(match[0])[1:-1], text)


def md_fence(lines: list[str]) -> str:
    """A code-block fence (3 backticks at least) longer than any backtick run in `lines`, so none of them closes it."""
    return "`" * max(3, 1 + max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0))


def md_code(value: object) -> str:
    """`value` as Markdown inline code that its own backticks cannot close (a longer fence, padded when needed)."""
    text = str(value)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


# Markdown a record's text could add to a comment or a chat post: an image (`![i](https://…)` loads a tracking pixel),
# an inline link, a reference-style link (`[x]: https://…` defines it, `[click to approve][x]` uses it, even from
# another cell), or a mention (GitHub reads `@team` after any character that is not a word character: `x,@team`,
# `"@team"`, `[@team]`; so every `@` not after a word character is broken, `user@host` kept). The masked URL
# `…:(sensitive)@db` then reads `(sensitive)@&#8203;db`: shown the same, notifies no one.
_MARKUP = re.compile(r"!\[|\]\(|\]:|\]\[|(?<!\w)@(?=[\w-])")
_MARKUP_ENTITIES = {"![": "&#33;[", "](": "&#93;(", "]:": "&#93;:", "][": "&#93;[", "@": "@&#8203;"}


def md_cell(value: object) -> str:
    """`value` as the text of one Markdown table cell (or list line), the one escaper of the toolkit: control
    characters escaped as `plain` does, HTML special characters as entities, `|` as &#124;, line breaks as spaces,
    images, inline and reference-style links and mentions broken by an entity, so no value closes its cell, starts a
    row, adds markup or notifies anyone. Inside backticks entities show as typed: wrap the result in <code> instead."""
    text = plain(re.sub(r"\r\n|[\r\n]", " ", str(value)))
    text = html.escape(text, quote=False).replace("|", "&#124;")
    return _MARKUP.sub(lambda match: _MARKUP_ENTITIES[match[0]], text)
