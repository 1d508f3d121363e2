data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  # A flag beside the ARN, because a certificate created in the same plan has an ARN known only after apply.
  use_https = var.enable_https != null ? var.enable_https : var.certificate_arn != null
  # Behind CloudFront: the load balancer accepts only CloudFront's prefix list, and only requests carrying
  # the secret origin header are forwarded (the rest get 403). Whether a header is set is not the secret.
  origin_only         = length(var.ingress_prefix_list_ids) > 0
  origin_header       = var.origin_verify_header
  check_origin_header = nonsensitive(var.origin_verify_header != null)
  blue_green          = var.deployment_strategy == "BLUE_GREEN"
  lb_name             = substr(var.name, 0, 32)
  # Set only when the listeners exist (create = true).
  production_listener_arn = var.create ? (local.use_https ? aws_lb_listener.https[0].arn : aws_lb_listener.http[0].arn) : null
  log_group_name          = "/ecs/${var.name}"
  # The tasks' security group: the module's own, or the caller's (made before the data tier that lets it in).
  service_security_group_id = var.create_service_security_group ? try(aws_security_group.service[0].id, null) : var.service_security_group_id

  # Secret references may carry a ":json-key:version-stage:version-id" suffix; IAM wants the bare secret ARN.
  secret_arns = distinct([for value_from in values(var.secrets) : join(":", slice(split(":", value_from), 0, 7))])

  app_environment = merge(var.environment, var.enable_xray ? { AWS_XRAY_DAEMON_ADDRESS = "localhost:2000" } : {})

  app_container = {
    name                   = var.container_name
    image                  = var.container_image
    essential              = true
    readonlyRootFilesystem = var.readonly_root_filesystem
    portMappings = [{
      name          = "http"
      containerPort = var.container_port
      hostPort      = var.container_port
      protocol      = "tcp"
    }]
    environment = [for name in sort(keys(local.app_environment)) : { name = name, value = local.app_environment[name] }]
    secrets     = [for name in sort(keys(var.secrets)) : { name = name, valueFrom = var.secrets[name] }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = local.log_group_name
        awslogs-region        = data.aws_region.current.region
        awslogs-stream-prefix = var.container_name
      }
    }
  }

  xray_container = {
    name                   = "xray-daemon"
    image                  = var.xray_image
    essential              = false
    readonlyRootFilesystem = true
    cpu                    = 32
    memoryReservation      = 256
    portMappings = [{
      containerPort = 2000
      hostPort      = 2000
      protocol      = "udp"
    }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = local.log_group_name
        awslogs-region        = data.aws_region.current.region
        awslogs-stream-prefix = "xray"
      }
    }
  }

  container_definitions = concat([local.app_container], var.enable_xray ? [local.xray_container] : [])

  scaling_policies = {
    for key, policy in {
      cpu = {
        metric = "ECSServiceAverageCPUUtilization"
        target = var.autoscaling_targets.cpu_percent
        label  = null
      }
      memory = {
        metric = "ECSServiceAverageMemoryUtilization"
        target = var.autoscaling_targets.memory_percent
        label  = null
      }
      requests = {
        metric = "ALBRequestCountPerTarget"
        target = var.autoscaling_targets.requests_per_target
        label  = "blue"
      }
      # Blue/green swaps the serving target group, so the policy reads both (customized metric below).
    } : key => policy if var.create && var.autoscaling && policy.target > 0
  }
}

################################################################################
# Cluster
################################################################################

resource "aws_ecs_cluster" "this" {
  count = var.create ? 1 : 0

  name = var.name

  setting {
    name  = "containerInsights"
    value = var.container_insights
  }

  tags = var.tags
}

################################################################################
# Logging
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  count = var.create ? 1 : 0

  #checkov:skip=CKV_AWS_338:Retention is set per environment (log_retention_days); one year is not required for container logs.
  #checkov:skip=CKV_AWS_158:The KMS key is an input (log_kms_key_arn); without it CloudWatch Logs encrypts with its own key.
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

################################################################################
# IAM
################################################################################

