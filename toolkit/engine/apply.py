"""`toolkit apply`: guards → checkpoint → apply the saved plan → record the outcome."""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from toolkit.config import load_environment
from toolkit.engine.checkpoint import creating_resources, interrupted_apply_warning, take_checkpoint
from toolkit.engine.guards import (
    Prompt,
    check_approval,
    check_auto_allowed,
    check_expected_plan,
    check_not_offline,
    check_plan_matches,
    check_reviewed_plan,
    check_state_unchanged,
    check_stateful_destroys,
)
from toolkit.engine.plan import DEFAULT_LOCK_TIMEOUT, plan_in_session
from toolkit.engine.progress import Progress, SilentProgress
from toolkit.engine.records import PlanSummary, git_commit, git_tree, load_latest_plan, source_sha256
from toolkit.engine.session import open_session
from toolkit.engine.source import CommitSource
from toolkit.engine.workspace import plans_dir
from toolkit.errors import ToolkitError, UsageError
from toolkit.project import Project
from toolkit.record_store import checkpoint_store_for
from toolkit.secrets import mask_text


@dataclass(frozen=True)
class ApplyOutcome:
    environment: str
    applied: bool
    plan_id: str
    summary: PlanSummary
    approval: str
    checkpoint_id: str | None = None
    checkpoint_file: str | None = None   # where the checkpoint record is (a path or an s3:// URL)
    duration_seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "environment": self.environment, "applied": self.applied, "plan_id": self.plan_id,
            "add": self.summary.add, "change": self.summary.change, "replace": self.summary.replace,
            "destroy": self.summary.destroy, "approval": self.approval, "checkpoint_id": self.checkpoint_id,
            "checkpoint_file": self.checkpoint_file,
            "duration_seconds": round(self.duration_seconds, 1), "warnings": self.warnings,
        }


def apply_environment(project: Project, environment: str, *, auto: bool = False, approve: str | None = None,
                      allow_destroy: list[str] | None = None, lock_timeout: str = DEFAULT_LOCK_TIMEOUT,
                      prompt: Prompt | None = None, progress: Progress | None = None,
                      source: CommitSource | None = None, expect_plan: str | None = None) -> ApplyOutcome:
    """Apply the environment's latest saved plan (or, with `auto`, a fresh one) after every guard passes.

    With a `source` (rollback --step full): the latest saved plan of that commit's configuration.
    `expect_plan`: the reviewed binary plan's sha256 (toolkit.engine.binding); any other plan is refused.
    """
    from toolkit.checkpoints import ApplyRecord, current_actor, iso, process_started, utc_now

    progress = progress or SilentProgress()
    config = load_environment(project, environment)
    if auto and expect_plan is not None:
        raise UsageError("--expect-plan applies the reviewed saved plan: leave out --auto (it makes a new plan)")
    if auto:
        check_auto_allowed(config)
    else:
        # Fail before any terraform work when there is nothing to apply.
        saved = load_latest_plan(plans_dir(project, environment, source), environment)
        check_not_offline(environment, saved.metadata, saved.plan_file)
    session = open_session(project, environment, progress, config=config, source=source)
    workspace, terraform = session.workspace, session.terraform
    interrupted = interrupted_apply_warning(checkpoint_store_for(project, config), environment)
    warnings = [interrupted] if interrupted else []
    if auto:
        saved = plan_in_session(session, lock_timeout=lock_timeout, progress=progress).saved
    metadata = saved.metadata
    progress.step(environment, f"checking the saved plan {metadata.plan_id}")
    check_plan_matches(environment, metadata, saved.plan_file, tfvars_sha256=workspace.render.tfvars_sha256,
                       source_sha256=source_sha256(workspace.render.root_dir),
                       git_commit=source.commit if source else git_commit(project.root),
                       git_tree=None if source else git_tree(project.root))
    check_expected_plan(environment, metadata.plan_id, saved.plan_file, expect_plan)
    state = terraform.state_pull()
    check_state_unchanged(environment, metadata, state)
    if not metadata.has_changes:
        return ApplyOutcome(environment, False, metadata.plan_id, metadata.summary, "not needed", warnings=warnings)
    # From the verified plan file itself: plan.json and metadata.json are only what was written beside it, the
    # binary plan is what gets applied. It must say what was reviewed; its own summary is what gets approved.
    applied_plan = terraform.show_json(saved.plan_file)
    summary = check_reviewed_plan(environment, metadata.plan_id, applied_plan, saved.load_json(), metadata.summary)
    check_stateful_destroys(environment, applied_plan, list(allow_destroy or []))
    approval = check_approval(config, approve, prompt, summary.text())

    progress.step(environment, "checkpoint")
    checkpoint, store = take_checkpoint(session, state, saved)
    progress.step(environment, f"apply {metadata.plan_id} ({summary.text()})")
    started_at, started = utc_now(), time.monotonic()
    # Marked started before terraform runs: a run killed half-way stays "started" and reads as interrupted.
    record = ApplyRecord(result="started", applied_by=current_actor(), started_at=iso(started_at),
                         plan_sha256=metadata.plan_sha256, host=socket.gethostname(), pid=os.getpid(),
                         pid_started=process_started(os.getpid()),
                         creating=creating_resources(applied_plan))
    store.update_apply(checkpoint.id, record)
    record.result = "failed"
    try:
        terraform.apply(saved.plan_file, lock_timeout=lock_timeout)
        record.result, record.summary = "success", metadata.summary.text()
    except ToolkitError as error:
        # Kept in the checkpoint and printed by `toolkit checkpoints`: terraform's error may quote a value.
        record.summary = mask_text(str(error).splitlines()[0])
        record.state_serial_after = _serial_now(terraform)
        raise
    except BaseException:
        record.result, record.summary = "cancelled", "interrupted"
        raise
    else:
        record.state_serial_after = _serial_now(terraform)
    finally:
        record.finished_at = iso(utc_now())
        record.duration_s = round(time.monotonic() - started, 1)
        store.update_apply(checkpoint.id, record)
    return ApplyOutcome(environment, True, metadata.plan_id, summary, approval, checkpoint.id,
                        store.where(checkpoint.id), record.duration_s or 0.0, warnings)


def _serial_now(terraform: Any) -> int | None:
    """The state's serial after the apply, for rollback's "what happened since" (None when it cannot be read)."""
    try:
        state = terraform.state_pull()
    except ToolkitError:
        return None
    return int(state["serial"]) if state and isinstance(state.get("serial"), int) else None
