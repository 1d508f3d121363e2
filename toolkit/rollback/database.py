"""Database steps: parameter groups back to the checkpoint's values, restore from snapshot, cut-over.

A restore never touches the running database: it creates a new instance or cluster next to it, named
`<source>-rb-<stamp>` and tagged `toolkit:rollback-of=<source>`. Only the explicit `db-cutover` step
swaps names, which moves the endpoint (the DNS name follows the identifier) to the restored copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from toolkit.aws import call, error_code
from toolkit.clock import iso
from toolkit.errors import ToolkitError, UsageError
from toolkit.records.checkpoints import DbSnapshotRecord, ParameterSetting, user_parameters
from toolkit.rollback.base import Change, RunContext, Step, StepPlan
from toolkit.rollback.waits import wait_for

RDS_TIMEOUT_S = 3600.0
RDS_POLL_S = 15.0
MODIFY_BATCH = 20  # ModifyDBParameterGroup accepts at most 20 parameters per call
ROLLBACK_OF_TAG = "toolkit:rollback-of"
CHECKPOINT_TAG = "toolkit:checkpoint"
NOT_FOUND = ("DBInstanceNotFound", "DBInstanceNotFoundFault", "DBClusterNotFoundFault", "DBClusterNotFound")


def apply_method(apply_type: str) -> str:
    return "pending-reboot" if apply_type == "static" else "immediate"


# Parameter groups ---------------------------------------------------------------------------------


class DbParameterGroupStep(Step):
    name = "db-parameter-group"
    tier = "short"
    title = "Put the DB parameter groups back to the checkpoint's values (immediate/pending-reboot)"

    def plan(self, run: RunContext) -> StepPlan:
        plan = StepPlan(self.name)
        groups = run.checkpoint.db_parameter_groups
        if not groups:
            plan.already.append(f"checkpoint {run.checkpoint.id} records no DB parameter group: nothing to do")
            return plan
        rds = run.clients("rds")
        work: list[dict[str, Any]] = []
        static_groups: dict[tuple[str, str], list[str]] = {}
        for group in groups:
            current = user_parameters(rds, group.name, group.kind)
            sets = {name: setting for name, setting in group.parameters.items()
                    if name not in current or current[name].value != setting.value}
            resets = {name: setting for name, setting in current.items() if name not in group.parameters}
            if not sets and not resets:
                plan.already.append(f"{group.kind} parameter group {group.name}: already at the checkpoint's "
                                    f"{len(group.parameters)} values: nothing to do")
                continue
            modify = "rds:ModifyDBParameterGroup" if group.kind == "instance" else "rds:ModifyDBClusterParameterGroup"
            reset = "rds:ResetDBParameterGroup" if group.kind == "instance" else "rds:ResetDBClusterParameterGroup"
            for name, setting in sets.items():
                was = current[name].value if name in current else "engine default"
                plan.changes.append(Change(modify, f"{group.name}: {name}", was,
                                           f"{setting.value} ({apply_method(setting.apply_type)})"))
            for name, setting in resets.items():
                plan.changes.append(Change(reset, f"{group.name}: {name}", setting.value,
                                           f"engine default ({apply_method(setting.apply_type)})"))
            changed = (*sets.items(), *resets.items())
            static = sorted(name for name, setting in changed if setting.apply_type == "static")
            if static:
                static_groups[(group.kind, group.name)] = static
            work.append({"group": group, "sets": sets, "resets": resets})
        reboots = self._reboot_candidates(run, static_groups) if static_groups or run.options.reboot else {}
        for instance, reason in reboots.items():
            if run.options.reboot:
                plan.changes.append(Change("rds:RebootDBInstance", instance, reason, "rebooted and available"))
            else:
                plan.notes.append(f"{instance} needs a reboot ({reason}); add --reboot to reboot it now, or reboot "
                                  "it in a maintenance window")
        plan.data.update(work=work, reboots=reboots if run.options.reboot else {}, needs_reboot=reboots)
        return plan

    def _reboot_candidates(self, run: RunContext, static_groups: dict[tuple[str, str], list[str]]) -> dict[str, str]:
        """Instances that use a group with static changes (now or still pending), and why."""
        rds = run.clients("rds")
        candidates: dict[str, str] = {}
        cluster_groups = {name: params for (kind, name), params in static_groups.items() if kind == "cluster"}
        cluster_members: dict[str, str] = {}
        if cluster_groups:
            for page in rds.get_paginator("describe_db_clusters").paginate():
                for cluster in page.get("DBClusters", []):
                    group = cluster.get("DBClusterParameterGroup")
                    if group in cluster_groups:
                        for member in cluster.get("DBClusterMembers", []):
                            cluster_members[member["DBInstanceIdentifier"]] = group
        instance_groups = {name: params for (kind, name), params in static_groups.items() if kind == "instance"}
        checkpoint_groups = {group.name for group in run.checkpoint.db_parameter_groups if group.kind == "instance"}
        for page in rds.get_paginator("describe_db_instances").paginate():
            for instance in page.get("DBInstances", []):
                identifier = instance["DBInstanceIdentifier"]
                for group in instance.get("DBParameterGroups", []):
                    name = group.get("DBParameterGroupName")
                    if name in instance_groups:
                        candidates[identifier] = f"static parameters of {name}: {', '.join(instance_groups[name])}"
                    elif name in checkpoint_groups and group.get("ParameterApplyStatus") == "pending-reboot":
                        candidates[identifier] = f"{name} has changes pending a reboot"
                if identifier in cluster_members:
                    name = cluster_members[identifier]
                    candidates[identifier] = f"static parameters of {name}: {', '.join(cluster_groups[name])}"
        return candidates

    def execute(self, run: RunContext, plan: StepPlan) -> list[str]:
        rds = run.clients("rds")
        lines: list[str] = []
        for item in plan.data["work"]:
            group = item["group"]
            self._modify(run, rds, group.kind, group.name, item["sets"], reset=False)
            self._modify(run, rds, group.kind, group.name, item["resets"], reset=True)
            now = user_parameters(rds, group.name, group.kind)
            wrong = sorted(name for name, setting in group.parameters.items()
                           if name not in now or now[name].value != setting.value)
            wrong += sorted(name for name in now if name not in group.parameters)
            if wrong:
                raise ToolkitError(f"parameter group {group.name}: {', '.join(wrong)} not at the checkpoint's value "
                                   "after the change")
            by_method: dict[str, list[str]] = {}
            for name, setting in (*item["sets"].items(), *item["resets"].items()):
                by_method.setdefault(apply_method(setting.apply_type), []).append(name)
            applied = "; ".join(f"{method}: {', '.join(sorted(names))}" for method, names in sorted(by_method.items()))
            lines.append(f"{group.kind} parameter group {group.name}: back to the checkpoint's values (verified); "
                         f"{applied}")
        for instance in plan.data["reboots"]:
            run.act(self.name, "rds:RebootDBInstance", rds.reboot_db_instance, {"instance": instance},
                    DBInstanceIdentifier=instance)
            wait_instance_available(run, instance)
            lines.append(f"{instance}: rebooted, available")
        for instance, reason in plan.data["needs_reboot"].items():
            if instance not in plan.data["reboots"]:
                lines.append(f"{instance}: needs a reboot ({reason}): `toolkit rollback {run.environment} "
                             f"--step db-parameter-group --to {run.checkpoint.id} --reboot --yes`")
        return lines

    def _modify(self, run: RunContext, rds: Any, kind: str, group: str, settings: dict[str, ParameterSetting],
                *, reset: bool) -> None:
        names = sorted(settings)
        for start in range(0, len(names), MODIFY_BATCH):
            batch = names[start:start + MODIFY_BATCH]
            parameters = [{"ParameterName": name, "ApplyMethod": apply_method(settings[name].apply_type)}
                          if reset else {"ParameterName": name, "ParameterValue": settings[name].value,
                                         "ApplyMethod": apply_method(settings[name].apply_type)} for name in batch]
            summary = {"group": group, "parameters": {name: "default" if reset else settings[name].value
                                                      for name in batch}}
            if kind == "instance":
                operation = rds.reset_db_parameter_group if reset else rds.modify_db_parameter_group
                action = "rds:ResetDBParameterGroup" if reset else "rds:ModifyDBParameterGroup"
                run.act(self.name, action, operation, summary, DBParameterGroupName=group, Parameters=parameters)
            else:
                operation = rds.reset_db_cluster_parameter_group if reset else rds.modify_db_cluster_parameter_group
                action = "rds:ResetDBClusterParameterGroup" if reset else "rds:ModifyDBClusterParameterGroup"
                run.act(self.name, action, operation, summary, DBClusterParameterGroupName=group,
                        Parameters=parameters)


# Restore and cut-over -------------------------------------------------------------------------------


def describe_instance(run: RunContext, identifier: str) -> dict[str, Any] | None:
    try:
        return call("rds:DescribeDBInstances", run.clients("rds").describe_db_instances,
                    DBInstanceIdentifier=identifier)["DBInstances"][0]
    except ToolkitError as error:
        if error_code(error.__cause__) in NOT_FOUND:
            return None
        raise


def describe_cluster(run: RunContext, identifier: str) -> dict[str, Any] | None:
    try:
        return call("rds:DescribeDBClusters", run.clients("rds").describe_db_clusters,
                    DBClusterIdentifier=identifier)["DBClusters"][0]
    except ToolkitError as error:
        if error_code(error.__cause__) in NOT_FOUND:
            return None
        raise


def status_of(resource: dict[str, Any] | None, kind: str) -> str:
    if resource is None:
        return "absent"
    return str(resource.get("DBInstanceStatus" if kind == "instance" else "Status", "unknown"))


def wait_instance_available(run: RunContext, identifier: str) -> dict[str, Any]:
    return wait_for(f"DB instance {identifier} to become available", lambda: describe_instance(run, identifier),
                    lambda found: (status_of(found, "instance") == "available", status_of(found, "instance")),
                    run.wait_policy(RDS_TIMEOUT_S, RDS_POLL_S))


def wait_cluster_available(run: RunContext, identifier: str) -> dict[str, Any]:
    return wait_for(f"DB cluster {identifier} to become available", lambda: describe_cluster(run, identifier),
                    lambda found: (status_of(found, "cluster") == "available", status_of(found, "cluster")),
                    run.wait_policy(RDS_TIMEOUT_S, RDS_POLL_S))


def describe(run: RunContext, identifier: str, kind: str) -> dict[str, Any] | None:
    return describe_instance(run, identifier) if kind == "instance" else describe_cluster(run, identifier)


def tags_of(resource: dict[str, Any] | None) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in (resource or {}).get("TagList", [])}


def derived_identifier(source: str, marker: str, stamp: str) -> str:
    """`<source>-<marker>-<stamp>`, within RDS's 63 characters, no double or trailing hyphen."""
    suffix = f"-{marker}-{stamp}"
    head = source[: 63 - len(suffix)].rstrip("-")
    return re.sub(r"-{2,}", "-", f"{head}{suffix}")


