"""Attributes whose change makes AWS (and the real provider) replace the resource: ForceNew / RequiresReplace.

The tfplugin6 schema does not carry this (it lives in the provider's code), so the stub keeps a short list of
the ones that matter most to a reviewer: names and identifiers, encryption at rest, engines, network
placement, and the task definition, which AWS never updates in place. Without it an offline plan against a
base would show these as updates in place. An attribute not listed here is updated in place, as before.
"""

from __future__ import annotations

FORCE_NEW: dict[str, tuple[str, ...]] = {
    "aws_s3_bucket": ("bucket", "bucket_prefix"),
    "aws_db_instance": ("identifier", "identifier_prefix", "engine", "storage_encrypted", "kms_key_id",
                        "availability_zone", "username", "character_set_name", "db_name", "timezone"),
    "aws_rds_cluster": ("cluster_identifier", "cluster_identifier_prefix", "engine", "storage_encrypted",
                        "kms_key_id", "database_name", "master_username", "availability_zones"),
    "aws_rds_cluster_instance": ("identifier", "identifier_prefix", "cluster_identifier", "engine",
                                 "availability_zone"),
    "aws_elasticache_replication_group": ("replication_group_id", "at_rest_encryption_enabled", "kms_key_id",
                                          "subnet_group_name", "engine"),
    "aws_elasticache_cluster": ("cluster_id", "engine", "subnet_group_name", "availability_zone"),
    "aws_ecs_task_definition": ("family", "container_definitions", "cpu", "memory", "network_mode",
                                "requires_compatibilities", "execution_role_arn", "task_role_arn",
                                "runtime_platform", "volume", "ephemeral_storage"),
    "aws_cloudwatch_log_group": ("name", "name_prefix", "log_group_class"),
    "aws_secretsmanager_secret": ("name", "name_prefix"),
    "aws_kms_key": ("customer_master_key_spec", "key_usage", "multi_region"),
    "aws_lb": ("name", "name_prefix", "internal", "load_balancer_type"),
    "aws_lb_target_group": ("name", "name_prefix", "port", "protocol", "vpc_id", "target_type"),
    "aws_security_group": ("name", "name_prefix", "description", "vpc_id"),
    "aws_vpc": ("cidr_block",),
    "aws_subnet": ("cidr_block", "vpc_id", "availability_zone"),
    "aws_iam_role": ("name", "name_prefix", "path"),
    "aws_iam_policy": ("name", "name_prefix", "path"),
    "aws_ecr_repository": ("name",),
    "aws_dynamodb_table": ("name",),
    "aws_sqs_queue": ("name", "name_prefix", "fifo_queue"),
}
