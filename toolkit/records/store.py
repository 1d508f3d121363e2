"""The storage every record of the toolkit is written to: a flat folder of named records (`Records`), on disk
(`LocalRecords`, the local backend) or beside the state in S3 (`S3Records`, encrypted like the state, in a
versioned bucket). Checkpoints (toolkit.records.checkpoints) and the journal (toolkit.records.journal) are
written against it; toolkit.records.places picks the place of an environment's records.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from toolkit.aws import ClientFactory, call, describe_aws_error, error_code
from toolkit.errors import ToolkitError
from toolkit.files import write_bytes_atomically

# A checkpoint or one run's journal is a few KiB; anything far larger in the shared prefix was put there by hand and
# is refused before it is read into memory.
MAX_RECORD_BYTES = 16 * 1024 * 1024
# A local journal is one file for every run of the environment (appended for years): a larger bound, still one.
MAX_LOCAL_JOURNAL_BYTES = 256 * 1024 * 1024


class Records(Protocol):
    """A flat folder of named records."""

    @property
    def location(self) -> str: ...

    def where(self, name: str) -> str: ...

    def put(self, name: str, body: bytes) -> None: ...

    def create(self, name: str, body: bytes) -> bool:
        """Write a record that must not exist yet, in one round trip; False (nothing written) when it does."""
        ...

    def get(self, name: str, limit: int = MAX_RECORD_BYTES) -> bytes | None:
        """The record, or None when there is none; a ToolkitError naming why for one larger than `limit` bytes
        (or, locally, one that is not a regular file in the folder)."""
        ...

    def names(self) -> list[str]: ...


@dataclass(frozen=True)
class LocalRecords:
    directory: Path

    @property
    def location(self) -> str:
        return str(self.directory)

    def where(self, name: str) -> str:
        return str(self.directory / name)

    def put(self, name: str, body: bytes) -> None:
        (self.directory / name).parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomically(self.directory / name, body)

    def rewrite_in_place(self, name: str, body: bytes) -> bool:
        """Rewrite an existing record within its own space (no new file: for a full disk); False if it does not
        fit. toolkit.files.rewrite_in_place."""
        from toolkit.files import rewrite_in_place

        return rewrite_in_place(self.directory / name, body)

    def create(self, name: str, body: bytes) -> bool:
        if (self.directory / name).exists():
            return False
        self.put(name, body)
        return True

    def get(self, name: str, limit: int = MAX_RECORD_BYTES) -> bytes | None:
        """The record's bytes, read only from a regular file of the folder: the folder is as open as a bucket, and a
        symlink (to /dev/zero, to a file outside), a FIFO (a read that never ends) or a file of gigabytes is refused
        with why, never read."""
        path = self.directory / name
        opened = self._open_regular(name)
        if opened is None:
            return None
        stream, size = opened
        with stream:
            if size > limit:
                raise ToolkitError(f"{path}: {size} bytes, more than any toolkit record ({limit} bytes at "
                                   "most): not read; it was not written by the toolkit")
            body = _read(stream, path, limit + 1)  # a file still growing is bounded too
        if len(body) > limit:
            raise ToolkitError(f"{path}: more than {limit} bytes, more than any toolkit record: not read")
        return body

    def get_tail(self, name: str, limit: int) -> tuple[bytes | None, int]:
        """The record's last `limit` bytes at most, from its first whole line, and how many bytes before them were
        not read (0 when all of it was): for the local journal, appended to by anyone who can write the folder, so
        a journal grown past its cap (junk appended during an incident) still lists its newest runs. Refused like
        `get` when it is no regular file of the folder."""
        path = self.directory / name
        opened = self._open_regular(name)
        if opened is None:
            return None, 0
        stream, size = opened
        with stream:
            if size <= limit:
                body = _read(stream, path, limit + 1)
                if len(body) <= limit:
                    return body, 0
                size = len(body)  # grown while read: its tail from here
            # From the byte before the tail: a line starting exactly there is whole, and kept.
            start = size - limit - 1
            try:
                stream.seek(start)
            except OSError as error:
                raise ToolkitError(f"{path}: {error.strerror or error}") from None
            body = _read(stream, path, limit + 1)
        newline = body.find(b"\n")
        kept = body[newline + 1:] if newline >= 0 else b""
        return kept, start + len(body) - len(kept)

    def _open_regular(self, name: str) -> tuple[BinaryIO, int] | None:
        """The record opened for reading and its size; None when it does not exist. Only a regular file of the
        folder is opened: a symlink, FIFO, device or folder is refused with why."""
        path = self.directory / name
        try:
            self._check_folders(name)
            # O_NOFOLLOW: a symlink is an error, not followed; O_NONBLOCK: opening a FIFO does not wait for a writer.
            handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            return None
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise ToolkitError(f"{path}: a symbolic link, not a record: not followed") from None
            raise ToolkitError(f"{path}: {error.strerror or error}") from None
        try:
            info = os.fstat(handle)
            if not stat.S_ISREG(info.st_mode):
                raise ToolkitError(f"{path}: not a regular file (a FIFO, device or folder): not read")
            return os.fdopen(handle, "rb"), info.st_size
        except OSError as error:
            os.close(handle)
            raise ToolkitError(f"{path}: {error.strerror or error}") from None
        except BaseException:
            os.close(handle)
            raise

    def _check_folders(self, name: str) -> None:
        # `<id>/terraform.tfvars`: O_NOFOLLOW guards the last part only, so a folder inside the store is checked too.
        parts = name.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folder = self.directory.joinpath(*parts[:depth])
            if folder.is_symlink():
                raise ToolkitError(f"{folder}: a symbolic link, not a folder of records: not followed")

    def names(self) -> list[str]:
        """Every entry but folders and dot-files: a symlink or FIFO is listed, so that reading it names why it is
        refused (`get`) instead of it being passed over unseen."""
        if not self.directory.is_dir():
            return []
        return sorted(entry.name for entry in self.directory.iterdir() if not entry.name.startswith(".")
                      and not (entry.is_dir() and not entry.is_symlink()))


@dataclass
class S3Records:
    """Objects under `prefix` (ending in "/") of the state bucket, encrypted like the state."""

    bucket: str
    prefix: str
    clients: ClientFactory
    encrypt: bool = True
    kms_key_id: str | None = None
    _versioning_checked: bool = field(default=False, repr=False)

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def where(self, name: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}{name}"

    def _check_versioning(self) -> None:
        # Records are rewritten (an apply's outcome after its start): without versions a bad write loses one,
        # and the state restore these records point at needs the state's versions anyway.
        if self._versioning_checked:
            return
        answer = call(f"s3:GetBucketVersioning {self.bucket}", self.clients("s3").get_bucket_versioning,
                      Bucket=self.bucket)
        if answer.get("Status") != "Enabled":
            raise self._not_versioned()
        self._versioning_checked = True

    def _not_versioned(self) -> ToolkitError:
        return ToolkitError(f"s3://{self.bucket}: bucket versioning is not enabled; the toolkit keeps checkpoints and "
                            "the rollback journal beside the state only in a versioned bucket (state restores need "
                            "the versions too): enable it (`python -m toolkit.engine.bootstrap ENV`, with "
                            "--real-aws outside the emulator, or aws s3api put-bucket-versioning) and retry")

    def put(self, name: str, body: bytes) -> None:
        self._check_versioning()
        self._put(name, body)

    def create(self, name: str, body: bytes) -> bool:
        # A conditional PutObject (If-None-Match: *), as the state lock takes its object: S3 answers 412 when the
        # key exists, so a new record costs one round trip instead of a read and a write. A new object overwrites
        # nothing, so the versioning check needs no call of its own: a versioned bucket answers with the object's
        # VersionId (an unversioned one with none, or "null" when versioning is suspended).
        try:
            answer = self._put(name, body, IfNoneMatch="*")
        except ToolkitError as error:
            if error_code(error.__cause__) in ("PreconditionFailed", "ConditionalRequestConflict"):
                return False
            raise
        if not self._versioning_checked:
            if answer.get("VersionId") in (None, "", "null"):
                # The new object overwrote nothing; it is named so that nobody wonders where it came from.
                raise ToolkitError(f"{self._not_versioned()} ({self.where(name)} was written before S3's answer "
                                   "showed this; it replaced nothing)")
            self._versioning_checked = True
        return True

    def _put(self, name: str, body: bytes, **condition: str) -> dict[str, Any]:
        request: dict[str, Any] = {"Bucket": self.bucket, "Key": self.prefix + name, "Body": body,
                                   "ContentType": "application/json", **condition}
        if self.encrypt:
            request.update({"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_key_id} if self.kms_key_id
                           else {"ServerSideEncryption": "AES256"})
        return call(f"s3:PutObject {self.where(name)}", self.clients("s3").put_object, **request)

    def get(self, name: str, limit: int = MAX_RECORD_BYTES) -> bytes | None:
        s3 = self.clients("s3")
        try:
            answer = call(f"s3:GetObject {self.where(name)}", s3.get_object, Bucket=self.bucket,
                          Key=self.prefix + name)
        except ToolkitError as error:
            if error_code(error.__cause__) in ("NoSuchKey", "404", "NotFound", "NoSuchBucket"):
                return None  # (no state bucket yet: no records either)
            raise
        size = int(answer.get("ContentLength") or 0)
        if size > limit:
            raise ToolkitError(f"{self.where(name)}: {size} bytes, more than any toolkit record "
                               f"({limit} bytes at most): not read; it was not written by the toolkit")
        body: bytes = answer["Body"].read(limit + 1)  # bounded even if the length said otherwise
        if len(body) > limit:
            raise ToolkitError(f"{self.where(name)}: more than {limit} bytes, more than any toolkit record: not read")
        return body

    def names(self) -> list[str]:
        return sorted(name for name in self._listing() if name and "/" not in name)

    def folders(self) -> dict[str, list[str]]:
        """The records of each folder under the prefix, from one listing: folder → names (sorted)."""
        found: dict[str, list[str]] = {}
        for name in self._listing():
            folder, _, record = name.partition("/")
            if folder and record and "/" not in record:
                found.setdefault(folder, []).append(record)
        return {folder: sorted(names) for folder, names in found.items()}

    def _listing(self) -> list[str]:
        s3 = self.clients("s3")
        found: list[str] = []
        try:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
                found += [item["Key"][len(self.prefix):] for item in page.get("Contents", [])]
        except Exception as error:  # botocore raises from the paginator, outside toolkit.aws.call

            if error_code(error) == "NoSuchBucket":
                return []  # no state bucket yet (before the first init): no records either
            raise ToolkitError(describe_aws_error(error, f"s3:ListObjectsV2 {self.location}")) from error
        return found


def _read(stream: BinaryIO, path: Path, size: int) -> bytes:
    try:
        return stream.read(size)
    except OSError as error:
        raise ToolkitError(f"{path}: {error.strerror or error}") from None
