# Pins issue 13 defect 1: the cache key lets CloudWatch Logs (regional principal) use it only for the
# cache's own log delivery groups, which it encrypts.
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
  name       = "edu-test"
  vpc_id     = "vpc-0123456789abcdef0"
  subnet_ids = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
}

run "logs_statement" {
  command = plan

  assert {
    condition = one([
      for statement in jsondecode(module.kms.policy_json).Statement : statement if statement.Sid == "CloudWatchLogs"
      ]).Principal.Service == "logs.sa-east-1.amazonaws.com" && toset(flatten([one([
        for statement in jsondecode(module.kms.policy_json).Statement : statement if statement.Sid == "CloudWatchLogs"
    ]).Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"]])) == toset([for log_type in var.log_types : "arn:aws:logs:sa-east-1:123456789012:log-group:/aws/elasticache/edu-test/${log_type}"])
    error_message = "CloudWatch Logs must get the cache key through the regional principal, only for the cache's log groups."
  }

  assert {
    condition     = alltrue([for group in values(aws_cloudwatch_log_group.this) : group.kms_key_id == module.kms.key_arn])
    error_message = "The cache log groups must be encrypted with the module's key."
  }
}
