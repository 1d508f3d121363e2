"""`toolkit apply`: guards → checkpoint → apply the saved plan → record the outcome."""

from __future__ import annotations

import contextlib
import os
import socket
import time
from dataclasses import dataclass, field, replace
from typing import Any

from toolkit.clock import iso, utc_now
from toolkit.config import load_environment
from toolkit.deployments import WaitSettings
from toolkit.duration import parse_duration
from toolkit.engine.guards import (
    Prompt,
    check_approval,
    check_auto_allowed,
    check_expected_plan,
    check_not_offline,
    check_plan_file_unchanged,
    check_plan_matches,
    check_reviewed_plan,
    check_state_unchanged,
    check_stateful_destroys,
)
from toolkit.engine.plan import DEFAULT_LOCK_TIMEOUT, plan_in_session
from toolkit.engine.pre_apply import (
    SchemaVersionReader,
    applied_changes,
    checkpoint_under_lock,
    creating_resources,
    interrupted_apply_warning,
)
from toolkit.engine.progress import Progress, SilentProgress
from toolkit.engine.session import open_session
from toolkit.engine.source import CommitSource
from toolkit.engine.terraform import APPLY_RECORDED, TERRAFORM_APPLY, FinishedBeforeStop
from toolkit.engine.workspace import plans_dir
from toolkit.errors import AwsError, DeploymentError, ToolkitError, UsageError
from toolkit.files import describe_os_error
from toolkit.plans.saved import PlanSummary, git_commit, git_tree, load_latest_plan, source_sha256
from toolkit.processes import current_actor, interrupt_name, process_started
from toolkit.project import Project
from toolkit.records.checkpoints import ApplyRecord
from toolkit.records.places import checkpoint_store_for
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
    deployment: str | None = None     # toolkit.deployments: "settled", "not checked (--no-wait)" or None

    def as_dict(self) -> dict[str, Any]:
        return {
            "environment": self.environment, "applied": self.applied, "plan_id": self.plan_id,
            "add": self.summary.add, "change": self.summary.change, "replace": self.summary.replace,
            "destroy": self.summary.destroy, "approval": self.approval, "checkpoint_id": self.checkpoint_id,
            "checkpoint_file": self.checkpoint_file,
            "duration_seconds": round(self.duration_seconds, 1), "warnings": self.warnings,
            "deployment": self.deployment,
        }


def check_aws_rules(environment: str, plan_json: dict[str, Any], project_root: Any, config: Any = None) -> None:
    """Refuse a plan with unwaived AWS apply-time rule findings (toolkit.awsrules), each finding listed."""
    from toolkit.awsrules.render import text_lines
    from toolkit.awsrules.service import RulesFailed, check_plan, failure_message, not_enforced_because

    report = check_plan(plan_json, environment, project_root, not_enforced_because=not_enforced_because(config))
    if report.blocking:
        lines = text_lines(report)
        raise RulesFailed(failure_message(report, environment) + "\n" + "\n".join(lines))


