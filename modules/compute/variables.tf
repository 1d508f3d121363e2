################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create any resource in this module. Default: true."
  type        = bool
  default     = true
}

variable "name" {
  description = "Name of the cluster, service, load balancer (first 32 characters) and prefix of every other name. Required."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.name))
    error_message = "name must be 2-32 lowercase letters, digits or hyphens, starting with a letter (load balancer name rules)."
  }
}

variable "tags" {
  description = "Tags added to every resource. Default: {}."
  type        = map(string)
  default     = {}
  nullable    = false
}

################################################################################
# Network
################################################################################

variable "vpc_id" {
  description = "VPC of the load balancer, target groups and security groups. Required."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets (two AZs at least) for the load balancer. Required."
  type        = list(string)
  nullable    = false
}

variable "private_subnet_ids" {
  description = "Private subnets for the Fargate tasks. Required."
  type        = list(string)
  nullable    = false
}

variable "create_service_security_group" {
  description = "Whether the module creates the tasks' security group; false: the tasks use service_security_group_id (a group the caller made first, so a database or cache created before this module can let it in). Default: true."
  type        = bool
  default     = true
  nullable    = false
}

variable "service_security_group_id" {
  description = "The tasks' security group when create_service_security_group is false (the module adds its rules: from the load balancer, HTTPS out, egress_security_group_rules). Default: null."
  type        = string
  default     = null
}

variable "egress_security_group_rules" {
  description = "Extra TCP egress from the tasks to other security groups, as label => { security_group_id, port } (for example the database and the cache). HTTPS egress to anywhere is always allowed (AWS APIs, image pulls). Default: {}."
  type = map(object({
    security_group_id = string
    port              = number
  }))
  default  = {}
  nullable = false
}

################################################################################
# Cluster
################################################################################

variable "container_insights" {
  description = "Container Insights mode of the cluster: \"enabled\", \"enhanced\" or \"disabled\". Default: \"enabled\"."
  type        = string
  default     = "enabled"

  validation {
    condition     = contains(["enabled", "enhanced", "disabled"], var.container_insights)
    error_message = "container_insights must be \"enabled\", \"enhanced\" or \"disabled\"."
  }
}

################################################################################
# Logging
################################################################################

