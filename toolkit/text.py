"""Text the toolkit prints or posts: from records anyone with access to the bucket, table or folder could have edited
(checkpoints, locks), and into Markdown (review comments, reports, module READMEs)."""

from __future__ import annotations

import html
import re


def plain(text: object) -> str:
    """`text` with control characters (terminal escapes, newlines) shown escaped, so printing it cannot rewrite
    the operator's screen or forge extra lines."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in str(text))


def md_code(value: object) -> str:
    """`value` as Markdown inline code that its own backticks cannot close (a longer fence, padded when needed)."""
    text = str(value)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def md_cell(value: object) -> str:
    """`value` as the text of one Markdown table cell (or list line), the one escaper of the toolkit: HTML
    special characters as entities, `|` as &#124; and line breaks as spaces, so no value closes its cell, starts a
    row or adds markup. Inside backticks entities show as typed: wrap the result in <code> instead."""
    return re.sub(r"\r\n|[\r\n]", " ", html.escape(str(value), quote=False).replace("|", "&#124;"))
