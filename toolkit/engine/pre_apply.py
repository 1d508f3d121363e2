"""The checkpoint `toolkit apply` takes before changing anything (docs/CHECKPOINTS.md).

Targets come from the state, their live values from AWS (toolkit.records.checkpoints.capture); the engine adds
where the state was (S3 object version, or a copy of the local state file) and what is being applied.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolkit.aws import aws_client, aws_errors, error_code
from toolkit.emulator import only_echo_gaps
from toolkit.engine.session import Session
from toolkit.errors import ToolkitError
from toolkit.plans.actions import action_of
from toolkit.plans.saved import SavedPlan
from toolkit.records.checkpoints import (
    CHANGES_KEPT,
    AppliedChanges,
    ChangedResource,
    ImageChange,
    StateVersion,
    Targets,
    capture,
    targets_from_state,
)
from toolkit.records.places import checkpoint_store_for
from toolkit.secrets import looks_like_secret, mask_text
from toolkit.text import plain


def backend_of(session: Session) -> tuple[str, dict[str, Any]]:
    """The backend type and settings terraform init recorded in the environment's data dir."""
    recorded = session.workspace.terraform_data_dir / "terraform.tfstate"
    try:
        backend = json.loads(recorded.read_text(encoding="utf-8")).get("backend") or {}
    except (OSError, ValueError) as error:
        raise ToolkitError(f"{recorded}: cannot read the backend terraform init recorded ({error})") from None
    return str(backend.get("type", "local")), dict(backend.get("config") or {})


def state_version(session: Session, state: dict[str, Any] | None, files_dir: Any) -> Any:
    """A StateVersion pointing at the state as it is now (before the apply)."""
    if state is None:
        return None
    backend, settings = backend_of(session)
    version = StateVersion(backend=backend, lineage=str(state.get("lineage", "")), serial=int(state.get("serial", 0)))
    if backend == "s3":
        version.s3_bucket, version.s3_key = settings.get("bucket"), settings.get("key")
        version.dynamodb_table = settings.get("dynamodb_table")
        region = settings.get("region") or session.config.settings.aws_region
        endpoint = (settings.get("endpoints") or {}).get("s3") or settings.get("endpoint") \
            or session.workspace.endpoint_url
        s3 = aws_client("s3", region=region, endpoint_url=endpoint)
        try:
            with aws_errors(f"s3:HeadObject s3://{version.s3_bucket}/{version.s3_key}"):
                head = s3.head_object(Bucket=version.s3_bucket, Key=version.s3_key)
            version.s3_version_id = head.get("VersionId")
        except ToolkitError as error:
            if error_code(error.__cause__) not in ("404", "NoSuchKey", "NotFound"):
                raise
    elif backend == "local":
        path = Path(settings.get("path") or session.workspace.stage_root / "terraform.tfstate")
        version.local_path = str(path)
        if path.is_file():
            backup = files_dir() / "terraform.tfstate"
            shutil.copy2(path, backup)
            version.local_backup = str(backup)
    return version


# Reads the database's applied migration version for the checkpoint: (version or None, why not readable or None).
# The caller passes toolkit.db.schema_version.version_for_checkpoint (a service above the engine).
SchemaVersionReader = Callable[[str], tuple[int | None, str | None]]


