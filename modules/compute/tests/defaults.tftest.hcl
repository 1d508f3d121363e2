# A Fargate service with the module's defaults: task size, autoscaling bounds and the policies that move between
# them, private tasks behind the load balancer, logs kept log_retention_days.
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

run "defaults" {
  command = plan

  assert {
    condition     = output.sizing.cpu == var.task_size.cpu && output.sizing.memory == var.task_size.memory_mib
    error_message = "the task definition has task_size cpu and memory_mib (module contract: task_size)"
  }

  assert {
    condition     = output.sizing.min_capacity == var.min_tasks && output.sizing.max_capacity == var.max_tasks && output.sizing.desired_count == var.min_tasks
    error_message = "autoscaling keeps between min_tasks and max_tasks tasks and the service starts at min_tasks (module contract)"
  }

  assert {
    condition     = toset(keys(aws_appautoscaling_policy.this)) == toset(["cpu", "memory", "requests"])
    error_message = "the service scales on CPU, memory and requests per target (sizing plan: autoscaling)"
  }

  assert {
    condition     = aws_ecs_task_definition.this[0].requires_compatibilities == toset(["FARGATE"]) && !aws_ecs_service.this[0].network_configuration[0].assign_public_ip
    error_message = "tasks run on Fargate in private subnets without public IPs (architecture plan; security plan)"
  }

  assert {
    condition     = aws_ecs_service.this[0].deployment_circuit_breaker[0].enable && aws_ecs_service.this[0].deployment_circuit_breaker[0].rollback
    error_message = "a failing deployment rolls back by itself (rollback plan: deployment circuit breaker)"
  }

  assert {
    condition     = aws_cloudwatch_log_group.this[0].retention_in_days == var.log_retention_days
    error_message = "container logs are kept log_retention_days (monitoring plan: log retention)"
  }

  assert {
    condition     = length(aws_lb_listener.https) == 0 && length(aws_lb_listener.http) == 1
    error_message = "without a certificate the load balancer listens on HTTP only (module contract: certificate_arn)"
  }
}

run "minimum_above_maximum" {
  command = plan

  variables {
    min_tasks = 5
    max_tasks = 2
  }

  expect_failures = [aws_ecs_service.this]
}