def compact_stamp(moment: str) -> str:
    """`2026-11-26T14:15:00Z` or `20261126T141500Z-3f9a` → `202611261415`."""
    digits = re.sub(r"\D", "", moment.split("-")[0] if "T" in moment.split("-")[0] else moment)
    return digits[:12]


@dataclass
class RestoreSource:
    kind: str                          # "instance" | "cluster"
    source: str                        # the identifier being rolled back
    snapshot: str | None               # snapshot to restore from (None: point-in-time)
    restored: str                      # identifier of the restored copy
    engine: str | None = None


def restore_sources(run: RunContext) -> list[RestoreSource]:
    """What to restore: the checkpoint's snapshots, a named --snapshot, or a point in time (--restore-time)."""
    options = run.options
    if options.snapshot:
        record = find_snapshot(run, options.snapshot)
        records = [record]
    else:
        records = list(run.checkpoint.db_snapshots)
    sources = []
    for record in records:
        if options.restore_time:
            stamp = compact_stamp(run.checkpoint.id if options.restore_time == "latest" else options.restore_time)
            restored = derived_identifier(record.source_identifier, "pitr", stamp)
            sources.append(RestoreSource(record.type, record.source_identifier, None, restored, record.engine))
        else:
            restored = derived_identifier(record.source_identifier, "rb", compact_stamp(record.created_at))
            sources.append(RestoreSource(record.type, record.source_identifier, record.identifier, restored,
                                         record.engine))
    return sources