def apply_environment(project: Project, environment: str, *, auto: bool = False, approve: str | None = None,
                      allow_destroy: list[str] | None = None, lock_timeout: str = DEFAULT_LOCK_TIMEOUT,
                      prompt: Prompt | None = None, progress: Progress | None = None,
                      source: CommitSource | None = None, expect_plan: str | None = None,
                      wait: WaitSettings | None = WaitSettings(),
                      schema_version: SchemaVersionReader | None = None) -> ApplyOutcome:
    """Apply the environment's latest saved plan (or, with `auto`, a fresh one) after every guard passes.

    With a `source` (rollback --step full): the latest saved plan of that commit's configuration.
    `expect_plan`: the reviewed binary plan's sha256 (toolkit.plans.binding); any other plan is refused.
    `wait`: after terraform succeeds, wait for the ECS services and parameter groups the plan changed
    (toolkit.deployments); a rollback, a failed or stuck deployment or a pending-reboot raises DeploymentError
    (exit 4) and is recorded in the checkpoint. None (`--no-wait`): not checked.
    """
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
    if source is None:
        # A rollback (source) restores a configuration applied before: a rule added since must not stand
        # between an incident responder and it. Everything else AWS would reject is refused before approval.
        check_aws_rules(environment, saved.load_json(), project.root, config)
    approval = check_approval(config, approve, prompt, summary.text())

    progress.step(environment, "checkpoint (under the state lock)")
    try:
        checkpoint, store, state = checkpoint_under_lock(
            session, saved, lock_timeout_s=parse_duration(lock_timeout).seconds,
            check=lambda fresh: check_state_unchanged(environment, metadata, fresh), schema_version=schema_version)
    except OSError as error:  # e.g. the checkpoints folder's disk is full
        raise ToolkitError(f"cannot save the checkpoint ({describe_os_error(error, 'the checkpoints folder')}): "
                           "nothing was applied") from None
    # The approval prompt may have waited long: the file terraform applies by path is still the one checked.
    check_plan_file_unchanged(environment, metadata.plan_id, saved.plan_file, metadata.plan_sha256)
    progress.step(environment, f"apply {metadata.plan_id} ({summary.text()})")
    started_at, started = utc_now(), time.monotonic()
    # Marked started before terraform runs: a run killed half-way stays "started" and reads as interrupted.
    record = ApplyRecord(result="started", applied_by=current_actor(), started_at=iso(started_at),
                         plan_sha256=metadata.plan_sha256, host=socket.gethostname(), pid=os.getpid(),
                         pid_started=process_started(os.getpid()),
                         creating=creating_resources(applied_plan),
                         changes=applied_changes(applied_plan, emulator=config.settings.emulator is not None),
                         state_lineage=metadata.state_lineage, state_serial_before=metadata.state_serial)
    try:
        store.update_apply(checkpoint.id, record)
    except OSError as error:
        raise ToolkitError(f"cannot record the apply's start in checkpoint {checkpoint.id} "
                           f"({describe_os_error(error, store.where(checkpoint.id))}): nothing was applied") from None
    record.result = "failed"
    try:
        terraform.apply(saved.plan_file, lock_timeout=lock_timeout)
        record.result, record.summary = "success", metadata.summary.text()
    except ToolkitError as error:
        # Kept in the checkpoint and printed by `toolkit checkpoints`: terraform's error may quote a value.
        record.summary = mask_text((str(error).splitlines() or [""])[0])[:SUMMARY_CHARACTERS]
        record.state_serial_after = _serial_now(terraform)
        record.changed_state = _failed_apply_wrote(str(error), metadata.state_serial, record.state_serial_after)
        raise
    except FinishedBeforeStop:
        # The stop came as terraform finished: the apply is done and the checkpoint says so.
        record.result, record.summary = "success", metadata.summary.text()
        record.changed_state = True
        with contextlib.suppress(KeyboardInterrupt):  # a second stop skips the serial's read, not this report
            record.state_serial_after = _serial_now(terraform)
        raise
    except BaseException:
        record.result, record.summary = "cancelled", "interrupted"
        # Read like a failure's: a cancel that wrote nothing (Ctrl-C while terraform waited for the lock) must not
        # become the default rollback target. Best effort: a second Ctrl-C during the read keeps the record.
        with contextlib.suppress(BaseException):
            record.state_serial_after = _serial_now(terraform)
            record.changed_state = _failed_apply_wrote("", metadata.state_serial, record.state_serial_after)
        raise
    else:
        record.changed_state = True
        try:
            record.state_serial_after = _serial_now(terraform)
        except KeyboardInterrupt as interrupt:
            # Terraform had applied: a stop while the serial is read must not read as a cancelled apply.
            raise FinishedBeforeStop(f"{interrupt_name(interrupt)}, after terraform apply had finished",
                                     TERRAFORM_APPLY) from None
    finally:
        record.finished_at = iso(utc_now())
        record.duration_s = round(time.monotonic() - started, 1)
        unrecorded = _record_outcome(store, checkpoint.id, record)
        if unrecorded:
            # The apply's own result stands (terraform succeeded or failed as it says): only its record is behind.
            warnings.append(unrecorded)
            progress.step(environment, f"warning: {unrecorded}")
    details = _record_deployment(environment, config, terraform, applied_plan, wait, progress, store, checkpoint.id,
                                 record, warnings)
    if record.deployment and record.deployment.startswith("failed"):
        raise DeploymentError(f"{environment}: terraform applied {metadata.plan_id}, but the deployment did not "
                              f"happen (checkpoint {checkpoint.id}):\n{details}")
    return ApplyOutcome(environment, True, metadata.plan_id, summary, approval, checkpoint.id,
                        store.where(checkpoint.id), record.duration_s or 0.0, warnings, record.deployment)


def _record_deployment(environment: str, config: Any, terraform: Any, applied_plan: dict[str, Any],
                       wait: WaitSettings | None, progress: Progress, store: Any, checkpoint_id: str,
                       record: ApplyRecord, warnings: list[str]) -> str:
    """Wait for the deployments a successful apply changed and record the verdict in its checkpoint; returns the
    problems, one line each, when it failed. An interrupt of the wait raises FinishedBeforeStop (APPLY_RECORDED):
    the apply stays recorded as applied, its deployment as not checked."""
    try:
        record.deployment, details = _check_deployments(environment, config, terraform, applied_plan, wait, progress,
                                                        checkpoint_id)
    except KeyboardInterrupt as interrupt:
        # Terraform had finished: the interrupt stopped only the wait, and the record must not read as cancelled.
        record.deployment = DEPLOYMENT_INTERRUPTED
        unrecorded = _record_outcome(store, checkpoint_id, record)
        if unrecorded:
            progress.step(environment, f"warning: {unrecorded}")
        raise FinishedBeforeStop(f"{interrupt_name(interrupt)}, during the deployment wait", APPLY_RECORDED) from None
    if record.deployment is not None:
        unrecorded = _record_outcome(store, checkpoint_id, record)
        if unrecorded:
            warnings.append(unrecorded)
            progress.step(environment, f"warning: {unrecorded}")
    return details


