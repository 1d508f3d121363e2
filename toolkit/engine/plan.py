"""`toolkit plan`: render → init → plan to a saved file → show -json → plan.json + metadata."""

from __future__ import annotations

import json
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.clock import iso, utc_now
from toolkit.engine.pre_apply import interrupted_apply_warning
from toolkit.engine.progress import Progress, SilentProgress
from toolkit.engine.redact import redact_plan
from toolkit.engine.session import Session, open_session
from toolkit.engine.source import CommitSource
from toolkit.errors import ToolkitError
from toolkit.files import describe_os_error
from toolkit.plans.saved import (
    PLAN_FILE,
    PlanMetadata,
    PlanSummary,
    SavedPlan,
    git_commit,
    git_tree,
    new_plan_folder,
    save_plan_record,
    sha256_file,
    source_sha256,
    summarize_plan,
)
from toolkit.processes import current_actor
from toolkit.project import Project
from toolkit.records.places import checkpoint_store_for

DEFAULT_LOCK_TIMEOUT = "0s"


@dataclass(frozen=True)
class PlanOutcome:
    environment: str
    saved: SavedPlan
    # Things the user must know before applying (an interrupted earlier apply); printed to stderr always.
    warnings: list[str] = field(default_factory=list)
    # The AWS apply-time rules' report on this plan (toolkit.awsrules); None when they did not run.
    rules: Any = None
    # An emulator environment's changes that are only moto not echoing values back (toolkit.emulator).
    emulator_gaps: Any = None

    @property
    def rejected_by_aws(self) -> bool:
        """Unwaived findings of the AWS apply-time rules: the plan fails (exit 1) though it is saved."""
        return self.rules is not None and bool(self.rules.blocking)

    @property
    def has_changes(self) -> bool:
        return self.saved.metadata.has_changes

    @property
    def summary(self) -> PlanSummary:
        return self.saved.metadata.summary

    @property
    def exit_code(self) -> int:
        """terraform's -detailed-exitcode: 0 no changes, 2 changes present; 1 when AWS would reject the plan."""
        if self.rejected_by_aws:
            return 1
        return 2 if self.has_changes else 0

    def as_dict(self) -> dict[str, Any]:
        metadata = self.saved.metadata
        return {
            "environment": self.environment, "status": "changes" if self.has_changes else "no changes",
            "rejected_by_aws": self.rejected_by_aws,
            "exit_code": self.exit_code, "plan_id": metadata.plan_id, "plan_json": str(self.saved.plan_json),
            "add": self.summary.add, "change": self.summary.change, "replace": self.summary.replace,
            "destroy": self.summary.destroy, "outputs_changed": self.summary.outputs_changed,
            "offline": metadata.offline, "offline_base": metadata.offline_base,
            "resources_by_module": self.resources_by_module(),
            "warnings": self.warnings, "aws_rules": self.rules.as_dict() if self.rules is not None else None,
            "emulator_echo_gaps": None if self.emulator_gaps is None else {
                "known": sorted(map(list, self.emulator_gaps.known)),
                "unexplained": sorted(map(list, self.emulator_gaps.unexplained))},
        }

    def resources_by_module(self) -> dict[str, int]:
        """How many resources each top-level module creates, changes, replaces or destroys ("root": the root's own)."""
        counts: dict[str, int] = {}
        for action in ("create", "update", "replace", "delete"):
            for address in self.summary.addresses.get(action, []):
                module = address.split(".")[1] if address.startswith("module.") else "root"
                module = module.split("[")[0]
                counts[module] = counts.get(module, 0) + 1
        return dict(sorted(counts.items()))


def plan_environment(project: Project, environment: str, *, lock_timeout: str = DEFAULT_LOCK_TIMEOUT,
                     destroy: bool = False, progress: Progress | None = None,
                     source: CommitSource | None = None) -> PlanOutcome:
    """Plan one environment (or a commit's configuration of it) and keep the plan; exit codes as -detailed-exitcode."""
    session = open_session(project, environment, progress, source=source)
    return plan_in_session(session, lock_timeout=lock_timeout, destroy=destroy, progress=progress)


