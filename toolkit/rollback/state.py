"""Restore the terraform state version recorded in the checkpoint, holding terraform's own state lock.

S3 backend: the checkpoint's object version of the state key is copied on top of the key (CopyObject
with a VersionId), so the replaced state stays in the bucket's version history. The lock is the one the
environment pins (toolkit.state_lock: the `<key>.tflock` lock file written with If-None-Match, the DynamoDB
item `LockID = <bucket>/<key>`, or both), taken exactly like terraform does; with a lock table the
`<bucket>/<key>-md5` digest item is updated so terraform accepts the restored state.
Local backend: the checkpoint's backup file is written into the state file under terraform's local lock
(fcntl + .lock.info), after a copy of the replaced state is kept next to it.
Both refuse a state of another lineage, and a "restore" that would move to a newer serial.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from toolkit.aws import call
from toolkit.checkpoints import StateVersion, utc_now
from toolkit.errors import LockError, ToolkitError
from toolkit.local_runs import runs_of
from toolkit.rollback.base import Change, RunContext, Step, StepPlan
from toolkit.state_lock import HeldLock, LocalStateLock, LockInfo, S3StateLock, StateLockHeld, state_lock_for

LOCK_OPERATION = "OperationTypeToolkitRollback"


def parse_state(body: bytes, where: str) -> tuple[str, int]:
    """Lineage and serial of a state document."""
    try:
        document = json.loads(body)
        return str(document["lineage"]), int(document["serial"])
    except (ValueError, KeyError, TypeError):
        raise ToolkitError(f"{where}: not a terraform state document (no lineage/serial)") from None


def check_lineage_and_serial(current: tuple[str, int], target: tuple[str, int], target_name: str) -> None:
    if current[0] != target[0]:
        raise ToolkitError(f"{target_name} has lineage {target[0]} but the current state has lineage {current[0]}: "
                           "they are different states; refusing to restore")
    if target[1] > current[1]:
        raise ToolkitError(f"{target_name} has serial {target[1]}, newer than the current serial {current[1]}: "
                           "refusing to move the state forward")


def new_lock_info(run: RunContext) -> LockInfo:
    """The lock description this run writes (terraform prints it to anyone who finds the state locked)."""
    return LockInfo.new(LOCK_OPERATION, run.who, f"toolkit rollback run {run.run_id} (pid {os.getpid()})")


def describe_holders(holders: list[HeldLock]) -> str:
    return "; ".join(f"{holder.info.who or 'unknown'} ({holder.info.operation or '?'}, since "
                     f"{holder.info.created or '?'}, ID {holder.info.id})" for holder in holders)


class TerraformStateStep(Step):
    name = "terraform-state"
    tier = "short"
    title = "Restore the terraform state version recorded in the checkpoint (under the state lock)"

    def plan(self, run: RunContext) -> StepPlan:
        plan = StepPlan(self.name)
        version = run.checkpoint.state
        if version is None:
            plan.already.append(f"checkpoint {run.checkpoint.id} records no state version (the environment had no "
                                "state before that apply): nothing to do")
            return plan
        if version.backend == "s3":
            self._plan_s3(run, version, plan)
        else:
            self._plan_local(run, version, plan)
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
        s3 = lock.clients("s3")
        location = f"s3://{bucket}/{key}"
        holders = lock.inspect()
        current = call("s3:GetObject", s3.get_object, Bucket=bucket, Key=key)
        current_version = current.get("VersionId")
        current_body = current["Body"].read()
        current_ls = parse_state(current_body, f"{location} (version {current_version})")
        if current_version == wanted:
            plan.already.append(f"{location}: already at version {wanted} (serial {current_ls[1]}): nothing to do")
            return
        try:
            target = call("s3:GetObject", s3.get_object, Bucket=bucket, Key=key, VersionId=wanted)
        except ToolkitError as error:
            raise ToolkitError(f"{location}: the checkpoint's version {wanted} cannot be read: {error}") from None
        target_body = target["Body"].read()
        target_ls = parse_state(target_body, f"{location} (version {wanted})")
        if target_body == current_body:
            plan.already.append(f"{location}: current version {current_version} already holds the content of "
                                f"version {wanted} (serial {target_ls[1]}): nothing to do")
            return
        check_lineage_and_serial(current_ls, target_ls, f"version {wanted}")
        digest = hashlib.md5(target_body).hexdigest()  # terraform's own digest: MD5 of the state bytes
        held = f"held by {describe_holders(holders)}" if holders else "unlocked"
        if lock.uses_lock_file:
            plan.changes.append(Change("s3:PutObject", lock.lock_file_location, held,
                                       "locked by this run (If-None-Match: *; released at the end)"))
        if lock.uses_table:
            plan.changes.append(Change("dynamodb:PutItem", f"{lock.table}: LockID={lock.lock_path}", held,
                                       "locked by this run (conditional put; released at the end)"))
        plan.changes.append(Change("s3:CopyObject", location, f"version {current_version} (serial {current_ls[1]})",
                                   f"copy of version {wanted} (serial {target_ls[1]}, lineage {target_ls[0]})"))
        if lock.uses_table:
            plan.changes.append(Change("dynamodb:PutItem", f"{lock.table}: LockID={lock.digest_id}", "digest of the "
                                       "current state", f"Digest={digest}"))
        plan.notes.append(f"the replaced version {current_version} stays in the bucket's version history")
        plan.notes.append(f"taken under the environment's {lock.describe_kind()}")
        if holders:
            plan.notes.append(f"the state is locked by {describe_holders(holders)}: the step stops until the lock "
                              "is released")
        plan.data.update(backend="s3", bucket=bucket, key=key, wanted=wanted, current_version=current_version,
                         digest=digest, serial=target_ls[1])

    def _execute_s3(self, run: RunContext, plan: StepPlan) -> list[str]:
        data = plan.data
        lock = self._lock(run, data["bucket"], data["key"])
        s3 = lock.clients("s3")
        location = f"s3://{data['bucket']}/{data['key']}"
        info = new_lock_info(run)
        try:
            with runs_of(run.project, run.environment).registered(os.getpid(), f"toolkit rollback {self.name}",
                                                                   info.id), lock.held(info):
                head = call("s3:HeadObject", s3.head_object, Bucket=data["bucket"], Key=data["key"])
                if head.get("VersionId") != data["current_version"]:
                    raise ToolkitError(f"{location} changed since it was read (now version {head.get('VersionId')}, "
                                       f"planned from {data['current_version']}): nothing restored; run the step "
                                       "again")
                copied = run.act(self.name, "s3:CopyObject", s3.copy_object,
                                 {"bucket": data["bucket"], "key": data["key"], "source_version": data["wanted"]},
                                 Bucket=data["bucket"], Key=data["key"],
                                 CopySource={"Bucket": data["bucket"], "Key": data["key"],
                                             "VersionId": data["wanted"]})
                restored = call("s3:GetObject", s3.get_object, Bucket=data["bucket"], Key=data["key"])
                body = restored["Body"].read()
                if hashlib.md5(body).hexdigest() != data["digest"]:
                    raise ToolkitError(f"{location}: the current object does not match version {data['wanted']} "
                                       "after the copy")
                lock.write_digest(body)
        except StateLockHeld as error:
            raise LockError(f"{error}\nnothing restored; wait for that run or release it with "
                            f"`toolkit unlock {run.environment}`") from None
        return [f"{location}: now version {copied.get('VersionId') or restored.get('VersionId')} = copy of "
                f"{data['wanted']} (serial {data['serial']}, verified); "
                f"replaced version {data['current_version']} kept"]

    # Local backend ---------------------------------------------------------------------------

    def _plan_local(self, run: RunContext, version: StateVersion, plan: StepPlan) -> None:
        state_path = Path(version.local_path) if version.local_path else \
            run.project.state_dir(run.environment) / "terraform.tfstate"
        if not version.local_backup:
            raise ToolkitError(f"checkpoint {run.checkpoint.id}: no local state backup recorded")
        backup = Path(version.local_backup)
        if not backup.is_absolute():
            backup = run.project.root / backup
        try:
            target_body = backup.read_bytes()
        except OSError as error:
            raise ToolkitError(f"{backup}: the checkpoint's state backup cannot be read: {error.strerror}") from None
        target_ls = parse_state(target_body, str(backup))
        try:
            current_body = state_path.read_bytes()
        except OSError as error:
            raise ToolkitError(f"{state_path}: the current state cannot be read: {error.strerror}") from None
        current_ls = parse_state(current_body, str(state_path))
        if current_body == target_body:
            plan.already.append(f"{state_path}: already holds the checkpoint's state (serial {target_ls[1]}): "
                                "nothing to do")
            return
        check_lineage_and_serial(current_ls, target_ls, f"backup {backup.name}")
        kept = state_path.with_name(f"{state_path.name}.{run.run_id}.replaced")
        plan.changes.append(Change("lock", str(state_path), "unlocked", "locked by this run (terraform's fcntl "
                                   "lock + .lock.info)"))
        plan.changes.append(Change("file:copy", str(kept), "absent", f"copy of the current state (serial "
                                   f"{current_ls[1]})"))
        plan.changes.append(Change("file:write", str(state_path), f"serial {current_ls[1]}",
                                   f"backup {backup.name} (serial {target_ls[1]}, lineage {target_ls[0]})"))
        plan.data.update(backend="local", state_path=str(state_path), backup=str(backup), kept=str(kept),
                         current_digest=hashlib.sha256(current_body).hexdigest(), serial=target_ls[1])

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
                target = Path(data["backup"]).read_bytes()
                handle.seek(0)
                handle.truncate()
                handle.write(target)
                handle.flush()
                os.fsync(handle.fileno())
                run.record(step=self.name, event="action", action="file:write", result="ok",
                           request={"state": str(state_path), "from_backup": data["backup"], "kept": str(kept)},
                           duration_s=(utc_now() - started).total_seconds())
        except StateLockHeld as error:
            raise LockError(f"{error}\nnothing restored") from None
        except OSError as error:
            raise ToolkitError(f"{state_path}: {error.strerror or error}") from None
        if state_path.read_bytes() != Path(data["backup"]).read_bytes():
            raise ToolkitError(f"{state_path} does not match the backup after writing it")
        return [f"{state_path}: restored from {Path(data['backup']).name} (serial {data['serial']}, verified); "
                f"replaced state kept as {kept.name}"]
