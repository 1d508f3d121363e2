"""Checkpoints: what an environment looked like just before an apply, so it can be rolled back.

`toolkit apply` (the engine) discovers the rollback targets from the terraform state
(`targets_from_state`), records their current AWS values (`capture`), adds the state version and
commit, saves the checkpoint (`CheckpointStore.save`), applies, then records the outcome
(`CheckpointStore.update_apply`). `toolkit rollback` reads checkpoints back. A checkpoint never holds
secrets: no state contents (only a pointer to the state version), no sensitive parameter values.
See docs/CHECKPOINTS.md.
"""

from __future__ import annotations

import dataclasses
import json
import socket
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from toolkit.aws import ClientFactory, aws_errors, call, error_code
from toolkit.clock import (
    EXAMPLE_ID,
    clock_behind,
    far_ahead_reason,
    is_far_ahead,
    is_record_id,
    iso,
    new_id,
    new_record_id,
    sort_ids,
    sort_key,
    utc_now,
)
from toolkit.errors import ToolkitError, UsageError
from toolkit.processes import current_actor, is_process_id, process_still_running
from toolkit.records.store import LocalRecords, Records
from toolkit.secrets import is_secret_name
from toolkit.typed_records import RecordError, build, parse_json

TFVARS_FILE = "terraform.tfvars"
# Room kept after an apply's "started" record (local stores) for its outcome: the error summary and the end serial.
OUTCOME_ROOM = 4096
# Parameter names that may carry a secret are never written to a checkpoint.


# ---------------------------------------------------------------------------------------------
# Targets: what to capture, discovered from the terraform state
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EcsServiceRef:
    cluster: str
    service: str


@dataclass(frozen=True)
class ScalableTargetRef:
    service_namespace: str
    resource_id: str
    scalable_dimension: str


@dataclass
class Targets:
    ecs_services: list[EcsServiceRef] = field(default_factory=list)
    db_instances: list[str] = field(default_factory=list)
    db_clusters: list[str] = field(default_factory=list)
    db_parameter_groups: list[str] = field(default_factory=list)
    db_cluster_parameter_groups: list[str] = field(default_factory=list)
    autoscaling_targets: list[ScalableTargetRef] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not any(getattr(self, item.name) for item in dataclasses.fields(self))


def _name_from_arn(value: str) -> str:
    """ECS attributes may hold an ARN (`arn:aws:ecs:…:cluster/name`) or a bare name."""
    return value.rsplit("/", 1)[-1] if value.startswith("arn:") else value


def targets_from_state(state: dict[str, Any]) -> Targets:
    """Rollback targets from a `terraform state pull` document (format version 4); data sources are skipped."""
    version = state.get("version")
    if version != 4:
        raise ToolkitError(f"terraform state format version {version!r} is not supported (expected 4)")
    targets = Targets()
    for resource in state.get("resources", []):
        if resource.get("mode") != "managed":
            continue
        kind = resource.get("type")
        for instance in resource.get("instances", []):
            attributes = instance.get("attributes") or {}
            _add_target(targets, kind, attributes)
    for name in ("db_instances", "db_clusters", "db_parameter_groups", "db_cluster_parameter_groups"):
        setattr(targets, name, sorted(set(getattr(targets, name))))
    targets.ecs_services = sorted(set(targets.ecs_services), key=lambda ref: (ref.cluster, ref.service))
    targets.autoscaling_targets = sorted(set(targets.autoscaling_targets), key=lambda ref: ref.resource_id)
    return targets


def _add_target(targets: Targets, kind: str | None, attributes: dict[str, Any]) -> None:
    if kind == "aws_ecs_service" and attributes.get("name") and attributes.get("cluster"):
        targets.ecs_services.append(EcsServiceRef(_name_from_arn(attributes["cluster"]), attributes["name"]))
    elif kind == "aws_db_instance" and attributes.get("identifier") and not attributes.get("replicate_source_db"):
        targets.db_instances.append(attributes["identifier"])
    elif kind == "aws_rds_cluster" and attributes.get("cluster_identifier"):
        targets.db_clusters.append(attributes["cluster_identifier"])
    elif kind == "aws_db_parameter_group" and attributes.get("name"):
        targets.db_parameter_groups.append(attributes["name"])
    elif kind == "aws_rds_cluster_parameter_group" and attributes.get("name"):
        targets.db_cluster_parameter_groups.append(attributes["name"])
    elif kind == "aws_appautoscaling_target" and attributes.get("resource_id"):
        targets.autoscaling_targets.append(ScalableTargetRef(
            attributes["service_namespace"], attributes["resource_id"], attributes["scalable_dimension"]))


