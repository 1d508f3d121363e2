"""ECS steps: roll a service back to a task definition revision, or switch the application off Redis.

Both end in the same rollout: UpdateService, then poll DescribeServices until the service is stable —
one deployment left, running count equal to the desired count, the target revision, and a rollout
state (when ECS reports one) of COMPLETED. A FAILED rollout (deployment circuit breaker) stops the wait.
"""

from __future__ import annotations

from typing import Any

from toolkit.aws import call, error_code
from toolkit.errors import ToolkitError
from toolkit.records.checkpoints import EcsServiceSnapshot
from toolkit.rollback.base import Change, RunContext, Step, StepCannotWork, StepPlan
from toolkit.rollback.waits import wait_for

ROLLOUT_TIMEOUT_S = 600.0
ROLLOUT_POLL_S = 5.0
# The application's cache switch (see docs/ROLLBACK.md, "cache-disable").
CACHE_URL_VARIABLES = ("REDIS_URL",)
CACHE_SWITCH_VARIABLE = "CACHE_ENABLED"
CACHE_SWITCH_OFF = "false"
# Keys of DescribeTaskDefinition's answer that RegisterTaskDefinition accepts back.
REGISTER_KEYS = ("family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes",
                 "placementConstraints", "requiresCompatibilities", "cpu", "memory", "pidMode", "ipcMode",
                 "proxyConfiguration", "inferenceAccelerators", "ephemeralStorage", "runtimePlatform")


def revision_label(arn: str) -> str:
    """`arn:aws:ecs:…:task-definition/app:3` → `app:3`."""
    return arn.rsplit("/", 1)[-1]


def with_images(arn: str, definition: dict[str, Any]) -> str:
    """`app:3 (image app=registry/app:1.0)`: the revision with its containers' images."""
    images = ", ".join(f"{item.get('name', '?')}={item.get('image', '?')}"
                       for item in definition.get("containerDefinitions", []))
    return f"{revision_label(arn)} (image {images})" if images else revision_label(arn)


def split_revision(arn: str) -> tuple[str, int]:
    family, _, revision = revision_label(arn).rpartition(":")
    return family, int(revision)


def describe_service(run: RunContext, cluster: str, service: str) -> dict[str, Any]:
    answer = call("ecs:DescribeServices", run.clients("ecs").describe_services, cluster=cluster, services=[service])
    for item in answer.get("services", []):
        if item.get("status") != "INACTIVE":
            return item
    raise ToolkitError(f"ECS service {cluster}/{service} not found (or inactive): the rollback needs it to exist")


def service_status(service: dict[str, Any]) -> str:
    deployments = service.get("deployments", [])
    primary = next((item for item in deployments if item.get("status") == "PRIMARY"), {})
    rollout = f", rollout {primary['rolloutState']}" if primary.get("rolloutState") else ""
    return (f"{revision_label(service['taskDefinition'])}, running {service.get('runningCount', 0)}/"
            f"{service.get('desiredCount', 0)}, {len(deployments)} deployment{'s' if len(deployments) != 1 else ''}"
            f"{rollout}")


def is_stable(service: dict[str, Any], target_arn: str) -> tuple[bool, str]:
    deployments = service.get("deployments", [])
    primary = next((item for item in deployments if item.get("status") == "PRIMARY"), {})
    stable = (service["taskDefinition"] == target_arn and len(deployments) <= 1
              and service.get("runningCount") == service.get("desiredCount")
              and primary.get("rolloutState", "COMPLETED") == "COMPLETED")
    return stable, service_status(service)


def rollout_failure(service: dict[str, Any], target_arn: str) -> str | None:
    if service["taskDefinition"] != target_arn:
        return (f"the service moved to {revision_label(service['taskDefinition'])} while waiting "
                "(another deployment, or the circuit breaker rolled back)")
    primary = next((item for item in service.get("deployments", []) if item.get("status") == "PRIMARY"), {})
    if primary.get("rolloutState") == "FAILED":
        return f"the deployment failed: {primary.get('rolloutStateReason', 'no reason given')}"
    return None


