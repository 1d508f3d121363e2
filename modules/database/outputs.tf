################################################################################
# Network
################################################################################

output "security_group_id" {
  description = "Security group of the database (clients are added through allowed_security_group_ids)."
  value       = try(aws_security_group.this[0].id, null)
}

output "db_subnet_group_name" {
  description = "Name of the DB subnet group."
  value       = try(aws_db_subnet_group.this[0].name, null)
}

################################################################################
# Connection
################################################################################

output "engine_mode" {
  description = "The engine mode in use: \"rds\" or \"aurora-serverless\"."
  value       = var.engine_mode
}

output "endpoint" {
  description = "Writer host name (the instance address or the cluster endpoint)."
  value       = local.is_aurora ? try(aws_rds_cluster.this[0].endpoint, null) : try(aws_db_instance.this[0].address, null)
}

output "reader_endpoint" {
  description = "Reader host name: the cluster reader endpoint (aurora) or the first replica's address (rds), or null without readers."
  value       = local.is_aurora ? try(aws_rds_cluster.this[0].reader_endpoint, null) : try(aws_db_instance.replica[local.replica_identifiers[0]].address, null)
}

output "replica_endpoints" {
  description = "Host names of the read replicas (rds mode), in identifier order."
  value       = [for identifier in local.replica_identifiers : aws_db_instance.replica[identifier].address if local.create_rds]
}

output "port" {
  description = "Port PostgreSQL listens on."
  value       = var.port
}

output "database_name" {
  description = "Name of the application database."
  value       = var.database_name
}

output "master_username" {
  description = "Master user name."
  value       = var.master_username
}

output "master_user_secret_arn" {
  description = "ARN of the RDS-managed Secrets Manager secret holding the master credentials (an ARN, not the secret)."
  value       = local.is_aurora ? try(aws_rds_cluster.this[0].master_user_secret[0].secret_arn, null) : try(aws_db_instance.this[0].master_user_secret[0].secret_arn, null)
}

################################################################################
# Identifiers
################################################################################

output "db_instance_identifiers" {
  description = "DB instance identifiers, primary (writer) first, replicas (readers) after."
  value       = !var.create ? [] : (local.is_aurora ? local.cluster_instance_identifiers : concat([var.name], local.replica_identifiers))
}

output "db_instance_arn" {
  description = "ARN of the primary DB instance (rds mode), or null."
  value       = try(aws_db_instance.this[0].arn, null)
}

output "dbi_resource_id" {
  description = "Resource ID of the primary DB instance (rds mode), used in rds-db:connect ARNs for IAM authentication, or null."
  value       = try(aws_db_instance.this[0].resource_id, null)
}

output "cluster_resource_id" {
  description = "Resource ID of the Aurora cluster, used in rds-db:connect ARNs for IAM authentication, or null in rds mode."
  value       = try(aws_rds_cluster.this[0].cluster_resource_id, null)
}

output "iam_connect_resource_ids" {
  description = "Every resource ID an application connecting with IAM authentication needs rds-db:connect on: the cluster (aurora), or the primary and each replica (rds)."
  value       = local.is_aurora ? compact([try(aws_rds_cluster.this[0].cluster_resource_id, "")]) : concat(aws_db_instance.this[*].resource_id, [for identifier in local.replica_identifiers : aws_db_instance.replica[identifier].resource_id if local.create_rds])
}

output "db_cluster_identifier" {
  description = "Aurora cluster identifier, or null in rds mode."
  value       = try(aws_rds_cluster.this[0].cluster_identifier, null)
}

output "db_cluster_arn" {
  description = "ARN of the Aurora cluster, or null in rds mode."
  value       = try(aws_rds_cluster.this[0].arn, null)
}

################################################################################
# Encryption
################################################################################

output "kms_key_arn" {
  description = "KMS key encrypting storage, Performance Insights and logs (null when the aws/rds key is used)."
  value       = local.kms_key_arn
}

################################################################################
# Parameter group
################################################################################

