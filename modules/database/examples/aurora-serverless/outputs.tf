output "db_cluster_identifier" {
  description = "The Aurora cluster."
  value       = module.database.db_cluster_identifier
}

output "endpoint" {
  description = "Writer endpoint."
  value       = module.database.endpoint
}

output "reader_endpoint" {
  description = "Reader endpoint (load-balanced over the readers)."
  value       = module.database.reader_endpoint
}

output "master_user_secret_arn" {
  description = "Secret holding the master credentials (managed by RDS)."
  value       = module.database.master_user_secret_arn
}
