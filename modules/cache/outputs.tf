################################################################################
# Network
################################################################################

output "security_group_id" {
  description = "Security group of the cache (clients are added through allowed_security_group_ids)."
  value       = try(aws_security_group.this[0].id, null)
}

################################################################################
# Encryption
################################################################################

output "kms_key_arn" {
  description = "KMS key encrypting data at rest, the AUTH token secret and the logs (null for AWS-owned keys)."
  value       = local.kms_key_arn
}

################################################################################
# Authentication
################################################################################

output "auth_token_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the AUTH token (plain string), or null with RBAC."
  value       = try(aws_secretsmanager_secret.auth_token[0].arn, null)
}

################################################################################
# Parameter group
################################################################################

output "parameter_group_name" {
  description = "Name of the custom parameter group (cluster-enabled set from cluster mode)."
  value       = try(aws_elasticache_parameter_group.this[0].name, null)
}

################################################################################
# Replication group
################################################################################

output "replication_group_id" {
  description = "ID of the replication group."
  value       = try(aws_elasticache_replication_group.this[0].id, null)
}

output "replication_group_arn" {
  description = "ARN of the replication group."
  value       = try(aws_elasticache_replication_group.this[0].arn, null)
}

output "endpoint_address" {
  description = "Address clients connect to: the configuration endpoint in cluster mode, the primary endpoint otherwise."
  value       = local.cluster_mode ? try(aws_elasticache_replication_group.this[0].configuration_endpoint_address, null) : try(aws_elasticache_replication_group.this[0].primary_endpoint_address, null)
}

output "reader_endpoint_address" {
  description = "Reader endpoint (cluster mode disabled only), or null."
  value       = local.cluster_mode ? null : try(aws_elasticache_replication_group.this[0].reader_endpoint_address, null)
}

output "port" {
  description = "Port Redis listens on."
  value       = var.port
}

output "redis_url" {
  description = "TLS connection URL without credentials (rediss://host:port); the AUTH token comes from auth_token_secret_arn."
  value       = var.create ? "rediss://${local.cluster_mode ? aws_elasticache_replication_group.this[0].configuration_endpoint_address : aws_elasticache_replication_group.this[0].primary_endpoint_address}:${var.port}" : null
}

output "cluster_mode" {
  description = "Whether cluster mode (sharding) is on."
  value       = local.cluster_mode
}

output "member_cluster_ids" {
  description = "IDs of the member cache clusters (nodes), as ElastiCache names them; the CacheClusterId dimension of their metrics."
  value       = var.create ? local.member_cluster_ids : []
}

################################################################################
# Log delivery
################################################################################

output "log_group_names" {
  description = "CloudWatch log groups per delivered log type (slow-log, engine-log)."
  value       = { for log_type, log_group in aws_cloudwatch_log_group.this : log_type => log_group.name }
}

output "sizing" {
  description = "The planned size and protection of the replication group, read from it: node_type, cluster_mode, shards, replicas_per_shard, automatic_failover_enabled, multi_az_enabled, at_rest_encryption_enabled, transit_encryption_enabled, snapshot_retention_limit, log_retention_days. Null when create is false. For tests and plan reviews."
  value = var.create ? {
    node_type                  = aws_elasticache_replication_group.this[0].node_type
    cluster_mode               = aws_elasticache_replication_group.this[0].cluster_mode == "enabled"
    shards                     = local.cluster_mode ? aws_elasticache_replication_group.this[0].num_node_groups : 1
    replicas_per_shard         = local.cluster_mode ? aws_elasticache_replication_group.this[0].replicas_per_node_group : aws_elasticache_replication_group.this[0].num_cache_clusters - 1
    automatic_failover_enabled = aws_elasticache_replication_group.this[0].automatic_failover_enabled
    multi_az_enabled           = aws_elasticache_replication_group.this[0].multi_az_enabled
    at_rest_encryption_enabled = tobool(aws_elasticache_replication_group.this[0].at_rest_encryption_enabled)
    transit_encryption_enabled = aws_elasticache_replication_group.this[0].transit_encryption_enabled
    snapshot_retention_limit   = aws_elasticache_replication_group.this[0].snapshot_retention_limit
    log_retention_days         = try(one(distinct([for group in aws_cloudwatch_log_group.this : group.retention_in_days])), tonumber(null))
  } : null
}