def find_snapshot(run: RunContext, name: str) -> DbSnapshotRecord:
    rds = run.clients("rds")
    try:
        found = call("rds:DescribeDBSnapshots", rds.describe_db_snapshots, DBSnapshotIdentifier=name)["DBSnapshots"]
        if found:
            item = found[0]
            return DbSnapshotRecord(name, item["DBInstanceIdentifier"], "instance", iso(item["SnapshotCreateTime"]),
                                    item.get("Engine"))
    except ToolkitError as error:
        if error_code(error.__cause__) not in ("DBSnapshotNotFound", "DBSnapshotNotFoundFault"):
            raise
    try:
        found = call("rds:DescribeDBClusterSnapshots", rds.describe_db_cluster_snapshots,
                     DBClusterSnapshotIdentifier=name)["DBClusterSnapshots"]
        if found:
            item = found[0]
            return DbSnapshotRecord(name, item["DBClusterIdentifier"], "cluster", iso(item["SnapshotCreateTime"]),
                                    item.get("Engine"))
    except ToolkitError as error:
        if error_code(error.__cause__) not in ("DBClusterSnapshotNotFoundFault", "DBClusterSnapshotNotFound"):
            raise
    raise UsageError(f"snapshot {name!r} not found (neither a DB snapshot nor a DB cluster snapshot)")


