"""Suspend (or resume) Application Auto Scaling for the checkpoint's scalable targets.

Suspending all three activities (dynamic scale-in, dynamic scale-out, scheduled) freezes the desired
count, so a bad scaling policy or alarm cannot fight the rollback. `--resume` turns them back on.
"""

from __future__ import annotations

from typing import Any

from toolkit.aws import call
from toolkit.errors import ToolkitError
from toolkit.records.checkpoints import AutoscalingSnapshot
from toolkit.rollback.base import Change, RunContext, Step, StepPlan

ACTIVITIES = ("DynamicScalingInSuspended", "DynamicScalingOutSuspended", "ScheduledScalingSuspended")
WORDS = {"DynamicScalingInSuspended": "dynamic scale-in", "DynamicScalingOutSuspended": "dynamic scale-out",
         "ScheduledScalingSuspended": "scheduled"}


def describe_state(state: dict[str, Any]) -> str:
    suspended = [WORDS[key] for key in ACTIVITIES if state.get(key)]
    if not suspended:
        return "scaling active"
    if len(suspended) == len(ACTIVITIES):
        return "suspended (all)"
    return "suspended: " + ", ".join(suspended)


def read_targets(run: RunContext, snapshots: list[AutoscalingSnapshot]) -> dict[tuple[str, str], dict[str, Any]]:
    """Current scalable targets, one DescribeScalableTargets call per namespace."""
    client = run.clients("application-autoscaling")
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for namespace in sorted({item.namespace for item in snapshots}):
        ids = [item.resource_id for item in snapshots if item.namespace == namespace]
        answer = call("application-autoscaling:DescribeScalableTargets", client.describe_scalable_targets,
                      ServiceNamespace=namespace, ResourceIds=ids)
        for target in answer.get("ScalableTargets", []):
            found[(target["ResourceId"], target["ScalableDimension"])] = target
    return found


class AutoscalingStep(Step):
    name = "autoscaling"
    tier = "immediate"
    title = "Suspend Application Auto Scaling for the service (--resume turns it back on)"

    def plan(self, run: RunContext) -> StepPlan:
        plan = StepPlan(self.name)
        snapshots = run.checkpoint.autoscaling
        if not snapshots:
            plan.already.append(f"checkpoint {run.checkpoint.id} records no scalable target: nothing to do")
            return plan
        want = dict.fromkeys(ACTIVITIES, not run.options.resume_scaling)
        current = read_targets(run, snapshots)
        pending: list[AutoscalingSnapshot] = []
        for snapshot in snapshots:
            target = current.get((snapshot.resource_id, snapshot.dimension))
            if target is None:
                raise ToolkitError(f"scalable target {snapshot.resource_id} ({snapshot.dimension}) not found: "
                                   "it was deregistered; nothing to suspend")
            state = {key: bool((target.get("SuspendedState") or {}).get(key)) for key in ACTIVITIES}
            if state == want:
                plan.already.append(f"{snapshot.resource_id}: already {describe_state(want)}: nothing to do")
                continue
            plan.changes.append(Change("application-autoscaling:RegisterScalableTarget", snapshot.resource_id,
                                       describe_state(state), describe_state(want)))
            pending.append(snapshot)
        plan.data.update(pending=pending, want=want)
        return plan

    def execute(self, run: RunContext, plan: StepPlan) -> list[str]:
        client = run.clients("application-autoscaling")
        want: dict[str, bool] = plan.data["want"]
        pending: list[AutoscalingSnapshot] = plan.data["pending"]
        for snapshot in pending:
            run.act(self.name, "application-autoscaling:RegisterScalableTarget", client.register_scalable_target,
                    {"resource": snapshot.resource_id, "dimension": snapshot.dimension, "suspended": want},
                    ServiceNamespace=snapshot.namespace, ResourceId=snapshot.resource_id,
                    ScalableDimension=snapshot.dimension, SuspendedState=want)
        verified = read_targets(run, pending)
        lines = []
        for snapshot in pending:
            state = (verified.get((snapshot.resource_id, snapshot.dimension)) or {}).get("SuspendedState") or {}
            if {key: bool(state.get(key)) for key in ACTIVITIES} != want:
                raise ToolkitError(f"{snapshot.resource_id}: still {describe_state(state)} after the change "
                                   f"(wanted {describe_state(want)})")
            lines.append(f"{snapshot.resource_id}: {describe_state(want)} (verified)")
        return lines
