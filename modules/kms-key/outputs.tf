output "key_arn" {
  description = "ARN of the key, or null when create is false."
  value       = try(aws_kms_key.this[0].arn, null)
}

output "key_id" {
  description = "ID of the key, or null when create is false."
  value       = try(aws_kms_key.this[0].key_id, null)
}

output "alias_name" {
  description = "Alias of the key (\"alias/...\"), or null when create is false."
  value       = try(aws_kms_alias.this[0].name, null)
}

output "policy_json" {
  description = "The key policy document."
  value       = try(data.aws_iam_policy_document.this[0].json, null)
}
