"""Text from records anyone with access to the bucket, table or folder could have edited (checkpoints, locks)."""

from __future__ import annotations


def plain(text: object) -> str:
    """`text` with control characters (terminal escapes, newlines) shown escaped, so printing it cannot rewrite
    the operator's screen or forge extra lines."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in str(text))