def roll_out(run: RunContext, step: str, cluster: str, service: str, target_arn: str, *, update: bool) -> str:
    """UpdateService (when `update`), wait until stable, and say what the service runs now."""
    ecs = run.clients("ecs")
    if update:
        summary = {"cluster": cluster, "service": service, "taskDefinition": revision_label(target_arn)}
        if run.options.revision and step == EcsTaskDefinitionStep.name:
            summary["revision"] = run.options.revision  # how the target was chosen: a re-run resolves it the same
        run.act(step, "ecs:UpdateService", ecs.update_service, summary,
                cluster=cluster, service=service, taskDefinition=target_arn)
    final = wait_for(f"ECS service {cluster}/{service} to become stable on {revision_label(target_arn)}",
                     lambda: describe_service(run, cluster, service),
                     lambda observed: is_stable(observed, target_arn),
                     run.wait_policy(ROLLOUT_TIMEOUT_S, ROLLOUT_POLL_S),
                     failed=lambda observed: rollout_failure(observed, target_arn))
    return f"{cluster}/{service}: stable on {service_status(final)}"


class EcsTaskDefinitionStep(Step):
    name = "ecs-task-definition"
    tier = "immediate"
    title = "Roll the ECS service back to the checkpoint's task definition revision"

    def plan(self, run: RunContext) -> StepPlan:
        plan = StepPlan(self.name)
        if not run.checkpoint.ecs_services:
            plan.already.append(f"checkpoint {run.checkpoint.id} records no ECS service: nothing to do")
            return plan
        waits: list[tuple[str, str, str, bool]] = []
        for snapshot in run.checkpoint.ecs_services:
            service = describe_service(run, snapshot.cluster, snapshot.service)
            current = service["taskDefinition"]
            target = self._target(run, snapshot, current)
            resource = f"{snapshot.cluster}/{snapshot.service}"
            family, revision = split_revision(target)
            if current == target:
                stable, status = is_stable(service, target)
                if stable:
                    plan.already.append(f"{resource}: already at revision {revision} of {family} "
                                        f"(running {service.get('runningCount')}/{service.get('desiredCount')}): "
                                        "nothing to do")
                    continue
                plan.notes.append(f"{resource}: already on {revision_label(target)} but not stable yet ({status}): "
                                  "waiting for it")
                waits.append((snapshot.cluster, snapshot.service, target, False))
                continue
            wanted = self._check_target_active(run, target)
            running = call("ecs:DescribeTaskDefinition", run.clients("ecs").describe_task_definition,
                           taskDefinition=current)["taskDefinition"]
            # The image tags beside the numbers: which revision is the good one is read from its image.
            plan.changes.append(Change("ecs:UpdateService", resource, with_images(current, running),
                                       with_images(target, wanted)))
            plan.notes.append(f"{resource}: then wait until stable (timeout "
                              f"{run.wait_policy(ROLLOUT_TIMEOUT_S, ROLLOUT_POLL_S).timeout_s:g} s) and verify "
                              f"running = desired ({service.get('desiredCount')}) on {revision_label(target)}")
            waits.append((snapshot.cluster, snapshot.service, target, True))
        plan.data["rollouts"] = waits
        plan.data["wait_only"] = any(not update for *_, update in waits)
        return plan

    def execute(self, run: RunContext, plan: StepPlan) -> list[str]:
        return [roll_out(run, self.name, cluster, service, target, update=update)
                for cluster, service, target, update in plan.data["rollouts"]]

    def _target(self, run: RunContext, snapshot: EcsServiceSnapshot, current: str) -> str:
        wanted = run.options.revision
        if wanted is None:
            return snapshot.task_definition_arn
        prefix = current.rsplit(":", 1)[0]
        if wanted.isdigit():
            return f"{prefix}:{int(wanted)}"
        if self._resolved_before(run, snapshot, current):
            return current
        family, revision = split_revision(current)
        paginator = run.clients("ecs").get_paginator("list_task_definitions")
        for page in paginator.paginate(familyPrefix=family, status="ACTIVE", sort="DESC"):
            for arn in page.get("taskDefinitionArns", []):
                candidate_family, candidate = split_revision(arn)
                if candidate_family == family and candidate < revision:
                    return arn
        raise StepCannotWork(f"{snapshot.cluster}/{snapshot.service}: no ACTIVE revision of {family} before "
                             f"{revision}: nothing to roll back to")

    def _resolved_before(self, run: RunContext, snapshot: EcsServiceSnapshot, current: str) -> bool:
        """Whether the service's newest rollout by this step was a `--revision previous` that put `current` in
        place: the target was resolved then and is kept, so running the same command again changes nothing
        (instead of stepping back one more revision each time)."""
        for entry in reversed(run.journal.read()):
            if (entry.event, entry.action, entry.step, entry.result) != ("action", "ecs:UpdateService", self.name,
                                                                        "ok"):
                continue
            if (entry.request.get("cluster"), entry.request.get("service")) != (snapshot.cluster, snapshot.service):
                continue
            return entry.request.get("revision") == "previous" and \
                entry.request.get("taskDefinition") == revision_label(current)
        return False

    @staticmethod
    def _check_target_active(run: RunContext, target: str) -> dict[str, Any]:
        try:
            definition = call("ecs:DescribeTaskDefinition", run.clients("ecs").describe_task_definition,
                              taskDefinition=target)["taskDefinition"]
        except ToolkitError as error:
            # ECS answers ClientException for a revision that does not exist: asking again cannot help.
            kind = StepCannotWork if error_code(error.__cause__) in ("ClientException", "InvalidParameterException") \
                else ToolkitError
            raise kind(f"target task definition {revision_label(target)} cannot be used: {error}") from None
        if definition.get("status") != "ACTIVE":
            raise StepCannotWork(f"target task definition {revision_label(target)} is {definition.get('status')}: "
                                 "ECS only deploys ACTIVE revisions (choose another with --revision N)")
        return definition


