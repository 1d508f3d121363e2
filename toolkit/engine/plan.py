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

    @property
    def has_changes(self) -> bool:
        return self.saved.metadata.has_changes

    @property
    def summary(self) -> PlanSummary:
        return self.saved.metadata.summary

    @property
    def exit_code(self) -> int:
        """terraform's -detailed-exitcode: 0 no changes, 2 changes present."""
        return 2 if self.has_changes else 0

    def as_dict(self) -> dict[str, Any]:
        metadata = self.saved.metadata
        return {
            "environment": self.environment, "status": "changes" if self.has_changes else "no changes",
            "exit_code": self.exit_code, "plan_id": metadata.plan_id, "plan_json": str(self.saved.plan_json),
            "add": self.summary.add, "change": self.summary.change, "replace": self.summary.replace,
            "destroy": self.summary.destroy, "outputs_changed": self.summary.outputs_changed,
            "offline": metadata.offline, "offline_base": metadata.offline_base,
            "resources_by_module": self.resources_by_module(),
            "warnings": self.warnings,
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
    plan_id, folder = new_plan_folder(workspace.plans_dir)
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
    except BaseException:
        # A failed plan must not leave a half-written folder that `latest` could later point at.
        shutil.rmtree(folder, ignore_errors=True)
        raise
    progress.step(session.name, f"plan saved: {saved.plan_json}")

    store = checkpoint_store_for(session.workspace.project, session.config)
    interrupted = interrupted_apply_warning(store, session.name)
    return PlanOutcome(session.name, saved, [interrupted] if interrupted else [])


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