def plan_in_session(session: Session, *, lock_timeout: str, destroy: bool = False,
                    progress: Progress | None = None) -> PlanOutcome:
    progress = progress or SilentProgress()
    workspace, terraform = session.workspace, session.terraform
    try:
        plan_id, folder = new_plan_folder(workspace.plans_dir)
    except OSError as error:
        raise ToolkitError(f"cannot create a plan folder ({describe_os_error(error, workspace.plans_dir)}): no plan "
                           f"was made; free space there and run `toolkit plan {session.name}` again") from None
    try:
        progress.step(session.name, "plan" + (" (destroy)" if destroy else ""))
        plan_file = folder / PLAN_FILE
        has_changes = terraform.plan(var_file=workspace.render.tfvars_path, out=plan_file,
                                     lock_timeout=lock_timeout, destroy=destroy)
        plan_json = redact_plan(terraform.show_json(plan_file))
        lineage, serial = prior_state_version(plan_file) or state_version(terraform.state_pull())

        metadata = PlanMetadata(
            environment=session.name, plan_id=plan_id, created_at=iso(utc_now()), created_by=current_actor(),
            git_commit=workspace.source.commit if workspace.source else git_commit(workspace.project.root),
            git_tree=None if workspace.source else git_tree(workspace.project.root),
            tfvars_sha256=workspace.render.tfvars_sha256,
            source_sha256=source_sha256(workspace.render.root_dir), plan_sha256=sha256_file(plan_file),
            terraform_version=session.binary.version, terraform_flavor=session.binary.flavor,
            state_lineage=lineage, state_serial=serial,
            has_changes=has_changes, destroy=destroy, summary=summarize_plan(plan_json),
        )
        saved = save_plan_record(workspace.plans_dir, folder, metadata, plan_json)
    except OSError as error:  # a full disk while saving the plan files: said, not a traceback
        shutil.rmtree(folder, ignore_errors=True)
        raise ToolkitError(f"cannot save the plan ({describe_os_error(error, folder)}): no plan was saved and "
                           f"`latest` still points at the previous one; free space and run `toolkit plan "
                           f"{session.name}` again") from None
    except BaseException:
        # A failed plan must not leave a half-written folder that `latest` could later point at.
        shutil.rmtree(folder, ignore_errors=True)
        raise
    progress.step(session.name, f"plan saved: {saved.plan_json}")

    store = checkpoint_store_for(session.workspace.project, session.config)
    interrupted = interrupted_apply_warning(store, session.name)
    gaps = None
    if session.config.settings.emulator is not None and has_changes:
        from toolkit.emulator import echo_gaps

        gaps = echo_gaps(plan_json)
    return PlanOutcome(session.name, saved, [interrupted] if interrupted else [],
                       rules=aws_rules_report(plan_json, session.name, workspace.project.root, session.config),
                       emulator_gaps=gaps)


def aws_rules_report(plan_json: dict[str, Any], environment: str, project_root: Path, config: Any = None) -> Any:
    """The AWS apply-time rules over a plan just made (docs/CHECKS.md): printed after it, failing it when AWS
    would reject a change unless the project's waiver file waives that rule for that address (on the emulator
    they are reported, not enforced)."""
    from toolkit.awsrules.service import check_plan, not_enforced_because

    return check_plan(plan_json, environment, project_root, not_enforced_because=not_enforced_because(config))


def state_version(state: dict[str, Any] | None) -> tuple[str | None, int | None]:
    """(lineage, serial) of a state document; (None, None) for an environment without state yet."""
    if not state or not state.get("lineage"):
        return None, None
    return state["lineage"], state.get("serial")


def prior_state_version(plan_file: Path) -> tuple[str | None, int | None] | None:
    """The state version the plan was made against, read from the plan file itself.

    Terraform and OpenTofu store the prior state (with the backend's lineage and serial) as `tfstate`
    inside the plan zip: exactly what the plan was computed from, and no extra `state pull` run.
    None when the file is not a readable zip (an encrypted OpenTofu plan): the caller pulls the state.
    """
    try:
        with zipfile.ZipFile(plan_file) as archive:
            prior = json.loads(archive.read("tfstate"))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return None
    return state_version(prior)


