# A small copy of the platform for the offline sandbox: the resources `toolkit apply` checkpoints and
# `toolkit rollback` restores (ECS task definition and scaling, DB parameters, state versions), written
# for the AWS provider 3.39 against the moto emulator. Sizes come from the environment's config.

locals {
  name = "${var.project}-${var.environment}"
  tags = merge({ project = var.project, environment = var.environment, managed_by = "toolkit" }, var.tags)

  # Parameters PostgreSQL reads only at start-up must be applied with a reboot.
  static_db_parameters = ["shared_preload_libraries"]
  db_major_version     = split(".", var.database.engine_version)[0]
}

################################################################################
# Network
################################################################################

data "aws_availability_zones" "available" {
  state = "available"
}

resource "aws_vpc" "this" {
  cidr_block           = var.network.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = { Name = local.name }
}

resource "aws_subnet" "private" {
  count = var.network.availability_zones

  vpc_id            = aws_vpc.this.id
  cidr_block        = cidrsubnet(var.network.vpc_cidr, 4, count.index)
  availability_zone = data.aws_availability_zones.available.names[count.index]

  tags = { Name = "${local.name}-private-${count.index}" }
}

resource "aws_security_group" "app" {
  name        = "${local.name}-app"
  description = "Application tasks of ${local.name}"
  vpc_id      = aws_vpc.this.id
}

################################################################################
# Compute: ECS cluster, task definition, service and its scaling
################################################################################

resource "aws_ecs_cluster" "this" {
  name = local.name
}

resource "aws_ecs_task_definition" "app" {
  family                   = "${local.name}-app"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.compute.cpu)
  memory                   = tostring(var.compute.memory_mib)

  container_definitions = jsonencode([{
    name         = "app"
    image        = var.compute.container_image
    essential    = true
    portMappings = [{ containerPort = var.compute.container_port, protocol = "tcp" }]
    environment  = [for key in sort(keys(var.app_settings)) : { name = key, value = var.app_settings[key] }]
  }])
}

resource "aws_ecs_service" "app" {
  name            = "${local.name}-app"
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.app.arn
  desired_count   = var.compute.min_tasks
  launch_type     = "FARGATE"

  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.app.id]
    assign_public_ip = false
  }

  # Application Auto Scaling owns the running count once the service exists.
  lifecycle {
    ignore_changes = [desired_count]
  }
}

resource "aws_appautoscaling_target" "app" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.app.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.compute.min_tasks
  max_capacity       = var.compute.max_tasks
}

resource "aws_appautoscaling_policy" "app_cpu" {
  name               = "${local.name}-app-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.app.service_namespace
  resource_id        = aws_appautoscaling_target.app.resource_id
  scalable_dimension = aws_appautoscaling_target.app.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value = 60

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

################################################################################
# Database: PostgreSQL parameter group and instance
################################################################################

resource "aws_db_subnet_group" "this" {
  name       = local.name
  subnet_ids = aws_subnet.private[*].id
}

resource "aws_db_parameter_group" "this" {
  name   = local.name
  family = "postgres${local.db_major_version}"

  dynamic "parameter" {
    for_each = var.database.parameters
    content {
      name         = parameter.key
      value        = tostring(parameter.value)
      apply_method = contains(local.static_db_parameters, parameter.key) ? "pending-reboot" : "immediate"
    }
  }

  # SANDBOX ONLY: moto does not return a parameter group's parameters to the AWS provider 3.39, so every
  # plan would show them as added again. Real roots must not ignore parameter changes.
  lifecycle {
    ignore_changes = [parameter]
  }
}

resource "aws_db_instance" "this" {
  count = var.create_db_instance ? 1 : 0

  identifier            = local.name
  engine                = "postgres"
  engine_version        = var.database.engine_version
  instance_class        = var.database.instance_class
  allocated_storage     = var.database.allocated_storage_gb
  max_allocated_storage = var.database.max_allocated_storage_gb
  multi_az              = var.database.multi_az
  deletion_protection   = var.database.deletion_protection

  backup_retention_period = var.database.backup_retention_days
  skip_final_snapshot     = true
  apply_immediately       = true

  username               = "app"
  password               = var.db_password
  db_subnet_group_name   = aws_db_subnet_group.this.name
  parameter_group_name   = aws_db_parameter_group.this.name
  vpc_security_group_ids = [aws_security_group.app.id]
}

################################################################################
# Storage: one bucket per storage.buckets entry, with its lifecycle rules
################################################################################

resource "aws_s3_bucket" "this" {
  for_each = var.storage.buckets

  bucket        = "${local.name}-${each.key}"
  force_destroy = true

  versioning {
    enabled = each.value.versioning
  }

  dynamic "lifecycle_rule" {
    for_each = each.value.lifecycle
    content {
      id      = lifecycle_rule.value.id
      prefix  = lifecycle_rule.value.prefix
      enabled = true

      dynamic "transition" {
        for_each = lifecycle_rule.value.transitions
        content {
          days          = transition.value.days
          storage_class = transition.value.storage_class
        }
      }

      dynamic "expiration" {
        for_each = lifecycle_rule.value.expiration_days == null ? [] : [lifecycle_rule.value.expiration_days]
        content {
          days = expiration.value
        }
      }

      dynamic "noncurrent_version_expiration" {
        for_each = lifecycle_rule.value.noncurrent_expiration_days == null ? [] : [lifecycle_rule.value.noncurrent_expiration_days]
        content {
          days = noncurrent_version_expiration.value
        }
      }
    }
  }
}

################################################################################
# Monitoring
################################################################################

resource "aws_cloudwatch_metric_alarm" "app_cpu_high" {
  alarm_name          = "${local.name}-app-cpu-high"
  alarm_description   = "ECS service ${aws_ecs_service.app.name} CPU above 80% for 5 minutes"
  namespace           = "AWS/ECS"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 80
  period              = 60
  evaluation_periods  = 5

  dimensions = {
    ClusterName = aws_ecs_cluster.this.name
    ServiceName = aws_ecs_service.app.name
  }
}
