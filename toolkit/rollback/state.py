"""Restore the terraform state version recorded in the checkpoint, holding terraform's own state lock.

A restore is a new state version, as terraform treats serials (`terraform state push` refuses a lower one): the
old state's content is written with its lineage kept and its serial set to the current serial + 1, so a serial
names one state (rollback's history, and terraform's stale-plan check, tell states apart by it).
S3 backend: the checkpoint's object version of the state key, at the new serial, is put on top of the key, so the
replaced state stays in the bucket's version history. The lock is the one the
environment pins (toolkit.state.lock: the `<key>.tflock` lock file written with If-None-Match, the DynamoDB
item `LockID = <bucket>/<key>`, or both), taken exactly like terraform does; with a lock table the
`<bucket>/<key>-md5` digest item is updated so terraform accepts the restored state.
Local backend: the checkpoint's backup, at the new serial, is written into the state file under terraform's local
lock (fcntl + .lock.info), after a copy of the replaced state is kept next to it.
Both refuse a state of another lineage, and a "restore" that would move to a newer serial.
"""

from __future__ import annotations

import decimal
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.aws import call, error_code
from toolkit.clock import utc_now
from toolkit.config.backend import state_key
from toolkit.errors import LockError, ToolkitError
from toolkit.plans.stateful import STATEFUL_RESOURCE_TYPES
from toolkit.records.checkpoints import StateVersion
from toolkit.rollback.base import Change, RunContext, Step, StepPlan
from toolkit.rollback.history import LOCAL_STATE_WRITE, STATE_WRITE, check_history
from toolkit.state.local_runs import runs_of
from toolkit.state.lock import HeldLock, LocalStateLock, LockInfo, S3StateLock, StateLockHeld, state_lock_for
from toolkit.text import plain

LOCK_OPERATION = "OperationTypeToolkitRollback"
# Runs before the restore wrote a new serial copied the old version (CopyObject); their journals still undo.
OLD_STATE_WRITE = "s3:CopyObject"
IMPACT_SHOWN = 200