def take_checkpoint(session: Session, state: dict[str, Any] | None, saved: SavedPlan,
                    schema_version: SchemaVersionReader | None = None) -> tuple[Any, Any]:
    """Capture, fill and save the checkpoint; returns (checkpoint, store)."""
    workspace = session.workspace
    # Beside the state for an S3 backend: a CI runner's checkpoint outlives the runner.
    store = checkpoint_store_for(session.workspace.project, session.config)
    targets = targets_from_state(state) if state else Targets()
    checkpoint = capture(session.name, targets, region=session.config.settings.aws_region,
                         endpoint_url=workspace.endpoint_url)
    # After every checkpoint the store holds, whatever this machine's clock says (toolkit.clock).
    checkpoint.id = store.next_id(checkpoint.id)
    checkpoint.warnings += store.notes  # this clock far behind the store's newest: kept with the record it dated
    checkpoint.git_commit = saved.metadata.git_commit
    checkpoint.tfvars_sha256 = saved.metadata.tfvars_sha256
    checkpoint.plan_sha256 = saved.metadata.plan_sha256
    source = workspace.source
    checkpoint.terraform_root = source.root if source else session.config.settings.terraform.root
    # A source is `rollback --step full` re-applying a checkpoint's configuration: this checkpoint is the rollback's.
    checkpoint.rollback_of = source.checkpoint if source else None
    # What is live now is what the last successful apply applied; `rollback --step full` rebuilds it.
    previous = store.newest_successful()
    checkpoint.live = previous.applied_configuration() if previous else None
    checkpoint.state = state_version(session, state, lambda: store.files_dir(checkpoint.id))
    checkpoint.migration_version, unreadable = schema_version(session.name) if schema_version else (None, None)
    if unreadable:
        checkpoint.warnings.append(unreadable)
    # The rendered tfvars hold no secrets (secrets come from TF_VAR_* or Secrets Manager): keep them, beside the
    # checkpoint (in the shared store for an S3 backend).
    store.save_tfvars(checkpoint.id, workspace.render.tfvars_path.read_text(encoding="utf-8"))
    store.save(checkpoint)
    return checkpoint, store


CHECKPOINT_LOCK_OPERATION = "OperationTypeToolkitCheckpoint"


def checkpoint_under_lock(session: Session, saved: SavedPlan, *, lock_timeout_s: float = 0.0,
                          check: Any = None, schema_version: SchemaVersionReader | None = None,
                          ) -> tuple[Any, Any, dict[str, Any] | None]:
    """Take the checkpoint holding the environment's state lock (the kind terraform takes): the state is read
    again under it and `check(state)` (the stale-plan guard) runs before anything is written, so the checkpoint
    records the state the apply really starts from. Two overlapping applies each checkpoint a state nobody else
    is writing; the loser's terraform then finds its plan stale and writes nothing. Returns (checkpoint, store,
    state). An environment without a state yet has nothing to lock (there is nothing to restore either)."""
    import time

    from toolkit.processes import current_actor
    from toolkit.state.lock import LocalStateLock, LockInfo, StateLockHeld, state_lock_for

    lock = state_lock_for(session.workspace.project, session.config)
    state = session.terraform.state_pull()
    if state is None or (isinstance(lock, LocalStateLock) and not lock.state_path.is_file()):
        if check:
            check(state)
        checkpoint, store = take_checkpoint(session, state, saved, schema_version)
        return checkpoint, store, state
    info = LockInfo.new(CHECKPOINT_LOCK_OPERATION, current_actor(),
                        f"toolkit apply {session.name}: checkpoint before applying plan {saved.metadata.plan_id}")
    deadline = time.monotonic() + lock_timeout_s
    while True:
        try:
            with lock.held(info):
                state = session.terraform.state_pull()
                if check:
                    check(state)
                checkpoint, store = take_checkpoint(session, state, saved, schema_version)
                return checkpoint, store, state
        except StateLockHeld:
            if time.monotonic() >= deadline:
                raise
            time.sleep(1.0)  # waiting for another run's lock (--lock-timeout), as terraform does


