# Pins issue 13 defect 1: the key policy every module shares, checked against AWS's documented statements.
provider "aws" {
  region = "sa-east-1"
}

variables {
  alias           = "edu-test-db"
  description     = "test key"
  log_group_names = ["/aws/rds/instance/edu-test/postgresql"]
  service_statements = [{
    sid      = "AlarmPublishers"
    services = ["cloudwatch.amazonaws.com"]
    actions  = ["kms:Decrypt", "kms:GenerateDataKey*"]
    conditions = [{
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = ["123456789012"]
    }]
  }]
}

run "documented_statements" {
  command = plan

  assert {
    condition     = [for statement in jsondecode(output.policy_json).Statement : statement.Sid] == ["AccountAdministration", "CloudWatchLogs", "AlarmPublishers"]
    error_message = "The policy must hold the account, CloudWatch Logs and service statements, in that order."
  }

  assert {
    condition = one([for statement in jsondecode(output.policy_json).Statement : statement if statement.Sid == "CloudWatchLogs"]) == {
      Sid    = "CloudWatchLogs"
      Effect = "Allow"
      # The provider renders a set of actions in its own order (reverse-sorted).
      Action    = ["kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Encrypt*", "kms:Describe*", "kms:Decrypt*"]
      Resource  = "*"
      Principal = { Service = "logs.sa-east-1.amazonaws.com" }
      Condition = { ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:aws:logs:sa-east-1:123456789012:log-group:/aws/rds/instance/edu-test/postgresql" } }
    }
    error_message = "CloudWatch Logs must get the key through the regional principal and only for the named log groups."
  }

  assert {
    condition     = aws_kms_key.this[0].enable_key_rotation && aws_kms_alias.this[0].name == "alias/edu-test-db"
    error_message = "The key rotates and carries the alias."
  }
}

run "no_logs_statement_without_log_groups" {
  command = plan

  variables {
    log_group_names    = []
    service_statements = []
  }

  assert {
    condition     = [for statement in jsondecode(output.policy_json).Statement : statement.Sid] == ["AccountAdministration"]
    error_message = "Without log groups or services only the account statement remains."
  }
}

run "reserved_alias_refused" {
  command = plan

  variables {
    alias = "aws/rds"
  }

  expect_failures = [var.alias]
}
