output "function_name" {
  description = "The Lambda to invoke."
  value       = module.migrations_runner.function_name
}

output "log_group_name" {
  description = "Log group of the runner's invocations."
  value       = module.migrations_runner.log_group_name
}

output "database_endpoint" {
  description = "The database the runner migrates."
  value       = module.database.endpoint
}
