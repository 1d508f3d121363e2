# The variables below are exactly the keys of EnvironmentConfig.terraform_variables() (toolkit/config/model.py):
# the toolkit renders build/ENV/terraform.tfvars from envs/*.yaml. Attribute defaults mirror the model's defaults.

################################################################################
# Environment
################################################################################

variable "environment" {
  description = "Environment name (dev, staging, prod); part of every resource name. Required."
  type        = string
}

variable "project" {
  description = "Project name, such as \"edu-platform\"; prefix of every resource name. Required."
  type        = string
}

variable "aws_region" {
  description = "AWS region of the environment, such as \"sa-east-1\". Required."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource, on top of Project, Environment and ManagedBy (and the modules' Name); no key may equal those apart from case. Default: {}."
  type        = map(string)
  default     = {}
  nullable    = false

  # IAM and several other services compare tag keys ignoring case: CreateRole answers "Duplicate tag keys found".
  validation {
    condition     = alltrue([for key in keys(var.tags) : !contains(["project", "environment", "managedby", "name"], lower(key))])
    error_message = "tags must not repeat the built-in Project, Environment, ManagedBy or Name apart from case (AWS compares tag keys ignoring case)."
  }
}

################################################################################
# Network
################################################################################

variable "network" {
  description = "VPC settings: vpc_cidr (default \"10.0.0.0/16\"), availability_zones (2 or 3, default 2), single_nat_gateway (default true), existing_vpc_id (default null: create a VPC). Default: {}."
  type = object({
    vpc_cidr           = optional(string, "10.0.0.0/16")
    availability_zones = optional(number, 2)
    single_nat_gateway = optional(bool, true)
    existing_vpc_id    = optional(string)
  })
  default = {}
}

variable "existing_public_subnet_ids" {
  description = "Public subnets of network.existing_vpc_id (not in the environment files). Default: []."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "existing_private_subnet_ids" {
  description = "Private subnets of network.existing_vpc_id (not in the environment files). Default: []."
  type        = list(string)
  default     = []
  nullable    = false
}

################################################################################
# Database
################################################################################

variable "database" {
  description = "PostgreSQL settings (see DatabaseSettings): engine_mode \"rds\" | \"aurora-serverless\" (default \"rds\"), engine_version (default \"15.8\"), instance_class, storage, Multi-AZ, backups, replicas, Performance Insights, Enhanced Monitoring, deletion protection, Serverless v2 ACU range, parameters and app_username (the application's own IAM-authenticated login, default \"app_user\"). Default: {}."
  type = object({
    engine_mode                          = optional(string, "rds")
    engine_version                       = optional(string, "15.8")
    instance_class                       = optional(string, "db.t3.micro")
    allocated_storage_gb                 = optional(number, 20)
    max_allocated_storage_gb             = optional(number, 100)
    multi_az                             = optional(bool, false)
    backup_retention_days                = optional(number, 1)
    read_replicas                        = optional(number, 0)
    performance_insights                 = optional(bool, false)
    enhanced_monitoring_interval_seconds = optional(number, 0)
    deletion_protection                  = optional(bool, false)
    serverless_min_acu                   = optional(number, 0.5)
    serverless_max_acu                   = optional(number, 128)
    parameters                           = optional(map(string), {})
    app_username                         = optional(string, "app_user")
  })
  default = {}
}

################################################################################
# Cache
################################################################################

variable "cache" {
  description = "Redis settings: engine_version (default \"7.1\"), node_type (default \"cache.t3.micro\"), replicas_per_shard (default 0), cluster_mode (default false), shards (default 1); enabled (default true; false: no Redis, the application runs with CACHE_ENABLED=false). Default: {}."
  type = object({
    engine_version     = optional(string, "7.1")
    node_type          = optional(string, "cache.t3.micro")
    replicas_per_shard = optional(number, 0)
    cluster_mode       = optional(bool, false)
    shards             = optional(number, 1)
    enabled            = optional(bool, true)
  })
  default = {}
}

################################################################################
# Compute
################################################################################

variable "compute" {
  description = "Fargate service settings: cpu (default 512), memory_mib (default 1024), min_tasks (default 1), max_tasks (default 2), the image as container_image (a full reference) or ecr_repository + image_tag (a private repository of this account and region: the execution role may pull from it and the plan checks the tag exists), container_port (required), health_check_path (default \"/health\"), ingress_cidr_blocks (default [\"0.0.0.0/0\"]), deployment_strategy (\"ROLLING\" or \"BLUE_GREEN\", default \"ROLLING\"), autoscaling (default true; false keeps min_tasks running). Default: the public nginx stand-in on port 80, health check /, reachable from 10.0.0.0/8."
  type = object({
    cpu                 = optional(number, 512)
    memory_mib          = optional(number, 1024)
    min_tasks           = optional(number, 1)
    max_tasks           = optional(number, 2)
    container_image     = optional(string)
    ecr_repository      = optional(string)
    image_tag           = optional(string)
    container_port      = number
    health_check_path   = optional(string, "/health")
    ingress_cidr_blocks = optional(list(string), ["0.0.0.0/0"])
    deployment_strategy = optional(string, "ROLLING")
    autoscaling         = optional(bool, true)
  })
  # The stand-in of envs/defaults.yaml (public nginx answers on 80 at /), reachable only from private ranges;
  # every rendered environment passes its own compute.
  default = {
    container_image     = "public.ecr.aws/nginx/nginx:stable"
    container_port      = 80
    health_check_path   = "/"
    ingress_cidr_blocks = ["10.0.0.0/8"]
  }
  nullable = false

  validation {
    condition     = (var.compute.container_image == null) != (var.compute.ecr_repository == null) && (var.compute.ecr_repository == null) == (var.compute.image_tag == null)
    error_message = "compute names the image once: container_image, or ecr_repository with image_tag."
  }
}

variable "app_settings" {
  description = "Plain application settings, passed to the container as environment variables (never secrets). Default: {}."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "certificate_arn" {
  description = "ACM certificate ARN for the HTTPS listener, overriding domain.alb_certificate_arn and the lookup (not in the environment files). Default: null (domain's certificate, or HTTP only without a domain)."
  type        = string
  default     = null
}

variable "container_secrets" {
  description = "Extra container environment variables read from Secrets Manager, name => secret ARN (not in the environment files; ARNs only, never values). Default: {}."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "enable_xray" {
  description = "Whether the service runs the X-Ray daemon sidecar with tracing permissions (per environment: on in staging and prod). Default: false."
  type        = bool
  default     = false
}

################################################################################
# WAF and CDN
################################################################################

variable "waf" {
  description = "WAF settings: enabled (default false), rate_limit per IP and window (default 100), rate_limit_window_seconds (60, 120, 300 or 600; default 60), allowed_countries (default [\"BR\"]). Default: {}."
  type = object({
    enabled                   = optional(bool, false)
    rate_limit                = optional(number, 100)
    rate_limit_window_seconds = optional(number, 60)
    allowed_countries         = optional(list(string), ["BR"])
  })
  default = {}
}

variable "cdn" {
  description = "CDN settings: enabled (default false) puts a CloudFront distribution in front of the load balancer; static_path_patterns (default [\"/static/*\", \"/assets/*\"]) are cached at the edge, every other path (the API) is not. Default: {}."
  type = object({
    enabled              = optional(bool, false)
    static_path_patterns = optional(list(string), ["/static/*", "/assets/*"])
  })
  default = {}
}

variable "domain" {
  description = "Public name and certificates (see DomainSettings): name (served by CloudFront; required in protected environments and with the CDN), origin_name (the load balancer's name, an alias of it; default origin.<name>), hosted_zone (the public Route 53 zone holding both names: the root creates the DNS-validated ACM certificates and alias records there), alb_certificate_arn and cloudfront_certificate_arn (ISSUED certificates for origin_name in this region and for name in us-east-1; required without hosted_zone). Default: {}."
  type = object({
    name                       = optional(string)
    origin_name                = optional(string)
    alb_certificate_arn        = optional(string)
    cloudfront_certificate_arn = optional(string)
    hosted_zone                = optional(string)
  })
  default  = {}
  nullable = false
}

################################################################################
# Storage
################################################################################

variable "storage" {
  description = "S3 buckets by short name, each with versioning, lifecycle rules (id, prefix, transitions, expiration_days, noncurrent_expiration_days), cors_allowed_origins and access_logging. Default: {}."
  type = object({
    buckets = optional(map(object({
      versioning = optional(bool, false)
      lifecycle = optional(list(object({
        id     = string
        prefix = optional(string, "")
        transitions = optional(list(object({
          days          = number
          storage_class = string
        })), [])
        expiration_days            = optional(number)
        noncurrent_expiration_days = optional(number)
      })), [])
      cors_allowed_origins = optional(list(string), [])
      access_logging       = optional(bool, false)
    })), {})
  })
  default = {}
}

################################################################################
# Monitoring
################################################################################

variable "monitoring" {
  description = "Alarm thresholds and logging: latency_p95_ms (default 500), cache_hit_rate_min_percent (default 80), availability_min_percent (default 99.9), log_retention_days (default 30), alarm_emails (default []), alarm_subscriptions (other subscribers of the alarm topic: protocol https, sqs, lambda or firehose and endpoint; default []), app_metrics_namespace (namespace of the application's custom metrics on the dashboard; default <project>-<environment>/Application). Default: {}."
  type = object({
    latency_p95_ms             = optional(number, 500)
    cache_hit_rate_min_percent = optional(number, 80)
    availability_min_percent   = optional(number, 99.9)
    log_retention_days         = optional(number, 30)
    alarm_emails               = optional(list(string), [])
    alarm_subscriptions = optional(list(object({
      protocol = string
      endpoint = string
    })), [])
    app_metrics_namespace = optional(string)
  })
  default = {}
}

variable "budget" {
  description = "Monthly AWS Budgets range in USD: enabled (default true), monthly_min_usd (default 150), monthly_max_usd (default 200). Default: {}."
  type = object({
    enabled         = optional(bool, true)
    monthly_min_usd = optional(number, 150)
    monthly_max_usd = optional(number, 200)
  })
  default = {}
}

################################################################################
# Migrations
################################################################################

variable "migrations_package_path" {
  description = "Path of the migration runner's Lambda package zip (not in the environment files; the toolkit builds it). Default: null (no migration Lambda)."
  type        = string
  default     = null
}

################################################################################
# Audit and backups
################################################################################

variable "audit" {
  description = "Audit logs: cloudtrail (default false; on in prod) creates an encrypted, validated, multi-region CloudTrail trail into a locked-down bucket; retention_days (default 365) of its log files. Default: {}."
  type = object({
    cloudtrail     = optional(bool, false)
    retention_days = optional(number, 365)
  })
  default  = {}
  nullable = false
}

variable "backup" {
  description = "Compliance backups of the database through AWS Backup: enabled (default false; on in prod), retention_days (default 30), schedule (default \"cron(0 5 * * ? *)\"). Default: {}."
  type = object({
    enabled        = optional(bool, false)
    retention_days = optional(number, 30)
    schedule       = optional(string, "cron(0 5 * * ? *)")
  })
  default  = {}
  nullable = false
}
