# Every validation of the module's variables, each broken once: a rule no test can break is not known to work.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name                                      = "edu-platform-test-migrations"
  filename                                  = "migrations-runner.zip"
  source_code_hash                          = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
  vpc_id                                    = "vpc-0123456789abcdef0"
  subnet_ids                                = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
  database_security_group_id                = "sg-0db00000000000000"
  secretsmanager_endpoint_security_group_id = "sg-0e000000000000000"
  database_secret_arn                       = "arn:aws:secretsmanager:sa-east-1:123456789012:secret:rds!db-0000-AbCdEf"
}

run "name_with_a_dot" {
  command = plan
  variables { name = "edu.migrations" }
  expect_failures = [var.name]
}

run "log_retention_not_a_cloudwatch_value" {
  command = plan
  variables { log_retention_days = 45 }
  expect_failures = [var.log_retention_days]
}

run "tracing_mode_off" {
  command = plan
  variables { tracing_mode = "Off" }
  expect_failures = [var.tracing_mode]
}

run "runtime_python_3_9" {
  command = plan
  variables { runtime = "python3.9" }
  expect_failures = [var.runtime]
}

run "architecture_aarch64" {
  command = plan
  variables { architecture = "aarch64" }
  expect_failures = [var.architecture]
}

run "memory_below_128" {
  command = plan
  variables { memory_size = 64 }
  expect_failures = [var.memory_size]
}

run "timeout_above_15_minutes" {
  command = plan
  variables { timeout = 901 }
  expect_failures = [var.timeout]
}
