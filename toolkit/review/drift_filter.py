"""Which drift (`resource_drift`) a reviewer should read: real changes made outside Terraform, not noise.

Dropped from every review and from `toolkit drift`:
- entries with no differing attribute left (Terraform 1.0 lists a null that became an empty list or map,
  and a refresh that only re-read a value lists the resource anyway);
- attributes AWS moves by itself on every refresh, listed in VOLATILE_ATTRIBUTES by resource type (a path
  covers its nested attributes). They are computed, never configured, so Terraform never reverts them and a
  difference there says nothing about somebody changing the infrastructure.

A resource deleted outside Terraform is always kept. Add a row here when a new computed attribute turns out
to move on its own (docs/REVIEW.md lists them).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from toolkit.review.diffs import AttributeDiff

VOLATILE_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    # The newest point-in-time restore moves every few minutes.
    "aws_db_instance": ("latest_restorable_time", "status"),
    "aws_rds_cluster": ("latest_restorable_time",),
    # ECS counts what is running right now; deployments list the rollout in progress.
    "aws_ecs_service": ("running_count", "pending_count"),
    # Last-used timestamps and change markers AWS updates on use.
    "aws_iam_role": ("role_last_used",),
    "aws_iam_access_key": ("last_used_date",),
    "aws_lambda_function": ("last_modified",),
    "aws_cloudfront_distribution": ("last_modified_time", "in_progress_validation_batches", "status", "etag"),
    "aws_secretsmanager_secret_version": ("version_stages",),
    "aws_elasticache_replication_group": ("member_clusters",),
    "aws_autoscaling_group": ("desired_capacity",),
}


def within(path: str, prefix: str) -> bool:
    """`path` is `prefix` or nested under it (`tags.Name` under `tags`, `rule[0].x` under `rule`)."""
    return path == prefix or path.startswith((f"{prefix}.", f"{prefix}["))


def meaningful(resource_type: str, diffs: Iterable[AttributeDiff], skip: tuple[str, ...] = ()) -> list[AttributeDiff]:
    """The drift diffs worth showing: without the type's volatile attributes and the `skip` paths."""
    ignored = (*VOLATILE_ATTRIBUTES.get(resource_type, ()), *skip)
    # Two "(sensitive)" sides are a real change of a secret value: rows are kept whatever they print.
    return [diff for diff in diffs if not any(within(diff.path, path) for path in ignored)]
