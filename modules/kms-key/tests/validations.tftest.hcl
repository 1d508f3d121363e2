# Every validation of the module's variables, each broken once: a rule no test can break is not known to work.
provider "aws" {
  region = "sa-east-1"
}

variables {
  alias       = "edu-test-db"
  description = "test key"
}

run "alias_reserved_for_aws_managed_keys" {
  command = plan
  variables { alias = "aws/edu-test-db" }
  expect_failures = [var.alias]
}

run "alias_with_a_dot" {
  command = plan
  variables { alias = "edu-test.db" }
  expect_failures = [var.alias]
}

run "deletion_window_6_days" {
  command = plan
  variables { deletion_window_in_days = 6 }
  expect_failures = [var.deletion_window_in_days]
}

run "deletion_window_31_days" {
  command = plan
  variables { deletion_window_in_days = 31 }
  expect_failures = [var.deletion_window_in_days]
}
