"""Offline plans of the real environments: the real root with one environment's tfvars, planned by the engine
against the stub AWS provider 6 (stub_provider/, toolkit.stub_mirror) and an empty throw-away state.

What it proves: Terraform itself evaluates the real root and modules with dev's, staging's or prod's values
(types, references, counts, for_each keys, conditionals, preconditions, the planned sizes). What it cannot:
anything AWS decides (computed values are unknown, nothing is read from an account), so an offline plan is
never applied. It is kept apart from the real plans, under .toolkit/envs/ENV/offline/plans/<id>/ with no
`latest` pointer, and its metadata says `offline: true`, which `toolkit apply` refuses.
"""

from __future__ import annotations

import shutil

from toolkit.clock import iso, utc_now
from toolkit.config import load_environment
from toolkit.engine.plan import PlanOutcome
from toolkit.engine.progress import Progress, SilentProgress
from toolkit.engine.redact import redact_plan
from toolkit.engine.render import render_environment
from toolkit.engine.session import init_unless_current
from toolkit.engine.terraform import Terraform, discover_binary
from toolkit.engine.workspace import stage_root_module
from toolkit.files import write_atomically
from toolkit.plans.saved import (
    OFFLINE_BACKEND_MARK,
    PLAN_FILE,
    PlanMetadata,
    SavedPlan,
    git_commit,
    git_tree,
    new_plan_folder,
    offline_data_dir,
    offline_plans_dir,
    prune_plans,
    save_plan_files,
    sha256_file,
    source_sha256,
    summarize_plan,
)
from toolkit.processes import current_actor
from toolkit.project import Project
from toolkit.stub_mirror import prepare_mirror, timeout_seconds

OFFLINE_BACKEND_BLOCK = (
    f"{OFFLINE_BACKEND_MARK}: an empty throw-away local state, never the real backend.\n"
    'terraform {\n  backend "local" {}\n}\n'
)


def plan_offline(project: Project, environment: str, *, progress: Progress | None = None) -> PlanOutcome:
    """Plan the environment's real root offline; the plan is saved beside (never instead of) the real ones."""
    progress = progress or SilentProgress()
    config = load_environment(project, environment)
    binary = discover_binary(project.root)
    progress.step(environment, "render")
    render = render_environment(project, config)
    progress.step(environment, "offline: stub providers")
    mirror = prepare_mirror(project.root)
    data_dir = offline_data_dir(project, environment)
    data_dir.mkdir(parents=True, exist_ok=True)
    backend_block = data_dir / "backend.tf"
    if not backend_block.is_file() or backend_block.read_text(encoding="utf-8") != OFFLINE_BACKEND_BLOCK:
        write_atomically(backend_block, OFFLINE_BACKEND_BLOCK)
    # A lock file committed in the root holds the real providers' hashes: the stub's own is made in the stage.
    stage_root = stage_root_module(project, render.root_dir, backend_block, data_dir / "stage",
                                   exclude=frozenset({".terraform.lock.hcl"}))
    plans_dir = offline_plans_dir(project, environment)
    plans_dir.mkdir(parents=True, exist_ok=True)
    # The state file never exists: plans do not write state, and the folder is emptied before each plan.
    state_dir = data_dir / "state"
    backend_config = data_dir / "backend.hcl"
    backend_text = f'path = "{state_dir / "terraform.tfstate"}"\n'
    if not backend_config.is_file() or backend_config.read_text(encoding="utf-8") != backend_text:
        write_atomically(backend_config, backend_text)
    terraform_data_dir = data_dir / "terraform"
    terraform = Terraform(binary, stage_root, mirror.environment(terraform_data_dir), environment, progress,
                          time_limit_seconds=timeout_seconds())
    init_unless_current(terraform, binary, project, render.root_dir, backend_config=backend_config,
                        inputs=(backend_block, mirror.cli_config), data_dir=data_dir,
                        terraform_data_dir=terraform_data_dir, progress=progress, note=", stub providers")
    plan_id, folder = new_plan_folder(plans_dir)
    try:
        shutil.rmtree(state_dir, ignore_errors=True)
        progress.step(environment, "plan (offline)")
        plan_file = folder / PLAN_FILE
        # The empty state is nobody's: no lock, so two offline plans of one environment can run at once.
        has_changes = terraform.plan(var_file=render.tfvars_path, out=plan_file, lock_timeout="0s", lock=False)
        plan_json = redact_plan(terraform.show_json(plan_file))
        metadata = PlanMetadata(
            environment=environment, plan_id=plan_id, created_at=iso(utc_now()), created_by=current_actor(),
            git_commit=git_commit(project.root), git_tree=git_tree(project.root),
            tfvars_sha256=render.tfvars_sha256, source_sha256=source_sha256(render.root_dir),
            plan_sha256=sha256_file(plan_file), terraform_version=binary.version,
            terraform_flavor=binary.flavor, state_lineage=None, state_serial=None,
            has_changes=has_changes, destroy=False, summary=summarize_plan(plan_json), offline=True,
        )
        save_plan_files(folder, metadata, plan_json)
        prune_plans(plans_dir)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    progress.step(environment, f"offline plan saved: {project.display(folder / 'plan.json')}")
    return PlanOutcome(environment, SavedPlan(folder, metadata))


