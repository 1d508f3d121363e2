output "key_arn" {
  description = "The key, for the log group's kms_key_id."
  value       = module.kms.key_arn
}

output "alias_name" {
  description = "The key's alias (\"alias/ex-basic-app-logs\")."
  value       = module.kms.alias_name
}

output "log_group_name" {
  description = "The log group encrypted with the key."
  value       = aws_cloudwatch_log_group.app.name
}
