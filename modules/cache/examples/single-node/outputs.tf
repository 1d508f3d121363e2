output "replication_group_id" {
  description = "The replication group (one node)."
  value       = module.cache.replication_group_id
}

output "redis_url" {
  description = "rediss:// URL of the primary endpoint (TLS), without the token."
  value       = module.cache.redis_url
}

output "auth_token_secret_arn" {
  description = "Secret holding the AUTH token."
  value       = module.cache.auth_token_secret_arn
}

output "security_group_id" {
  description = "The cache's security group (add client rules to it)."
  value       = module.cache.security_group_id
}