data "aws_iam_policy_document" "tasks_assume" {
  count = var.create ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

# The execution role starts tasks: it writes the container logs, pulls private images and reads exactly the task's secrets.
data "aws_iam_policy_document" "execution" {
  count = var.create ? 1 : 0

  statement {
    sid       = "ContainerLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this[0].arn}:*"]
  }

  dynamic "statement" {
    for_each = length(var.ecr_repository_arns) > 0 ? [1] : []

    content {
      sid       = "EcrLogin"
      actions   = ["ecr:GetAuthorizationToken"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = length(var.ecr_repository_arns) > 0 ? [1] : []

    content {
      sid       = "EcrPull"
      actions   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
      resources = var.ecr_repository_arns
    }
  }

  dynamic "statement" {
    for_each = length(local.secret_arns) > 0 ? [1] : []

    content {
      sid       = "ReadTaskSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = local.secret_arns
    }
  }

  dynamic "statement" {
    for_each = length(var.secrets_kms_key_arns) > 0 ? [1] : []

    content {
      sid       = "DecryptTaskSecrets"
      actions   = ["kms:Decrypt"]
      resources = var.secrets_kms_key_arns
    }
  }
}

resource "aws_iam_role" "execution" {
  count = var.create ? 1 : 0

  name_prefix        = "${substr(var.name, 0, 22)}-execution-"
  assume_role_policy = data.aws_iam_policy_document.tasks_assume[0].json

  tags = var.tags
}

resource "aws_iam_role_policy" "execution" {
  count = var.create ? 1 : 0

  name   = "start-tasks"
  role   = aws_iam_role.execution[0].id
  policy = data.aws_iam_policy_document.execution[0].json
}

# The task role is the application's identity: X-Ray (if on) plus whatever task_role_policy_json grants.
resource "aws_iam_role" "task" {
  count = var.create ? 1 : 0

  name_prefix        = "${substr(var.name, 0, 27)}-task-"
  assume_role_policy = data.aws_iam_policy_document.tasks_assume[0].json

  tags = var.tags
}

data "aws_iam_policy_document" "xray" {
  count = var.create && var.enable_xray ? 1 : 0

  #checkov:skip=CKV_AWS_356:X-Ray's PutTraceSegments/PutTelemetryRecords/GetSampling* support no resource-level permissions.
  statement {
    sid       = "XRay"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "task_xray" {
  count = var.create && var.enable_xray ? 1 : 0

  name   = "xray"
  role   = aws_iam_role.task[0].id
  policy = data.aws_iam_policy_document.xray[0].json
}

resource "aws_iam_role_policy" "task_extra" {
  count = var.create && var.attach_task_role_policy ? 1 : 0

  name   = "application"
  role   = aws_iam_role.task[0].id
  policy = var.task_role_policy_json
}

################################################################################
# Task definition
################################################################################

resource "aws_ecs_task_definition" "this" {
  count = var.create ? 1 : 0

  #checkov:skip=CKV_AWS_336:The root filesystem is read-only only when readonly_root_filesystem is true; many images need to write.
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_size.cpu
  memory                   = var.task_size.memory_mib
  execution_role_arn       = aws_iam_role.execution[0].arn
  task_role_arn            = aws_iam_role.task[0].arn
  container_definitions    = jsonencode(local.container_definitions)
  # Earlier revisions stay ACTIVE when Terraform registers a new one: the immediate rollback tier
  # (`toolkit rollback`, previous revision in under 5 minutes) can only deploy ACTIVE revisions.
  skip_destroy = true

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  tags = var.tags
}

################################################################################
# Load balancer
################################################################################

resource "aws_security_group" "alb" {
  count = var.create ? 1 : 0

  name_prefix = "${var.name}-alb-"
  description = "Load balancer of ${var.name}: HTTP(S) in, container port out to the tasks"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-alb" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "alb" {
  for_each = var.create && !local.origin_only ? { for pair in setproduct(local.use_https ? [80, 443] : [80], var.ingress_cidr_blocks) : "${pair[0]}-${pair[1]}" => { port = pair[0], cidr = pair[1] } } : {}

  #checkov:skip=CKV_AWS_260:Port 80 only redirects to HTTPS when a certificate is set; without one the stack is HTTP-only by choice (dev).
  security_group_id = aws_security_group.alb[0].id
  description       = "Port ${each.value.port} from ${each.value.cidr}"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.cidr

  tags = var.tags
}

# Behind CloudFront: HTTPS only from CloudFront's origin-facing managed prefix list (it weighs about 55
# rules of the security group's quota, so port 80 is not opened; CloudFront talks HTTPS to the origin).
resource "aws_vpc_security_group_ingress_rule" "alb_prefix_lists" {
  for_each = var.create ? toset(var.ingress_prefix_list_ids) : toset([])

  security_group_id = aws_security_group.alb[0].id
  description       = "HTTPS from prefix list ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = each.value

  tags = var.tags

  lifecycle {
    precondition {
      condition     = local.use_https
      error_message = "ingress_prefix_list_ids needs certificate_arn: only HTTPS (443) is opened to a prefix list."
    }
  }
}

resource "aws_vpc_security_group_egress_rule" "alb_to_tasks" {
  count = var.create ? 1 : 0

  security_group_id            = aws_security_group.alb[0].id
  description                  = "To the tasks"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = local.service_security_group_id

  tags = var.tags
}

resource "aws_lb" "this" {
  count = var.create ? 1 : 0

  #checkov:skip=CKV_AWS_91:Access logs are on when access_logs_bucket is set.
  #checkov:skip=CKV2_AWS_28:The WAF web ACL is associated by the waf module (on in prod).
  #checkov:skip=CKV_AWS_150:Deletion protection is set per environment (enable_deletion_protection).
  #checkov:skip=CKV2_AWS_20:HTTP redirects to HTTPS when certificate_arn is set; without one the stack is HTTP-only by choice (dev, examples).
  name                       = local.lb_name
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = var.public_subnet_ids
  security_groups            = [aws_security_group.alb[0].id]
  drop_invalid_header_fields = true
  enable_deletion_protection = var.enable_deletion_protection

  dynamic "access_logs" {
    for_each = var.access_logs_bucket != null ? [var.access_logs_bucket] : []

    content {
      bucket  = access_logs.value
      prefix  = var.name
      enabled = true
    }
  }

  tags = var.tags
}

# Two identical target groups: the service serves from one while a blue/green deployment fills the other.
resource "aws_lb_target_group" "this" {
  for_each = var.create ? toset(["blue", "green"]) : toset([])

  #checkov:skip=CKV_AWS_378:TLS ends at the load balancer; tasks in private subnets are reached over HTTP inside the VPC.
  # A prefix, not a name: create_before_destroy replaces the group (container port change) while the old
  # one still exists, and a fixed name would collide with it.
  name_prefix          = "${each.key == "blue" ? "blue" : "green"}-"
  vpc_id               = var.vpc_id
  target_type          = "ip"
  protocol             = "HTTP"
  port                 = var.container_port
  deregistration_delay = var.deregistration_delay

  health_check {
    enabled             = true
    path                = var.health_check.path
    matcher             = var.health_check.matcher
    interval            = var.health_check.interval
    timeout             = var.health_check.timeout
    healthy_threshold   = var.health_check.healthy_threshold
    unhealthy_threshold = var.health_check.unhealthy_threshold
  }

  tags = merge(var.tags, { Name = "${var.name}-${each.key}", Color = each.key })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_lb_listener" "https" {
  count = var.create && local.use_https ? 1 : 0

  load_balancer_arn = aws_lb.this[0].arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = var.certificate_arn

  default_action {
    type = "fixed-response"

    fixed_response {
      content_type = "text/plain"
      message_body = local.check_origin_header ? "Forbidden" : "Not found"
      status_code  = local.check_origin_header ? "403" : "404"
    }
  }

  tags = var.tags
}

resource "aws_lb_listener" "http" {
  count = var.create ? 1 : 0

  #checkov:skip=CKV_AWS_2:HTTP redirects to HTTPS when certificate_arn is set; without a certificate the stack is HTTP-only by choice (dev).
  #checkov:skip=CKV_AWS_103:TLS is enforced by the HTTPS listener's ssl_policy; this listener redirects (or serves dev without TLS).
  load_balancer_arn = aws_lb.this[0].arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = local.use_https ? "redirect" : "fixed-response"

    dynamic "redirect" {
      for_each = local.use_https ? [1] : []

      content {
        port        = "443"
        protocol    = "HTTPS"
        status_code = "HTTP_301"
      }
    }

    dynamic "fixed_response" {
      for_each = local.use_https ? [] : [1]

      content {
        content_type = "text/plain"
        message_body = "Not found"
        status_code  = "404"
      }
    }
  }

  tags = var.tags
}

# Blue/green: the production rule ECS shifts between blue and green; it starts with all traffic on blue,
# and Terraform leaves the weights (the action) to ECS.
resource "aws_lb_listener_rule" "production" {
  count = var.create && local.blue_green ? 1 : 0

  listener_arn = local.production_listener_arn
  priority     = 100

  action {
    type = "forward"

    forward {
      target_group {
        arn    = aws_lb_target_group.this["blue"].arn
        weight = 100
      }

      target_group {
        arn    = aws_lb_target_group.this["green"].arn
        weight = 0
      }
    }
  }

  condition {
    path_pattern {
      values = ["/*"]
    }
  }

  dynamic "condition" {
    for_each = local.check_origin_header ? [1] : []

    content {
      http_header {
        http_header_name = local.origin_header.name
        values           = [local.origin_header.value]
      }
    }
  }

  tags = var.tags

  lifecycle {
    # Blue/green deployments move the weights; Terraform must not move them back.
    ignore_changes = [action]
  }
}

# Rolling: Terraform owns the rule, so a replaced target group (a new container port) is forwarded to
# before the old one is destroyed. Another priority than the blue/green rule, so switching strategy
# never collides on priority 100.
resource "aws_lb_listener_rule" "rolling" {
  count = var.create && !local.blue_green ? 1 : 0

  listener_arn = local.production_listener_arn
  priority     = 110

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this["blue"].arn
  }

  condition {
    path_pattern {
      values = ["/*"]
    }
  }

  dynamic "condition" {
    for_each = local.check_origin_header ? [1] : []

    content {
      http_header {
        http_header_name = local.origin_header.name
        values           = [local.origin_header.value]
      }
    }
  }

  tags = var.tags
}

################################################################################
# Service
################################################################################

resource "aws_security_group" "service" {
  count = var.create && var.create_service_security_group ? 1 : 0

  #checkov:skip=CKV2_AWS_5:Attached to the service through local.service_security_group_id (this group or the caller's), which checkov does not follow.

  name_prefix = "${var.name}-service-"
  description = "Tasks of ${var.name}: container port from the load balancer only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-service" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "service_from_alb" {
  count = var.create ? 1 : 0

  security_group_id            = local.service_security_group_id
  description                  = "From the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.alb[0].id

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.create_service_security_group || var.service_security_group_id != null
      error_message = "create_service_security_group = false needs service_security_group_id: the tasks' security group made by the caller."
    }
  }
}

resource "aws_vpc_security_group_egress_rule" "service_https" {
  count = var.create ? 1 : 0

  security_group_id = local.service_security_group_id
  description       = "HTTPS to AWS APIs and image registries"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "service_to_groups" {
  for_each = var.create ? var.egress_security_group_rules : {}

  security_group_id            = local.service_security_group_id
  description                  = "To ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = each.value.security_group_id

  tags = var.tags
}

data "aws_iam_policy_document" "ecs_infrastructure_assume" {
  count = var.create && local.blue_green ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs.amazonaws.com"]
    }
  }
}