variable "log_retention_days" {
  description = "Retention in days of the container log group (a CloudWatch Logs retention value). Default: 30."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key ARN encrypting the container log group (its policy must allow CloudWatch Logs). Default: null (CloudWatch Logs' own encryption)."
  type        = string
  default     = null
}

################################################################################
# Task definition
################################################################################

variable "task_size" {
  description = "Fargate task size: cpu in CPU units (256, 512, 1024, 2048, 4096, 8192, 16384) and memory_mib in MiB from the Fargate table for that CPU. Default: { cpu = 512, memory_mib = 1024 }."
  type = object({
    cpu        = number
    memory_mib = number
  })
  default = {
    cpu        = 512
    memory_mib = 1024
  }

  validation {
    condition = contains(concat(
      [for memory in [512, 1024, 2048] : "256/${memory}"],
      [for memory in range(1024, 4097, 1024) : "512/${memory}"],
      [for memory in range(2048, 8193, 1024) : "1024/${memory}"],
      [for memory in range(4096, 16385, 1024) : "2048/${memory}"],
      [for memory in range(8192, 30721, 1024) : "4096/${memory}"],
      [for memory in range(16384, 61441, 4096) : "8192/${memory}"],
      [for memory in range(32768, 122881, 8192) : "16384/${memory}"],
    ), "${var.task_size.cpu}/${var.task_size.memory_mib}")
    error_message = "task_size is not a Fargate size: cpu 256 takes memory_mib 512/1024/2048; 512 takes 1024-4096; 1024 takes 2048-8192; 2048 takes 4096-16384 (steps of 1024); 4096 takes 8192-30720 (1024); 8192 takes 16384-61440 (4096); 16384 takes 32768-122880 (8192)."
  }
}

variable "cpu_architecture" {
  description = "CPU architecture of the task: \"X86_64\" or \"ARM64\". Default: \"X86_64\"."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "container_name" {
  description = "Name of the application container. Default: \"app\"."
  type        = string
  default     = "app"
}

variable "container_image" {
  description = "Image of the application container. Required."
  type        = string
}

variable "container_port" {
  description = "Port the application listens on (target of the load balancer), 1-65535. Default: 8080."
  type        = number
  default     = 8080

  validation {
    condition     = var.container_port >= 1 && var.container_port <= 65535
    error_message = "container_port must be from 1 to 65535."
  }
}

variable "environment" {
  description = "Plain environment variables of the application container, name => value (never secrets). Default: {}."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "secrets" {
  description = "Environment variables read from Secrets Manager at task start, name => secret ARN (optionally with a \":json-key::\" suffix). The execution role may read exactly these secrets. Default: {}."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "secrets_kms_key_arns" {
  description = "Customer-managed KMS keys that encrypt the secrets (the execution role gets kms:Decrypt on them). Default: []."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "readonly_root_filesystem" {
  description = "Whether the application container's root filesystem is read-only. Default: false (many images write to /tmp or /var/cache)."
  type        = bool
  default     = false
}

variable "enable_xray" {
  description = "Whether to run the AWS X-Ray daemon as a sidecar (and allow the task role to send traces). Default: false."
  type        = bool
  default     = false
}

variable "xray_image" {
  description = "Image of the X-Ray daemon sidecar. Default: \"public.ecr.aws/xray/aws-xray-daemon:3.3.14\"."
  type        = string
  default     = "public.ecr.aws/xray/aws-xray-daemon:3.3.14"
}

variable "ecr_repository_arns" {
  description = "Private ECR repositories the execution role may pull from. Default: [] (public images only)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "attach_task_role_policy" {
  description = "Whether to attach task_role_policy_json to the task role (a flag, because the JSON is often unknown until apply). Default: false."
  type        = bool
  default     = false
}

variable "task_role_policy_json" {
  description = "Extra IAM policy (JSON) for the application's task role, such as access to its S3 buckets; used when attach_task_role_policy is true. Default: null."
  type        = string
  default     = null
}

################################################################################
# Load balancer
################################################################################

variable "certificate_arn" {
  description = "ACM certificate ARN for the HTTPS listener (HTTP then redirects to HTTPS). Default: null (HTTP only; for offline or dev stacks without a domain)."
  type        = string
  default     = null
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener, one with TLS 1.3 (ELBSecurityPolicy-TLS13-*). Default: \"ELBSecurityPolicy-TLS13-1-2-2021-06\" (TLS 1.3 and 1.2, AWS's recommended policy)."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"

  validation {
    condition     = startswith(var.ssl_policy, "ELBSecurityPolicy-TLS13-")
    error_message = "ssl_policy must be a TLS 1.3 policy (ELBSecurityPolicy-TLS13-*), such as ELBSecurityPolicy-TLS13-1-2-2021-06."
  }
}

variable "ingress_prefix_list_ids" {
  description = "Managed prefix lists allowed to reach the load balancer on 443 instead of ingress_cidr_blocks, such as CloudFront's origin-facing list (needs certificate_arn). Default: [] (ingress_cidr_blocks)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "origin_verify_header" {
  description = "A secret header { name, value } CloudFront adds to every origin request; when set, the listener forwards only requests carrying it and answers 403 otherwise. Default: null."
  type = object({
    name  = string
    value = string
  })
  default   = null
  sensitive = true
}

variable "enable_https" {
  description = "Whether the load balancer listens on HTTPS with certificate_arn (and redirects HTTP): set it when the certificate is created in the same plan, whose ARN is unknown until apply. Default: null (HTTPS exactly when certificate_arn is set)."
  type        = bool
  default     = null
}

variable "ingress_cidr_blocks" {
  description = "IPv4 ranges allowed to reach the load balancer. Default: [\"0.0.0.0/0\"]."
  type        = list(string)
  default     = ["0.0.0.0/0"]
  nullable    = false
}

variable "enable_deletion_protection" {
  description = "Whether AWS refuses to delete the load balancer. Default: false."
  type        = bool
  default     = false
}

variable "access_logs_bucket" {
  description = "S3 bucket receiving the load balancer access logs. Default: null (no access logs)."
  type        = string
  default     = null
}

variable "health_check" {
  description = "Target group health check: path (default \"/health\"), matcher (default \"200-399\"), interval (default 15), timeout (default 5), healthy_threshold (default 2), unhealthy_threshold (default 3). Default: {}."
  type = object({
    path                = optional(string, "/health")
    matcher             = optional(string, "200-399")
    interval            = optional(number, 15)
    timeout             = optional(number, 5)
    healthy_threshold   = optional(number, 2)
    unhealthy_threshold = optional(number, 3)
  })
  default = {}
}

variable "deregistration_delay" {
  description = "Seconds a draining target keeps its connections. Default: 30."
  type        = number
  default     = 30
}

################################################################################
# Service
################################################################################

variable "deployment_strategy" {
  description = "ECS deployment strategy: \"ROLLING\" or \"BLUE_GREEN\" (ECS-native, shifting the production listener rule between the blue and green target groups). Default: \"ROLLING\"."
  type        = string
  default     = "ROLLING"

  validation {
    condition     = contains(["ROLLING", "BLUE_GREEN"], var.deployment_strategy)
    error_message = "deployment_strategy must be ROLLING or BLUE_GREEN."
  }
}

variable "blue_green_bake_time_minutes" {
  description = "Minutes both revisions stay up after a blue/green traffic shift before the old one stops (BLUE_GREEN only). Default: 5."
  type        = number
  default     = 5
}

variable "health_check_grace_period_seconds" {
  description = "Seconds the scheduler ignores load balancer health checks after a task starts. Default: 60."
  type        = number
  default     = 60
}

variable "enable_execute_command" {
  description = "Whether ECS Exec is allowed into the tasks. Default: false."
  type        = bool
  default     = false
}

################################################################################
# Autoscaling
################################################################################

variable "min_tasks" {
  description = "Minimum number of tasks (also the initial desired count), 0-1000. Default: 1."
  type        = number
  default     = 1

  validation {
    condition     = var.min_tasks >= 0 && var.min_tasks <= 1000
    error_message = "min_tasks must be from 0 to 1000."
  }
}

variable "max_tasks" {
  description = "Maximum number of tasks, 1-1000 (at least min_tasks). Default: 2."
  type        = number
  default     = 2

  validation {
    condition     = var.max_tasks >= 1 && var.max_tasks <= 1000
    error_message = "max_tasks must be from 1 to 1000."
  }
}

variable "autoscaling_targets" {
  description = "Target-tracking targets: cpu_percent (default 70), memory_percent (default 75), requests_per_target (ALB requests per task per minute, default 1000); 0 disables that policy. Default: {}."
  type = object({
    cpu_percent         = optional(number, 70)
    memory_percent      = optional(number, 75)
    requests_per_target = optional(number, 1000)
  })
  default = {}
}

variable "autoscaling" {
  description = "Scale the service with Application Auto Scaling (target tracking and step_scaling) between min_tasks and max_tasks; false keeps it at min_tasks tasks, e.g. on an emulator without Application Auto Scaling tags. Default: true."
  type        = bool
  default     = true
  nullable    = false
}

variable "step_scaling" {
  description = "Fast scale-out next to target tracking: an alarm on one one-minute datapoint of service CPU above cpu_percent triggers a step policy adding tasks at once (adjustments: CPU above the threshold by [lower, upper) percentage points => add change tasks). enabled (default true), cpu_percent (default 80), cooldown_seconds (default 60). Default: {}."
  type = object({
    enabled          = optional(bool, true)
    cpu_percent      = optional(number, 80)
    cooldown_seconds = optional(number, 60)
    adjustments = optional(list(object({
      lower  = number
      upper  = optional(number)
      change = number
      })), [
      { lower = 0, upper = 10, change = 1 },
      { lower = 10, upper = null, change = 3 },
    ])
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.step_scaling.cpu_percent > 0 && var.step_scaling.cpu_percent < 100
    error_message = "step_scaling.cpu_percent must be between 0 and 100 (exclusive)."
  }
}