class CacheDisableStep(Step):
    name = "cache-disable"
    tier = "short"
    title = "Switch the application off Redis: new task definition revision without REDIS_URL, CACHE_ENABLED=false"

    def plan(self, run: RunContext) -> StepPlan:
        plan = StepPlan(self.name)
        if not run.checkpoint.ecs_services:
            plan.already.append(f"checkpoint {run.checkpoint.id} records no ECS service: nothing to do")
            return plan
        work: list[dict[str, Any]] = []
        for snapshot in run.checkpoint.ecs_services:
            resource = f"{snapshot.cluster}/{snapshot.service}"
            service = describe_service(run, snapshot.cluster, snapshot.service)
            current = service["taskDefinition"]
            definition = call("ecs:DescribeTaskDefinition", run.clients("ecs").describe_task_definition,
                              taskDefinition=current)["taskDefinition"]
            containers, edits = cache_off(definition["containerDefinitions"])
            if not edits:
                if not uses_cache_switch(definition["containerDefinitions"]):
                    plan.already.append(f"{resource}: {revision_label(current)} has no {CACHE_SWITCH_VARIABLE} or "
                                        f"{'/'.join(CACHE_URL_VARIABLES)} setting: nothing to do")
                    continue
                stable, status = is_stable(service, current)
                if stable:
                    plan.already.append(f"{resource}: cache already off in {revision_label(current)} "
                                        f"({CACHE_SWITCH_VARIABLE}={CACHE_SWITCH_OFF}, no "
                                        f"{'/'.join(CACHE_URL_VARIABLES)}): nothing to do")
                    continue
                plan.notes.append(f"{resource}: cache already off in {revision_label(current)}, not stable yet "
                                  f"({status}): waiting for it")
                work.append({"cluster": snapshot.cluster, "service": snapshot.service, "target": current})
                continue
            family = split_revision(current)[0]
            plan.changes.append(Change("ecs:RegisterTaskDefinition", family, revision_label(current),
                                       f"next revision of {family} with " + "; ".join(edits)))
            plan.changes.append(Change("ecs:UpdateService", resource, revision_label(current),
                                       f"the new revision of {family}"))
            plan.notes.append(f"{resource}: then wait until stable and verify running = desired "
                              f"({service.get('desiredCount')})")
            request = {key: definition[key] for key in REGISTER_KEYS if definition.get(key) not in (None, [], {})}
            request["containerDefinitions"] = containers
            work.append({"cluster": snapshot.cluster, "service": snapshot.service, "register": request,
                         "edits": edits, "current": current})
            # What "switch the cache back on" returns to (runbook.still_to_do): this revision, not the numerically
            # previous one, which after the immediate tier is the broken revision it left (kept ACTIVE).
            run.loaded.setdefault("cache_replaced", {})[resource] = current
        plan.data["work"] = work
        plan.data["wait_only"] = any("register" not in item for item in work)
        return plan

    def execute(self, run: RunContext, plan: StepPlan) -> list[str]:
        lines: list[str] = []
        ecs = run.clients("ecs")
        for item in plan.data["work"]:
            if "register" not in item:
                lines.append(roll_out(run, self.name, item["cluster"], item["service"], item["target"], update=False))
                continue
            request = item["register"]
            registered = run.act(self.name, "ecs:RegisterTaskDefinition", ecs.register_task_definition,
                                 {"family": request["family"], "based_on": revision_label(item["current"]),
                                  "changes": item["edits"]}, **request)
            target = registered["taskDefinition"]["taskDefinitionArn"]
            lines.append(f"registered {revision_label(target)} (from {revision_label(item['current'])}): "
                         + "; ".join(item["edits"]))
            lines.append(roll_out(run, self.name, item["cluster"], item["service"], target, update=True))
        return lines


