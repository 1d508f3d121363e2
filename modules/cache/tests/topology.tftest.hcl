# Failover and Multi-AZ for every topology shape the replication variable accepts, as AWS takes them: automatic
# failover must be on for a cluster-mode-enabled replication group (provider docs, automatic_failover_enabled),
# with replicas or without; Multi-AZ needs automatic failover and at least one replica per shard.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name       = "edu-platform-test"
  vpc_id     = "vpc-0123456789abcdef0"
  subnet_ids = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
}

run "cluster_mode_one_shard_no_replica" {
  command = plan

  variables {
    replication = { cluster_mode = true, shards = 1, replicas_per_shard = 0 }
  }

  assert {
    condition     = aws_elasticache_replication_group.this[0].cluster_mode == "enabled" && aws_elasticache_replication_group.this[0].num_node_groups == 1 && aws_elasticache_replication_group.this[0].replicas_per_node_group == 0
    error_message = "one shard of one primary in cluster mode"
  }

  assert {
    condition     = aws_elasticache_replication_group.this[0].automatic_failover_enabled
    error_message = "cluster mode needs automatic failover on, even with no replica (AWS refuses it off)"
  }

  assert {
    condition     = !aws_elasticache_replication_group.this[0].multi_az_enabled
    error_message = "no replica: Multi-AZ stays off (it needs at least one replica)"
  }
}

run "cluster_mode_shards_no_replica" {
  command = plan

  variables {
    replication = { cluster_mode = true, shards = 3, replicas_per_shard = 0 }
  }

  assert {
    condition     = aws_elasticache_replication_group.this[0].automatic_failover_enabled && !aws_elasticache_replication_group.this[0].multi_az_enabled
    error_message = "three primaries without replicas: failover on (cluster mode), Multi-AZ off (no replica)"
  }
}

run "cluster_mode_shards_with_replicas" {
  command = plan

  variables {
    replication = { cluster_mode = true, shards = 2, replicas_per_shard = 1 }
  }

  assert {
    condition     = aws_elasticache_replication_group.this[0].automatic_failover_enabled && aws_elasticache_replication_group.this[0].multi_az_enabled
    error_message = "a replica per shard: automatic failover and Multi-AZ"
  }
}

run "cluster_mode_failover_asked_without_replica" {
  command = plan

  variables {
    replication = { cluster_mode = true, shards = 2, replicas_per_shard = 0, automatic_failover_enabled = true }
  }

  assert {
    condition     = aws_elasticache_replication_group.this[0].automatic_failover_enabled && !aws_elasticache_replication_group.this[0].multi_az_enabled
    error_message = "cluster mode takes automatic_failover_enabled = true with no replica (it is required there); Multi-AZ stays off"
  }
}

run "replica_without_failover" {
  command = plan

  variables {
    replication = { replicas_per_shard = 1, automatic_failover_enabled = false }
  }

  assert {
    condition     = !aws_elasticache_replication_group.this[0].automatic_failover_enabled && !aws_elasticache_replication_group.this[0].multi_az_enabled
    error_message = "failover switched off: Multi-AZ is off too (it needs automatic failover)"
  }
}
