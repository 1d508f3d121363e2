"""The checkpoint `toolkit apply` takes before changing anything (docs/CHECKPOINTS.md).

Targets come from the state, their live values from AWS (toolkit.checkpoints.capture); the engine adds
where the state was (S3 object version, or a copy of the local state file) and what is being applied.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from toolkit.engine.records import SavedPlan
from toolkit.engine.session import Session
from toolkit.errors import ToolkitError


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
    from toolkit.aws import aws_client, aws_errors, error_code
    from toolkit.checkpoints import StateVersion

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


def take_checkpoint(session: Session, state: dict[str, Any] | None, saved: SavedPlan) -> tuple[Any, Any]:
    """Capture, fill and save the checkpoint; returns (checkpoint, store)."""
    from toolkit.checkpoints import CheckpointStore, Targets, capture, targets_from_state

    workspace = session.workspace
    store = CheckpointStore(workspace.checkpoints_dir)
    targets = targets_from_state(state) if state else Targets()
    checkpoint = capture(session.name, targets, region=session.config.settings.aws_region,
                         endpoint_url=workspace.endpoint_url)
    checkpoint.git_commit = saved.metadata.git_commit
    checkpoint.tfvars_sha256 = saved.metadata.tfvars_sha256
    checkpoint.plan_sha256 = saved.metadata.plan_sha256
    checkpoint.state = state_version(session, state, lambda: store.files_dir(checkpoint.id))
    store.save(checkpoint)
    return checkpoint, store