# The attribute that holds a resource's import id, for the stateful and named types the modules create; other
# types print a placeholder that says where to look.
IMPORT_ID_ATTRIBUTES = {
    "aws_db_instance": "identifier", "aws_rds_cluster": "cluster_identifier",
    "aws_rds_cluster_instance": "identifier", "aws_s3_bucket": "bucket",
    "aws_elasticache_replication_group": "replication_group_id", "aws_cloudwatch_log_group": "name",
    "aws_iam_role": "name", "aws_ecs_cluster": "name", "aws_db_parameter_group": "name",
    "aws_rds_cluster_parameter_group": "name", "aws_db_subnet_group": "name",
    "aws_elasticache_subnet_group": "name", "aws_elasticache_parameter_group": "name",
    "aws_cloudwatch_metric_alarm": "alarm_name", "aws_dynamodb_table": "name", "aws_lambda_function": "function_name",
}
IMPORT_BLOCKS_SHOWN = 25
# A resource address as terraform writes it (module path, data/managed, type.name, optional [index] or ["key"]).
# The checkpoint file is plain JSON anyone with the folder can edit: an address that is not one is never
# printed into the HCL an operator is told to paste.
_INDEX = r'(?:\[(?:\d+|"(?:[^"\\\n$%]|\\[^\n])*")\])?'
_NAME = r"[A-Za-z_][\w-]*"
_RESOURCE_ADDRESS = re.compile(rf"(?:module\.{_NAME}{_INDEX}\.)*(?:data\.)?{_NAME}\.{_NAME}{_INDEX}")


def creating_resources(plan: dict[str, Any]) -> dict[str, str | None]:
    """Managed resources the plan creates or replaces → their import id when the plan already knows it."""
    found: dict[str, str | None] = {}
    for change in plan.get("resource_changes", []):
        if change.get("mode", "managed") != "managed":
            continue
        if action_of(change.get("change", {}).get("actions", [])) not in ("create", "replace"):
            continue
        after = change.get("change", {}).get("after") or {}
        attribute = IMPORT_ID_ATTRIBUTES.get(str(change.get("type")))
        value = after.get(attribute) if attribute else None
        found[change["address"]] = value if isinstance(value, str) and value else None
    return found


def interrupted_apply_warning(store: Any, environment: str) -> str | None:
    """What the next plan or apply must say when the environment's last apply was interrupted, else None."""
    # Until an apply succeeds: the apply after an interrupted one typically fails ("already exists"), and that
    # failure must not hide why. Read newest first: usually one or two records (the store may be S3).
    checkpoint = None
    for candidate in store.readable(list(reversed(store.ids()))):
        if candidate.apply is None:
            continue
        if candidate.result == "success":
            break
        if candidate.result in ("interrupted", "unfinished"):
            checkpoint = candidate
            break
    if checkpoint is None:
        return None
    record = checkpoint.apply
    assert record is not None
    what = "was interrupted" if checkpoint.result == "interrupted" else \
        f"did not finish (still running on {plain(record.host or 'an unknown host')}, or interrupted there)"
    lines = [f"the last apply of {environment} {what} (checkpoint {checkpoint.id}, started "
             f"{plain(record.started_at)} by {plain(record.applied_by)} on "
             f"{plain(record.host or 'an unknown host')}): terraform may have created resources that are not in the "
             "state, and a new apply would fail with \"already exists\"."]
    if record.creating:
        lines.append(f"It was creating {len(record.creating)} resource(s). Check which exist in AWS and import them "
                     "before the next apply: add these blocks to the root module (e.g. imports.tf), fill the ids "
                     "marked FIND, plan, review and apply; then delete the file.")
        for address, import_id in list(record.creating.items())[:IMPORT_BLOCKS_SHOWN]:
            lines.append(import_block(address, import_id))
        if len(record.creating) > IMPORT_BLOCKS_SHOWN:
            lines.append(f"… and {len(record.creating) - IMPORT_BLOCKS_SHOWN} more: `toolkit checkpoints "
                         f"{environment} --json` lists them all (apply.creating).")
    return "\n".join(lines)


