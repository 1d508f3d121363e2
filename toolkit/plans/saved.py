"""Saved plans and their metadata: what a plan was made from, so apply can refuse a stale or changed one.

Layout under .toolkit/envs/ENV/plans/: one folder per plan (`<plan id>/plan.tfplan`, `plan.json`,
`metadata.json`) and `latest`, a symlink to the newest folder. Older plans are kept (the newest
KEEP_PLANS) for comparison and audit.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import subprocess
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from toolkit.clock import new_record_id
from toolkit.errors import GuardError
from toolkit.files import write_atomically
from toolkit.plans.actions import action_of
from toolkit.project import Project

PLAN_FILE = "plan.tfplan"
PLAN_JSON = "plan.json"
METADATA_FILE = "metadata.json"
LATEST = "latest"
KEEP_PLANS = 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def git_commit(directory: Path, revision: str = "HEAD") -> str | None:
    """HEAD (or `revision`) of the checkout holding `directory`, or None outside git or before a first commit."""
    try:
        completed = subprocess.run(["git", "rev-parse", "--verify", "-q", revision], cwd=directory,
                                   capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    if completed.returncode != 0:
        return None
    return completed.stdout.strip() or None


def git_tree(directory: Path) -> str | None:
    """The tree of HEAD: equal for a PR's commit and the merge commit that brings exactly that content."""
    return git_commit(directory, "HEAD^{tree}")


