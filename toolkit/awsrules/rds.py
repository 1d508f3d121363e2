"""RDS: a read replica in the source's own Region takes the source's KMS key; RDS refuses `KmsKeyId` for it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from toolkit.awsrules.base import UNKNOWN, Problem, Resource, Rule, Source
from toolkit.awsrules.plan_view import ABSENT, NULL, PlanView

SOURCE = Source("RDS API: CreateDBInstanceReadReplica, KmsKeyId (same Region: don't specify a value)",
                "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html")
_ARN_REGION = re.compile(r"^arn:[^:]+:rds:([^:]+):")


def _source_region(resource: Resource, view: PlanView) -> str | None:
    """The source's Region when replicate_source_db is an ARN; "" for an identifier (same Region by definition)."""
    source = resource.get("replicate_source_db")
    if isinstance(source, str):
        matched = _ARN_REGION.match(source)
        return matched.group(1) if matched else ""
    expression = view.expression(resource, "replicate_source_db")
    if expression is None:
        return None
    traced = view.trace(expression, _path(resource))
    attributes = {attribute for _, _, attribute in traced.resources}
    # `aws_db_instance.this[0].identifier` (or .id): an identifier, so the same Region.
    if attributes and attributes <= {"identifier", "id", "resource_id"} and not traced.opaque:
        return ""
    return None


def _path(resource: Resource) -> tuple[str, ...]:
    from toolkit.awsrules.plan_view import module_path

    return module_path(resource.module_address)


def check_replica_kms(resource: Resource, view: PlanView) -> Iterator[Problem]:
    if resource.get("replicate_source_db") is None and view.expression(resource, "replicate_source_db") is None:
        return  # not a replica
    source_region = _source_region(resource, view)
    own_region = resource.get("region")
    if source_region is None:
        return  # cannot tell where the source is
    if source_region and isinstance(own_region, str) and own_region != source_region:
        return  # a cross-Region replica must name a key of its own Region
    if source_region and not isinstance(own_region, str):
        return
    kms_key = resource.get("kms_key_id")
    if isinstance(kms_key, str) and kms_key:
        shown = "set"
    elif kms_key is UNKNOWN and view.configured(resource, "kms_key_id") not in (ABSENT, NULL):
        shown = "set (to a key known only after apply)"
    else:
        return
    yield Problem(f"kms_key_id is {shown} on a read replica in its source's Region: RDS refuses the parameter "
                  "(InvalidParameterCombination) because a same-Region replica always uses the source's key; "
                  "remove kms_key_id from the replica")


RULES = (
    Rule("AWS-RDS-001", "No kms_key_id on same-Region read replicas", ("aws_db_instance",), (SOURCE,),
         check_replica_kms, deferred=True),
)


MAJOR_UPGRADE = Source("RDS API: ModifyDBInstance, AllowMajorVersionUpgrade (required for a major version change)",
                       "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html")


def _major(version: object, engine: object) -> str | None:
    """PostgreSQL 10+ majors are the first number ("15.4" → "15"); MySQL and older PostgreSQL use two ("5.7")."""
    if not isinstance(version, str) or not version:
        return None
    parts = version.split(".")
    if isinstance(engine, str) and "postgres" in engine and parts[0].isdigit() and int(parts[0]) >= 10:
        return parts[0]
    return ".".join(parts[:2])


def check_major_upgrade(resource: Resource, view: PlanView) -> Iterator[Problem]:
    if resource.actions != ("update",):
        return
    engine = resource.get("engine")
    before, after = _major(resource.before_value("engine_version"), engine), _major(resource.get("engine_version"),
                                                                                    engine)
    if before is None or after is None or before == after:
        return
    if resource.get("allow_major_version_upgrade") is True:
        return
    yield Problem(f"engine_version goes from major {before} to {after} without allow_major_version_upgrade = true: "
                  "RDS refuses the modification; set allow_major_version_upgrade (and plan the upgrade's downtime)")


RULES = (
    *RULES,
    Rule("AWS-RDS-002", "Major engine upgrades set allow_major_version_upgrade",
         ("aws_db_instance", "aws_rds_cluster"), (MAJOR_UPGRADE,), check_major_upgrade),
)