def import_block(address: str, import_id: str | None) -> str:
    """An HCL import block safe to paste: the id is a literal string (no `${…}`/`%{…}` template), the address a
    real resource address; anything else in the record (an edited checkpoint file) is refused, not printed."""
    if not isinstance(address, str) or not _RESOURCE_ADDRESS.fullmatch(address):
        return f"# skipped {json.dumps(str(address))[:80]}: not a resource address (the checkpoint file was edited?)"
    if isinstance(import_id, str) and import_id:
        shown = json.dumps(import_id).replace("${", "$${").replace("%{", "%%{")
    else:
        shown = '"FIND"  # not known before apply: look it up in AWS'
    return f"import {{\n  to = {address}\n  id = {shown}\n}}"




CHANGING_ACTIONS = ("create", "update", "replace", "delete")
UNKNOWN_IMAGE = "(known after apply)"
SENSITIVE_IMAGE = "(sensitive)"


def applied_changes(plan: dict[str, Any], *, emulator: bool = False) -> AppliedChanges:
    """What a plan (`terraform show -json`) changes: counts by action, the managed resources (the first
    CHANGES_KEPT) and every container image a task definition change moves. Recorded in the apply record, read by
    `toolkit rollback ENV` (triage) and `toolkit checkpoints`. Only addresses, types and image references: no
    attribute values that could carry a secret. `emulator`: an update of moto's echo gaps only is marked so."""
    changes = AppliedChanges()
    for change in plan.get("resource_changes", []):
        if change.get("mode", "managed") != "managed":
            continue
        body = change.get("change", {})
        action = action_of(tuple(body.get("actions", [])))
        if action not in CHANGING_ACTIONS:
            continue
        changes.counts[action] = changes.counts.get(action, 0) + 1
        if len(changes.resources) < CHANGES_KEPT:
            changes.resources.append(ChangedResource(str(change.get("address")), str(change.get("type")), action,
                                                     emulator_echo=emulator and only_echo_gaps(change)))
        if change.get("type") == "aws_ecs_task_definition":
            changes.images += _image_changes(str(change.get("address")), body)
            if action in ("replace", "delete") and not (body.get("before") or {}).get("skip_destroy"):
                changes.deregistered.append(str(change.get("address")))
    return changes


def _images(definitions: Any) -> dict[str, str] | None:
    """container name → image, from container_definitions (a JSON string); None when it cannot be read."""
    if not isinstance(definitions, str):
        return None
    try:
        containers = json.loads(definitions)
    except ValueError:
        return None
    if not isinstance(containers, list):
        return None
    return {str(item.get("name", "?")): str(item.get("image", "?")) for item in containers if isinstance(item, dict)}


def _sensitive(marks: Any) -> bool:
    """Whether terraform marks container_definitions (a string: marked whole) as sensitive."""
    return isinstance(marks, dict) and marks.get("container_definitions") is True


def _shown_image(image: str | None, sensitive: bool) -> str | None:
    """The image as recorded: `terraform show -json` prints sensitive values in clear (marked beside them)."""
    if image is None or image == UNKNOWN_IMAGE:
        return image
    if sensitive:
        return SENSITIVE_IMAGE
    return mask_text(image) if looks_like_secret(image) else image


def _image_changes(address: str, body: dict[str, Any]) -> list[ImageChange]:
    before = _images((body.get("before") or {}).get("container_definitions")) or {}
    after_values = body.get("after") or {}
    after = _images(after_values.get("container_definitions"))
    if after is None:
        unknown = (body.get("after_unknown") or {}).get("container_definitions")
        after = dict.fromkeys(before, UNKNOWN_IMAGE) if unknown else {}
    hidden_before, hidden_after = _sensitive(body.get("before_sensitive")), _sensitive(body.get("after_sensitive"))
    # Compared in clear, recorded masked: a changed sensitive image still says that it changed.
    return [ImageChange(address, name, _shown_image(before.get(name), hidden_before),
                        _shown_image(after.get(name), hidden_after))
            for name in sorted({*before, *after}) if before.get(name) != after.get(name)]