class DbRestoreStep(Step):
    name = "db-restore"
    tier = "long"
    title = "Restore RDS from the checkpoint's snapshot to a new identifier (cut-over is a separate step)"

    def plan(self, run: RunContext) -> StepPlan:
        plan = StepPlan(self.name)
        sources = restore_sources(run)
        if not sources:
            plan.already.append(f"checkpoint {run.checkpoint.id} records no DB snapshot: nothing to do")
            return plan
        work: list[dict[str, Any]] = []
        for item in sources:
            existing = describe(run, item.restored, item.kind)
            if existing is not None:
                status = status_of(existing, item.kind)
                if status == "available":
                    plan.already.append(f"{item.restored}: already restored (available): nothing to do")
                else:
                    plan.notes.append(f"{item.restored}: already restoring ({status}): waiting for it")
                    work.append({"source": item, "create": False})
                continue
            work.append(self._plan_create(run, item, plan))
        if work:
            plan.notes.append(f"each restore waits until available (timeout "
                              f"{run.wait_policy(RDS_TIMEOUT_S, RDS_POLL_S).timeout_s:g} s)")
            plan.notes.append(f"then cut over explicitly: {cutover_command(run)}")
        plan.data["work"] = work
        plan.data["wait_only"] = any(not entry["create"] for entry in work)
        return plan

    def _plan_create(self, run: RunContext, item: RestoreSource, plan: StepPlan) -> dict[str, Any]:
        source = describe(run, item.source, item.kind)
        tags = [{"Key": ROLLBACK_OF_TAG, "Value": item.source}, {"Key": CHECKPOINT_TAG, "Value": run.checkpoint.id}]
        origin = f"snapshot {item.snapshot}" if item.snapshot else f"point in time {run.options.restore_time}"
        if source is None:
            plan.notes.append(f"{item.source} no longer exists: the restore uses the snapshot's own settings "
                              "(default subnet group, security groups and parameter group)")
        if item.kind == "instance":
            request: dict[str, Any] = {"DBInstanceIdentifier" if item.snapshot else "TargetDBInstanceIdentifier":
                                       item.restored, "Tags": tags}
            if source:
                request.update(DBInstanceClass=source["DBInstanceClass"], MultiAZ=source.get("MultiAZ", False),
                               PubliclyAccessible=source.get("PubliclyAccessible", False),
                               VpcSecurityGroupIds=[group["VpcSecurityGroupId"]
                                                    for group in source.get("VpcSecurityGroups", [])],
                               DBParameterGroupName=(source.get("DBParameterGroups") or [{}])[0].get(
                                   "DBParameterGroupName"),
                               DBSubnetGroupName=(source.get("DBSubnetGroup") or {}).get("DBSubnetGroupName"),
                               DeletionProtection=source.get("DeletionProtection", False))
            if item.snapshot:
                request["DBSnapshotIdentifier"] = item.snapshot
                action = "rds:RestoreDBInstanceFromDBSnapshot"
            else:
                request["SourceDBInstanceIdentifier"] = item.source
                request.update(restore_time_arguments(run.options.restore_time, "instance"))
                action = "rds:RestoreDBInstanceToPointInTime"
            request = {key: value for key, value in request.items() if value not in (None, [])}
            size = request.get("DBInstanceClass", "the snapshot's class")
            plan.changes.append(Change(action, item.restored, "absent", f"new instance from {origin} ({size})"))
            return {"source": item, "create": True, "action": action, "request": request, "instances": []}
        request = {"DBClusterIdentifier": item.restored, "Tags": tags}
        members: list[dict[str, Any]] = []
        if source:
            security_groups = [group["VpcSecurityGroupId"] for group in source.get("VpcSecurityGroups", [])]
            request.update(VpcSecurityGroupIds=security_groups,
                           DBSubnetGroupName=source.get("DBSubnetGroup"),
                           DBClusterParameterGroupName=source.get("DBClusterParameterGroup"),
                           ServerlessV2ScalingConfiguration=source.get("ServerlessV2ScalingConfiguration"),
                           DeletionProtection=source.get("DeletionProtection", False))
            members = self._cluster_instances(run, item.source)
        if item.snapshot:
            request.update(SnapshotIdentifier=item.snapshot, Engine=item.engine or (source or {}).get("Engine"))
            action = "rds:RestoreDBClusterFromSnapshot"
        else:
            request.update(SourceDBClusterIdentifier=item.source,
                           **restore_time_arguments(run.options.restore_time, "cluster"))
            action = "rds:RestoreDBClusterToPointInTime"
        request = {key: value for key, value in request.items() if value not in (None, [])}
        plan.changes.append(Change(action, item.restored, "absent", f"new cluster from {origin}"))
        instances = []
        for index, member in enumerate(members or [{"DBInstanceClass": "db.serverless"}], start=1):
            identifier = f"{item.restored[:60]}-{index}"
            instances.append({"DBInstanceIdentifier": identifier, "DBClusterIdentifier": item.restored,
                              "DBInstanceClass": member["DBInstanceClass"],
                              "Engine": item.engine or (source or {}).get("Engine") or "aurora-postgresql",
                              "Tags": tags})
            plan.changes.append(Change("rds:CreateDBInstance", identifier, "absent",
                                       f"{member['DBInstanceClass']} in {item.restored}"))
        return {"source": item, "create": True, "action": action, "request": request, "instances": instances}

    @staticmethod
    def _cluster_instances(run: RunContext, cluster: str) -> list[dict[str, Any]]:
        answer = call("rds:DescribeDBInstances", run.clients("rds").describe_db_instances,
                      Filters=[{"Name": "db-cluster-id", "Values": [cluster]}])
        return sorted(answer.get("DBInstances", []), key=lambda item: item["DBInstanceIdentifier"])

    def execute(self, run: RunContext, plan: StepPlan) -> list[str]:
        rds = run.clients("rds")
        lines = []
        for entry in plan.data["work"]:
            item: RestoreSource = entry["source"]
            if entry["create"]:
                operations = {"rds:RestoreDBInstanceFromDBSnapshot": rds.restore_db_instance_from_db_snapshot,
                              "rds:RestoreDBInstanceToPointInTime": rds.restore_db_instance_to_point_in_time,
                              "rds:RestoreDBClusterFromSnapshot": rds.restore_db_cluster_from_snapshot,
                              "rds:RestoreDBClusterToPointInTime": rds.restore_db_cluster_to_point_in_time}
                operation = operations[entry["action"]]
                summary = {key: value for key, value in entry["request"].items() if key != "Tags"}
                run.act(self.name, entry["action"], operation, summary, **entry["request"])
            if item.kind == "cluster":
                if entry["create"]:
                    for instance in entry["instances"]:
                        run.act(self.name, "rds:CreateDBInstance", rds.create_db_instance,
                                {key: value for key, value in instance.items() if key != "Tags"}, **instance)
                wait_cluster_available(run, item.restored)
                for instance in entry["instances"]:
                    wait_instance_available(run, instance["DBInstanceIdentifier"])
                members = len(entry["instances"])
                lines.append(f"{item.restored}: cluster available ({members} instance{'s' if members != 1 else ''}), "
                             f"restored from {item.snapshot or 'a point in time'} for {item.source}")
            else:
                wait_instance_available(run, item.restored)
                lines.append(f"{item.restored}: instance available, restored from "
                             f"{item.snapshot or 'a point in time'} for {item.source}")
        if plan.data["work"]:
            lines.append(f"next, when ready: {cutover_command(run)}")
        return lines


