# The tasks' security group: the module's own by default, or one the caller made first (the root makes it before
# the database and the cache, which let it in), to which the module adds its rules.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name               = "edu-platform-test"
  vpc_id             = "vpc-0123456789abcdef0"
  public_subnet_ids  = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
  private_subnet_ids = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
  container_image    = "public.ecr.aws/nginx/nginx:stable"
}

run "own_group" {
  command = plan

  assert {
    condition     = length(aws_security_group.service) == 1 && aws_security_group.service[0].vpc_id == var.vpc_id
    error_message = "by default the module makes the tasks' security group in vpc_id (module contract: create_service_security_group)"
  }
}

run "callers_group" {
  command = plan

  variables {
    create_service_security_group = false
    service_security_group_id     = "sg-0cccccccccccccccc"
    egress_security_group_rules = {
      database = { security_group_id = "sg-0ddddddddddddddd1", port = 5432 }
    }
  }

  assert {
    condition     = length(aws_security_group.service) == 0
    error_message = "with create_service_security_group = false the module makes no security group for the tasks"
  }

  assert {
    condition     = aws_ecs_service.this[0].network_configuration[0].security_groups == toset(["sg-0cccccccccccccccc"])
    error_message = "the tasks run in the caller's security group (service_security_group_id)"
  }

  assert {
    condition = alltrue([
      aws_vpc_security_group_ingress_rule.service_from_alb[0].security_group_id == "sg-0cccccccccccccccc",
      aws_vpc_security_group_egress_rule.service_https[0].security_group_id == "sg-0cccccccccccccccc",
      aws_vpc_security_group_egress_rule.service_to_groups["database"].security_group_id == "sg-0cccccccccccccccc",
      aws_vpc_security_group_egress_rule.alb_to_tasks[0].referenced_security_group_id == "sg-0cccccccccccccccc",
    ])
    error_message = "the module's rules (from the load balancer, HTTPS out, egress_security_group_rules) go on the caller's group"
  }

  assert {
    condition     = output.service_security_group_id == "sg-0cccccccccccccccc"
    error_message = "service_security_group_id reports the group the tasks use"
  }
}

run "callers_group_missing" {
  command = plan

  variables {
    create_service_security_group = false
  }

  expect_failures = [aws_vpc_security_group_ingress_rule.service_from_alb]
}
