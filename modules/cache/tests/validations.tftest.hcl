# Every validation of the module's variables, each broken once: a rule no test can break is not known to work.
# replication has six rules: each run breaks exactly one of them.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name       = "edu-platform-test"
  vpc_id     = "vpc-0123456789abcdef0"
  subnet_ids = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
}

run "name_over_40_characters" {
  command = plan
  variables { name = "edu-platform-production-cache-for-the-api" }
  expect_failures = [var.name]
}

run "secret_recovery_window_3_days" {
  command = plan
  variables { auth_token_secret_recovery_window_days = 3 }
  expect_failures = [var.auth_token_secret_recovery_window_days]
}

run "engine_memcached" {
  command = plan
  variables { engine = "memcached" }
  expect_failures = [var.engine]
}

run "engine_version_6" {
  command = plan
  variables { engine_version = "6.2" }
  expect_failures = [var.engine_version]
}

run "six_replicas_per_shard" {
  command = plan
  variables { replication = { cluster_mode = true, shards = 2, replicas_per_shard = 6 } }
  expect_failures = [var.replication]
}

run "zero_shards" {
  command = plan
  variables { replication = { cluster_mode = true, shards = 0 } }
  expect_failures = [var.replication]
}

run "shards_without_cluster_mode" {
  command = plan
  variables { replication = { shards = 2 } }
  expect_failures = [var.replication]
}

run "more_than_six_nodes_without_cluster_mode" {
  # replicas_per_shard 6 also breaks the 0-5 rule; expect_failures names the variable, so the run checks
  # that the group size rule holds on its own in the next one.
  command = plan
  variables { replication = { replicas_per_shard = 6 } }
  expect_failures = [var.replication]
}

run "failover_without_a_replica" {
  command = plan
  variables { replication = { automatic_failover_enabled = true } }
  expect_failures = [var.replication]
}

run "cluster_mode_without_failover" {
  command = plan
  variables { replication = { cluster_mode = true, replicas_per_shard = 1, automatic_failover_enabled = false } }
  expect_failures = [var.replication]
}

run "snapshot_retention_above_35" {
  command = plan
  variables { snapshot_retention_limit = 36 }
  expect_failures = [var.snapshot_retention_limit]
}

run "log_type_audit" {
  command = plan
  variables { log_types = ["audit-log"] }
  expect_failures = [var.log_types]
}

run "log_retention_not_a_cloudwatch_value" {
  command = plan
  variables { log_retention_days = 45 }
  expect_failures = [var.log_retention_days]
}

# From 7 on the provider takes major.minor only; Redis OSS ends at 7.1, 7.2 and 8.x are Valkey's.
run "engine_version_bare_major_7" {
  command = plan
  variables { engine_version = "7" }
  expect_failures = [var.engine_version]
}

run "engine_version_bare_major_8" {
  command = plan
  variables {
    engine         = "valkey"
    engine_version = "8"
  }
  expect_failures = [var.engine_version]
}

run "engine_version_redis_8" {
  command = plan
  variables { engine_version = "8.0" }
  expect_failures = [aws_elasticache_replication_group.this]
}

run "engine_version_redis_7_2" {
  command = plan
  variables { engine_version = "7.2" }
  expect_failures = [aws_elasticache_replication_group.this]
}

run "engine_version_valkey_7_1" {
  command = plan
  variables {
    engine         = "valkey"
    engine_version = "7.1"
  }
  expect_failures = [aws_elasticache_replication_group.this]
}

run "engine_version_valkey_8" {
  command = plan
  variables {
    engine         = "valkey"
    engine_version = "8.0"
  }

  assert {
    condition     = aws_elasticache_replication_group.this[0].engine_version == "8.0" && aws_elasticache_parameter_group.this[0].family == "valkey8"
    error_message = "valkey 8.0 plans with the valkey8 parameter group family"
  }
}
