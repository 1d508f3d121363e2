"""Stateful resource types: what a destroy or replace loses and how to get it back.

The one list: `toolkit apply` refuses to destroy or replace any of these types without --allow-destroy
(toolkit.engine.guards) and the review warns about each one (toolkit.review.analysis). One row per resource
type. `recovery` is shown after "recovery:" and may use `{env}` (the environment name) and `{address}`.
Add a row to cover another type.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLLBACK = "`toolkit rollback {env} --step {step}`"


@dataclass(frozen=True)
class StatefulRisk:
    """The data lost when a resource of this type is destroyed, and the way back."""

    data_at_risk: str
    recovery: str


def _rollback(step: str, then: str = "") -> str:
    command = ROLLBACK.replace("{step}", step)
    return f"{command}{then}"


STATEFUL_RISKS: dict[str, StatefulRisk] = {
    "aws_db_instance": StatefulRisk(
        "all data in the database is lost unless restored",
        _rollback("db-restore", " (restores the pre-apply snapshot)"),
    ),
    "aws_rds_cluster": StatefulRisk(
        "all data in the Aurora cluster is lost unless restored",
        _rollback("db-restore", " (restores the pre-apply snapshot)"),
    ),
    "aws_rds_cluster_instance": StatefulRisk(
        "the cluster loses this instance (connections drop; the last instance leaves the cluster without a "
        "writer); data in the cluster volume is lost only if the cluster goes too",
        _rollback("db-restore", " if cluster data is affected, else ")
        + _rollback("terraform-state"),
    ),
    "aws_rds_global_cluster": StatefulRisk(
        "the global database loses its cross-region replication; its member clusters' data is lost only if they go "
        "too",
        "recreate the global cluster from its primary cluster, then " + _rollback("terraform-state"),
    ),
    "aws_elasticache_replication_group": StatefulRisk(
        "all cached data is lost; only a final snapshot (final_snapshot_identifier) keeps a copy",
        _rollback("full", " recreates the group empty; restore data from the final snapshot"),
    ),
    "aws_elasticache_cluster": StatefulRisk(
        "all cached data is lost; only a final snapshot (final_snapshot_identifier) keeps a copy",
        _rollback("full", " recreates the cluster empty; restore data from the final snapshot"),
    ),
    "aws_memorydb_cluster": StatefulRisk(
        "all data in the MemoryDB cluster is lost unless a final snapshot is taken (final_snapshot_name)",
        "restore a new cluster from the final snapshot, then " + _rollback("terraform-state"),
    ),
    "aws_s3_bucket": StatefulRisk(
        "all objects in the bucket are lost (versioning does not help once the bucket is deleted; "
        "the delete fails on a non-empty bucket unless force_destroy = true)",
        "none by rollback: copy the objects first (`aws s3 sync`) or keep the bucket (`prevent_destroy`)",
    ),
    "aws_kms_key": StatefulRisk(
        "data encrypted with this key becomes unreadable after the deletion window (7-30 days)",
        "cancel the deletion inside the window (`aws kms cancel-key-deletion`), then "
        + _rollback("terraform-state"),
    ),
    "aws_secretsmanager_secret": StatefulRisk(
        "the secret value is deleted after the recovery window (at once if recovery_window_in_days = 0)",
        "`aws secretsmanager restore-secret` inside the recovery window, then " + _rollback("terraform-state"),
    ),
    "aws_dynamodb_table": StatefulRisk(
        "all items in the table are lost; point-in-time recovery goes with the table, only on-demand or "
        "AWS Backup backups survive",
        "restore the table from a backup, then " + _rollback("terraform-state"),
    ),
    "aws_efs_file_system": StatefulRisk(
        "all files on the file system are lost",
        "restore from AWS Backup, then " + _rollback("terraform-state"),
    ),
    "aws_ebs_volume": StatefulRisk(
        "all data on the volume is lost",
        "create the volume from its latest snapshot, then " + _rollback("terraform-state"),
    ),
    "aws_docdb_cluster": StatefulRisk(
        "all data in the DocumentDB cluster is lost unless a final snapshot is taken",
        "restore from the final snapshot, then " + _rollback("terraform-state"),
    ),
    "aws_neptune_cluster": StatefulRisk(
        "all data in the Neptune cluster is lost unless a final snapshot is taken",
        "restore from the final snapshot, then " + _rollback("terraform-state"),
    ),
    "aws_redshift_cluster": StatefulRisk(
        "all data in the Redshift cluster is lost unless a final snapshot is taken",
        "restore from the final snapshot, then " + _rollback("terraform-state"),
    ),
    "aws_opensearch_domain": StatefulRisk(
        "all indexes in the domain are lost",
        "restore from a manual snapshot repository, then " + _rollback("terraform-state"),
    ),
    "aws_elasticsearch_domain": StatefulRisk(
        "all indexes in the domain are lost",
        "restore from a manual snapshot repository, then " + _rollback("terraform-state"),
    ),
    "aws_kinesis_stream": StatefulRisk(
        "records not yet read from the stream are lost (it keeps them for its retention period only)",
        "none by rollback: let the consumers drain the stream first",
    ),
    "aws_sqs_queue": StatefulRisk(
        "messages waiting in the queue are lost",
        "none by rollback: drain the queue first",
    ),
    "aws_cloudwatch_log_group": StatefulRisk(
        "all log events in the group are lost",
        "none by rollback: export the logs to S3 first",
    ),
    "aws_ecr_repository": StatefulRisk(
        "all images in the repository are lost (the delete fails on a non-empty repository unless "
        "force_delete = true)",
        "none by rollback: push the images again",
    ),
    "aws_backup_vault": StatefulRisk(
        "the vault's recovery points are lost (the delete fails while it holds any)",
        _rollback("terraform-state"),
    ),
}

# What apply guards and the review warns about: the same types.
STATEFUL_RESOURCE_TYPES = frozenset(STATEFUL_RISKS)


def risk_for(resource_type: str) -> StatefulRisk | None:
    """The risk of destroying a resource of this type, or None for stateless types."""
    return STATEFUL_RISKS.get(resource_type)