def source_sha256(root_dir: Path) -> str:
    """One hash over the root module's *.tf files (names and contents), to notice uncommitted edits."""
    digest = hashlib.sha256()
    for path in sorted(root_dir.rglob("*.tf")):
        if ".terraform" in path.parts:
            continue
        digest.update(str(path.relative_to(root_dir)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass
class PlanSummary:
    """Resource actions of a plan; a replace counts once, as a replace."""

    add: int = 0
    change: int = 0
    replace: int = 0
    destroy: int = 0
    read: int = 0
    outputs_changed: int = 0
    addresses: dict[str, list[str]] = field(default_factory=dict)

    @property
    def resource_changes(self) -> int:
        return self.add + self.change + self.replace + self.destroy

    def text(self) -> str:
        return (f"{self.add} to add, {self.change} to change, {self.replace} to replace, "
                f"{self.destroy} to destroy")


def summarize_plan(plan: dict[str, Any]) -> PlanSummary:
    summary = PlanSummary()
    counters = {"create": "add", "update": "change", "replace": "replace", "delete": "destroy", "read": "read"}
    for change in plan.get("resource_changes", []):
        action = action_of(change.get("change", {}).get("actions", []))
        if action in counters:
            setattr(summary, counters[action], getattr(summary, counters[action]) + 1)
            summary.addresses.setdefault(action, []).append(change["address"])
    summary.outputs_changed = sum(
        1 for change in plan.get("output_changes", {}).values() if action_of(change.get("actions", [])) != "no-op"
    )
    return summary


@dataclass
class PlanMetadata:
    """Everything a saved plan was made from; apply re-checks each of these."""

    environment: str
    plan_id: str
    created_at: str
    created_by: str
    git_commit: str | None
    tfvars_sha256: str
    source_sha256: str
    plan_sha256: str
    terraform_version: str
    terraform_flavor: str
    state_lineage: str | None
    state_serial: int | None
    has_changes: bool
    destroy: bool
    summary: PlanSummary
    git_tree: str | None = None
    # Made against the stub providers and an empty state (toolkit.engine.offline): reviewable, never applied.
    offline: bool = False
    # An offline plan made against a base revision (toolkit.engine.offline_base): {ref, commit, how}.
    offline_base: dict[str, str] | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlanMetadata:
        data = dict(data)
        data["summary"] = PlanSummary(**data.get("summary", {}))
        return cls(**data)


@dataclass(frozen=True)
class SavedPlan:
    folder: Path
    metadata: PlanMetadata

    @property
    def plan_file(self) -> Path:
        return self.folder / PLAN_FILE

    @property
    def plan_json(self) -> Path:
        return self.folder / PLAN_JSON

    def load_json(self) -> dict[str, Any]:
        try:
            document = json.loads(self.plan_json.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise GuardError(f"{self.plan_json}: the reviewed plan JSON cannot be read ({error}): run `toolkit "
                             f"plan {self.metadata.environment}` again") from None
        if not isinstance(document, dict):
            raise GuardError(f"{self.plan_json}: not a plan JSON document: run `toolkit plan "
                             f"{self.metadata.environment}` again")
        return document


def new_plan_folder(plans_dir: Path) -> tuple[str, Path]:
    # Plans and checkpoints share one id scheme: sortable UTC time plus a short random suffix.
    plan_id = new_record_id()
    folder = plans_dir / plan_id
    folder.mkdir(parents=True, mode=0o700)
    return plan_id, folder


def save_plan_files(folder: Path, metadata: PlanMetadata, plan_json: dict[str, Any]) -> None:
    """Write plan.json and metadata.json beside the binary plan."""
    _write_json(folder / PLAN_JSON, plan_json)
    _write_json(folder / METADATA_FILE, asdict(metadata))


def save_plan_record(plans_dir: Path, folder: Path, metadata: PlanMetadata, plan_json: dict[str, Any]) -> SavedPlan:
    """Write plan.json and metadata.json, point `latest` at the folder, prune old plans."""
    save_plan_files(folder, metadata, plan_json)
    temporary = plans_dir / f".{LATEST}.{os.getpid()}.{secrets.token_hex(2)}"
    temporary.symlink_to(folder.name, target_is_directory=True)
    os.replace(temporary, plans_dir / LATEST)
    prune_plans(plans_dir)
    return SavedPlan(folder, metadata)


def load_latest_plan(plans_dir: Path, environment: str) -> SavedPlan:
    latest = plans_dir / LATEST
    if not (latest / METADATA_FILE).is_file():
        raise GuardError(f"no saved plan for {environment}: run `toolkit plan {environment}` first")
    return load_plan_folder(latest, environment)


def load_plan_folder(folder: Path, environment: str) -> SavedPlan:
    """A saved plan folder with its metadata."""
    metadata_file = folder / METADATA_FILE
    try:
        metadata = PlanMetadata.from_dict(json.loads(metadata_file.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as error:
        raise GuardError(f"{metadata_file}: unreadable plan metadata ({error}): run `toolkit plan {environment}` "
                         "again") from None
    return SavedPlan(folder.resolve(), metadata)


def _write_json(path: Path, value: Any) -> None:
    write_atomically(path, json.dumps(value, indent=2, sort_keys=False) + "\n")


def prune_plans(plans_dir: Path) -> None:
    """Keep the newest KEEP_PLANS plan folders (and whatever `latest` points at)."""
    folders = sorted(entry for entry in plans_dir.iterdir() if entry.is_dir() and not entry.is_symlink())
    current = (plans_dir / LATEST).resolve()
    for old in folders[:-KEEP_PLANS]:
        if old.resolve() != current:
            shutil.rmtree(old, ignore_errors=True)


# Offline plans (toolkit.engine.offline) are saved beside the real ones, under offline/plans/<id>/, with no `latest`.
# The binary plan keeps the root module it was made from: its backend file says whether that was an offline plan.
STAGED_BACKEND_FILE = "toolkit_backend.tf"
OFFLINE_FOLDER = "offline"
# The first line of an offline plan's backend file (a local backend in a throw-away folder, never the real one).
OFFLINE_BACKEND_MARK = "# Written by toolkit for an offline plan"


def offline_data_dir(project: Project, environment: str) -> Path:
    return project.environment_data_dir(environment) / OFFLINE_FOLDER


def offline_plans_dir(project: Project, environment: str) -> Path:
    return offline_data_dir(project, environment) / "plans"


def is_offline_plan_file(plan_file: Path) -> bool:
    """True when the binary plan was made offline, whatever metadata.json says: the plan file carries the root
    module it was made from (tfconfig/m-/…), offline backend block included. A folder copied into the real plans
    with `offline: false` typed into its metadata is still refused."""

    try:
        with zipfile.ZipFile(plan_file) as archive:
            backend = archive.read(f"tfconfig/m-/{STAGED_BACKEND_FILE}").decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile):
        return False  # not readable as a plan: check_plan_matches and terraform refuse it on their own
    return OFFLINE_BACKEND_MARK in backend
