# Issue 26 item 3: the data tier's clients get their security groups from the root, made before the data tier
# (database and cache let them in; compute and migrations_runner take them as inputs), so no module reads one
# below it. The migration runner is on here: migrations_package_path names any file (the plan only hashes it).
provider "aws" {
  region = "sa-east-1"
}

override_resource {
  target          = aws_security_group.client["app"]
  override_during = plan
  values = {
    id = "sg-0a00000000000000a"
  }
}

override_resource {
  target          = aws_security_group.client["migrations"]
  override_during = plan
  values = {
    id = "sg-0b00000000000000b"
  }
}

variables {
  environment             = "test"
  project                 = "edu-platform"
  aws_region              = "sa-east-1"
  migrations_package_path = "versions.tf"
}

run "clients_made_first_and_passed_in" {
  command = plan

  assert {
    condition     = toset(keys(aws_security_group.client)) == toset(["app", "migrations"])
    error_message = "The root makes one security group per client of the data tier: the tasks and the migration runner."
  }

  assert {
    condition     = module.compute.service_security_group_id == "sg-0a00000000000000a"
    error_message = "The tasks run in the root's app security group (compute takes it, makes none)."
  }

  assert {
    condition     = module.migrations_runner[0].security_group_id == "sg-0b00000000000000b"
    error_message = "The migration runner runs in the root's migrations security group (the module makes none)."
  }

  assert {
    condition     = aws_security_group.client["app"].name_prefix == "edu-platform-test-service-" && aws_security_group.client["migrations"].name_prefix == "edu-platform-test-migrations-"
    error_message = "The groups keep the names the modules gave them (a moved block, not a replacement)."
  }
}
