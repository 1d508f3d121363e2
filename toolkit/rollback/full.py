"""The long-term fallback: plan and apply the configuration that was live at the checkpoint.

A checkpoint is taken just before an apply, so what was live then is what the *previous* successful apply
applied: its commit and the rendered tfvars its checkpoint kept (`Checkpoint.live`). The step exports that
commit from git's objects into .toolkit/envs/ENV/rollback/source/<commit>/ (toolkit.engine.source: the
responder's working tree, index and branch are never touched), then plans and applies it through the
engine with every guard: a saved plan of its own, the review shown, protected-environment approval, the
stateful-destroy guard (`--allow-destroy`), and a new checkpoint before anything changes.
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from toolkit.errors import ToolkitError
from toolkit.records.checkpoints import LiveConfiguration
from toolkit.rollback.base import Change, RunContext, Step, StepPlan
from toolkit.rollback.history import check_history
from toolkit.rollback.request import checkpoint_store
from toolkit.rollback.state import current_serial, schema_section
from toolkit.rollback.waits import HEARTBEAT_S
from toolkit.secrets import mask_text
from toolkit.text import plain

if TYPE_CHECKING:
    from toolkit.engine.plan import PlanOutcome


class FullStep(Step):
    name = "full"
    tier = "long"
    title = "Plan and apply the configuration live at the checkpoint (its commit and tfvars, through the apply guards)"

    def plan(self, run: RunContext) -> StepPlan:
        from toolkit.engine.source import check_commit_available

        live, tfvars = self._live(run)
        commit = live.git_commit or ""
        check_commit_available(run.project.root, commit, live.checkpoint)
        plan = StepPlan(self.name)
        root = live.terraform_root or run.config.settings.terraform.root
        plan.changes.append(Change(
            "terraform:plan+apply", run.environment, "the live infrastructure",
            f"commit {plain(commit[:12])} ({plain(root)}, modules) with the tfvars checkpoint "
            f"{plain(live.checkpoint)} kept"))
        plan.notes.append(f"exports commit {plain(commit[:12])} from git into .toolkit/ (your checkout, index and "
                          "branch are not touched)")
        plan.notes.append("plans it (saved plan, review shown), then applies it with every guard: approval for "
                          "protected environments, stateful destroys need --allow-destroy, a new checkpoint first")
        plan.data.update(commit=commit, root=root, checkpoint=live.checkpoint, tfvars=tfvars)
        # Applying the old configuration undoes every later apply's changes too: listed, and named to proceed.
        check_history(run, plan, current_serial(run), (live.git_commit, live.tfvars_sha256))
        schema_section(run, plan)
        if not run.execute and not plan.refusal:
            # The dry run shows what --yes would apply: the commit planned (read-only) against the live state.
            plan.sections.append(("the plan of that configuration (what --yes applies; it plans again first)",
                                  self._preview(run, plan)))
        return plan

    def _preview(self, run: RunContext, plan: StepPlan) -> list[str]:
        try:
            planned = self._plan(run, plan)
        except ToolkitError as error:
            return [f"not planned in the dry run: {str(error).splitlines()[0]} (--yes plans again, and stops on it)"]
        metadata = planned.saved.metadata
        if not planned.has_changes:
            return [f"plan {metadata.plan_id}: no changes: the infrastructure already matches commit "
                    f"{plan.data['commit'][:12]}"]
        return [f"plan {metadata.plan_id}: {metadata.summary.text()}",
                *review_lines(str(planned.saved.plan_json), run.environment)]

    def _plan(self, run: RunContext, plan: StepPlan) -> PlanOutcome:
        """Export the commit (git objects only) and plan it with the kept tfvars (the source goes to plan.data)."""
        from toolkit.engine.plan import plan_environment
        from toolkit.engine.source import CommitSource, export_commit
        from toolkit.engine.workspace import source_exports_dir

        commit = plan.data["commit"]
        tree = export_commit(run.project.root, commit, source_exports_dir(run.project, run.environment))
        if not (tree / plan.data["root"]).is_dir():
            raise ToolkitError(f"commit {commit[:12]} has no root module folder {plan.data['root']}: nothing applied")
        source = CommitSource(commit=commit, tree=tree, root=plan.data["root"], tfvars_text=plan.data["tfvars"],
                              checkpoint=plan.data["checkpoint"])
        plan.data["source"] = source
        return plan_environment(run.project, run.environment, source=source, progress=HeartbeatProgress(run.heartbeat))

    def _live(self, run: RunContext) -> tuple[LiveConfiguration, str]:
        """The configuration live at the checkpoint and its kept tfvars text; clear errors when unknown."""
        store = run.store or checkpoint_store(run.project, run.environment)
        checkpoint = run.checkpoint
        live = store.live_configuration(checkpoint)
        # live.checkpoint, the commit and the root come from an editable record: escaped in every message.
        if live is None:
            raise ToolkitError(f"checkpoint {checkpoint.id} was taken before the first recorded apply of "
                               f"{run.environment}: there is no earlier configuration to return to")
        if not live.git_commit:
            raise ToolkitError(f"the apply live at checkpoint {checkpoint.id} (checkpoint {plain(live.checkpoint)}) "
                               "records no git commit: it was applied outside a git checkout, so its configuration "
                               "cannot be rebuilt; use the other steps")
        path = store.records.where(store.tfvars_name(live.checkpoint))
        text = store.read_tfvars(live.checkpoint)
        if text is None:
            raise ToolkitError(f"checkpoint {plain(live.checkpoint)} kept no rendered tfvars ({plain(path)} is "
                               "missing; checkpoints older than this toolkit version do not): its configuration cannot "
                               "be rebuilt exactly; use the other steps")
        if live.tfvars_sha256 and hashlib.sha256(text.encode()).hexdigest() != live.tfvars_sha256:
            raise ToolkitError(f"{plain(path)} does not match the sha256 checkpoint {plain(live.checkpoint)} recorded: "
                               "it was edited after the apply; nothing applied")
        return live, text

    def execute(self, run: RunContext, plan: StepPlan) -> list[str]:
        from toolkit.db.schema_version import version_for_checkpoint
        from toolkit.engine.apply import apply_environment

        commit = plan.data["commit"]
        planned = self._plan(run, plan)
        source = plan.data["source"]
        metadata = planned.saved.metadata
        run.record(step=self.name, event="action", action="terraform:plan", result="ok",
                   request={"plan_id": metadata.plan_id, "commit": commit, "summary": metadata.summary.text()})
        if not planned.has_changes:
            return [f"plan {metadata.plan_id}: no changes: the infrastructure already matches commit {commit[:12]}"]
        for line in review_lines(str(planned.saved.plan_json), run.environment):
            run.echo(f"    | {line}" if line else "    |")
        applied = run.act(self.name, "terraform:apply", apply_environment,
                          {"plan_id": metadata.plan_id, "commit": commit, "summary": metadata.summary.text()},
                          project=run.project, environment=run.environment, approve=run.approve, prompt=run.confirm,
                          allow_destroy=list(run.options.allow_destroy), source=source,
                          schema_version=version_for_checkpoint, progress=HeartbeatProgress(run.heartbeat))
        return [f"applied plan {applied.plan_id} of commit {commit[:12]} ({metadata.summary.text()}); new checkpoint "
                f"{applied.checkpoint_id}"]


class HeartbeatProgress:
    """The engine's progress (toolkit.engine.progress.Progress) as the rollback's heartbeat: while the step plans
    and applies (an RDS change can take most of an hour) one line every HEARTBEAT_S with the stage and terraform's
    latest output, so the run never looks hung and never floods the incident channel with terraform's own lines."""

    def __init__(self, heartbeat: Callable[[str], None] | None, every_s: float = HEARTBEAT_S) -> None:
        self._heartbeat, self._every_s = heartbeat, every_s
        self._started = self._beat = time.monotonic()
        self._stage = ""

    def _maybe(self, environment: str, latest: str) -> None:
        now = time.monotonic()
        if self._heartbeat is None or now - self._beat < self._every_s:
            return
        self._beat = now
        stage = f" {self._stage}" if self._stage else ""
        self._heartbeat(f"still running{stage} for {environment} ({now - self._started:.0f} s)"
                        + (f": {mask_text(latest.strip())[:200]}" if latest.strip() else ""))

    def step(self, environment: str, text: str) -> None:
        self._stage = mask_text(text)[:120]
        self._maybe(environment, "")

    def line(self, environment: str, text: str) -> None:
        # Terraform prints "Still modifying… [10s elapsed]" every 10 s: one of them per beat.
        self._maybe(environment, text)

    def still_running(self, environment: str, command: str, elapsed_seconds: float) -> None:
        self._maybe(environment, f"terraform {command} quiet for a while")


def review_lines(plan_json: str, environment: str) -> list[str]:
    """The plan's review as text (what `toolkit review` prints), shown before the apply guards ask."""
    from toolkit.review.service import load_review, write_review

    review = load_review(plan_json, environment, every_diff=True)
    buffer = io.StringIO()
    try:
        write_review(review, "text", buffer, color=False)
    finally:
        review.plan.close()
    return buffer.getvalue().rstrip("\n").splitlines()
