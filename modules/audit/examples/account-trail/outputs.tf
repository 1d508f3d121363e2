output "trail_arn" {
  description = "The trail."
  value       = module.audit.trail_arn
}

output "bucket_name" {
  description = "The trail's bucket (versioned, SSE-KMS, TLS 1.2 only)."
  value       = module.audit.bucket_name
}