def cutover_command(run: RunContext) -> str:
    options = run.options
    extra = (f" --snapshot {options.snapshot}" if options.snapshot else "") + \
        (f" --restore-time {options.restore_time}" if options.restore_time else "")
    return f"toolkit rollback {run.environment} --step db-cutover --to {run.checkpoint.id}{extra} --yes"


def restore_time_arguments(value: str | None, kind: str) -> dict[str, Any]:
    """RDS point-in-time arguments from `--restore-time` (ISO 8601, or "latest")."""
    from datetime import datetime

    if value in (None, "latest"):
        return {"UseLatestRestorableTime": True}
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--restore-time {value!r}: use ISO 8601 (2026-11-26T14:15:00Z) or 'latest'") from None
    if moment.tzinfo is None:
        raise UsageError(f"--restore-time {value!r}: give the time zone (2026-11-26T14:15:00Z for UTC)")
    # The instance API calls it RestoreTime, the cluster API RestoreToTime.
    return {"RestoreTime" if kind == "instance" else "RestoreToTime": moment}


class DbCutoverStep(Step):
    name = "db-cutover"
    tier = "long"
    title = "Cut over to the restored database: rename the old one aside, give the restored one its name"
    in_tier = False

    def plan(self, run: RunContext) -> StepPlan:
        plan = StepPlan(self.name)
        sources = restore_sources(run)
        if not sources:
            plan.already.append(f"checkpoint {run.checkpoint.id} records no DB snapshot: nothing to do")
            return plan
        work = []
        for item in sources:
            retired = derived_identifier(item.source, "replaced", compact_stamp(run.checkpoint.id))
            current = describe(run, item.source, item.kind)
            if current is not None and tags_of(current).get(ROLLBACK_OF_TAG) == item.source:
                plan.already.append(f"{item.source}: already the restored copy (tagged {ROLLBACK_OF_TAG}): "
                                    "nothing to do")
                continue
            restored = describe(run, item.restored, item.kind)
            if restored is None:
                raise ToolkitError(f"{item.restored} not found: restore it first with `toolkit rollback "
                                   f"{run.environment} --step db-restore --to {run.checkpoint.id} --yes`")
            if status_of(restored, item.kind) != "available":
                raise ToolkitError(f"{item.restored} is {status_of(restored, item.kind)}: wait until it is available")
            action = "rds:ModifyDBInstance" if item.kind == "instance" else "rds:ModifyDBCluster"
            if current is not None:
                plan.changes.append(Change(action, item.source, f"{item.source} ({status_of(current, item.kind)})",
                                           f"renamed to {retired}"))
            else:
                plan.notes.append(f"{item.source} is already renamed aside (no {item.source} now): only the restored "
                                  "copy is renamed")
            plan.changes.append(Change(action, item.restored, item.restored, f"renamed to {item.source} (takes over "
                                       "its endpoint)"))
            work.append({"source": item, "retired": retired, "rename_current": current is not None})
        if work:
            plan.notes.append("applications reconnect through the unchanged endpoint name; terraform state still "
                              f"describes the old database: run `toolkit plan {run.environment}` afterwards")
        plan.data["work"] = work
        return plan

    def execute(self, run: RunContext, plan: StepPlan) -> list[str]:
        rds = run.clients("rds")
        lines = []
        for entry in plan.data["work"]:
            item: RestoreSource = entry["source"]
            if item.kind == "instance":
                rename, key, new_key, wait = (rds.modify_db_instance, "DBInstanceIdentifier", "NewDBInstanceIdentifier",
                                              wait_instance_available)
                action = "rds:ModifyDBInstance"
            else:
                rename, key, new_key, wait = (rds.modify_db_cluster, "DBClusterIdentifier", "NewDBClusterIdentifier",
                                              wait_cluster_available)
                action = "rds:ModifyDBCluster"
            if entry["rename_current"]:
                run.act(self.name, action, rename, {key: item.source, new_key: entry["retired"]},
                        **{key: item.source, new_key: entry["retired"], "ApplyImmediately": True})
                wait(run, entry["retired"])
            run.act(self.name, action, rename, {key: item.restored, new_key: item.source},
                    **{key: item.restored, new_key: item.source, "ApplyImmediately": True})
            final = wait(run, item.source)
            if tags_of(final).get(ROLLBACK_OF_TAG) != item.source:
                raise ToolkitError(f"{item.source} is not the restored copy after the rename")
            lines.append(f"{item.source}: now the restored copy (verified by its {ROLLBACK_OF_TAG} tag); "
                         f"the replaced one is {entry['retired']}")
        return lines