# ---------------------------------------------------------------------------------------------
# The checkpoint record
# ---------------------------------------------------------------------------------------------

@dataclass
class StateVersion:
    """Where the state was before the apply (filled by the engine); never the state's contents."""

    backend: str                      # "local" | "s3"
    lineage: str
    serial: int
    s3_bucket: str | None = None
    s3_key: str | None = None
    s3_version_id: str | None = None  # object version of the state key before the apply
    local_backup: str | None = None   # path of a copy of the local state file before the apply
    dynamodb_table: str | None = None  # the S3 backend's lock table, when it has one
    local_path: str | None = None     # the local state file the backup was taken from


@dataclass
class EcsServiceSnapshot:
    cluster: str
    service: str
    task_definition_arn: str
    desired_count: int
    running_count: int


@dataclass
class ParameterSetting:
    value: str
    apply_type: str                   # "dynamic" | "static"


@dataclass
class ParameterGroupSnapshot:
    name: str
    family: str
    kind: str                         # "instance" | "cluster"
    parameters: dict[str, ParameterSetting] = field(default_factory=dict)  # user-set parameters only


@dataclass
class DbSnapshotRecord:
    identifier: str
    source_identifier: str
    type: str                         # "instance" | "cluster"
    created_at: str
    engine: str | None = None


@dataclass
class AutoscalingSnapshot:
    namespace: str
    resource_id: str
    dimension: str
    min: int
    max: int
    suspended_state: dict[str, bool] = field(default_factory=dict)


@dataclass
class ChangedResource:
    address: str
    type: str
    action: str                       # create | update | replace | delete
    # An emulator environment's update of attributes moto never echoes back (toolkit.emulator.MOTO_ECHO_GAPS):
    # terraform re-sends them on every apply there, so it says nothing about what the configuration changed.
    emulator_echo: bool = False


@dataclass
class ImageChange:
    """A container whose image the apply changed (from the task definition's container_definitions)."""

    address: str                      # the task definition resource
    container: str
    before: str | None                # None: the container (or the task definition) is new
    after: str | None                 # None: removed; "(known after apply)" when the plan could not say


# Resource types by the part of the environment they belong to: what a rollback step needs touched to be worth
# running (toolkit.rollback.triage). Prefixes of the AWS provider's type names.
PARTS: dict[str, tuple[str, ...]] = {
    "compute": ("aws_ecs_",),
    "autoscaling": ("aws_appautoscaling_",),
    "database parameters": ("aws_db_parameter_group", "aws_rds_cluster_parameter_group"),
    "database": ("aws_db_instance", "aws_rds_cluster", "aws_rds_cluster_instance"),
    "cache": ("aws_elasticache_",),
}
CHANGES_KEPT = 500                    # addresses kept per apply (the counts are always complete)


