output "redis_url" {
  description = "rediss:// URL of the configuration endpoint (TLS), without the token."
  value       = module.cache.redis_url
}

output "member_cluster_ids" {
  description = "The 9 nodes (3 shards x 1 primary + 2 replicas)."
  value       = module.cache.member_cluster_ids
}

output "auth_token_secret_arn" {
  description = "Secret holding the AUTH token."
  value       = module.cache.auth_token_secret_arn
}

output "app_security_group_id" {
  description = "The client security group allowed on the Redis port."
  value       = aws_security_group.app.id
}
