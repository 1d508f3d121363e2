"""After a successful `terraform apply`: did the deployment really happen?

`terraform apply` exits 0 when ECS's deployment circuit breaker has rolled a service back to its old task
definition, and when an RDS or ElastiCache parameter change sits in `pending-reboot` (terraform-provider-aws
#19519, #40089). `toolkit apply` therefore waits, bounded, for each ECS service the plan changed to reach a
steady state on the task definition the state now names, and for the parameter groups it changed to leave
`applying`; a rollback, a failed or stuck deployment or a `pending-reboot` is a `Problem` with the step to take.

Targets come from the applied plan (what changed) and the state after the apply (the names and ARNs AWS
assigned). Every AWS call goes through toolkit.aws (bounded retries and timeouts).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from toolkit.aws import call

DEFAULT_TIMEOUT_S = 600.0
DEFAULT_INTERVAL_S = 10.0
# moto (the emulator) does not start a new deployment when UpdateService changes the task definition: its one
# PRIMARY deployment keeps the first task definition. Against an emulator endpoint the service's own
# taskDefinition stands in for the deployment's (said in the progress lines, never silently).
EMULATOR_DEPLOYMENT_TASK_DEFINITION = "the service's taskDefinition (moto keeps the first deployment's)"

_ECS_SERVICE = "aws_ecs_service"
_DB_GROUPS = {"aws_db_parameter_group", "aws_rds_cluster_parameter_group"}
_CACHE_GROUP = "aws_elasticache_parameter_group"
_CHANGING = {"create", "update"}


@dataclass(frozen=True)
class EcsTarget:
    address: str
    cluster: str
    service: str
    task_definition: str     # the one the state names after the apply


@dataclass
class Targets:
    services: list[EcsTarget] = field(default_factory=list)
    db_groups: set[str] = field(default_factory=set)      # DB and DB cluster parameter group names
    cache_groups: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.services or self.db_groups or self.cache_groups)


@dataclass(frozen=True)
class Problem:
    what: str        # "ecs:NAME" or "rds:ID" / "elasticache:ID"
    kind: str        # rolled-back | failed | stuck | pending-reboot
    message: str
    step: str        # what to do now

    def as_dict(self) -> dict[str, str]:
        return {"what": self.what, "kind": self.kind, "message": self.message, "step": self.step}


@dataclass(frozen=True)
class WaitSettings:
    timeout_s: float = DEFAULT_TIMEOUT_S
    interval_s: float = DEFAULT_INTERVAL_S
    emulator: bool = False


def _address(resource: dict[str, Any], instance: dict[str, Any]) -> str:
    module = f"{resource['module']}." if resource.get("module") else ""
    index = f"[{json.dumps(instance['index_key'])}]" if "index_key" in instance else ""
    return f"{module}{resource.get('type')}.{resource.get('name')}{index}"


def _state_attributes(state: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for resource in (state or {}).get("resources", []) or []:
        if not isinstance(resource, dict) or resource.get("mode") != "managed":
            continue
        for instance in resource.get("instances", []) or []:
            if isinstance(instance, dict) and isinstance(instance.get("attributes"), dict):
                found[_address(resource, instance)] = instance["attributes"]
    return found


def _changes(applied_plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [change for change in applied_plan.get("resource_changes", []) or []
            if change.get("mode") == "managed" and _CHANGING & set(change.get("change", {}).get("actions", []))]


def changes_watched_resources(applied_plan: dict[str, Any]) -> bool:
    """Whether the plan creates or changes an ECS service or a parameter group (before reading any state)."""
    return any(change.get("type") in {_ECS_SERVICE, _CACHE_GROUP, *_DB_GROUPS} for change in _changes(applied_plan))


def changed_targets(applied_plan: dict[str, Any], state: dict[str, Any] | None) -> Targets:
    """The ECS services and parameter groups the plan created or changed, named as the state names them now."""
    attributes = _state_attributes(state)
    targets = Targets()
    for change in _changes(applied_plan):
        kind, values = change.get("type"), attributes.get(change.get("address", ""))
        if values is None:
            continue
        if kind == _ECS_SERVICE and values.get("cluster") and values.get("name") and values.get("task_definition"):
            targets.services.append(EcsTarget(change["address"], str(values["cluster"]), str(values["name"]),
                                              str(values["task_definition"])))
        elif kind in _DB_GROUPS and values.get("name"):
            targets.db_groups.add(str(values["name"]))
        elif kind == _CACHE_GROUP and values.get("name"):
            targets.cache_groups.add(str(values["name"]))
    return targets


def _revision(task_definition: str) -> str:
    """`arn:aws:ecs:…:task-definition/app:7` and `app:7` are the same revision."""
    return task_definition.rsplit("/", 1)[-1]


def ecs_status(service: dict[str, Any], target: EcsTarget, settings: WaitSettings) -> tuple[str, str]:
    """("steady" | "waiting" | "rolled-back" | "failed", words for humans) of one DescribeServices answer."""
    wanted = _revision(target.task_definition)
    deployments = [item for item in service.get("deployments", []) or [] if isinstance(item, dict)]
    current = _revision(str(service.get("taskDefinition", "")))
    ours = [item for item in deployments if _revision(str(item.get("taskDefinition", ""))) == wanted]
    failed = next((item for item in ours if item.get("rolloutState") == "FAILED"), None)
    if current != wanted:
        reason = f" ({failed.get('rolloutStateReason')})" if failed and failed.get("rolloutStateReason") else ""
        return "rolled-back", f"the service runs {current} again, not {wanted}{reason}"
    if failed is not None:
        return "failed", f"the deployment of {wanted} failed: {failed.get('rolloutStateReason') or 'FAILED'}"
    primary = next((item for item in deployments if item.get("status") == "PRIMARY"), None)
    if primary is None:
        return "waiting", "no PRIMARY deployment yet"
    if not settings.emulator and _revision(str(primary.get("taskDefinition", ""))) != wanted:
        return "waiting", f"the PRIMARY deployment still runs {_revision(str(primary.get('taskDefinition', '')))}"
    running, desired = primary.get("runningCount", 0), primary.get("desiredCount", 0)
    state = primary.get("rolloutState")
    settled = state == "COMPLETED" if state else running == desired and not primary.get("pendingCount")
    if settled and len(deployments) == 1:
        return "steady", f"steady on {wanted} ({running} running)"
    others = len(deployments) - 1
    return "waiting", (f"{wanted}: {running} of {desired} running, rollout {state or 'unknown'}"
                       + (f", {others} older deployment(s) draining" if others else ""))


def _describe_service(ecs: Any, target: EcsTarget) -> dict[str, Any] | None:
    answer = call(f"ecs:DescribeServices {target.service}", ecs.describe_services, cluster=target.cluster,
                  services=[target.service])
    services = answer.get("services") or []
    return services[0] if services else None


def _db_statuses(rds: Any, groups: set[str]) -> dict[str, list[str]]:
    """DB instance or cluster id → the apply statuses of its parameter groups among `groups`."""
    found: dict[str, list[str]] = {}
    for page in rds.get_paginator("describe_db_instances").paginate():
        for instance in page.get("DBInstances", []):
            statuses = [group.get("ParameterApplyStatus", "") for group in instance.get("DBParameterGroups", [])
                        if group.get("DBParameterGroupName") in groups]
            if statuses:
                found[f"rds:{instance['DBInstanceIdentifier']}"] = statuses
    for page in rds.get_paginator("describe_db_clusters").paginate():
        for cluster in page.get("DBClusters", []):
            if cluster.get("DBClusterParameterGroup") not in groups:
                continue
            for member in cluster.get("DBClusterMembers", []):
                found.setdefault(f"rds:{member['DBInstanceIdentifier']}", []).append(
                    member.get("DBClusterParameterGroupStatus", ""))
    return found


def _cache_statuses(elasticache: Any, groups: set[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for page in elasticache.get_paginator("describe_cache_clusters").paginate(ShowCacheNodeInfo=True):
        for cluster in page.get("CacheClusters", []):
            group = cluster.get("CacheParameterGroup") or {}
            if group.get("CacheParameterGroupName") in groups:
                found[f"elasticache:{cluster['CacheClusterId']}"] = [group.get("ParameterApplyStatus", "")]
    return found


def _reboot_step(what: str) -> str:
    service, identifier = what.split(":", 1)
    if service == "rds":
        return (f"reboot it in a maintenance window to apply the static parameters: aws rds reboot-db-instance "
                f"--db-instance-identifier {identifier}")
    return (f"reboot its nodes in a maintenance window: aws elasticache reboot-cache-cluster --cache-cluster-id "
            f"{identifier} --cache-node-ids-to-reboot <node ids>")


def wait_for_deployments(targets: Targets, clients: Callable[[str], Any], settings: WaitSettings, *,
                         report: Callable[[str], None], rollback_hint: Callable[[str], str],
                         clock: Callable[[], float] = time.monotonic,
                         sleep: Callable[[float], None] = time.sleep) -> list[Problem]:
    """Poll until every service is steady and no parameter group is still applying, or the deadline passes.

    `report` gets a progress line whenever a status changes; `rollback_hint(kind)` the step for an ECS problem.
    """
    deadline = clock() + settings.timeout_s
    if settings.emulator and targets.services:
        report(f"emulator endpoint: the task definition deployed is read from {EMULATOR_DEPLOYMENT_TASK_DEFINITION}")
    pending = {target.address: target for target in targets.services}
    problems: list[Problem] = []
    last: dict[str, str] = {}
    groups_done = not (targets.db_groups or targets.cache_groups)
    for target in targets.services:
        report(f"waiting for ECS service {target.service} to reach a steady state on "
               f"{_revision(target.task_definition)} (up to {settings.timeout_s:g}s)")
    while True:
        for address, target in list(pending.items()):
            service = _describe_service(clients("ecs"), target)
            status, words = ("failed", "the service is gone") if service is None else \
                ecs_status(service, target, settings)
            if words != last.get(address):
                report(f"ECS service {target.service}: {words}")
                last[address] = words
            if status == "waiting":
                continue
            del pending[address]
            if status != "steady":
                problems.append(Problem(f"ecs:{target.service}", status, f"ECS service {target.service}: {words}",
                                        rollback_hint(status)))
        statuses: dict[str, list[str]] = {}
        if not groups_done:
            if targets.db_groups:
                statuses.update(_db_statuses(clients("rds"), targets.db_groups))
            if targets.cache_groups:
                statuses.update(_cache_statuses(clients("elasticache"), targets.cache_groups))
            groups_done = not any("applying" in values for values in statuses.values())
        if not pending and groups_done:
            break
        if clock() + settings.interval_s > deadline:
            for target in pending.values():
                problems.append(Problem(f"ecs:{target.service}", "stuck",
                                        f"ECS service {target.service}: not steady after {settings.timeout_s:g}s "
                                        f"({last.get(target.address, 'no status')})", rollback_hint("stuck")))
            break
        sleep(settings.interval_s)
    if targets.db_groups or targets.cache_groups:
        if not statuses:  # the services finished first: read the groups once more
            if targets.db_groups:
                statuses.update(_db_statuses(clients("rds"), targets.db_groups))
            if targets.cache_groups:
                statuses.update(_cache_statuses(clients("elasticache"), targets.cache_groups))
        for what, values in sorted(statuses.items()):
            if "pending-reboot" in values:
                problems.append(Problem(what, "pending-reboot",
                                        f"{what}: parameter group changes are pending-reboot (not in effect)",
                                        _reboot_step(what)))
            elif "applying" in values:
                problems.append(Problem(what, "stuck", f"{what}: parameter group still applying after "
                                        f"{settings.timeout_s:g}s", "check it again in a few minutes"))
    return problems
