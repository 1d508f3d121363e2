"""The terraform state lock of one environment: inspect it, take it, release it (`toolkit unlock`, rollback's
terraform-state step and any later state operation share this one implementation).

The kind is the one the environment pins (`backend.lock`), written exactly as Terraform's s3 backend writes it,
so the toolkit and terraform runs exclude each other:

- `s3` (Terraform >= 1.10, `use_lockfile = true`): the object `<key>.tflock` next to the state, created with a
  conditional PutObject (`If-None-Match: *`, Content-Type application/json) whose body is terraform's lock info
  JSON; S3 answers 412 PreconditionFailed when it exists. Released by reading it, checking the lock ID and
  deleting it.
- `dynamodb`: the item `LockID = <bucket>/<key>` with the same JSON in `Info`, put with
  `attribute_not_exists(LockID)`. The item `<bucket>/<key>-md5` holds the hex MD5 digest of the state, which
  terraform compares with the state it reads, so whoever writes the state also writes the digest.
- `both` (the migration between them): the lock file first, then the item; when the item cannot be taken the
  lock file is given back (terraform's order), so a run on either older kind is excluded.
- a local state: terraform's fcntl lock on the state file plus `.terraform.tfstate.lock.info`; the operating
  system drops it when its process ends, so it can never be left behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from toolkit.aws import ClientFactory, call, error_code
from toolkit.config.backend import state_key
from toolkit.errors import GuardError, LockError, ToolkitError
from toolkit.text import plain

LOCK_FILE_SUFFIX = ".tflock"
DIGEST_SUFFIX = "-md5"
# S3's answers to a conditional put that lost: the object exists (412), or another conditional write to the
# same key is in flight (409).
LOST_CONDITIONAL_PUT = ("PreconditionFailed", "ConditionalRequestConflict")

# How changing calls are made: toolkit.aws.call, or a wrapper with the same signature that journals them.
Invoke = Callable[..., Any]


@dataclass(frozen=True)
class LockInfo:
    """Terraform's lock description (statemgr.LockInfo): what the lock file, the lock item and the
    "Error acquiring the state lock" message carry."""

    id: str
    path: str = ""
    operation: str = ""
    who: str = ""
    version: str = ""
    created: str = ""
    info: str = ""

    @property
    def operation_name(self) -> str:
        """`OperationTypeApply` -> `apply`."""
        return self.operation.removeprefix("OperationType").lower() or "unknown operation"

    @property
    def host(self) -> str:
        """The machine of `Who` (terraform writes user@hostname)."""
        return self.who.rsplit("@", 1)[-1] if "@" in self.who else ""

    def describe(self) -> str:
        lines = [f"lock ID:   {self.id}", f"held by:   {self.who or 'unknown'}",
                 f"operation: {self.operation_name}", f"since:     {self.created or 'unknown'}"]
        if self.path:
            lines.append(f"state:     {self.path}")
        if self.version:
            lines.append(f"terraform: {self.version}")
        if self.info:
            lines.append(f"info:      {self.info}")
        return "\n".join(f"  {line}" for line in lines)

    def to_json(self) -> str:
        """The JSON terraform writes (Go's field order and names)."""
        return json.dumps({"ID": self.id, "Operation": self.operation, "Info": self.info, "Who": self.who,
                           "Version": self.version, "Created": self.created, "Path": self.path},
                          separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> LockInfo:
        """Read a lock description written by anyone with access to the bucket or table: control characters
        (terminal escapes) are replaced, so showing it cannot rewrite the operator's screen."""
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than any lock info (`[[[…`)
            data = None
        if not isinstance(data, dict):
            return cls(id="(unreadable)", info=f"not terraform lock info: {str(text)[:80]!r}")
        fields = {name: plain(str(data.get(key, ""))) for name, key in
                  (("id", "ID"), ("path", "Path"), ("operation", "Operation"), ("who", "Who"),
                   ("version", "Version"), ("created", "Created"), ("info", "Info"))}
        return cls(**fields)

    @classmethod
    def new(cls, operation: str, who: str, info: str, path: str = "") -> LockInfo:
        """A fresh lock description for the toolkit's own state operations."""
        from toolkit import __version__

        created = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        return cls(id=str(uuid.uuid4()), path=path, operation=operation, who=who,
                   version=f"toolkit {__version__}", created=created, info=info)


@dataclass(frozen=True)
class HeldLock:
    """A lock found in place, and where (the lock file, the table item, or both)."""

    info: LockInfo
    where: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.info.describe()}\n  found in:  {', '.join(self.where)}"


class StateLockHeld(LockError):
    """The lock could not be taken: someone holds it."""

    def __init__(self, message: str, holder: HeldLock | None) -> None:
        super().__init__(message)
        self.holder = holder


def _held_message(state: str, holders: list[HeldLock]) -> str:
    if not holders:
        return f"the state {state} is locked (the holder let go while it was being read): retry"
    return f"the state {state} is locked by:\n" + "\n".join(holder.describe() for holder in holders)


@dataclass
class S3StateLock:
    """The lock of a state object in S3, of the pinned kind (`s3`, `dynamodb` or `both`)."""

    kind: str
    bucket: str
    key: str
    table: str | None
    clients: ClientFactory
    encrypt: bool = True
    kms_key_id: str | None = None
    invoke: Invoke = field(default=call)

    def __post_init__(self) -> None:
        if self.kind not in ("s3", "dynamodb", "both"):
            raise ToolkitError(f"unknown lock kind {self.kind!r} (s3, dynamodb or both)")
        if self.kind != "s3" and not self.table:
            raise ToolkitError(f"lock kind {self.kind} needs a DynamoDB table")

    @property
    def lock_path(self) -> str:
        """LockID of the table item and `Path` of the lock info."""
        return f"{self.bucket}/{self.key}"

    @property
    def lock_file_key(self) -> str:
        return f"{self.key}{LOCK_FILE_SUFFIX}"

    @property
    def digest_id(self) -> str:
        return f"{self.lock_path}{DIGEST_SUFFIX}"

    @property
    def uses_lock_file(self) -> bool:
        return self.kind in ("s3", "both")

    @property
    def uses_table(self) -> bool:
        return self.kind in ("dynamodb", "both")

    @property
    def lock_file_location(self) -> str:
        return f"s3://{self.bucket}/{self.lock_file_key}"

    @property
    def item_location(self) -> str:
        return f"DynamoDB {self.table}: LockID={self.lock_path}"

    @property
    def state(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def describe_kind(self) -> str:
        places = ([self.lock_file_location] if self.uses_lock_file else []) + \
                 ([self.item_location] if self.uses_table else [])
        return f"lock {self.kind} ({' and '.join(places)})"

    # Inspect ---------------------------------------------------------------------------------

    def _read_lock_file(self) -> LockInfo | None:
        read = self._read_lock_object()
        return read[0] if read else None

    def _read_lock_object(self) -> tuple[LockInfo, str | None] | None:
        """The lock file's info and its ETag (what a release deletes only if still there)."""
        s3 = self.clients("s3")
        try:
            answer = call("s3:GetObject", s3.get_object, Bucket=self.bucket,
                          Key=self.lock_file_key)
        except ToolkitError as error:
            if error_code(error.__cause__) in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        return LockInfo.from_json(answer["Body"].read()), answer.get("ETag")

    def _read_item(self) -> tuple[LockInfo, dict[str, Any]] | None:
        dynamodb = self.clients("dynamodb")
        item = call("dynamodb:GetItem", dynamodb.get_item, TableName=self.table,
                    Key={"LockID": {"S": self.lock_path}}, ConsistentRead=True).get("Item")
        if not item:
            return None
        return LockInfo.from_json(item.get("Info", {}).get("S", "")), item

    def inspect(self) -> list[HeldLock]:
        """Every holder in place (one, normally; two different IDs only after a mixed-up migration)."""
        found: list[tuple[LockInfo, str]] = []
        if self.uses_lock_file:
            info = self._read_lock_file()
            if info:
                found.append((info, self.lock_file_location))
        if self.uses_table:
            read = self._read_item()
            if read:
                found.append((read[0], self.item_location))
        holders: dict[str, HeldLock] = {}
        for info, where in found:
            known = holders.get(info.id)
            holders[info.id] = HeldLock(info, (*known.where, where)) if known else HeldLock(info, (where,))
        return list(holders.values())

    # Take ------------------------------------------------------------------------------------

    def take(self, info: LockInfo) -> None:
        """Take the lock for `info` (its Path is set to this state); StateLockHeld names the holder."""
        if self.uses_lock_file:
            self._take_lock_file(info)
        if self.uses_table:
            try:
                self._take_item(info)
            except BaseException:
                if self.uses_lock_file:
                    self._delete_lock_file(info.id)
                raise

    def encryption(self) -> dict[str, str]:
        """The server-side encryption terraform's S3 backend asks for on the objects it writes (backend.encrypt)."""
        if not self.encrypt:
            return {}
        return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_key_id} if self.kms_key_id else \
            {"ServerSideEncryption": "AES256"}

    def _take_lock_file(self, info: LockInfo) -> None:
        s3 = self.clients("s3")
        request: dict[str, Any] = {"Bucket": self.bucket, "Key": self.lock_file_key, "Body": info.to_json().encode(),
                                   "ContentType": "application/json", "IfNoneMatch": "*", **self.encryption()}
        try:
            self.invoke("s3:PutObject", s3.put_object, **request)
        except ToolkitError as error:
            if error_code(error.__cause__) not in LOST_CONDITIONAL_PUT:
                raise
            raise StateLockHeld(_held_message(self.state, self.inspect()), self._first_holder()) from None

    def _take_item(self, info: LockInfo) -> None:
        dynamodb = self.clients("dynamodb")
        try:
            self.invoke("dynamodb:PutItem", dynamodb.put_item,
                        TableName=self.table, Item={"LockID": {"S": self.lock_path}, "Info": {"S": info.to_json()}},
                        ConditionExpression="attribute_not_exists(LockID)")
        except ToolkitError as error:
            if error_code(error.__cause__) != "ConditionalCheckFailedException":
                raise
            raise StateLockHeld(_held_message(self.state, self.inspect()), self._first_holder()) from None

    def _first_holder(self) -> HeldLock | None:
        holders = self.inspect()
        return holders[0] if holders else None

    # Release ---------------------------------------------------------------------------------

    def release(self, lock_id: str) -> list[str]:
        """Release the lock with this ID wherever it is; a different lock in place is left alone (error).

        Returns where it was released."""
        released: list[str] = []
        if self.uses_lock_file and self._delete_lock_file(lock_id):
            released.append(self.lock_file_location)
        if self.uses_table and self._delete_item(lock_id):
            released.append(self.item_location)
        return released

    def _delete_lock_file(self, lock_id: str) -> bool:
        read = self._read_lock_object()
        if read is None:
            return False
        current, etag = read
        if current.id != lock_id:
            raise LockError(f"{self.lock_file_location}: lock {lock_id} is not the current lock (held by "
                            f"{current.who or 'unknown'}, ID {current.id}): left in place")
        s3 = self.clients("s3")
        # Conditional on the exact object read (S3 conditional delete), so a lock another run took after another
        # operator's release in between is never deleted. (Terraform itself deletes unconditionally.)
        try:
            self.invoke("s3:DeleteObject", s3.delete_object, Bucket=self.bucket, Key=self.lock_file_key,
                        **({"IfMatch": etag} if etag else {}))
        except ToolkitError as error:
            if error_code(error.__cause__) in ("NoSuchKey", "404", "NotFound"):
                return False  # released by someone else in between
            if error_code(error.__cause__) not in LOST_CONDITIONAL_PUT:
                raise
            taken = self._read_lock_file()
            raise LockError(f"{self.lock_file_location}: lock {lock_id} was released by someone else and the "
                            f"state locked again (by {taken.who if taken else 'unknown'}, ID "
                            f"{taken.id if taken else '?'}) while releasing: left in place") from None
        return True

    def _delete_item(self, lock_id: str) -> bool:
        read = self._read_item()
        if read is None:
            return False
        current, item = read
        if current.id != lock_id:
            raise LockError(f"{self.item_location}: lock {lock_id} is not the current lock (held by "
                            f"{current.who or 'unknown'}, ID {current.id}): left in place")
        dynamodb = self.clients("dynamodb")
        # Conditional on the exact item read, so a lock taken in between is never deleted.
        condition: dict[str, Any] = {"ConditionExpression": "Info = :info",
                                     "ExpressionAttributeValues": {":info": item["Info"]}} if "Info" in item \
            else {"ConditionExpression": "attribute_not_exists(Info)"}
        self.invoke("dynamodb:DeleteItem", dynamodb.delete_item, TableName=self.table,
                    Key={"LockID": {"S": self.lock_path}}, **condition)
        return True

    @contextlib.contextmanager
    def held(self, info: LockInfo) -> Iterator[LockInfo]:
        """Hold the lock for the block; released whatever happens inside."""
        info = dataclasses.replace(info, path=self.lock_path)
        self.take(info)
        try:
            yield info
        finally:
            self.release(info.id)

    # The digest terraform checks (table kinds only) --------------------------------------------

    def write_digest(self, state_body: bytes) -> str | None:
        """Record the MD5 of the state just written, as terraform does; None when the kind keeps no digest."""
        if not self.uses_table:
            return None
        digest = hashlib.md5(state_body).hexdigest()  # terraform's own digest: MD5 of the state bytes
        dynamodb = self.clients("dynamodb")
        self.invoke("dynamodb:PutItem", dynamodb.put_item,
                    TableName=self.table, Item={"LockID": {"S": self.digest_id}, "Digest": {"S": digest}})
        return digest


@dataclass
class LocalStateLock:
    """Terraform's lock of a local state file: an fcntl lock on the file, described in .lock.info beside it."""

    state_path: Path

    @property
    def info_path(self) -> Path:
        return self.state_path.with_name(f".{self.state_path.name}.lock.info")

    @property
    def kind(self) -> str:
        return "local"

    def describe_kind(self) -> str:
        return f"terraform's file lock on {self.state_path}"

    def inspect(self) -> list[HeldLock]:
        if not self.state_path.is_file():
            return []
        with self.state_path.open("rb") as handle:
            try:
                fcntl.lockf(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                return self._described_holder()
            fcntl.lockf(handle, fcntl.LOCK_UN)
        return []

    @contextlib.contextmanager
    def held(self, info: LockInfo) -> Iterator[IO[bytes]]:
        """Hold the lock; yields the open state file (read/write) to work on under it."""
        try:
            handle = self.state_path.open("r+b")
        except OSError as error:
            raise ToolkitError(f"{self.state_path}: {error.strerror or error}") from None
        with handle:
            try:
                fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holders = self._described_holder()
                raise StateLockHeld(_held_message(str(self.state_path), holders), holders[0]) from None
            self.info_path.write_text(dataclasses.replace(info, path=str(self.state_path)).to_json(),
                                      encoding="utf-8")
            try:
                yield handle
            finally:
                self.info_path.unlink(missing_ok=True)

    def _described_holder(self) -> list[HeldLock]:
        """The holder as its .lock.info describes it (terraform writes one beside the locked file)."""
        text = self.info_path.read_text(encoding="utf-8") if self.info_path.is_file() else ""
        info = LockInfo.from_json(text) if text else LockInfo(id="(unknown)", who="another process")
        return [HeldLock(info, (str(self.state_path),))]

    def release(self, lock_id: str) -> list[str]:
        raise GuardError(f"{self.state_path} is locked by a running process: a local state lock belongs to that "
                         "process and ends with it; stop that run (Ctrl-C lets terraform save the state) instead")


StateLock = S3StateLock | LocalStateLock


def backend_clients(config: Any, clients: ClientFactory | None = None) -> ClientFactory:
    """Clients for the environment's S3 backend (its region and emulator endpoint); `clients` is kept when it
    already fits, else its endpoint and call recorder carry over."""
    backend = config.settings.backend
    region = backend.region or config.settings.aws_region
    endpoint = os.environ.get(backend.endpoint_from_env) if backend.endpoint_from_env else None
    if clients is None or clients.region != region or (endpoint and endpoint != clients.endpoint_url):
        clients = ClientFactory(region=region, endpoint_url=endpoint or (clients.endpoint_url if clients else None),
                                **({"recorder": clients.recorder} if clients else {}))
    return clients


def state_lock_for(project: Any, config: Any, *, clients: ClientFactory | None = None, invoke: Invoke = call,
                   bucket: str | None = None, key: str | None = None) -> StateLock:
    """The lock of an environment's state, of the kind its file pins (`bucket`/`key`: another state object
    of the environment, e.g. the one a checkpoint recorded)."""
    backend = config.settings.backend
    if backend.type == "local":
        return LocalStateLock(project.state_dir(config.name) / "terraform.tfstate")
    clients = backend_clients(config, clients)
    return S3StateLock(kind=str(backend.lock), bucket=bucket or str(backend.bucket), key=key or state_key(config),
                       table=backend.dynamodb_table, clients=clients, encrypt=backend.encrypt,
                       kms_key_id=backend.kms_key_id, invoke=invoke)
