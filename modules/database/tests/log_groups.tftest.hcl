# Pins issue 13 defect 10: every log group RDS would create itself (replicas, "upgrade") is created by the
# module, with retention and the module's key, before the instances that write to it.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name               = "edu-test"
  vpc_id             = "vpc-0123456789abcdef0"
  subnet_ids         = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  read_replicas      = 2
  log_retention_days = 90
}

run "rds_primary_and_replicas" {
  command = plan

  assert {
    condition = toset(concat(aws_cloudwatch_log_group.postgresql[*].name, [for group in aws_cloudwatch_log_group.exports : group.name])) == toset([
      "/aws/rds/instance/edu-test/postgresql",
      "/aws/rds/instance/edu-test/upgrade",
      "/aws/rds/instance/edu-test-replica-1/postgresql",
      "/aws/rds/instance/edu-test-replica-1/upgrade",
      "/aws/rds/instance/edu-test-replica-2/postgresql",
      "/aws/rds/instance/edu-test-replica-2/upgrade",
    ])
    error_message = "The module must create the log groups of the primary and of every replica, for every exported log."
  }

  assert {
    condition     = alltrue([for group in values(aws_cloudwatch_log_group.exports) : group.retention_in_days == 90])
    error_message = "Replica and upgrade log groups must keep log_retention_days."
  }

  assert {
    condition     = output.postgresql_log_group_names == tolist(["/aws/rds/instance/edu-test-replica-1/postgresql", "/aws/rds/instance/edu-test-replica-2/postgresql", "/aws/rds/instance/edu-test/postgresql"])
    error_message = "The slow-query filter needs every postgresql log group, replicas included."
  }
}

run "aurora_cluster" {
  command = plan

  variables {
    engine_mode = "aurora-serverless"
  }

  assert {
    condition     = length(aws_cloudwatch_log_group.exports) == 0 && aws_cloudwatch_log_group.postgresql[0].name == "/aws/rds/cluster/edu-test/postgresql"
    error_message = "Aurora publishes one postgresql log group per cluster."
  }
}
