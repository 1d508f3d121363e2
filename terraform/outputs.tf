################################################################################
# Compute
################################################################################

output "ecs_cluster_name" {
  description = "Name of the ECS cluster."
  value       = module.compute.cluster_name
}

output "ecs_service_name" {
  description = "Name of the ECS service."
  value       = module.compute.service_name
}

output "alb_dns_name" {
  description = "DNS name of the application load balancer."
  value       = module.compute.alb_dns_name
}

################################################################################
# Database
################################################################################

output "db_instance_identifiers" {
  description = "DB instance identifiers: the primary (writer) first, replicas (readers) after."
  value       = module.database.db_instance_identifiers
}

output "db_cluster_identifier" {
  description = "Aurora cluster identifier; null unless database.engine_mode is aurora-serverless."
  value       = module.database.db_cluster_identifier
}

output "db_parameter_group_names" {
  description = "Names of the custom DB (or Aurora cluster) parameter groups."
  value       = module.database.parameter_group_names
}

output "db_secret_arn" {
  description = "ARN of the RDS-managed Secrets Manager secret with the master credentials (an ARN, not the secret)."
  value       = module.database.master_user_secret_arn
  sensitive   = false
}

################################################################################
# Storage
################################################################################

output "s3_bucket_names" {
  description = "S3 bucket names by short name (the keys of storage.buckets)."
  value       = module.storage.bucket_names
}

################################################################################
# Monitoring
################################################################################

output "alarm_topic_arn" {
  description = "ARN of the SNS topic receiving every alarm and budget notification."
  value       = module.monitoring.alarm_topic_arn
}

################################################################################
# WAF and CDN
################################################################################

output "waf_web_acl_arn" {
  description = "ARN of the WAF web ACL: the CLOUDFRONT-scope ACL on the distribution when the CDN is on, the regional ACL on the load balancer otherwise; null when waf.enabled is false."
  value       = local.web_acl == null ? null : local.web_acl.web_acl_arn
}

output "waf_rules" {
  description = "Rules of the environment's web ACL by name as planned (priority, blocks, rate limit and window, allowed countries, managed rule group); null when waf.enabled is false. For terraform/tests and plan reviews."
  value       = local.web_acl == null ? null : local.web_acl.rules
}

output "cdn_domain_name" {
  description = "Domain name of the CloudFront distribution; null when cdn.enabled is false."
  value       = var.cdn.enabled ? aws_cloudfront_distribution.this[0].domain_name : null
}

################################################################################
# Migrations
################################################################################

output "migrations_lambda_name" {
  description = "Name of the migration runner Lambda; null when migrations_package_path is not set."
  value       = local.create_migration ? module.migrations_runner[0].function_name : null
}

output "origin_verify_secret_arn" {
  description = "Secrets Manager secret holding the origin header value CloudFront sends (an ARN, not the value); null without the CDN."
  value       = try(aws_secretsmanager_secret.origin_verify[0].arn, null)
}