@dataclass
class AppliedChanges:
    """What an apply's plan changed, recorded before terraform runs: counts by action, the resources, images."""

    counts: dict[str, int] = field(default_factory=dict)   # create/update/replace/delete → how many
    resources: list[ChangedResource] = field(default_factory=list)
    images: list[ImageChange] = field(default_factory=list)
    # Task definitions whose old revision the apply deregistered (replaced or deleted without skip_destroy): ECS
    # cannot deploy it again, so `ecs-task-definition` cannot go back to it; `full` can.
    deregistered: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether every changed resource is listed: only the first CHANGES_KEPT are kept, and a record whose counts
        and list disagree (edited) is not trusted to say a part was left alone."""
        return sum(self.counts.values()) == len(self.resources)

    def touched(self, part: str) -> list[ChangedResource]:
        """The changed resources of one part (PARTS): exact type names, or prefixes ending in `_`; an emulator's
        echo-only update is not a change of the part."""
        return [item for item in self.resources if not item.emulator_echo and any(
            item.type.startswith(prefix) if prefix.endswith("_") else item.type == prefix for prefix in PARTS[part])]

    def text(self) -> str:
        """`+1 ~2 -0 ±1` (create, update, delete, replace)."""
        return " ".join(f"{sign}{self.counts.get(action, 0)}" for sign, action in
                        (("+", "create"), ("~", "update"), ("-", "delete"), ("±", "replace")))


APPLY_RESULTS = ("started", "success", "failed", "cancelled")


@dataclass
class ApplyRecord:
    """What the apply after the checkpoint did: written as "started" before terraform runs, and again when the
    apply ends. A record still "started" whose process is gone is an interrupted apply (kill -9, a lost runner):
    resources it was creating may exist outside the state."""

    result: str                       # APPLY_RESULTS
    applied_by: str
    started_at: str
    finished_at: str | None = None
    duration_s: float | None = None
    summary: str = ""                 # e.g. "2 added, 1 changed, 0 destroyed" or the error
    plan_sha256: str | None = None
    host: str | None = None
    pid: int | None = None
    # When that process started (Linux /proc start time): a pid reused by another process is not the apply.
    pid_started: str | None = None
    # Addresses the plan creates (or replaces) → the import id the plan already knows, or None.
    creating: dict[str, str | None] = field(default_factory=dict)
    # The state's serial once the apply ended (None: unknown): a later state serial means something changed the
    # state after this apply without a checkpoint (a run by hand, a checkout keeping its checkpoints locally).
    state_serial_after: int | None = None
    # The state the apply started from (the saved plan's, which terraform checks under its lock before it changes
    # anything) and whether the apply wrote the state (None: unknown, e.g. interrupted). A stale plan or a lock
    # held by another run writes nothing: rollback neither targets such an apply nor counts it as undone.
    state_lineage: str | None = None
    state_serial_before: int | None = None
    changed_state: bool | None = None
    # After a successful terraform apply: "settled", "not checked (--no-wait)", "not checked (interrupted)" (the wait
    # was stopped), or "failed: …" (an ECS service rolled back, failed or stuck, a parameter group pending-reboot;
    # toolkit.deployments). None: nothing to check.
    deployment: str | None = None
    # What the plan changed (None: recorded by an older toolkit, or no plan was read).
    changes: AppliedChanges | None = None

    @property
    def status(self) -> str:
        """The result, with "started" told apart: "running" (its process is alive here), "interrupted" (its process
        here is gone), or "unfinished" (started on another machine: records are shared beside an S3 state, and from
        here a lost CI runner and one still applying look the same)."""
        if self.result != "started":
            return self.result
        if self.host != socket.gethostname():
            return "unfinished"
        # A pid that is no process id (0, -1, 10**30: an edited record) is an unknown process: never "running".
        if is_process_id(self.pid) and process_still_running(self.host, self.pid, self.pid_started):
            return "running"
        return "interrupted"


@dataclass
class LiveConfiguration:
    """The configuration the infrastructure was in when a checkpoint was taken: what the last successful
    apply before it applied (its checkpoint, commit and rendered tfvars). `rollback --step full` rebuilds it."""

    checkpoint: str                   # the checkpoint taken before that apply (it keeps the tfvars file)
    git_commit: str | None
    tfvars_sha256: str | None
    terraform_root: str | None = None


@dataclass
class Checkpoint:
    id: str
    environment: str
    created_at: str
    created_by: str
    git_commit: str | None = None     # the commit the apply after this checkpoint applied
    tfvars_sha256: str | None = None  # and its rendered tfvars (kept as <id>/terraform.tfvars: no secrets)
    plan_sha256: str | None = None
    terraform_root: str | None = None  # the root module folder, relative to the project
    live: LiveConfiguration | None = None
    state: StateVersion | None = None
    ecs_services: list[EcsServiceSnapshot] = field(default_factory=list)
    db_parameter_groups: list[ParameterGroupSnapshot] = field(default_factory=list)
    db_snapshots: list[DbSnapshotRecord] = field(default_factory=list)
    autoscaling: list[AutoscalingSnapshot] = field(default_factory=list)
    apply: ApplyRecord | None = None
    warnings: list[str] = field(default_factory=list)  # targets that could not be captured, and why
    # The database's applied migration version when the apply ran (toolkit/db/schema_version.py), if readable.
    migration_version: int | None = None
    # Taken by `rollback --step full` (its apply returns to this checkpoint's configuration): never the default
    # rollback target, since it records the broken state the rollback left.
    rollback_of: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Checkpoint:
        """Every field type-checked (toolkit.typed_records), and the fields that name other records or decide what
        an apply did checked against what the toolkit writes: a RecordError names the field otherwise."""
        checkpoint: Checkpoint = build(cls, data)
        # Ids become paths (`<store>/<live.checkpoint>/terraform.tfvars`: "../outside" would read outside it).
        for name, value in (("live.checkpoint", checkpoint.live and checkpoint.live.checkpoint),
                            ("rollback_of", checkpoint.rollback_of)):
            if value is not None and not is_record_id(value):
                raise RecordError(f"{name} {json.dumps(value)[:60]} is not a checkpoint id")
        # An unknown result would count as an apply that may have written the state.
        if checkpoint.apply is not None and checkpoint.apply.result not in APPLY_RESULTS:
            raise RecordError(f"apply.result {json.dumps(checkpoint.apply.result)[:60]} is none of "
                              f"{', '.join(APPLY_RESULTS)}")
        return checkpoint

    def applied_configuration(self) -> LiveConfiguration:
        """The configuration this checkpoint's apply put in place."""
        return LiveConfiguration(checkpoint=self.id, git_commit=self.git_commit, tfvars_sha256=self.tfvars_sha256,
                                 terraform_root=self.terraform_root)

    @property
    def result(self) -> str:
        """The apply's result, or what is known when there is none."""
        return self.apply.status if self.apply else "not applied"

    def wrote_state(self) -> bool | None:
        """Whether the apply after this checkpoint wrote the state: False when it never started or is known to
        have written nothing (a stale plan, a lock held elsewhere), None when it cannot be told (interrupted)."""
        record = self.apply
        if record is None:
            return False
        if record.changed_state is not None:
            return record.changed_state
        if record.result == "success":
            return True
        if record.result == "failed" and self.state is not None and record.state_serial_after is not None:
            return record.state_serial_after != self.state.serial  # older records: the serial did not move
        return None

    def started_from(self) -> tuple[str, int] | None:
        """(lineage, serial) of the state the apply started from, when known."""
        record = self.apply
        if record is not None and record.state_serial_before is not None and record.state_lineage:
            return record.state_lineage, record.state_serial_before
        return (self.state.lineage, self.state.serial) if self.state is not None else None


