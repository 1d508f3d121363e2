################################################################################
# Encryption
################################################################################

output "kms_key_arn" {
  description = "KMS key of the buckets' SSE-KMS (null when the aws/s3 key is used); readers need kms:Decrypt on it."
  value       = local.kms_key_arn
}

################################################################################
# Buckets
################################################################################

output "bucket_names" {
  description = "Bucket names by short name."
  value       = { for name, bucket in aws_s3_bucket.this : name => bucket.id }
}

output "bucket_arns" {
  description = "Bucket ARNs by short name."
  value       = { for name, bucket in aws_s3_bucket.this : name => bucket.arn }
}

output "bucket_regional_domain_names" {
  description = "Regional domain names by short name (for CloudFront origins or presigned URLs)."
  value       = { for name, bucket in aws_s3_bucket.this : name => bucket.bucket_regional_domain_name }
}

################################################################################
# Access logging
################################################################################

output "access_log_bucket_name" {
  description = "Bucket receiving server access logs, or null when no bucket logs."
  value       = length(local.logged_buckets) > 0 ? local.access_log_bucket_name : null
}