def _check_deployments(environment: str, config: Any, terraform: Any, applied_plan: dict[str, Any],
                       wait: WaitSettings | None, progress: Progress, checkpoint_id: str) -> tuple[str | None, str]:
    """The deployment's verdict for the checkpoint (None: the plan changed nothing to wait for) and, when it
    failed, one line per problem with the step to take."""
    from toolkit.aws import ClientFactory, resolve_endpoint
    from toolkit.deployments import changed_targets, changes_watched_resources, wait_for_deployments

    if not changes_watched_resources(applied_plan):
        return None, ""  # nothing the wait looks at changed: no second state read
    try:
        state = terraform.state_pull()
    except ToolkitError:
        state = None
    targets = changed_targets(applied_plan, state)
    if not targets:
        return None, ""
    if wait is None:
        progress.step(environment, "not waiting for the ECS services and parameter groups it changed (--no-wait)")
        return "not checked (--no-wait)", ""
    endpoint = resolve_endpoint(None)
    settings = replace(wait, emulator=endpoint is not None)
    clients = ClientFactory(region=config.settings.aws_region, endpoint_url=endpoint)

    def rollback_hint(kind: str) -> str:
        if kind == "rolled-back":
            return (f"ECS already put the old task definition back; the state names the new one. Fix the image or "
                    f"configuration and apply again, or put the state back: toolkit rollback {environment} --step "
                    f"terraform-state --to {checkpoint_id}")
        return f"put the previous task definition back: toolkit rollback {environment} --step ecs-task-definition " \
               f"--to {checkpoint_id} --yes"

    try:
        problems = wait_for_deployments(targets, clients, settings,
                                        report=lambda text: progress.step(environment, text),
                                        rollback_hint=rollback_hint)
    except AwsError as error:
        # Not knowing is not success: said as a failed check, with the way to look by hand.
        return (f"failed: not checked ({mask_text(str(error).splitlines()[0])})",
                f"  - the deployment could not be checked: {mask_text(str(error))}\n    next: look at the ECS "
                f"services and parameter groups it changed in the console, then `toolkit checkpoints {environment}`")
    if not problems:
        return "settled", ""
    details = "\n".join(f"  - {problem.message}\n    next: {problem.step}" for problem in problems)
    return "failed: " + "; ".join(f"{problem.what} {problem.kind}" for problem in problems), details


# The deployment of an apply whose wait for it was interrupted (record.result stays "success").
DEPLOYMENT_INTERRUPTED = "not checked (interrupted)"
SUMMARY_CHARACTERS = 500  # of an error kept in the checkpoint (it fits the room its "started" record keeps)


def _record_outcome(store: Any, checkpoint_id: str, record: Any) -> str | None:
    """Write the apply's outcome into its checkpoint; a warning saying what was lost when it cannot be written."""
    try:
        store.update_apply(checkpoint_id, record)
    except (OSError, ToolkitError) as error:
        why = describe_os_error(error, store.where(checkpoint_id)) if isinstance(error, OSError) else str(error)
        return (f"the apply ended ({record.result}) but its outcome could not be written to checkpoint {checkpoint_id} "
                f"({why}): the checkpoint still reads \"started\", and later runs will call it interrupted")
    return None


# Terraform's words for an apply that stopped before it changed anything: its saved plan went stale (another apply
# wrote the state since the checkpoint) or another run held the lock.
_WROTE_NOTHING = ("Saved plan is stale", "Error acquiring the state lock")


def _failed_apply_wrote(error: str, serial_before: int | None, serial_after: int | None) -> bool | None:
    """Whether a failed apply wrote the state: not when terraform refused before changing anything, nor when the
    serial did not move; a partial apply that did write is undone by a state restore like any other."""
    if any(marker in error for marker in _WROTE_NOTHING):
        return False
    if serial_before is not None and serial_after is not None:
        return serial_after != serial_before
    return None


def _serial_now(terraform: Any) -> int | None:
    """The state's serial after the apply, for rollback's "what happened since" (None when it cannot be read)."""
    try:
        state = terraform.state_pull()
    except ToolkitError:
        return None
    return int(state["serial"]) if state and isinstance(state.get("serial"), int) else None
