# Redis sized as the production column of the sizing plan asks: cluster mode, shards with replicas each, on
# memory-optimised nodes. The numbers are typed only here; the assertions compare the plan with the input.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name       = "edu-platform-prod"
  vpc_id     = "vpc-0123456789abcdef0"
  subnet_ids = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0bbbbbbbbbbbbbbb3"]
  node_type  = "cache.r6g.large"
  replication = {
    cluster_mode       = true
    shards             = 3
    replicas_per_shard = 2
  }
}

run "production_cluster" {
  command = plan

  assert {
    condition     = aws_elasticache_replication_group.this[0].node_type == var.node_type && aws_elasticache_replication_group.this[0].cluster_mode == "enabled"
    error_message = "prod cache runs node_type nodes in cluster mode (sizing plan, production)"
  }

  assert {
    condition     = aws_elasticache_replication_group.this[0].num_node_groups == var.replication.shards && aws_elasticache_replication_group.this[0].replicas_per_node_group == var.replication.replicas_per_shard
    error_message = "prod cache has replication.shards shards of replication.replicas_per_shard replicas each (sizing plan, production: 3 shards, 2 replicas)"
  }

  assert {
    condition     = aws_elasticache_replication_group.this[0].automatic_failover_enabled && aws_elasticache_replication_group.this[0].multi_az_enabled
    error_message = "cluster mode fails over automatically across AZs (AWS: cluster mode requires automatic failover)"
  }

  assert {
    condition     = output.sizing.at_rest_encryption_enabled && output.sizing.transit_encryption_enabled
    error_message = "prod cache is encrypted at rest and in transit (security plan: LGPD encryption at rest and in transit)"
  }

  assert {
    condition     = one([for parameter in aws_elasticache_parameter_group.this[0].parameter : parameter.value if parameter.name == "cluster-enabled"]) == "yes"
    error_message = "the parameter group of a cluster-mode group has cluster-enabled yes (AWS: required for cluster mode)"
  }

  assert {
    condition     = length(output.member_cluster_ids) == var.replication.shards * (1 + var.replication.replicas_per_shard)
    error_message = "every node is listed for the per-node alarms (module contract: member_cluster_ids)"
  }
}
