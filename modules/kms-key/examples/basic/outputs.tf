output "key_arn" {
  description = "The key, for the log group's kms_key_id."
  value       = module.kms.key_arn
}

output "alias_name" {
  description = "The key's alias (\"alias/example-dev-app-logs\")."
  value       = module.kms.alias_name
}
