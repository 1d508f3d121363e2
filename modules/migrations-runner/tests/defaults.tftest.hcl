# The migration runner Lambda with the module's defaults: in the private subnets, one run at a time, reaching the
# database and Secrets Manager only, logs kept log_retention_days.
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

run "defaults" {
  command = plan

  assert {
    condition     = aws_lambda_function.this[0].reserved_concurrent_executions == 1
    error_message = "at most one migration run at a time (migrations plan: one runner; the advisory lock is the second guard)"
  }

  assert {
    condition     = aws_lambda_function.this[0].vpc_config[0].subnet_ids == toset(var.subnet_ids) && aws_lambda_function.this[0].timeout == var.timeout
    error_message = "the runner lives in the private subnets with the module's timeout (module contract)"
  }

  assert {
    condition     = aws_vpc_security_group_egress_rule.database[0].from_port == var.database_port && aws_vpc_security_group_egress_rule.database[0].referenced_security_group_id == var.database_security_group_id
    error_message = "the runner may reach the database port of the database security group (security plan: least privilege)"
  }

  assert {
    condition     = length(aws_vpc_security_group_egress_rule.secretsmanager_endpoint) == 1 && length(aws_vpc_security_group_egress_rule.https) == 0
    error_message = "with the endpoint the runner has no internet egress, only HTTPS to the Secrets Manager endpoint (security plan)"
  }

  assert {
    condition     = aws_cloudwatch_log_group.this[0].retention_in_days == var.log_retention_days && aws_lambda_function.this[0].tracing_config[0].mode == "Active"
    error_message = "runner logs are kept log_retention_days and traced with X-Ray (monitoring plan: log retention, tracing)"
  }
}

run "needs_a_route_to_secrets_manager" {
  command = plan

  variables {
    use_secretsmanager_endpoint = false
  }

  expect_failures = [aws_lambda_function.this]
}