def uses_cache_switch(containers: list[dict[str, Any]]) -> bool:
    names = {*CACHE_URL_VARIABLES, CACHE_SWITCH_VARIABLE}
    return any(entry.get("name") in names for container in containers
               for entry in (*container.get("environment", []), *container.get("secrets", [])))


def cache_off(containers: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Containers with the cache switched off, and the edits in words (values are never shown)."""
    edited: list[dict[str, Any]] = []
    edits: list[str] = []
    for container in containers:
        environment = list(container.get("environment", []))
        secrets = list(container.get("secrets", []))
        mentions = [entry for entry in (*environment, *secrets)
                    if entry.get("name") in (*CACHE_URL_VARIABLES, CACHE_SWITCH_VARIABLE)]
        if not mentions:
            edited.append(container)
            continue
        name = container.get("name", "?")
        for variable in CACHE_URL_VARIABLES:
            if any(entry.get("name") == variable for entry in (*environment, *secrets)):
                edits.append(f"{name}: remove {variable}")
        environment = [entry for entry in environment if entry.get("name") not in CACHE_URL_VARIABLES]
        secrets = [entry for entry in secrets if entry.get("name") not in (*CACHE_URL_VARIABLES, CACHE_SWITCH_VARIABLE)]
        switch = next((entry for entry in environment if entry.get("name") == CACHE_SWITCH_VARIABLE), None)
        if switch is None or switch.get("value") != CACHE_SWITCH_OFF:
            previous = "unset" if switch is None else repr(switch.get("value"))
            edits.append(f"{name}: {CACHE_SWITCH_VARIABLE} {previous} → {CACHE_SWITCH_OFF!r}")
            environment = [entry for entry in environment if entry.get("name") != CACHE_SWITCH_VARIABLE]
            environment.append({"name": CACHE_SWITCH_VARIABLE, "value": CACHE_SWITCH_OFF})
        updated = dict(container)
        updated["environment"] = environment
        if secrets or "secrets" in container:
            updated["secrets"] = secrets
        edited.append(updated)
    return edited, edits
