# Every validation of the module's variables, each broken once: a rule no test can break is not known to work.
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

run "name_in_upper_case" {
  command = plan
  variables { name = "Edu-Platform" }
  expect_failures = [var.name]
}

run "container_insights_on" {
  command = plan
  variables { container_insights = "on" }
  expect_failures = [var.container_insights]
}

run "log_retention_not_a_cloudwatch_value" {
  command = plan
  variables { log_retention_days = 45 }
  expect_failures = [var.log_retention_days]
}

run "task_size_not_a_fargate_size" {
  command = plan
  variables {
    task_size = {
      cpu        = 2048
      memory_mib = 2048
    }
  }
  expect_failures = [var.task_size]
}

run "cpu_architecture_lower_case" {
  command = plan
  variables { cpu_architecture = "arm64" }
  expect_failures = [var.cpu_architecture]
}

run "container_port_zero" {
  command = plan
  variables { container_port = 0 }
  expect_failures = [var.container_port]
}

run "deployment_strategy_canary" {
  command = plan
  variables { deployment_strategy = "CANARY" }
  expect_failures = [var.deployment_strategy]
}

run "min_tasks_negative" {
  command = plan
  variables { min_tasks = -1 }
  expect_failures = [var.min_tasks]
}

run "max_tasks_zero" {
  command = plan
  variables {
    min_tasks = 0
    max_tasks = 0
  }
  expect_failures = [var.max_tasks]
}

run "ssl_policy_without_tls13" {
  command = plan
  variables { ssl_policy = "ELBSecurityPolicy-2016-08" }
  expect_failures = [var.ssl_policy]
}

run "step_scaling_cpu_100_percent" {
  command = plan
  variables { step_scaling = { cpu_percent = 100 } }
  expect_failures = [var.step_scaling]
}
