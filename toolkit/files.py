"""Small file helpers shared by the library."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(target: Path, text: str) -> None:
    """Write a file so that readers see the old or the new content, never a partial one."""
    write_bytes_atomically(target, text.encode("utf-8"))


def write_bytes_atomically(target: Path, data: bytes, mode: int | None = None) -> None:
    """Binary twin of write_atomically (gzip'd data files): old or new content, never a partial one.
    The file is private (0600, from mkstemp) unless `mode` says otherwise (0644 for files shipped in git)."""
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        if mode is not None:
            os.fchmod(descriptor, mode)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def rewrite_in_place(target: Path, data: bytes) -> bool:
    """Overwrite an existing file within the space it already has (padded with spaces to its size): for when a new
    file cannot be written (the disk is full) and the content may be shorter than what was there. False when `data`
    does not fit; not atomic, so only for records whose trailing spaces any JSON reader ignores."""
    size = target.stat().st_size
    if len(data) > size:
        return False
    with target.open("r+b") as handle:
        handle.write(data + b" " * (size - len(data)))
        handle.flush()
        os.fsync(handle.fileno())
    return True


def describe_os_error(error: OSError, place: Path | str) -> str:
    """`PATH: No space left on device` for an OSError while writing under `place`."""
    return f"{error.filename or place}: {error.strerror or error}"
