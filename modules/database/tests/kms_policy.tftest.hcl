# Pins issue 13 defect 1: the database key lets CloudWatch Logs use it the way AWS documents it, through
# the regional principal and only for this database's log groups (replicas included).
provider "aws" {
  region = "sa-east-1"
}

override_resource {
  target          = module.kms.aws_kms_key.this[0]
  override_during = plan
  values = {
    arn = "arn:aws:kms:sa-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }
}

variables {
  name          = "edu-test"
  vpc_id        = "vpc-0123456789abcdef0"
  subnet_ids    = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  read_replicas = 1
}

run "logs_statement_uses_regional_principal_and_encryption_context" {
  command = plan

  assert {
    condition = one([
      for statement in jsondecode(module.kms.policy_json).Statement : statement.Principal.Service if statement.Sid == "CloudWatchLogs"
    ]) == "logs.sa-east-1.amazonaws.com"
    error_message = "The CloudWatch Logs statement must name the regional principal logs.<region>.amazonaws.com."
  }

  assert {
    condition = toset(one([
      for statement in jsondecode(module.kms.policy_json).Statement : statement.Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"] if statement.Sid == "CloudWatchLogs"
      ])) == toset([
      "arn:aws:logs:sa-east-1:123456789012:log-group:/aws/rds/instance/edu-test/postgresql",
      "arn:aws:logs:sa-east-1:123456789012:log-group:/aws/rds/instance/edu-test/upgrade",
      "arn:aws:logs:sa-east-1:123456789012:log-group:/aws/rds/instance/edu-test-replica-1/postgresql",
      "arn:aws:logs:sa-east-1:123456789012:log-group:/aws/rds/instance/edu-test-replica-1/upgrade",
    ])
    error_message = "The key must be usable by CloudWatch Logs only for this database's log groups."
  }

  assert {
    condition     = alltrue([for group in concat(aws_cloudwatch_log_group.postgresql, values(aws_cloudwatch_log_group.exports)) : group.kms_key_id == module.kms.key_arn])
    error_message = "Every log group of the database must be encrypted with the module's key."
  }
}