# ECS-native blue/green needs a role that lets ECS rewrite the listener rule.
resource "aws_iam_role" "ecs_infrastructure" {
  count = var.create && local.blue_green ? 1 : 0

  name_prefix        = "${substr(var.name, 0, 20)}-ecs-blue-green-"
  assume_role_policy = data.aws_iam_policy_document.ecs_infrastructure_assume[0].json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "ecs_infrastructure" {
  count = var.create && local.blue_green ? 1 : 0

  role       = aws_iam_role.ecs_infrastructure[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
}

resource "aws_ecs_service" "this" {
  count = var.create ? 1 : 0

  name             = var.name
  cluster          = aws_ecs_cluster.this[0].id
  task_definition  = aws_ecs_task_definition.this[0].arn
  launch_type      = "FARGATE"
  platform_version = "LATEST"
  # Only the initial count: Application Auto Scaling owns desired_count afterwards (see ignore_changes).
  desired_count                      = var.min_tasks
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = var.health_check_grace_period_seconds
  enable_execute_command             = var.enable_execute_command
  enable_ecs_managed_tags            = true
  propagate_tags                     = "SERVICE"

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [local.service_security_group_id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this["blue"].arn
    container_name   = var.container_name
    container_port   = var.container_port

    dynamic "advanced_configuration" {
      for_each = local.blue_green ? [1] : []

      content {
        alternate_target_group_arn = aws_lb_target_group.this["green"].arn
        production_listener_rule   = aws_lb_listener_rule.production[0].arn
        role_arn                   = aws_iam_role.ecs_infrastructure[0].arn
      }
    }
  }

  deployment_controller {
    type = "ECS"
  }

  deployment_configuration {
    strategy             = var.deployment_strategy
    bake_time_in_minutes = local.blue_green ? var.blue_green_bake_time_minutes : null
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  tags = var.tags

  lifecycle {
    ignore_changes = [desired_count]

    precondition {
      condition     = var.min_tasks <= var.max_tasks
      error_message = "min_tasks must not exceed max_tasks."
    }
  }

  depends_on = [aws_lb_listener_rule.production, aws_lb_listener_rule.rolling, aws_iam_role_policy.execution, aws_iam_role_policy_attachment.ecs_infrastructure]
}

################################################################################
# Autoscaling
################################################################################

resource "aws_appautoscaling_target" "this" {
  count = var.create && var.autoscaling ? 1 : 0

  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.this[0].name}/${aws_ecs_service.this[0].name}"
  min_capacity       = var.min_tasks
  max_capacity       = var.max_tasks

  tags = var.tags
}

resource "aws_appautoscaling_policy" "this" {
  for_each = local.scaling_policies

  name               = "${var.name}-${each.key}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension
  resource_id        = aws_appautoscaling_target.this[0].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = each.value.target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    dynamic "predefined_metric_specification" {
      for_each = each.key == "requests" && local.blue_green ? [] : [1]

      content {
        predefined_metric_type = each.value.metric
        # Rolling: the production rule forwards to blue only.
        resource_label = each.value.label == null ? null : "${aws_lb.this[0].arn_suffix}/${aws_lb_target_group.this[each.value.label].arn_suffix}"
      }
    }

    # Blue/green: after a swap the tasks serve from green, so requests per target are summed over both
    # groups (the idle one reports nothing: FILL 0) instead of reading blue's near-zero and scaling in.
    dynamic "customized_metric_specification" {
      for_each = each.key == "requests" && local.blue_green ? [1] : []

      content {
        metrics {
          id          = "requests_per_target"
          expression  = "FILL(blue, 0) + FILL(green, 0)"
          label       = "Requests per target (blue + green)"
          return_data = true
        }

        dynamic "metrics" {
          for_each = aws_lb_target_group.this

          content {
            id          = metrics.key
            return_data = false

            metric_stat {
              stat = "Sum"

              metric {
                namespace   = "AWS/ApplicationELB"
                metric_name = "RequestCountPerTarget"

                dimensions {
                  name  = "TargetGroup"
                  value = metrics.value.arn_suffix
                }
              }
            }
          }
        }
      }
    }
  }
}

# Target tracking needs several minutes of datapoints before it acts; this step policy reacts to a single
# one-minute datapoint (see the README for the expected reaction time).
resource "aws_appautoscaling_policy" "step_out" {
  count = var.create && var.autoscaling && var.step_scaling.enabled ? 1 : 0

  name               = "${var.name}-cpu-step-out"
  policy_type        = "StepScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension
  resource_id        = aws_appautoscaling_target.this[0].resource_id

  step_scaling_policy_configuration {
    adjustment_type         = "ChangeInCapacity"
    cooldown                = var.step_scaling.cooldown_seconds
    metric_aggregation_type = "Average"

    dynamic "step_adjustment" {
      for_each = var.step_scaling.adjustments

      content {
        metric_interval_lower_bound = step_adjustment.value.lower
        metric_interval_upper_bound = step_adjustment.value.upper
        scaling_adjustment          = step_adjustment.value.change
      }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "step_out" {
  count = var.create && var.autoscaling && var.step_scaling.enabled ? 1 : 0

  alarm_name          = "${var.name}-cpu-step-out"
  alarm_description   = "Service CPU above ${var.step_scaling.cpu_percent}% for one minute: add tasks now (step scaling)."
  namespace           = "AWS/ECS"
  metric_name         = "CPUUtilization"
  dimensions          = { ClusterName = aws_ecs_cluster.this[0].name, ServiceName = aws_ecs_service.this[0].name }
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 1
  datapoints_to_alarm = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.step_scaling.cpu_percent
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_appautoscaling_policy.step_out[0].arn]

  tags = var.tags
}
