# Every validation of the module's variables, each broken once: a rule no test can break is not known to work.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name       = "edu-platform-test"
  vpc_id     = "vpc-0123456789abcdef0"
  subnet_ids = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
}

run "name_with_a_double_hyphen" {
  command = plan
  variables { name = "edu--platform" }
  expect_failures = [var.name]
}

run "engine_mode_serverless_v1" {
  command = plan
  variables { engine_mode = "serverless" }
  expect_failures = [var.engine_mode]
}

run "engine_version_12" {
  command = plan
  variables { engine_version = "12.19" }
  expect_failures = [var.engine_version]
}

run "monitoring_interval_20" {
  command = plan
  variables { monitoring_interval = 20 }
  expect_failures = [var.monitoring_interval]
}

run "log_retention_not_a_cloudwatch_value" {
  command = plan
  variables { log_retention_days = 45 }
  expect_failures = [var.log_retention_days]
}

run "allocated_storage_below_20" {
  command = plan
  variables { allocated_storage = 10 }
  expect_failures = [var.allocated_storage]
}

run "max_allocated_storage_below_20" {
  command = plan
  variables { max_allocated_storage = 10 }
  expect_failures = [var.max_allocated_storage]
}

run "storage_type_standard" {
  command = plan
  variables { storage_type = "standard" }
  expect_failures = [var.storage_type]
}

run "sixteen_read_replicas" {
  command = plan
  variables { read_replica_count = 16 }
  expect_failures = [var.read_replica_count]
}

run "serverless_min_capacity_not_a_half_step" {
  command = plan
  variables { serverless_min_capacity = 0.75 }
  expect_failures = [var.serverless_min_capacity]
}

run "serverless_max_capacity_above_256" {
  command = plan
  variables { serverless_max_capacity = 257 }
  expect_failures = [var.serverless_max_capacity]
}

run "backup_retention_above_35" {
  command = plan
  variables { backup_retention_period = 36 }
  expect_failures = [var.backup_retention_period]
}

run "performance_insights_retention_30" {
  command = plan
  variables { performance_insights_retention_period = 30 }
  expect_failures = [var.performance_insights_retention_period]
}
