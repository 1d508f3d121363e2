# Every validation of the module's variables, each broken once: a rule no test can break is not known to work.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name = "edu-test"
}

run "name_in_upper_case" {
  command = plan
  variables { name = "Edu-Test" }
  expect_failures = [var.name]
}

run "retention_below_90_days" {
  # archive_after_days stays before retention_days, so only the 90-3653 rule breaks.
  command = plan
  variables {
    retention_days     = 89
    archive_after_days = 30
  }
  expect_failures = [var.retention_days]
}

run "retention_above_3653_days" {
  command = plan
  variables { retention_days = 3654 }
  expect_failures = [var.retention_days]
}

run "archive_before_30_days" {
  command = plan
  variables { archive_after_days = 29 }
  expect_failures = [var.archive_after_days]
}
