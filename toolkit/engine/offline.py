"""Offline plans of the real environments: the real root with one environment's tfvars, planned by the engine
against the stub AWS provider 6 (stub_provider/, toolkit.stub_mirror) and an empty throw-away state.

What it proves: Terraform itself evaluates the real root and modules with dev's, staging's or prod's values
(types, references, counts, for_each keys, conditionals, preconditions, the planned sizes). What it cannot:
anything AWS decides (computed values are unknown, nothing is read from an account), so an offline plan is
never applied. It is kept apart from the real plans, under .toolkit/envs/ENV/offline/plans/<id>/ with no
`latest` pointer, and its metadata says `offline: true`, which `toolkit apply` refuses.
"""

from __future__ import annotations

import fcntl
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from toolkit.clock import iso, utc_now
from toolkit.config import load_environment
from toolkit.config.environment import EnvironmentConfig
from toolkit.engine.plan import PlanOutcome, aws_rules_report
from toolkit.engine.progress import Progress, SilentProgress
from toolkit.engine.redact import redact_plan
from toolkit.engine.render import prepare_render, render_environment
from toolkit.engine.stub_run import stub_terraform
from toolkit.engine.terraform import discover_binary
from toolkit.plans.saved import (
    OFFLINE_FOLDER,
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
from toolkit.stub_mirror import prepare_mirror


def plan_offline(project: Project, environment: str, *, progress: Progress | None = None,
                 against: str | None = None, config: EnvironmentConfig | None = None,
                 folder: str = OFFLINE_FOLDER) -> PlanOutcome:
    """Plan the environment's real root offline; the plan is saved beside (never instead of) the real ones.

    `against` (a git revision, "" for the default: the merge base with the default branch) plans against
    the base's configuration applied to the stub in a throw-away state (toolkit.engine.offline_base), so the
    plan holds only what the working tree changes relative to that base, destroys and updates included.
    `config` (a what-if variant of the environment) is rendered into `folder`'s own build directory, so the
    environment's rendered files and offline plans stay as they are."""
    progress = progress or SilentProgress()
    variant = config is not None
    config = config or load_environment(project, environment)
    resolved = None
    if against is not None:
        from toolkit.engine.offline_base import resolve_base

        resolved = resolve_base(project.root, against)  # a wrong ref fails before any render or terraform work
    binary = discover_binary(project.root)
    progress.step(environment, "render")
    if variant:
        prepared = prepare_render(project, config)
        render = replace(prepared, build_dir=offline_data_dir(project, environment, folder) / "build").write()
    else:
        render = render_environment(project, config)
    progress.step(environment, "offline: stub providers")
    mirror = prepare_mirror(project.root)
    data_dir = offline_data_dir(project, environment, folder)
    data_dir.mkdir(parents=True, exist_ok=True)
    base = None
    run_dir = data_dir
    if against is not None:
        from toolkit.engine.offline_base import AGAINST_FOLDER, base_state

        base = base_state(project, environment, resolved, binary=binary, mirror=mirror, progress=progress)
        run_dir = data_dir / AGAINST_FOLDER
    with _exclusive_run(run_dir, base is not None):
        terraform = stub_terraform(project, environment, render.root_dir, run_dir, binary=binary, mirror=mirror,
                                   progress=progress, folder=folder)
        plans_dir = offline_plans_dir(project, environment, folder)
        plans_dir.mkdir(parents=True, exist_ok=True)
        plan_id, plan_folder = new_plan_folder(plans_dir)
        try:
            state_dir = run_dir / "state"
            shutil.rmtree(state_dir, ignore_errors=True)
            if base is not None and base.state_file is not None:
                # A copy: the plan never writes state, but the cached base must stay as the apply left it.
                state_dir.mkdir(parents=True)
                shutil.copyfile(base.state_file, state_dir / "terraform.tfstate")
            progress.step(environment, "plan (offline" + (f", against {base.describe()})" if base else ")"))
            plan_file = plan_folder / PLAN_FILE
            # The throw-away state is nobody's: no lock, so two offline plans of one environment can run at once.
            has_changes = terraform.plan(var_file=render.tfvars_path, out=plan_file, lock_timeout="0s", lock=False)
            plan_json = redact_plan(terraform.show_json(plan_file))
            metadata = PlanMetadata(
                environment=environment, plan_id=plan_id, created_at=iso(utc_now()), created_by=current_actor(),
                git_commit=git_commit(project.root), git_tree=git_tree(project.root),
                tfvars_sha256=render.tfvars_sha256, source_sha256=source_sha256(render.root_dir),
                plan_sha256=sha256_file(plan_file), terraform_version=binary.version,
                terraform_flavor=binary.flavor, state_lineage=None, state_serial=None,
                has_changes=has_changes, destroy=False, summary=summarize_plan(plan_json), offline=True,
                offline_base=base.as_dict() if base else None,
            )
            save_plan_files(plan_folder, metadata, plan_json)
            prune_plans(plans_dir)
        except BaseException:
            shutil.rmtree(plan_folder, ignore_errors=True)
            raise
    progress.step(environment, f"offline plan saved: {project.display(plan_folder / 'plan.json')}")
    return PlanOutcome(environment, SavedPlan(plan_folder, metadata),
                       rules=aws_rules_report(plan_json, environment, project.root))


@contextmanager
def _exclusive_run(run_dir: Path, exclusive: bool) -> Iterator[None]:
    """Plans against a base share one copied state: one at a time per environment (plain offline plans are free)."""
    if not exclusive:
        yield
        return
    run_dir.mkdir(parents=True, exist_ok=True)
    with (run_dir / ".run.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
