# Redis 7 in cluster mode as in prod: 3 shards with 2 replicas each, Multi-AZ failover, TLS and AUTH token.
provider "aws" {
  region = "sa-east-1"
}

module "cache" {
  source = "../../"

  name           = "example-prod"
  engine_version = "7.1"
  node_type      = "cache.r6g.large"

  replication = {
    cluster_mode_enabled    = true
    num_node_groups         = 3
    replicas_per_node_group = 2
  }

  vpc_id                     = "vpc-0123456789abcdef0"
  subnet_ids                 = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0bbbbbbbbbbbbbbb3"]
  allowed_security_group_ids = { app = "sg-0123456789abcdef0" }
}

output "redis_url" {
  description = "Configuration endpoint URL."
  value       = module.cache.redis_url
}