output "parameter_group_names" {
  description = "Names of the custom parameter groups (DB parameter group in rds mode, cluster parameter group in aurora mode)."
  value       = concat(aws_db_parameter_group.this[*].name, aws_rds_cluster_parameter_group.this[*].name)
}

output "max_connections" {
  description = "max_connections from the parameters, or null when the engine default applies."
  value       = try(tonumber(var.parameters["max_connections"]), null)
}

################################################################################
# Enhanced monitoring
################################################################################

output "monitoring_role_arn" {
  description = "IAM role used by Enhanced Monitoring, or null."
  value       = local.monitoring_role_arn
}

################################################################################
# CloudWatch logs
################################################################################

output "log_group_names" {
  description = "Every CloudWatch log group the module creates for the exported logs (primary, replicas or cluster), with retention and the module's key."
  value       = concat(aws_cloudwatch_log_group.postgresql[*].name, [for group in aws_cloudwatch_log_group.exports : group.name])
}

output "postgresql_log_group_names" {
  description = "The postgresql log groups (slow statements, deadlocks) of the primary and every replica, or of the cluster."
  # From the resources, not the locals: a metric filter on these names then waits for the groups to exist
  # (PutMetricFilter on a missing group fails and the provider does not retry).
  value = sort([for group in concat(aws_cloudwatch_log_group.postgresql, values(aws_cloudwatch_log_group.exports)) : group.name if endswith(group.name, "/postgresql")])
}

output "postgresql_log_group_name" {
  description = "CloudWatch log group receiving the postgresql log (slow statements included), or null."
  value       = try(aws_cloudwatch_log_group.postgresql[0].name, null)
}

output "sizing" {
  description = "The planned size and resilience of the database, read from its resources: engine_mode, instance_class (db.serverless for Aurora), allocated_storage_gb and max_allocated_storage_gb (GiB; null for Aurora), multi_az (Aurora: a reader to fail over to), backup_retention_days, read_replicas, performance_insights, serverless_min_acu / serverless_max_acu (ACU; null for rds), storage_encrypted, deletion_protection, log_retention_days. Null when create is false. For tests and plan reviews."
  value = var.create ? {
    engine_mode              = var.engine_mode
    instance_class           = try(aws_db_instance.this[0].instance_class, aws_rds_cluster_instance.this[local.cluster_instance_identifiers[0]].instance_class)
    allocated_storage_gb     = try(aws_db_instance.this[0].allocated_storage, tonumber(null))
    max_allocated_storage_gb = try(aws_db_instance.this[0].max_allocated_storage, tonumber(null))
    multi_az                 = try(aws_db_instance.this[0].multi_az, length(aws_rds_cluster_instance.this) > 1)
    backup_retention_days    = try(aws_db_instance.this[0].backup_retention_period, aws_rds_cluster.this[0].backup_retention_period)
    read_replicas            = local.is_aurora ? length(aws_rds_cluster_instance.this) - 1 : length(aws_db_instance.replica)
    performance_insights     = try(aws_db_instance.this[0].performance_insights_enabled, aws_rds_cluster_instance.this[local.cluster_instance_identifiers[0]].performance_insights_enabled)
    serverless_min_acu       = try(aws_rds_cluster.this[0].serverlessv2_scaling_configuration[0].min_capacity, tonumber(null))
    serverless_max_acu       = try(aws_rds_cluster.this[0].serverlessv2_scaling_configuration[0].max_capacity, tonumber(null))
    storage_encrypted        = try(aws_db_instance.this[0].storage_encrypted, aws_rds_cluster.this[0].storage_encrypted)
    deletion_protection      = try(aws_db_instance.this[0].deletion_protection, aws_rds_cluster.this[0].deletion_protection)
    log_retention_days       = try(aws_cloudwatch_log_group.postgresql[0].retention_in_days, tonumber(null))
  } : null
}

################################################################################
# AWS Backup
################################################################################

output "backup_vault_name" {
  description = "AWS Backup vault of the compliance backups, or null."
  value       = try(aws_backup_vault.this[0].name, null)
}

output "backup_plan_id" {
  description = "AWS Backup plan of the compliance backups, or null."
  value       = try(aws_backup_plan.this[0].id, null)
}