# ---------------------------------------------------------------------------------------------
# Capture
# ---------------------------------------------------------------------------------------------

def capture(environment: str, targets: Targets, *, region: str, endpoint_url: str | None = None,
            clients: Any = None) -> Checkpoint:
    """Record the current AWS values of every target. Missing resources become warnings, not errors.

    `clients` is an optional `toolkit.aws.ClientFactory` (to share a call recorder); by default one
    is created for `region` and `endpoint_url`.
    """
    factory = clients or ClientFactory(region=region, endpoint_url=endpoint_url)
    moment = utc_now()
    checkpoint = Checkpoint(id=new_record_id(moment), environment=environment, created_at=iso(moment),
                            created_by=current_actor())
    if targets.ecs_services:
        _capture_ecs(factory("ecs"), targets.ecs_services, checkpoint)
    if targets.autoscaling_targets:
        _capture_autoscaling(factory("application-autoscaling"), targets.autoscaling_targets, checkpoint)
    if targets.db_parameter_groups or targets.db_cluster_parameter_groups:
        _capture_parameter_groups(factory("rds"), targets, checkpoint)
    if targets.db_instances or targets.db_clusters:
        _capture_snapshots(factory("rds"), targets, checkpoint)
    return checkpoint


def _capture_ecs(ecs: Any, services: list[EcsServiceRef], checkpoint: Checkpoint) -> None:
    by_cluster: dict[str, list[str]] = {}
    for ref in services:
        by_cluster.setdefault(ref.cluster, []).append(ref.service)
    for cluster, names in by_cluster.items():
        for start in range(0, len(names), 10):  # DescribeServices takes at most 10 names
            chunk = names[start:start + 10]
            answer = call("ecs:DescribeServices", ecs.describe_services, cluster=cluster, services=chunk)
            for service in answer.get("services", []):
                checkpoint.ecs_services.append(EcsServiceSnapshot(
                    cluster=cluster, service=service["serviceName"], task_definition_arn=service["taskDefinition"],
                    desired_count=service.get("desiredCount", 0), running_count=service.get("runningCount", 0)))
            for failure in answer.get("failures", []):
                checkpoint.warnings.append(f"ECS service {failure.get('arn')}: {failure.get('reason')}")


