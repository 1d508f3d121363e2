# The service sized as the production column of the sizing plan asks (task CPU and memory, minimum and maximum
# tasks). The numbers are typed only here; the assertions compare the plan with the input.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name               = "edu-platform-prod"
  vpc_id             = "vpc-0123456789abcdef0"
  public_subnet_ids  = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2", "subnet-0aaaaaaaaaaaaaaa3"]
  private_subnet_ids = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0bbbbbbbbbbbbbbb3"]
  container_image    = "public.ecr.aws/nginx/nginx:stable"
  task_size = {
    cpu        = 2048
    memory_mib = 4096
  }
  min_tasks                  = 5
  max_tasks                  = 20
  enable_deletion_protection = true
  certificate_arn            = "arn:aws:acm:sa-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
  log_retention_days         = 90
}

run "production_service" {
  command = plan

  assert {
    condition     = aws_ecs_task_definition.this[0].cpu == tostring(var.task_size.cpu) && aws_ecs_task_definition.this[0].memory == tostring(var.task_size.memory_mib)
    error_message = "prod tasks get the production CPU and memory (sizing plan, production: 2 vCPU, 4 GB)"
  }

  assert {
    condition     = aws_appautoscaling_target.this[0].min_capacity == var.min_tasks && aws_appautoscaling_target.this[0].max_capacity == var.max_tasks
    error_message = "prod scales between the production minimum and maximum tasks (sizing plan, production: 5 to 20)"
  }

  assert {
    condition     = aws_lb.this[0].enable_deletion_protection
    error_message = "the prod load balancer is protected against deletion (protected environment)"
  }

  assert {
    condition     = length(aws_lb_listener.https) == 1 && aws_lb_listener.https[0].certificate_arn == var.certificate_arn
    error_message = "with a certificate the load balancer serves HTTPS (security plan: TLS)"
  }

  assert {
    condition     = output.sizing.log_retention_days == var.log_retention_days
    error_message = "prod container logs are kept log_retention_days (monitoring plan, production)"
  }
}
