################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create any resource in this module. Default: true."
  type        = bool
  default     = true
}

variable "name" {
  description = "Prefix of the topic, dashboard, alarms, budget and metric namespace, such as \"edu-platform-prod\". Required."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource. Default: {}."
  type        = map(string)
  default     = {}
  nullable    = false
}

################################################################################
# Alarm topic
################################################################################

variable "alarm_emails" {
  description = "E-mail addresses subscribed to the alarm topic (each must confirm). Default: []."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for email in var.alarm_emails : can(regex("^[^@\\s]+@[^@\\s]+$", email))])
    error_message = "alarm_emails must hold e-mail addresses."
  }
}

variable "alarm_subscriptions" {
  description = "Other subscribers of the alarm topic: protocol (\"https\", \"sqs\", \"lambda\" or \"firehose\") and endpoint (an https:// URL or the target's ARN), such as a chat or Datadog integration. Default: []."
  type = list(object({
    protocol = string
    endpoint = string
  }))
  default  = []
  nullable = false

  validation {
    condition     = alltrue([for subscription in var.alarm_subscriptions : contains(["https", "sqs", "lambda", "firehose"], subscription.protocol)])
    error_message = "alarm_subscriptions[*].protocol must be https, sqs, lambda or firehose."
  }
}

variable "forward_cache_events" {
  description = "Whether an EventBridge rule forwards ElastiCache's failure and limit events (source aws.elasticache, this account and region) to the alarm topic. ElastiCache's own notification_topic_arn cannot publish to a KMS-encrypted topic, which this one is. Default: false."
  type        = bool
  default     = false
}

variable "create_kms_key" {
  description = "Whether to create a KMS key for the alarm topic (usable by CloudWatch and Budgets) when kms_key_arn is null. Default: true."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "KMS key ARN encrypting the alarm topic; its policy must let cloudwatch.amazonaws.com and budgets.amazonaws.com use it. Default: null (the module's key)."
  type        = string
  default     = null
}

################################################################################
# Log groups
################################################################################

variable "log_groups" {
  description = "Extra CloudWatch log groups to create, key => { name, retention_days (default log_retention_days) }. Default: {}."
  type = map(object({
    name           = string
    retention_days = optional(number)
  }))
  default  = {}
  nullable = false
}

variable "log_retention_days" {
  description = "Default retention in days of the log groups (a CloudWatch Logs retention value; set per environment). Default: 30."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

################################################################################
# Load balancer and service
################################################################################

variable "create_alb_alarms" {
  description = "Whether to create the load balancer alarms (p95 latency, 5xx rate, availability); needs alb_arn_suffix. Default: true."
  type        = bool
  default     = true
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the application load balancer (LoadBalancer dimension). Default: null."
  type        = string
  default     = null
}

variable "ecs_cluster_name" {
  description = "ECS cluster of the service shown on the dashboard. Default: null (no ECS widget)."
  type        = string
  default     = null
}

variable "ecs_service_name" {
  description = "ECS service shown on the dashboard. Default: null."
  type        = string
  default     = null
}

variable "target_group_arn_suffixes" {
  description = "Target groups of the service, key => ARN suffix (TargetGroup dimension), such as { blue = ..., green = ... }; their healthy targets are summed. Keys must be lowercase identifiers. Default: {} (no healthy-host alarm)."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for key in keys(var.target_group_arn_suffixes) : can(regex("^[a-z][a-z0-9_]*$", key))])
    error_message = "target_group_arn_suffixes keys must start with a lowercase letter and hold only lowercase letters, digits and _ (metric math ids)."
  }
}

variable "min_healthy_hosts" {
  description = "Alarm when fewer healthy targets than this serve for 2 minutes. Default: 1."
  type        = number
  default     = 1
}

variable "min_tasks" {
  description = "Alarm when the ECS service runs fewer tasks than this for 2 minutes (Container Insights must be on). Default: 1."
  type        = number
  default     = 1
}

variable "latency_p95_ms" {
  description = "Alarm when the load balancer's p95 target response time exceeds this many milliseconds. Default: 500."
  type        = number
  default     = 500

  validation {
    condition     = var.latency_p95_ms >= 1
    error_message = "latency_p95_ms must be at least 1."
  }
}

variable "http_5xx_rate_max_percent" {
  description = "Alarm when 5xx responses (target and load balancer) exceed this percentage of requests. Default: 1."
  type        = number
  default     = 1

  validation {
    condition     = var.http_5xx_rate_max_percent > 0 && var.http_5xx_rate_max_percent <= 100
    error_message = "http_5xx_rate_max_percent must be above 0 and at most 100."
  }
}

variable "availability_min_percent" {
  description = "Alarm when availability (100 - 5xx rate) over 5 minutes falls below this percentage. Default: 99.9."
  type        = number
  default     = 99.9

  validation {
    condition     = var.availability_min_percent >= 0 && var.availability_min_percent <= 100
    error_message = "availability_min_percent must be from 0 to 100."
  }
}

################################################################################
# Database
################################################################################

variable "db_instance_identifiers" {
  description = "DB instances to watch (primary first); known at plan time. Default: [] (no database alarms)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "db_max_connections" {
  description = "max_connections of the database; connections alarm at db_connections_max_percent of it. Default: null (no connections alarm)."
  type        = number
  default     = null
}

variable "db_connections_max_percent" {
  description = "Alarm when connections exceed this percentage of db_max_connections. Default: 80."
  type        = number
  default     = 80
}