def _capture_autoscaling(client: Any, refs: list[ScalableTargetRef], checkpoint: Checkpoint) -> None:
    by_namespace: dict[str, list[ScalableTargetRef]] = {}
    for ref in refs:
        by_namespace.setdefault(ref.service_namespace, []).append(ref)
    for namespace, group in by_namespace.items():
        answer = call("application-autoscaling:DescribeScalableTargets", client.describe_scalable_targets,
                      ServiceNamespace=namespace, ResourceIds=[ref.resource_id for ref in group])
        found = {(item["ResourceId"], item["ScalableDimension"]): item for item in answer["ScalableTargets"]}
        for ref in group:
            item = found.get((ref.resource_id, ref.scalable_dimension))
            if item is None:
                checkpoint.warnings.append(f"scalable target {ref.resource_id} ({ref.scalable_dimension}) not found")
                continue
            checkpoint.autoscaling.append(AutoscalingSnapshot(
                namespace=namespace, resource_id=ref.resource_id, dimension=ref.scalable_dimension,
                min=item["MinCapacity"], max=item["MaxCapacity"],
                suspended_state={key: bool(value) for key, value in (item.get("SuspendedState") or {}).items()}))


def user_parameters(rds: Any, name: str, kind: str) -> dict[str, ParameterSetting]:
    """The parameters set by the user in a parameter group (not the engine defaults), without secrets."""
    operation = "describe_db_parameters" if kind == "instance" else "describe_db_cluster_parameters"
    name_key = "DBParameterGroupName" if kind == "instance" else "DBClusterParameterGroupName"
    paginator = rds.get_paginator(operation)
    parameters: dict[str, ParameterSetting] = {}
    action = "rds:" + ("DescribeDBParameters" if kind == "instance" else "DescribeDBClusterParameters")
    with aws_errors(action):
        for page in paginator.paginate(**{name_key: name, "Source": "user"}):
            for item in page.get("Parameters", []):
                parameter = item["ParameterName"]
                if "ParameterValue" not in item or is_secret_name(parameter):
                    continue
                parameters[parameter] = ParameterSetting(str(item["ParameterValue"]), _apply_type(item))
    return parameters


def _apply_type(item: dict[str, Any]) -> str:
    """AWS says ApplyType; emulators that omit it still say how the value was applied."""
    if item.get("ApplyType") in ("static", "dynamic"):
        return item["ApplyType"]
    return "static" if item.get("ApplyMethod") == "pending-reboot" else "dynamic"


def _capture_parameter_groups(rds: Any, targets: Targets, checkpoint: Checkpoint) -> None:
    for kind, names in (("instance", targets.db_parameter_groups), ("cluster", targets.db_cluster_parameter_groups)):
        for name in names:
            try:
                if kind == "instance":
                    found = call("rds:DescribeDBParameterGroups", rds.describe_db_parameter_groups,
                                 DBParameterGroupName=name)["DBParameterGroups"]
                else:
                    found = call("rds:DescribeDBClusterParameterGroups", rds.describe_db_cluster_parameter_groups,
                                 DBClusterParameterGroupName=name)["DBClusterParameterGroups"]
            except ToolkitError as error:
                if error_code(error.__cause__) not in ("DBParameterGroupNotFound", "DBParameterGroupNotFoundFault"):
                    raise
                found = []
            if not found:
                checkpoint.warnings.append(f"{kind} parameter group {name} not found")
                continue
            group = found[0]
            checkpoint.db_parameter_groups.append(ParameterGroupSnapshot(
                name=name, family=group["DBParameterGroupFamily"], kind=kind,
                parameters=user_parameters(rds, name, kind)))


