# Every validation of the module's variables, each broken once: a rule no test can break is not known to work.
provider "aws" {
  region = "sa-east-1"
}

override_data {
  target = data.aws_availability_zones.available
  values = {
    names = ["sa-east-1a", "sa-east-1b", "sa-east-1c"]
  }
}

variables {
  name = "edu-platform-test"
}

run "vpc_cidr_too_large" {
  command = plan
  variables { vpc_cidr = "10.0.0.0/8" }
  expect_failures = [var.vpc_cidr]
}

run "four_availability_zones" {
  command = plan
  variables { availability_zones = 4 }
  expect_failures = [var.availability_zones]
}

run "one_availability_zone_name" {
  command = plan
  variables { availability_zone_names = ["sa-east-1a"] }
  expect_failures = [var.availability_zone_names]
}

run "existing_vpc_id_not_a_vpc" {
  command = plan
  variables { existing_vpc_id = "subnet-0123456789abcdef0" }
  expect_failures = [var.existing_vpc_id]
}
