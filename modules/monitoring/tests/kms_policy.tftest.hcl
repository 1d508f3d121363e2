# Pins issue 13 defect 1: the alarm topic key lets CloudWatch alarms and Budgets publish (this account
# only) and CloudWatch Logs (regional principal) encrypt the module's log groups.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name       = "edu-test"
  log_groups = { app = { name = "/edu-test/app" } }
}

run "publishers_and_logs" {
  command = plan

  assert {
    condition = one([for statement in jsondecode(module.kms.policy_json).Statement : statement if statement.Sid == "AlarmPublishers"]).Condition == {
      StringEquals = { "aws:SourceAccount" = "123456789012" }
    }
    error_message = "Only this account's alarms and budgets may use the topic key."
  }

  assert {
    condition = one([for statement in jsondecode(module.kms.policy_json).Statement : statement if statement.Sid == "CloudWatchLogs"]).Condition == {
      ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:aws:logs:sa-east-1:123456789012:log-group:/edu-test/app" }
    }
    error_message = "CloudWatch Logs may use the key only for the module's log groups."
  }
}
