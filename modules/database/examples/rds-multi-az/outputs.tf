output "db_instance_identifiers" {
  description = "Primary first, then the replicas."
  value       = module.database.db_instance_identifiers
}

output "endpoint" {
  description = "Primary endpoint."
  value       = module.database.endpoint
}

output "replica_endpoints" {
  description = "Endpoints of the read replicas."
  value       = module.database.replica_endpoints
}

output "master_user_secret_arn" {
  description = "Secret holding the master credentials (managed by RDS)."
  value       = module.database.master_user_secret_arn
}
