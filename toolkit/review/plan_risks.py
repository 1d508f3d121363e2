"""What the plan itself will do to a stateful resource it destroys or replaces, read from its attributes.

risks.py says what a resource type holds in general; this says what this plan does: a bucket with
`force_destroy = true` has its objects deleted by the apply, a database with `skip_final_snapshot = true`
goes without a final snapshot, `deletion_protection = true` makes the delete fail, a read replica holds
only a copy of its source. Read from the change's `before` (the object being destroyed) and `after` (its
replacement). Unknown or absent attributes say nothing rather than guess.

`object_count` (bucket name -> count, or None when it cannot be read) comes from the caller: the review
reads it with boto3 only when a real state or an emulator endpoint is reachable (toolkit.review.bucket_objects).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Attributes = dict[str, Any]
# Bucket name -> how many objects it holds now (capped at OBJECT_COUNT_CAP), or None when it cannot be read.
ObjectCount = Callable[[str], "int | None"]


@dataclass(frozen=True)
class PlanFacts:
    """`does`: what this plan does, in words; `data_at_risk`: replaces the type's generic sentence when set."""

    does: str
    data_at_risk: str | None = None
    recovery: str | None = None


def _order(actions: tuple[str, ...]) -> str:
    if actions == ("create", "delete"):
        return "the replacement is created first (create_before_destroy), then the old one destroyed"
    if actions == ("delete", "create"):
        return "the old one is destroyed first, then the replacement created"
    return ""


def _database(before: Attributes, action: str, kind: str) -> PlanFacts:
    parts = []
    data_at_risk = None
    source = before.get("replicate_source_db")
    if isinstance(source, str) and source:
        data_at_risk = (f"a read replica of {source}: it holds a copy of its source, so no unique data is lost; "
                        "connections to the replica's endpoint fail and the source takes its read traffic")
    if before.get("deletion_protection") is True:
        parts.append("deletion_protection = true: AWS refuses the delete and the apply stops there (turn it off "
                     "in a separate apply first if the destroy is intended)")
    if data_at_risk is None:
        if before.get("skip_final_snapshot") is True:
            parts.append(f"skip_final_snapshot = true: NO final snapshot of the {kind} is taken")
        elif isinstance(before.get("final_snapshot_identifier"), str) and before["final_snapshot_identifier"]:
            parts.append(f"a final snapshot {before['final_snapshot_identifier']} is taken before the delete")
    retention = before.get("backup_retention_period")
    if data_at_risk is None and isinstance(retention, int) and action == "delete" and retention > 0:
        delete_backups = before.get("delete_automated_backups")
        if delete_backups is not False:
            parts.append("its automated backups are deleted with it (delete_automated_backups)")
    recovery = ("nothing to restore: revert the change (or `toolkit rollback {env} --step full`) and the replica is "
                "recreated from its source" if data_at_risk else None)
    return PlanFacts("; ".join(parts), data_at_risk, recovery)


def _db_instance(before: Attributes, after: Attributes | None, action: str, count: ObjectCount
                 ) -> PlanFacts:
    return _database(before, action, "database")


def _rds_cluster(before: Attributes, after: Attributes | None, action: str, count: ObjectCount
                 ) -> PlanFacts:
    return _database(before, action, "cluster")


def _bucket(before: Attributes, after: Attributes | None, action: str, count: ObjectCount) -> PlanFacts:
    name = before.get("bucket")
    objects = count(name) if isinstance(name, str) and name else None
    count_text = objects
    held = "" if count_text is None else f" ({_objects(count_text)} in it now)"
    if before.get("force_destroy") is True:
        if count_text == 0:
            return PlanFacts("force_destroy = true; the bucket is empty now, so nothing is deleted with it",
                             "the bucket is empty now; objects written before the apply would be deleted")
        return PlanFacts(f"force_destroy = true: the apply DELETES EVERY OBJECT in the bucket{held}, then the bucket",
                         "every object in the bucket is deleted, every version included, and cannot be recovered")
    if before.get("force_destroy") is False:
        if count_text == 0:
            return PlanFacts("force_destroy = false; the bucket is empty now, so the delete goes through")
        return PlanFacts(f"force_destroy = false: the delete FAILS while the bucket holds any object{held}, and "
                         "the apply stops there")
    return PlanFacts(f"force_destroy is not known{held}")