def state_resources(document: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    """Managed resource instances of a state document: address → (type, the id to find or import it by)."""
    from toolkit.engine.pre_apply import IMPORT_ID_ATTRIBUTES

    found: dict[str, tuple[str, str | None]] = {}
    for resource in document.get("resources") or []:
        if resource.get("mode", "managed") != "managed":
            continue
        kind = str(resource.get("type"))
        base = f"{resource['module']}.{kind}.{resource.get('name')}" if resource.get("module") else \
            f"{kind}.{resource.get('name')}"
        for instance in resource.get("instances") or []:
            key = instance.get("index_key")
            address = base + (f"[{key}]" if isinstance(key, int) else f"[{json.dumps(key)}]" if key is not None
                              else "")
            attributes = instance.get("attributes") or {}
            identifier = attributes.get(IMPORT_ID_ATTRIBUTES.get(kind, "id")) or attributes.get("id")
            found[address] = (kind, str(identifier) if isinstance(identifier, str | int) else None)
    return found


def impact_sections(current: dict[str, Any], target: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """What the restore does to the state's resources: those that leave it (they stay in AWS, unmanaged: the next
    plan would create them again) and those that come back (the state will claim them whether or not they exist),
    stateful ones marked."""
    from toolkit.secrets import mask_text

    now, then = state_resources(current), state_resources(target)

    def lines(addresses: list[str], found: dict[str, tuple[str, str | None]], stateful_hint: str) -> list[str]:
        shown = []
        for address in addresses[:IMPACT_SHOWN]:
            kind, identifier = found[address]
            mark = f"  STATEFUL: {stateful_hint}" if kind in STATEFUL_RESOURCE_TYPES else ""
            shown.append(mask_text(f"{address} (id {identifier or 'unknown'}){mark}"))
        if len(addresses) > IMPACT_SHOWN:
            shown.append(f"… and {len(addresses) - IMPACT_SHOWN} more")
        return shown

    leaving = sorted(set(now) - set(then))
    returning = sorted(set(then) - set(now))
    sections: list[tuple[str, list[str]]] = []
    if leaving:
        stateful = sum(1 for address in leaving if now[address][0] in STATEFUL_RESOURCE_TYPES)
        sections.append((f"leave the state: {len(leaving)} resource(s), {stateful} stateful; they stay in AWS, "
                         "no longer managed (the next plan would create them again: import or delete them)",
                         lines(leaving, now, "its data stays in AWS, unmanaged")))
    if returning:
        stateful = sum(1 for address in returning if then[address][0] in STATEFUL_RESOURCE_TYPES)
        sections.append((f"come back into the state: {len(returning)} resource(s), {stateful} stateful; the state "
                         "will claim them again (if they were destroyed the next plan recreates them, empty)",
                         lines(returning, then, "if it was destroyed, its data is not restored by this step")))
    if not sections:
        sections.append(("resources", ["none leaves or comes back into the state (only attributes differ)"]))
    return sections


# Terraform's serial is a uint64 in its state format but an int64 in places (and Go's JSON reads it as one): a
# restore never writes past it.
MAX_SERIAL = 2**63 - 1
_SERIAL = re.compile(rb'("serial"\s*:\s*)(\d+)')


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _exact(body: bytes) -> Any:
    """`body` parsed without losing anything: numbers with a fraction or exponent as Decimal, NaN/Infinity refused."""
    return json.loads(body, parse_float=decimal.Decimal, parse_constant=_refuse_constant)


def parse_state(body: bytes, where: str) -> tuple[str, int]:
    """Lineage and serial of a state document (a whole number 0 or more, as terraform writes it)."""
    try:
        document = _exact(body)
        lineage, serial = document["lineage"], document["serial"]
    except (ValueError, KeyError, TypeError, OverflowError, RecursionError, decimal.DecimalException):
        raise ToolkitError(f"{plain(where)}: not a terraform state document (no lineage/serial)") from None
    if not isinstance(lineage, str) or type(serial) is not int or not 0 <= serial <= MAX_SERIAL:
        raise ToolkitError(f"{plain(where)}: not a terraform state document (lineage {plain(repr(lineage))[:80]}, "
                           f"serial {plain(repr(serial))[:80]}: a string and a whole number 0 to {MAX_SERIAL} are "
                           "needed)")
    return lineage, serial


def _with_serial(body: bytes, serial: int) -> bytes | None:
    """`body`'s own bytes with only its top-level serial's digits replaced by `serial`; None when that cannot be
    shown to be exactly so (the first `"serial": N` is not the top-level one, or the document does not parse)."""
    match = _SERIAL.search(body)
    if match is None:
        return None
    result = body[:match.start(2)] + str(serial).encode() + body[match.end(2):]
    try:
        original, changed = _exact(body), _exact(result)
    except (ValueError, TypeError, OverflowError, RecursionError, decimal.DecimalException):
        return None
    if not isinstance(original, dict) or not isinstance(changed, dict) or type(changed.get("serial")) is not int \
            or changed["serial"] != serial:
        return None
    original.pop("serial", None)
    changed.pop("serial", None)
    return result if _same(original, changed) else None


def _same(one: Any, other: Any) -> bool:
    """Equal as JSON values: true is not 1, 1 is not 1.0 (Python's == says both are)."""
    if type(one) is not type(other):
        return False
    if isinstance(one, dict):
        return one.keys() == other.keys() and all(_same(one[key], other[key]) for key in one)
    if isinstance(one, list):
        return len(one) == len(other) and all(_same(a, b) for a, b in zip(one, other, strict=True))
    return bool(one == other)


def at_serial(body: bytes, serial: int, where: str) -> bytes:
    """The state document `body` (from `where`) with its serial set to `serial`: its own bytes, only the top-level
    serial's digits replaced (never re-serialised: that would round numbers and could write invalid JSON)."""
    if type(serial) is not int or not 0 <= serial <= MAX_SERIAL:
        raise ToolkitError(f"{plain(where)}: the restore would write serial {serial}, past terraform's largest "
                           f"({MAX_SERIAL}): refusing to restore; nothing was changed")
    result = _with_serial(body, serial)
    if result is None:
        raise ToolkitError(f"{plain(where)}: its serial cannot be replaced without rewriting the document (the first "
                           '"serial" in it is not the top-level one, or it does not parse exactly): refusing to '
                           "re-serialise the state; nothing was changed; restore it by hand")
    return result


def same_content(first: bytes, second: bytes) -> bool:
    """Whether two state documents are the same bytes but for the top-level serial (a restored state is at a new
    one). A formatting difference counts as different: restoring the same content at a new serial is harmless."""
    one, other = _with_serial(first, 0), _with_serial(second, 0)
    return one is not None and one == other


def check_lineage_and_serial(current: tuple[str, int], target: tuple[str, int], target_name: str) -> None:
    # Lineages, serials and the target's name come from documents and records anyone with access can edit: escaped.
    if current[0] != target[0]:
        raise ToolkitError(f"{plain(target_name)} has lineage {plain(target[0])} but the current state has lineage "
                           f"{plain(current[0])}: they are different states; refusing to restore")
    if target[1] > current[1]:
        raise ToolkitError(f"{plain(target_name)} has serial {plain(target[1])}, newer than the current serial "
                           f"{plain(current[1])}: "
                           "refusing to move the state forward")


def new_lock_info(run: RunContext) -> LockInfo:
    """The lock description this run writes (terraform prints it to anyone who finds the state locked)."""
    return LockInfo.new(LOCK_OPERATION, run.who, f"toolkit rollback run {run.run_id} (pid {os.getpid()})")


def describe_holders(holders: list[HeldLock]) -> str:
    return "; ".join(f"{holder.info.who or 'unknown'} ({holder.info.operation or '?'}, since "
                     f"{holder.info.created or '?'}, ID {holder.info.id})" for holder in holders)


@dataclass(frozen=True)
class UndoTarget:
    """`--undo RUN_ID`: put back the state a terraform-state run replaced, if the state is still what it wrote."""

    run_id: str
    version: StateVersion             # the replaced state (S3 version id, or the kept local copy)
    written_digest: str               # digest of what that run wrote (MD5 for S3, SHA-256 for a local file)


class TerraformStateStep(Step):
    name = "terraform-state"
    tier = "short"
    title = "Restore the terraform state version recorded in the checkpoint (under the state lock)"

    def __init__(self, undo: UndoTarget | None = None) -> None:
        self.undo = undo
        if undo is not None:
            self.title = f"Put back the state that rollback run {undo.run_id} replaced (under the state lock)"

    def plan(self, run: RunContext) -> StepPlan:
        plan = StepPlan(self.name)
        version = self.undo.version if self.undo else run.checkpoint.state
        if version is None:
            plan.already.append(f"checkpoint {run.checkpoint.id} records no state version (the environment had no "
                                "state before that apply): nothing to do")
            return plan
        if version.backend == "s3":
            self._plan_s3(run, version, plan)
        else:
            self._plan_local(run, version, plan)
        if self.undo is None:
            schema_section(run, plan)
        return plan

    def execute(self, run: RunContext, plan: StepPlan) -> list[str]:
        if plan.data["backend"] == "s3":
            return self._execute_s3(run, plan)
        return self._execute_local(run, plan)

    # S3 backend ------------------------------------------------------------------------------

    def _lock(self, run: RunContext, bucket: str, key: str) -> S3StateLock:
        """The environment's pinned lock on this state object; its changing calls are journaled."""

        def journaled(action: str, function: Any, **request: Any) -> Any:
            summary = {name: value for name, value in request.items() if name != "Body"}
            return run.act(self.name, action, function, summary, **request)

        lock = state_lock_for(run.project, run.config, clients=run.clients, invoke=journaled, bucket=bucket, key=key)
        if not isinstance(lock, S3StateLock):
            raise ToolkitError(f"checkpoint {run.checkpoint.id} records an S3 state, but envs/{run.environment}.yaml "
                               "now uses a local backend: restore it by hand")
        return lock

    def _plan_s3(self, run: RunContext, version: StateVersion, plan: StepPlan) -> None:
        if not (version.s3_bucket and version.s3_key and version.s3_version_id):
            raise ToolkitError(f"checkpoint {run.checkpoint.id}: the S3 state pointer is incomplete "
                               "(bucket, key and version id are needed)")
        bucket, key, wanted = version.s3_bucket, version.s3_key, version.s3_version_id
        lock = self._lock(run, bucket, key)
        # The pointer comes from a record anyone with bucket access can edit: restore only this environment's state.
        own = state_lock_for(run.project, run.config, clients=run.clients)
        if isinstance(own, S3StateLock) and (bucket, key) != (own.bucket, own.key):
            source = f"rollback run {self.undo.run_id}'s journal" if self.undo else f"checkpoint {run.checkpoint.id}"
            raise ToolkitError(f"{source} points at {plain(f's3://{bucket}/{key}')}, but the state of "
                               f"{run.environment} is {plain(f's3://{own.bucket}/{own.key}')}: refusing to restore "
                               "another state object; nothing was changed")
        s3 = lock.clients("s3")
        location = plain(f"s3://{bucket}/{key}")  # from a record: escaped in every message
        wanted_shown = plain(wanted)
        holders = lock.inspect()
        current = call("s3:GetObject", s3.get_object, Bucket=bucket, Key=key)
        current_version = current.get("VersionId")
        current_body = current["Body"].read()
        current_ls = parse_state(current_body, f"{location} (version {current_version})")
        if current_version == wanted:
            plan.already.append(f"{location}: already at version {wanted_shown} (serial {current_ls[1]}): nothing "
                                "to do")
            return
        try:
            target = call("s3:GetObject", s3.get_object, Bucket=bucket, Key=key, VersionId=wanted)
        except ToolkitError as error:
            raise ToolkitError(f"{location}: the checkpoint's version {wanted_shown} cannot be read: {error}") from None
        target_body = target["Body"].read()
        target_ls = parse_state(target_body, f"{location} (version {wanted_shown})")
        if same_content(target_body, current_body):
            plan.already.append(f"{location}: current version {current_version} (serial {current_ls[1]}) already "
                                f"holds the content of version {wanted_shown} (serial {target_ls[1]}): nothing to do")
            return
        self._check_target(run, plan, (current_body, current_ls), (target_body, target_ls), f"version {wanted_shown}",
                           hashlib.md5(current_body).hexdigest())
        serial = current_ls[1] + 1
        body = at_serial(target_body, serial, f"{location} (version {wanted_shown})")
        digest = hashlib.md5(body).hexdigest()  # terraform's own digest: MD5 of the state bytes
        held = f"held by {describe_holders(holders)}" if holders else "unlocked"
        if lock.uses_lock_file:
            plan.changes.append(Change("s3:PutObject", lock.lock_file_location, held,
                                       "locked by this run (If-None-Match: *; released at the end)"))
        if lock.uses_table:
            plan.changes.append(Change("dynamodb:PutItem", f"{lock.table}: LockID={lock.lock_path}", held,
                                       "locked by this run (conditional put; released at the end)"))
        plan.changes.append(Change("s3:PutObject", location, f"version {current_version} (serial {current_ls[1]})",
                                   f"the content of version {wanted_shown} (serial {target_ls[1]}, lineage "
                                   f"{plain(target_ls[0])}) as serial {serial}"))
        if lock.uses_table:
            plan.changes.append(Change("dynamodb:PutItem", f"{lock.table}: LockID={lock.digest_id}", "digest of the "
                                       "current state", f"Digest={digest}"))
        plan.notes.append(f"the replaced version {current_version} stays in the bucket's version history; the "
                          f"journal records it: `toolkit rollback {run.environment} --undo RUN_ID` puts it back")
        plan.notes.append(f"taken under the environment's {lock.describe_kind()}")
        if holders:
            plan.notes.append(f"the state is locked by {describe_holders(holders)}: the step stops until the lock "
                              "is released")
        plan.data.update(backend="s3", bucket=bucket, key=key, wanted=wanted, current_version=current_version,
                         digest=digest, serial=target_ls[1], replaced_serial=current_ls[1], body=body,
                         restored_serial=serial)

    def _execute_s3(self, run: RunContext, plan: StepPlan) -> list[str]:
        data = plan.data
        lock = self._lock(run, data["bucket"], data["key"])
        s3 = lock.clients("s3")
        location = plain(f"s3://{data['bucket']}/{data['key']}")
        info = new_lock_info(run)
        try:
            with runs_of(run.project, run.environment).registered(os.getpid(), f"toolkit rollback {self.name}",
                                                                   info.id), lock.held(info):
                head = call("s3:HeadObject", s3.head_object, Bucket=data["bucket"], Key=data["key"])
                if head.get("VersionId") != data["current_version"]:
                    raise ToolkitError(f"{location} changed since it was read (now version {head.get('VersionId')}, "
                                       f"planned from {data['current_version']}): nothing restored; run the step "
                                       "again")
                # The journal keeps what was replaced (and what was written): `--undo RUN_ID` reads it back. Written
                # once before the write too, so a run killed right after it can still be undone (--undo checks
                # that the state is exactly what it wrote, so a write that never happened is not "undone").
                summary = {"bucket": data["bucket"], "key": data["key"], "source_version": data["wanted"],
                           "replaced_version": data["current_version"], "replaced_serial": data["replaced_serial"],
                           "restored_serial": data["restored_serial"], "written_md5": data["digest"]}
                run.record(step=self.name, event="action", action=STATE_WRITE, request=summary, result="started")
                written = run.act(self.name, STATE_WRITE, s3.put_object, summary, Bucket=data["bucket"],
                                  Key=data["key"], Body=data["body"], ContentType="application/json",
                                  **lock.encryption())
                restored = call("s3:GetObject", s3.get_object, Bucket=data["bucket"], Key=data["key"])
                body = restored["Body"].read()
                if hashlib.md5(body).hexdigest() != data["digest"]:
                    raise ToolkitError(f"{location}: the current object does not match what was written (the content "
                                       f"of version {plain(data['wanted'])} at serial {data['restored_serial']})")
                lock.write_digest(body)
        except StateLockHeld as error:
            raise LockError(f"{error}\nnothing restored; wait for that run or release it with "
                            f"`toolkit unlock {run.environment}`") from None
        return [f"{location}: now version {written.get('VersionId') or restored.get('VersionId')} = the content of "
                f"{plain(data['wanted'])} (serial {data['serial']}) as serial {data['restored_serial']}, verified; "
                f"replaced version {data['current_version']} kept"]

    def _check_target(self, run: RunContext, plan: StepPlan, current: tuple[bytes, tuple[str, int]],
                      target: tuple[bytes, tuple[str, int]], target_name: str, current_digest: str) -> None:
        """Before any change is listed: the target is the same state, what the restore does to the resources in
        state, and (a restore to a checkpoint) which applies it undoes."""
        (current_body, current_ls), (target_body, target_ls) = current, target
        if self.undo is None:
            check_lineage_and_serial(current_ls, target_ls, target_name)
        else:
            # Forward on purpose (back to the replaced state), but only over exactly what that run wrote.
            if current_ls[0] != target_ls[0]:
                check_lineage_and_serial(current_ls, target_ls, target_name)
            if current_digest != self.undo.written_digest:
                raise ToolkitError(f"the state changed after rollback run {self.undo.run_id} (serial now "
                                   f"{current_ls[1]}): putting back {target_name} would discard those changes; "
                                   "nothing was changed")
        plan.sections += impact_sections(json.loads(current_body), json.loads(target_body))
        if self.undo is None:
            check_history(run, plan, current_ls[1])

    # Local backend ---------------------------------------------------------------------------

    def _plan_local(self, run: RunContext, version: StateVersion, plan: StepPlan) -> None:
        state_path = Path(version.local_path) if version.local_path else \
            run.project.state_dir(run.environment) / "terraform.tfstate"
        if not version.local_backup:
            raise ToolkitError(f"checkpoint {run.checkpoint.id}: no local state backup recorded")
        own = state_lock_for(run.project, run.config, clients=run.clients)
        if not isinstance(own, LocalStateLock) or state_path.resolve() != own.state_path.resolve():
            where = own.state_path if isinstance(own, LocalStateLock) else f"s3://{own.bucket}/{own.key}"
            source = f"rollback run {self.undo.run_id}'s journal" if self.undo else f"checkpoint {run.checkpoint.id}"
            raise ToolkitError(f"{source} points at the local state {plain(state_path)}, but the state of "
                               f"{run.environment} is {plain(where)}: refusing to restore another state; nothing "
                               "was changed")
        backup = Path(version.local_backup)
        if not backup.is_absolute():
            backup = run.project.root / backup
        try:
            target_body = backup.read_bytes()
        except OSError as error:
            raise ToolkitError(f"{plain(backup)}: the checkpoint's state backup cannot be read: "
                               f"{error.strerror}") from None
        target_ls = parse_state(target_body, str(backup))
        try:
            current_body = state_path.read_bytes()
        except OSError as error:
            raise ToolkitError(f"{plain(state_path)}: the current state cannot be read: {error.strerror}") from None
        current_ls = parse_state(current_body, str(state_path))
        if same_content(current_body, target_body):
            plan.already.append(f"{plain(state_path)}: already holds the checkpoint's state (serial {target_ls[1]}, "
                                f"now serial {current_ls[1]}): nothing to do")
            return
        self._check_target(run, plan, (current_body, current_ls), (target_body, target_ls),
                           f"backup {plain(backup.name)}", hashlib.sha256(current_body).hexdigest())
        kept = state_path.with_name(f"{state_path.name}.{run.run_id}.replaced")
        plan.changes.append(Change("lock", str(state_path), "unlocked", "locked by this run (terraform's fcntl "
                                   "lock + .lock.info)"))
        plan.changes.append(Change("file:copy", str(kept), "absent", f"copy of the current state (serial "
                                   f"{current_ls[1]})"))
        serial = current_ls[1] + 1
        plan.changes.append(Change("file:write", str(state_path), f"serial {current_ls[1]}",
                                   f"backup {plain(backup.name)} (serial {target_ls[1]}, lineage "
                                   f"{plain(target_ls[0])}) as serial {serial}"))
        plan.data.update(backend="local", state_path=str(state_path), backup=str(backup), kept=str(kept),
                         current_digest=hashlib.sha256(current_body).hexdigest(), serial=target_ls[1],
                         replaced_serial=current_ls[1], lineage=current_ls[0], restored_serial=serial,
                         body=at_serial(target_body, serial, str(backup)))

    def _execute_local(self, run: RunContext, plan: StepPlan) -> list[str]:
        data = plan.data
        state_path, kept = Path(data["state_path"]), Path(data["kept"])
        try:
            with LocalStateLock(state_path).held(new_lock_info(run)) as handle:
                current = handle.read()
                if hashlib.sha256(current).hexdigest() != data["current_digest"]:
                    raise ToolkitError(f"{state_path} changed since it was read: nothing restored; run the step "
                                       "again")
                started = utc_now()
                kept.write_bytes(current)
                target = data["body"]
                request = {"state": str(state_path), "from_backup": data["backup"], "kept": str(kept),
                           "replaced_serial": data["replaced_serial"], "restored_serial": data["restored_serial"],
                           "written_sha256": hashlib.sha256(target).hexdigest(), "lineage": data["lineage"]}
                # Journaled before the write too: a run killed mid-write can still be undone (see _execute_s3).
                run.record(step=self.name, event="action", action=LOCAL_STATE_WRITE, result="started", request=request)
                handle.seek(0)
                handle.truncate()
                handle.write(target)
                handle.flush()
                os.fsync(handle.fileno())
                run.record(step=self.name, event="action", action=LOCAL_STATE_WRITE, result="ok", request=request,
                           duration_s=(utc_now() - started).total_seconds())
        except StateLockHeld as error:
            raise LockError(f"{error}\nnothing restored") from None
        except OSError as error:
            raise ToolkitError(f"{state_path}: {error.strerror or error}") from None
        if state_path.read_bytes() != data["body"]:
            raise ToolkitError(f"{state_path} does not match what was written after writing it")
        return [f"{state_path}: restored from {Path(data['backup']).name} (serial {data['serial']}) as serial "
                f"{data['restored_serial']}, verified; replaced state kept as {kept.name}"]


def schema_section(run: RunContext, plan: StepPlan) -> None:
    """The database is ahead of the configuration this step restores: say so, with the migrations and downs."""
    from toolkit.db.schema_version import schema_ahead_lines

    lines = schema_ahead_lines(run.environment, run.checkpoint.migration_version)
    if lines:
        plan.sections.append(("Database schema ahead of the restored configuration", lines))


def current_serial(run: RunContext) -> int | None:
    """The serial of the environment's state now (None: no state yet), read without the lock (a look, not a change)."""
    lock = state_lock_for(run.project, run.config, clients=run.clients)
    if isinstance(lock, LocalStateLock):
        try:
            body = lock.state_path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise ToolkitError(f"{lock.state_path}: {error.strerror or error}") from None
        return parse_state(body, str(lock.state_path))[1]
    s3 = lock.clients("s3")
    key = state_key(run.config)
    try:
        answer = call("s3:GetObject", s3.get_object, Bucket=lock.bucket, Key=key)
    except ToolkitError as error:
        if error_code(error.__cause__) in ("NoSuchKey", "404", "NotFound"):
            return None
        raise
    return parse_state(answer["Body"].read(), f"s3://{lock.bucket}/{key}")[1]


def undo_target(run_id: str, entries: list[Any]) -> tuple[str, UndoTarget]:
    """From a rollback run's journal: (its checkpoint id, what its terraform-state step replaced)."""
    from toolkit.errors import UsageError
    from toolkit.rollback.journaled import journal_error, serial_field, text_field
    from toolkit.text import plain

    # The last attempt of the write: "started" (killed before its outcome was journaled) counts, a failed one not.
    attempts = [entry for entry in entries if entry.step == TerraformStateStep.name and entry.event == "action"
                and entry.result in ("ok", "started", "error")
                and entry.action in (STATE_WRITE, OLD_STATE_WRITE, LOCAL_STATE_WRITE)]
    written = attempts if attempts and attempts[-1].result != "error" else []
    if not written:
        raise UsageError(f"run {run_id} restored no terraform state (its journal has no terraform-state write): "
                         "nothing to undo")
    entry, request = written[-1], written[-1].request
    # Typed before use: an edited journal is an error naming the field, never a traceback.
    checkpoint = text_field(run_id, {"checkpoint": entry.checkpoint}, "checkpoint")
    if not isinstance(request, dict):
        raise journal_error(run_id, f"the {entry.action} request", request, "an object")
    if entry.action != LOCAL_STATE_WRITE:
        if not request.get("replaced_version") or not request.get("written_md5"):
            raise UsageError(f"run {run_id} predates the recording of the replaced state version: put it back by "
                             f"hand from the bucket's version history of s3://{plain(request.get('bucket'))}/"
                             f"{plain(request.get('key'))}")
        version = StateVersion(backend="s3", lineage="", serial=serial_field(run_id, request, "replaced_serial"),
                               s3_bucket=text_field(run_id, request, "bucket"),
                               s3_key=text_field(run_id, request, "key"),
                               s3_version_id=text_field(run_id, request, "replaced_version"))
        return checkpoint, UndoTarget(run_id, version, text_field(run_id, request, "written_md5"))
    if not request.get("written_sha256"):
        raise UsageError(f"run {run_id} predates the recording of the replaced state: the replaced state is kept in "
                         f"{plain(request.get('kept'))}")
    version = StateVersion(backend="local", lineage=text_field(run_id, request, "lineage", required=False),
                           serial=serial_field(run_id, request, "replaced_serial"),
                           local_path=text_field(run_id, request, "state"),
                           local_backup=text_field(run_id, request, "kept"))
    return checkpoint, UndoTarget(run_id, version, text_field(run_id, request, "written_sha256"))