def _capture_snapshots(rds: Any, targets: Targets, checkpoint: Checkpoint) -> None:
    for identifier in targets.db_instances:
        newest = newest_snapshot(rds, identifier, "instance")
        if newest is None:
            checkpoint.warnings.append(f"DB instance {identifier}: no available snapshot")
        else:
            checkpoint.db_snapshots.append(newest)
    for identifier in targets.db_clusters:
        newest = newest_snapshot(rds, identifier, "cluster")
        if newest is None:
            checkpoint.warnings.append(f"DB cluster {identifier}: no available snapshot")
        else:
            checkpoint.db_snapshots.append(newest)


def newest_snapshot(rds: Any, source: str, kind: str) -> DbSnapshotRecord | None:
    """The newest available snapshot (manual or automated) of an instance or cluster."""
    if kind == "instance":
        operation, source_key, list_key, id_key = ("describe_db_snapshots", "DBInstanceIdentifier", "DBSnapshots",
                                                   "DBSnapshotIdentifier")
    else:
        operation, source_key, list_key, id_key = ("describe_db_cluster_snapshots", "DBClusterIdentifier",
                                                   "DBClusterSnapshots", "DBClusterSnapshotIdentifier")
    snapshots: list[dict[str, Any]] = []
    try:
        with aws_errors(f"rds:{operation}"):
            for page in rds.get_paginator(operation).paginate(**{source_key: source}):
                snapshots.extend(item for item in page.get(list_key, []) if item.get("Status") == "available")
    except ToolkitError as error:
        if error_code(error.__cause__) in ("DBInstanceNotFound", "DBClusterNotFoundFault"):
            return None
        raise
    if not snapshots:
        return None
    newest = max(snapshots, key=lambda item: item["SnapshotCreateTime"])
    return DbSnapshotRecord(identifier=newest[id_key], source_identifier=source, type=kind,
                            created_at=iso(newest["SnapshotCreateTime"]), engine=newest.get("Engine"))


# ---------------------------------------------------------------------------------------------
# Storage
# ---------------------------------------------------------------------------------------------

