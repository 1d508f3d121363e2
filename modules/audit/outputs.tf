output "trail_arn" {
  description = "ARN of the trail, or null."
  value       = try(aws_cloudtrail.this[0].arn, null)
}

output "bucket_name" {
  description = "Bucket holding the log files, or null."
  value       = try(module.bucket.bucket_names["audit"], null)
}

output "kms_key_arn" {
  description = "KMS key encrypting the log files, or null."
  value       = module.kms.key_arn
}
