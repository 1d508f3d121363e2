# Redis with the module's defaults (the smallest environment): one node, yet encrypted at rest and in transit
# with an AUTH token, as every environment is.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name       = "edu-platform-test"
  vpc_id     = "vpc-0123456789abcdef0"
  subnet_ids = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
}

run "single_node" {
  command = plan

  assert {
    condition     = aws_elasticache_replication_group.this[0].node_type == var.node_type && aws_elasticache_replication_group.this[0].cluster_mode == "disabled" && aws_elasticache_replication_group.this[0].num_cache_clusters == 1
    error_message = "by default one node of node_type without cluster mode (module defaults: the smallest environment)"
  }

  assert {
    condition     = !aws_elasticache_replication_group.this[0].automatic_failover_enabled && !aws_elasticache_replication_group.this[0].multi_az_enabled
    error_message = "a single node cannot fail over: automatic failover and Multi-AZ stay off (AWS: failover needs a replica)"
  }

  assert {
    condition     = output.sizing.at_rest_encryption_enabled && output.sizing.transit_encryption_enabled
    error_message = "Redis is encrypted at rest and in transit in every environment (security plan: encryption at rest and in transit)"
  }

  assert {
    condition     = length(random_password.auth_token) == 1 && length(aws_secretsmanager_secret.auth_token) == 1 && aws_elasticache_replication_group.this[0].auth_token_update_strategy == "ROTATE"
    error_message = "clients authenticate with a generated AUTH token kept in Secrets Manager (security plan: no credentials in files)"
  }

  assert {
    condition     = one([for parameter in aws_elasticache_parameter_group.this[0].parameter : parameter.value if parameter.name == "cluster-enabled"]) == "no"
    error_message = "the parameter group's cluster-enabled follows cluster mode (AWS: a cluster-mode group needs cluster-enabled yes)"
  }

  assert {
    condition     = aws_cloudwatch_log_group.this["slow-log"].retention_in_days == var.log_retention_days && output.sizing.log_retention_days == var.log_retention_days
    error_message = "the slow log is delivered to CloudWatch Logs kept log_retention_days (monitoring plan: log retention)"
  }
}

run "one_replica_fails_over" {
  command = plan

  variables {
    replication = { replicas_per_shard = 1 }
  }

  assert {
    condition     = aws_elasticache_replication_group.this[0].num_cache_clusters == 2 && aws_elasticache_replication_group.this[0].automatic_failover_enabled && aws_elasticache_replication_group.this[0].multi_az_enabled
    error_message = "a primary plus one replica, with automatic failover and Multi-AZ (sizing plan, staging: 1 replica)"
  }

  assert {
    condition     = output.sizing.shards == 1 && output.sizing.replicas_per_shard == var.replication.replicas_per_shard
    error_message = "the sizing output reports one shard and the replicas as planned (module contract: sizing)"
  }
}
