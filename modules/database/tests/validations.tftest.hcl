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
  variables { enhanced_monitoring_interval_seconds = 20 }
  expect_failures = [var.enhanced_monitoring_interval_seconds]
}

run "log_retention_not_a_cloudwatch_value" {
  command = plan
  variables { log_retention_days = 45 }
  expect_failures = [var.log_retention_days]
}

run "allocated_storage_below_20" {
  command = plan
  variables { allocated_storage_gb = 10 }
  expect_failures = [var.allocated_storage_gb]
}

run "max_allocated_storage_below_20" {
  command = plan
  variables { max_allocated_storage_gb = 10 }
  expect_failures = [var.max_allocated_storage_gb]
}

run "storage_type_standard" {
  command = plan
  variables { storage_type = "standard" }
  expect_failures = [var.storage_type]
}

run "sixteen_read_replicas" {
  command = plan
  variables { read_replicas = 16 }
  expect_failures = [var.read_replicas]
}

run "serverless_min_capacity_not_a_half_step" {
  command = plan
  variables { serverless_min_acu = 0.75 }
  expect_failures = [var.serverless_min_acu]
}

run "serverless_max_capacity_above_256" {
  command = plan
  variables { serverless_max_acu = 257 }
  expect_failures = [var.serverless_max_acu]
}

run "backup_retention_above_35" {
  command = plan
  variables { backup_retention_days = 36 }
  expect_failures = [var.backup_retention_days]
}

run "performance_insights_retention_30" {
  command = plan
  variables { performance_insights_retention_period = 30 }
  expect_failures = [var.performance_insights_retention_period]
}

run "aws_backup_retention_half_a_day" {
  command = plan
  variables { aws_backup = { enabled = true, retention_days = 0.5 } }
  expect_failures = [var.aws_backup]
}

run "aws_backup_schedule_not_cron" {
  command = plan
  variables { aws_backup = { enabled = true, schedule = "rate(1 day)" } }
  expect_failures = [var.aws_backup]
}