class CheckpointStore:
    """One JSON record per checkpoint (`<id>.json`): in a folder (Project.environment_data_dir(env)/checkpoints,
    the local backend) or beside the state in S3 (toolkit.records.places.checkpoint_store_for picks)."""

    def __init__(self, place: Path | Records) -> None:
        self.records: Records = LocalRecords(Path(place)) if isinstance(place, str | Path) else place
        # Records passed over while reading many (`read`): where → why. Shown by whoever lists them.
        self.skipped: dict[str, str] = {}
        # Warnings for whoever makes a record (`next_id`: this clock far behind the store's newest).
        self.notes: list[str] = []
        # With `remember()`: the listing and each record's body as first read (a record written through this
        # store is remembered as written).
        self._listing: list[str] | None = None
        self._bodies: dict[str, bytes | None] | None = None

    def remember(self, listing: list[str] | None = None) -> CheckpointStore:
        """From now on list the records once and read each once: a rollback run's one view of its checkpoints, so
        the target is chosen, and what it undoes is told, from the same records (and no record is fetched twice
        from S3). `listing`: the records' names when already listed. Returns the store."""
        self._bodies = {} if self._bodies is None else self._bodies
        if listing is not None:
            self._listing = list(listing)
        return self

    def fresh(self) -> CheckpointStore:
        """The same records, read anew: a remembering store's view is its run's start, and a safety check that must
        see an apply made since (one during an hour-long restore, or while the protected prompt waited) reads through
        this."""
        return CheckpointStore(self.records)

    def _get(self, name: str) -> bytes | None:
        if self._bodies is None:
            return self.records.get(name)
        if name not in self._bodies:
            self._bodies[name] = self.records.get(name)
        return self._bodies[name]

    def _put(self, name: str, body: bytes) -> None:
        self.records.put(name, body)
        if self._bodies is not None:
            self._bodies[name] = body
            if self._listing is not None and name not in self._listing:
                self._listing.append(name)

    @property
    def location(self) -> str:
        return self.records.location

    @property
    def directory(self) -> Path:
        """The local folder (local stores only)."""
        if not isinstance(self.records, LocalRecords):
            raise ToolkitError(f"checkpoints in {self.location} have no local folder")
        return self.records.directory

    def path(self, checkpoint_id: str) -> Path:
        return self.directory / f"{checkpoint_id}.json"

    def where(self, checkpoint_id: str) -> str:
        return self.records.where(f"{checkpoint_id}.json")

    def tfvars_name(self, checkpoint_id: str) -> str:
        return f"{checkpoint_id}/{TFVARS_FILE}"

    def save_tfvars(self, checkpoint_id: str, text: str) -> None:
        """The rendered terraform.tfvars the checkpoint's apply used (kept for `rollback --step full`)."""
        self.records.put(self.tfvars_name(checkpoint_id), text.encode("utf-8"))

    def read_tfvars(self, checkpoint_id: str) -> str | None:
        body = self.records.get(self.tfvars_name(checkpoint_id))
        return body.decode("utf-8") if body is not None else None

    def tfvars_path(self, checkpoint_id: str) -> Path:
        """The rendered terraform.tfvars the checkpoint's apply used (kept for `rollback --step full`)."""
        return self.directory / checkpoint_id / TFVARS_FILE

    def live_configuration(self, checkpoint: Checkpoint) -> LiveConfiguration | None:
        """What was live at `checkpoint`: its own record, or (older checkpoints) the last successful apply before it."""
        if checkpoint.live is not None:
            return checkpoint.live
        earlier = self.newest_successful(before=checkpoint.id)
        return earlier.applied_configuration() if earlier else None

    def newest_successful(self, before: str | None = None) -> Checkpoint | None:
        """The newest checkpoint (before the id `before`) whose apply succeeded; read newest first."""
        earlier = [item for item in self.ids() if before is None or sort_key(item) < sort_key(before)]
        for checkpoint in self.readable(list(reversed(earlier))):
            if checkpoint.result == "success":
                return checkpoint
        return None

    def next_id(self, candidate: str | None = None) -> str:
        """An id for a new checkpoint, after every id the store holds (`candidate` when it already is) but those
        dated implausibly far ahead (toolkit.clock). When the newest is dated well ahead of this clock, `notes`
        says so (the new id follows it all the same: it was made after it)."""
        known = self.ids()
        behind = clock_behind(known[-1] if known else None)
        if behind:
            self.notes.append(behind)
        if candidate is not None and (not known or sort_key(candidate) > sort_key(known[-1])):
            return candidate
        return new_id(after=known[-1:] or None)

    def files_dir(self, checkpoint_id: str) -> Path:
        """A folder for files that belong to a checkpoint (e.g. the local state backup); created on demand."""
        folder = self.directory / checkpoint_id
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def save(self, checkpoint: Checkpoint) -> str:
        self._put(f"{checkpoint.id}.json", self._body(checkpoint))
        return self.where(checkpoint.id)

    def _body(self, checkpoint: Checkpoint) -> bytes:
        if not is_record_id(checkpoint.id):
            raise ToolkitError(f"checkpoint id {checkpoint.id!r} is not of the form {EXAMPLE_ID}")
        return (json.dumps(checkpoint.to_dict(), indent=2, sort_keys=False) + "\n").encode("utf-8")

    def ids(self) -> list[str]:
        """Every checkpoint id, oldest first (in the order they were made: toolkit.clock); reads no record."""
        if self._bodies is None:
            names = self.records.names()
        else:
            self._listing = self.records.names() if self._listing is None else self._listing
            names = self._listing
        found = sort_ids(name[:-5] for name in names if name.endswith(".json"))
        # Dated further ahead than any clock in service: not this store's newest, or every "newest" read (the
        # default target, the live commit, the interrupted-apply check) would stop at it for good. Named instead.
        now = utc_now()
        far = [item for item in found if is_far_ahead(item, now)]
        for item in far:
            self.skipped[self.where(item)] = far_ahead_reason(item, now)
        return [item for item in found if item not in far] if far else found

    def list(self) -> list[Checkpoint]:
        """All readable checkpoints, oldest first (unreadable ones are named in `skipped`)."""
        return list(self.readable())

    def load(self, checkpoint_id: str) -> Checkpoint:
        body = self._get(f"{checkpoint_id}.json") if is_record_id(checkpoint_id) else None
        if body is None:
            known = self.ids()
            hint = f"; known: {', '.join(known[-5:])}" if known else "; there are none yet"
            raise UsageError(f"unknown checkpoint {checkpoint_id!r}{hint}")
        try:
            checkpoint = Checkpoint.from_dict(parse_json(body))
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise ToolkitError(f"{self.where(checkpoint_id)}: unreadable checkpoint: {error}") from None
        if checkpoint.id != checkpoint_id:
            # An edited record (shared store): its id decides where its outcome is written back and what is undone.
            raise ToolkitError(f"{self.where(checkpoint_id)}: unreadable checkpoint: it records the id "
                               f"{str(checkpoint.id)[:40]!r}, not {checkpoint_id!r}")
        return checkpoint

    def read(self, checkpoint_id: str) -> Checkpoint | None:
        """`load` for reading many: an unreadable or malformed record is skipped (None) and named in `skipped`
        with why, so one bad object never stops the others being listed or rolled back to."""
        try:
            return self.load(checkpoint_id)
        except ToolkitError as error:
            where = self.where(checkpoint_id)
            self.skipped[where] = str(error).removeprefix(f"{where}: ")
            return None

    def readable(self, ids: list[str] | None = None) -> Iterator[Checkpoint]:
        """The records of `ids` (default all, oldest first) that can be read; the others go to `skipped`."""
        for checkpoint_id in self.ids() if ids is None else ids:
            checkpoint = self.read(checkpoint_id)
            if checkpoint is not None:
                yield checkpoint

    def skipped_lines(self) -> list[str]:
        return [f"skipped {where}: {why}" for where, why in self.skipped.items()]

    def latest(self) -> Checkpoint | None:
        return next(self.readable(list(reversed(self.ids()))), None)

    def newest_state_change(self) -> Checkpoint | None:
        """The default rollback target: the newest checkpoint whose apply changed (or may have changed) the state;
        an apply that wrote nothing (a stale plan beaten by another apply) is passed over. Read newest first."""
        # A rollback's own checkpoint records the broken state it left: passed over (its apply undid the target's).
        fallback = None
        for checkpoint in self.readable(list(reversed(self.ids()))):
            if checkpoint.rollback_of is not None:
                continue
            if checkpoint.wrote_state() is not False:
                return checkpoint
            fallback = fallback or checkpoint
        return fallback or self.latest()  # no apply changed anything: the newest is as good as any

    def newest_applied(self) -> Checkpoint | None:
        """The newest checkpoint whose apply started (read newest first: usually one record)."""
        for checkpoint in self.readable(list(reversed(self.ids()))):
            if checkpoint.apply:
                return checkpoint
        return None

    def update_apply(self, checkpoint_id: str, record: ApplyRecord) -> None:
        """Record the apply's start or outcome. The "started" record of a local store keeps room (trailing spaces)
        for the outcome: when the disk fills up during the apply, the outcome is still written, in place, instead
        of the checkpoint staying "started" and every later run calling it interrupted."""
        checkpoint = self.load(checkpoint_id)
        checkpoint.apply = record
        body = self._body(checkpoint)
        local = isinstance(self.records, LocalRecords)
        if record.result == "started" and local:
            self._put(f"{checkpoint.id}.json", body + b" " * OUTCOME_ROOM)
            return
        try:
            self._put(f"{checkpoint.id}.json", body)
        except OSError:
            if not (local and self.records.rewrite_in_place(f"{checkpoint.id}.json", body)):  # type: ignore[attr-defined]
                raise
            if self._bodies is not None:
                self._bodies[f"{checkpoint.id}.json"] = body
