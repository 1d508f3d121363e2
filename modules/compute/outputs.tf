################################################################################
# Cluster
################################################################################

output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = try(aws_ecs_cluster.this[0].name, null)
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = try(aws_ecs_cluster.this[0].arn, null)
}

################################################################################
# Logging
################################################################################

output "log_group_name" {
  description = "CloudWatch log group of the containers."
  value       = try(aws_cloudwatch_log_group.this[0].name, null)
}

################################################################################
# IAM
################################################################################

output "task_role_arn" {
  description = "IAM role of the application (task role)."
  value       = try(aws_iam_role.task[0].arn, null)
}

output "task_role_name" {
  description = "Name of the task role, for attaching further policies."
  value       = try(aws_iam_role.task[0].name, null)
}

output "execution_role_arn" {
  description = "IAM role ECS uses to start the tasks (logs, image pulls, secrets)."
  value       = try(aws_iam_role.execution[0].arn, null)
}

################################################################################
# Task definition
################################################################################

output "container_definitions" {
  description = "The task definition's container definitions as JSON (environment values and secret ARNs, never secret values)."
  value       = jsonencode(local.container_definitions)
}

output "task_definition_arn" {
  description = "ARN (with revision) of the task definition."
  value       = try(aws_ecs_task_definition.this[0].arn, null)
}

################################################################################
# Load balancer
################################################################################

output "alb_arn" {
  description = "ARN of the application load balancer (for the WAF association)."
  value       = try(aws_lb.this[0].arn, null)
}

output "alb_arn_suffix" {
  description = "ARN suffix of the load balancer: the LoadBalancer dimension of its CloudWatch metrics."
  value       = try(aws_lb.this[0].arn_suffix, null)
}

output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = try(aws_lb.this[0].dns_name, null)
}

output "alb_zone_id" {
  description = "Route 53 hosted zone ID of the load balancer (for alias records)."
  value       = try(aws_lb.this[0].zone_id, null)
}

output "alb_security_group_id" {
  description = "Security group of the load balancer."
  value       = try(aws_security_group.alb[0].id, null)
}

output "uses_https" {
  description = "Whether the load balancer serves HTTPS (a certificate was given)."
  value       = local.use_https
}

output "target_group_arns" {
  description = "Target group ARNs by color (blue, green)."
  value       = { for color, target_group in aws_lb_target_group.this : color => target_group.arn }
}

output "target_group_arn_suffixes" {
  description = "Target group ARN suffixes by color: the TargetGroup dimension of their CloudWatch metrics."
  value       = { for color, target_group in aws_lb_target_group.this : color => target_group.arn_suffix }
}

output "production_listener_rule_arn" {
  description = "ARN of the listener rule that carries production traffic (blue/green: shifted by ECS; rolling: forwards to blue, owned by Terraform)."
  value       = try(aws_lb_listener_rule.production[0].arn, aws_lb_listener_rule.rolling[0].arn, null)
}

################################################################################
# Service
################################################################################

output "service_name" {
  description = "Name of the ECS service."
  value       = try(aws_ecs_service.this[0].name, null)
}

output "service_security_group_id" {
  description = "Security group of the tasks: the module's own or service_security_group_id (give it access to databases and caches)."
  value       = var.create ? local.service_security_group_id : null
}

################################################################################
# Autoscaling
################################################################################

output "autoscaling_policy_names" {
  description = "Target-tracking policy names by metric (cpu, memory, requests)."
  value       = { for key, policy in aws_appautoscaling_policy.this : key => policy.name }
}

output "sizing" {
  description = "The planned size of the service, read from its resources: task cpu (units) and memory (MiB), min_capacity and max_capacity (tasks, autoscaling target), desired_count (initial tasks), log_retention_days. Null when create is false. For tests and plan reviews."
  value = var.create ? {
    cpu                = tonumber(aws_ecs_task_definition.this[0].cpu)
    memory             = tonumber(aws_ecs_task_definition.this[0].memory)
    min_capacity       = var.autoscaling ? aws_appautoscaling_target.this[0].min_capacity : aws_ecs_service.this[0].desired_count
    max_capacity       = var.autoscaling ? aws_appautoscaling_target.this[0].max_capacity : aws_ecs_service.this[0].desired_count
    desired_count      = aws_ecs_service.this[0].desired_count
    log_retention_days = aws_cloudwatch_log_group.this[0].retention_in_days
  } : null
}

output "container_image" {
  description = "Image the application container runs (an ECR image is pinned by digest)."
  value       = var.container_image
}

output "ecr_repository_arns" {
  description = "Private ECR repositories the execution role may pull from ([] for public images)."
  value       = var.ecr_repository_arns
}
