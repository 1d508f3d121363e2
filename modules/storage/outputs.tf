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
  description = "Bucket names by short name (the buckets of `buckets`; not the access-log bucket)."
  value       = { for name, bucket in aws_s3_bucket.this : name => bucket.id if name != local.log_key }
}

output "bucket_arns" {
  description = "Bucket ARNs by short name (the buckets of `buckets`; not the access-log bucket)."
  value       = { for name, bucket in aws_s3_bucket.this : name => bucket.arn if name != local.log_key }
}

output "bucket_regional_domain_names" {
  description = "Regional domain names by short name (for CloudFront origins or presigned URLs)."
  value       = { for name, bucket in aws_s3_bucket.this : name => bucket.bucket_regional_domain_name if name != local.log_key }
}

################################################################################
# Access logging
################################################################################

output "access_log_bucket_name" {
  description = "Bucket receiving server access logs, or null when no bucket logs."
  value       = length(local.logged_buckets) > 0 ? local.access_log_bucket_name : null
}

output "bucket_settings" {
  description = "The planned settings of each bucket by short name, read from its resources: versioning (\"Enabled\" or \"Suspended\") and lifecycle rules by id, each with transitions (day => storage class), expiration_days, noncurrent_expiration_days and prefix. For tests and plan reviews."
  value = {
    for name, bucket in aws_s3_bucket.this : name => {
      versioning = aws_s3_bucket_versioning.this[name].versioning_configuration[0].status
      lifecycle = {
        for rule in aws_s3_bucket_lifecycle_configuration.this[name].rule : rule.id => {
          transitions                = { for transition in rule.transition : tostring(transition.days) => transition.storage_class }
          expiration_days            = try(rule.expiration[0].days, null)
          noncurrent_expiration_days = try(rule.noncurrent_version_expiration[0].noncurrent_days, null)
          prefix                     = try(coalesce(rule.filter[0].prefix, ""), "")
        }
      }
    } if name != local.log_key
  }
}

output "bucket_policies" {
  description = "Bucket policies (JSON) by short name: the bucket's policy_documents, then TLS only and TLS 1.2 or newer. For tests and plan reviews."
  value       = { for name, document in data.aws_iam_policy_document.bucket : name => document.json if name != local.log_key }
}

output "load_balancer_access_log_bucket" {
  description = "Bucket for load balancer access logs, once its policy lets ELB deliver (null unless load_balancer_access_logs)."
  value       = var.load_balancer_access_logs && local.create_log_bucket ? aws_s3_bucket_policy.this[local.log_key].bucket : null
}
