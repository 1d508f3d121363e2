output "bucket_names" {
  description = "Bucket names by short name (exports, uploads)."
  value       = module.storage.bucket_names
}

output "bucket_arns" {
  description = "Bucket ARNs by short name, for the application's IAM policy."
  value       = module.storage.bucket_arns
}