variable "db_allocated_storage_gb" {
  description = "Allocated storage of the DB instances in GiB; free storage alarm below db_free_storage_min_percent of it. Default: null (no storage alarm; Aurora has none)."
  type        = number
  default     = null
}

variable "db_free_storage_min_percent" {
  description = "Alarm when free storage falls below this percentage of db_allocated_storage_gb (20: disk over 80 % used). Default: 20."
  type        = number
  default     = 20
}

variable "create_slow_query_alarm" {
  description = "Whether to count slow statements (\"duration:\" lines written by log_min_duration_statement) and deadlocks in db_log_group_names and alarm on them. Default: true."
  type        = bool
  default     = true
}

variable "db_log_group_names" {
  description = "PostgreSQL log groups to watch (postgresql log export of the primary and every replica, or of the Aurora cluster). Default: []."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "slow_query_seconds" {
  description = "A statement is slow above this many seconds; the database's log_min_duration_statement (db_log_min_duration_ms) must log exactly from there, since the filter counts every logged duration. Default: 5 (the planning documents' proactive alert)."
  type        = number
  default     = 5
}

variable "db_log_min_duration_ms" {
  description = "log_min_duration_statement of the database in milliseconds, checked against slow_query_seconds. Default: null (not checked)."
  type        = number
  default     = null
}

variable "slow_query_threshold" {
  description = "Alarm when more than this many slow statements are logged in 5 minutes. Default: 10."
  type        = number
  default     = 10
}

variable "deadlock_threshold" {
  description = "Alarm when more than this many deadlocks (\"deadlock detected\" log lines) are logged in 5 minutes. Default: 2."
  type        = number
  default     = 2
}

variable "db_engine_mode" {
  description = "\"rds\" or \"aurora-serverless\": which disk alarm applies (FreeStorageSpace against the allocated storage, or FreeLocalStorage of each Aurora instance). Default: \"rds\"."
  type        = string
  default     = "rds"

  validation {
    condition     = contains(["rds", "aurora-serverless"], var.db_engine_mode)
    error_message = "db_engine_mode must be \"rds\" or \"aurora-serverless\"."
  }
}

variable "db_free_local_storage_min_gb" {
  description = "Aurora only: alarm when an instance's free local storage (temporary files, sorts) falls below this many GiB. Default: 2."
  type        = number
  default     = 2
}

################################################################################
# Cache
################################################################################

variable "cache_replication_group_id" {
  description = "ElastiCache replication group shown on the dashboard. Default: null (no cache widgets)."
  type        = string
  default     = null
}

variable "cache_member_cluster_ids" {
  description = "Member cache cluster IDs (CacheClusterId dimension), known at plan time; hit rate alarms cover them in groups of five. Default: []."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "cache_hit_rate_min_percent" {
  description = "Alarm when the cache hit rate (CacheHits / (CacheHits + CacheMisses)) falls below this percentage. Default: 80."
  type        = number
  default     = 80

  validation {
    condition     = var.cache_hit_rate_min_percent >= 0 && var.cache_hit_rate_min_percent <= 100
    error_message = "cache_hit_rate_min_percent must be from 0 to 100."
  }
}

################################################################################
# Dashboard
################################################################################

variable "waf_scope" {
  description = "Scope of waf_web_acl_name: \"REGIONAL\" (metrics in this region) or \"CLOUDFRONT\" (metrics in us-east-1, without a Region dimension). Default: \"REGIONAL\"."
  type        = string
  default     = "REGIONAL"

  validation {
    condition     = contains(["REGIONAL", "CLOUDFRONT"], var.waf_scope)
    error_message = "waf_scope must be \"REGIONAL\" or \"CLOUDFRONT\"."
  }
}

variable "app_metrics" {
  description = "Custom metrics the application publishes, shown on the dashboard: namespace (default \"<name>/Application\"), requests per subject (metric requests_metric with dimension subject_dimension), BNCC searches per code (bncc_metric / bncc_dimension), application cache hit rate in % (cache_hit_rate_metric) and API latency in ms (latency_metric, shown as p95). Default: {} (those defaults)."
  type = object({
    namespace             = optional(string)
    requests_metric       = optional(string, "Requests")
    subject_dimension     = optional(string, "Subject")
    bncc_metric           = optional(string, "BnccSearches")
    bncc_dimension        = optional(string, "BnccCode")
    cache_hit_rate_metric = optional(string, "CacheHitRate")
    latency_metric        = optional(string, "ApiLatency")
  })
  default  = {}
  nullable = false
}

variable "waf_web_acl_name" {
  description = "WAF web ACL whose blocked requests appear on the dashboard. Default: null (no WAF widget)."
  type        = string
  default     = null
}

################################################################################
# Budget
################################################################################

variable "budget" {
  description = "Monthly cost budget in USD: { monthly_min_usd, monthly_max_usd }. Notifies when actual spend passes the minimum and when actual or forecast spend passes the maximum. Default: null (no budget)."
  type = object({
    monthly_min_usd = number
    monthly_max_usd = number
  })
  default = null

  validation {
    condition     = var.budget == null || try(var.budget.monthly_min_usd >= 0 && var.budget.monthly_max_usd >= 1 && var.budget.monthly_min_usd <= var.budget.monthly_max_usd, false)
    error_message = "budget.monthly_min_usd must be from 0 to monthly_max_usd, and monthly_max_usd at least 1."
  }
}

variable "budget_cost_filter_tags" {
  description = "Restrict the budget to costs carrying these cost allocation tags (tag => value; the tags must be activated in Billing). Default: {} (the whole account)."
  type        = map(string)
  default     = {}
  nullable    = false
}
