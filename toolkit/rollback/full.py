"""The long-term fallback: plan and apply the configuration of the checkpoint's commit.

The apply always goes through the engine (toolkit.engine: saved plan, plan checks, approval for
protected environments, a new checkpoint). The step runs it only when the working tree's envs/, root
module and modules/ are exactly the checkpoint commit's and the rendered tfvars hash matches the
checkpoint's; otherwise it prints the exact commands that get there (the responder checks out the old
configuration, then re-runs the step or runs plan/apply by hand).
"""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.rollback.base import Change, RunContext, Step, StepPlan
from toolkit.rollback.history import check_history
from toolkit.rollback.state import current_serial


def working_tree_matches(root: Path, commit: str, paths: list[str]) -> bool | None:
    """True when `paths` in the working tree equal `commit`'s; None when git cannot tell (no repo, no commit)."""
    try:
        known = subprocess.run(["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=root, capture_output=True,
                               timeout=30)
        if known.returncode != 0:
            return None
        diff = subprocess.run(["git", "diff", "--quiet", commit, "--", *paths], cwd=root, capture_output=True,
                              timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return {0: True, 1: False}.get(diff.returncode)


class FullStep(Step):
    name = "full"
    tier = "long"
    title = "Plan and apply the checkpoint's commit and tfvars (through the apply guards)"

    def plan(self, run: RunContext) -> StepPlan:
        checkpoint = run.checkpoint
        if not checkpoint.git_commit:
            raise ToolkitError(f"checkpoint {checkpoint.id} records no git commit: the configuration it applied is "
                               "unknown; use the other steps")
        environment, commit = run.environment, checkpoint.git_commit
        paths = ["envs", run.config.settings.terraform.root, "modules"]
        plan = StepPlan(self.name)
        matches = working_tree_matches(run.project.root, commit, paths)
        engine = importlib.util.find_spec("toolkit.engine.apply") is not None
        if matches and engine:
            plan.changes.append(Change("terraform:plan+apply", environment, "the live infrastructure",
                                       f"the configuration of commit {commit[:12]} (toolkit plan, then toolkit apply "
                                       "with its guards)"))
            plan.data["engine"] = True
        else:
            why = ("the engine (toolkit.engine) is not installed" if not engine else
                   f"{', '.join(paths)} in the working tree differ from commit {commit[:12]}" if matches is False else
                   f"git cannot compare the working tree with commit {commit[:12]} here")
            plan.notes.append(f"not automated: {why}; run these commands (or check out the configuration and run "
                              "this step again)")
            plan.manual = [f"git checkout {commit} -- {' '.join(paths)}", f"toolkit plan {environment}",
                           f"toolkit apply {environment}"]
        if checkpoint.tfvars_sha256:
            plan.notes.append(f"the rendered build/{environment}/terraform.tfvars must have sha256 "
                              f"{checkpoint.tfvars_sha256} (the checkpoint's)")
        plan.notes.append("the apply runs with all of its guards (saved plan, approval for protected environments) "
                          "and takes a new checkpoint first")
        # Applying the old commit undoes every later apply's configuration too: listed, and named to proceed.
        check_history(run, plan, current_serial(run))
        return plan

    def execute(self, run: RunContext, plan: StepPlan) -> list[str]:
        if not plan.data.get("engine"):
            return [f"run by hand: {command}" for command in plan.manual]
        from toolkit.engine.apply import apply_environment
        from toolkit.engine.plan import plan_environment

        planned = plan_environment(run.project, run.environment)
        metadata = planned.saved.metadata
        expected = run.checkpoint.tfvars_sha256
        if expected and metadata.tfvars_sha256 != expected:
            raise ToolkitError(f"the rendered tfvars (sha256 {metadata.tfvars_sha256}) differ from the checkpoint's "
                               f"({expected}): nothing applied; check envs/{run.environment}.yaml")
        if not planned.has_changes:
            return [f"plan {metadata.plan_id}: no changes: the infrastructure already matches commit "
                    f"{run.checkpoint.git_commit[:12] if run.checkpoint.git_commit else '?'}"]
        run.record(step=self.name, event="action", action="terraform:plan", result="ok",
                   request={"plan_id": metadata.plan_id, "summary": metadata.summary.text()})
        applied = run.act(self.name, "terraform:apply", apply_environment,
                          {"plan_id": metadata.plan_id, "summary": metadata.summary.text()},
                          project=run.project, environment=run.environment, approve=run.approve, prompt=run.confirm)
        return [f"applied plan {applied.plan_id} ({metadata.summary.text()}); new checkpoint {applied.checkpoint_id}"]
