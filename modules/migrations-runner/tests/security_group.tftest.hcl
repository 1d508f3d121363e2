# The function's security group: the module's own by default, or one the caller made first (the root makes it
# before the database, which lets it in), to which the module adds its egress rules.
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

run "own_group" {
  command = plan

  assert {
    condition     = length(aws_security_group.this) == 1 && aws_security_group.this[0].vpc_id == var.vpc_id
    error_message = "by default the module makes the function's security group in vpc_id (module contract: create_security_group)"
  }
}

run "callers_group" {
  command = plan

  variables {
    create_security_group = false
    security_group_id     = "sg-0cccccccccccccccc"
  }

  assert {
    condition     = length(aws_security_group.this) == 0
    error_message = "with create_security_group = false the module makes no security group"
  }

  assert {
    condition = alltrue([
      aws_lambda_function.this[0].vpc_config[0].security_group_ids == toset(["sg-0cccccccccccccccc"]),
      aws_vpc_security_group_egress_rule.database[0].security_group_id == "sg-0cccccccccccccccc",
      aws_vpc_security_group_egress_rule.secretsmanager_endpoint[0].security_group_id == "sg-0cccccccccccccccc",
      output.security_group_id == "sg-0cccccccccccccccc",
    ])
    error_message = "the function runs in the caller's group and the module's egress rules go on it"
  }
}

run "callers_group_missing" {
  command = plan

  variables {
    create_security_group = false
  }

  expect_failures = [aws_vpc_security_group_egress_rule.database]
}