def _objects(count: int) -> str:
    if count >= OBJECT_COUNT_CAP:
        return f"at least {OBJECT_COUNT_CAP:,} objects"
    return f"{count:,} object{'s' if count != 1 else ''}"


def _elasticache(before: Attributes, after: Attributes | None, action: str, count: ObjectCount
                 ) -> PlanFacts:
    snapshot = before.get("final_snapshot_identifier")
    if isinstance(snapshot, str) and snapshot:
        return PlanFacts(f"a final snapshot {snapshot} is taken before the delete")
    if "final_snapshot_identifier" in before:
        return PlanFacts("final_snapshot_identifier is not set: NO final snapshot is taken")
    return PlanFacts("")


def _kms_key(before: Attributes, after: Attributes | None, action: str, count: ObjectCount) -> PlanFacts:
    days = before.get("deletion_window_in_days")
    if isinstance(days, int):
        return PlanFacts(f"the key is scheduled for deletion in {days} days (deletion_window_in_days); until then "
                         "the deletion can be cancelled")
    return PlanFacts("")


def _secret(before: Attributes, after: Attributes | None, action: str, count: ObjectCount) -> PlanFacts:
    days = before.get("recovery_window_in_days")
    if days == 0:
        return PlanFacts("recovery_window_in_days = 0: the secret is deleted AT ONCE, with no recovery window")
    if isinstance(days, int):
        return PlanFacts(f"the secret can be restored for {days} days (recovery_window_in_days)")
    return PlanFacts("")


def _ecr(before: Attributes, after: Attributes | None, action: str, count: ObjectCount) -> PlanFacts:
    if before.get("force_delete") is True:
        return PlanFacts("force_delete = true: the apply deletes every image in the repository")
    if before.get("force_delete") is False:
        return PlanFacts("force_delete = false: the delete fails while the repository holds images")
    return PlanFacts("")


def _dynamodb(before: Attributes, after: Attributes | None, action: str, count: ObjectCount) -> PlanFacts:
    if before.get("deletion_protection_enabled") is True:
        return PlanFacts("deletion_protection_enabled = true: AWS refuses the delete and the apply stops there")
    return PlanFacts("")


OBJECT_COUNT_CAP = 10_000
Rule = Callable[[Attributes, "Attributes | None", str, "ObjectCount"], PlanFacts]
RULES: dict[str, Rule] = {
    "aws_db_instance": _db_instance,
    "aws_rds_cluster": _rds_cluster,
    "aws_s3_bucket": _bucket,
    "aws_elasticache_replication_group": _elasticache,
    "aws_elasticache_cluster": _elasticache,
    "aws_kms_key": _kms_key,
    "aws_secretsmanager_secret": _secret,
    "aws_ecr_repository": _ecr,
    "aws_dynamodb_table": _dynamodb,
}


def _unknown_count(bucket: str) -> int | None:
    return None


def plan_facts(resource_type: str, change: dict[str, Any], actions: tuple[str, ...],
               object_count: ObjectCount | None = None) -> PlanFacts:
    """What this change does to the stateful resource (see the module docstring); "" when the plan says nothing."""
    before = change.get("before")
    after = change.get("after")
    action = "replace" if len(actions) == 2 else "delete"
    order = _order(actions)
    rule = RULES.get(resource_type)
    facts = rule(before, after if isinstance(after, dict) else None, action, object_count or _unknown_count) \
        if rule is not None and isinstance(before, dict) else PlanFacts("")
    does = "; ".join(part for part in (order, facts.does) if part)
    return PlanFacts(does, facts.data_at_risk, facts.recovery)
