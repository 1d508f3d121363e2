################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create any resource in this module. Default: true."
  type        = bool
  default     = true
}

variable "name" {
  description = "Replication group ID and prefix of every other name: 1-40 lowercase letters, digits and single hyphens, starting with a letter. Required."
  type        = string

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$", var.name)) && !strcontains(var.name, "--")
    error_message = "name must be 1-40 lowercase letters, digits or single hyphens, start with a letter and not end with a hyphen."
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
  description = "VPC of the cache security group. Required."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnet IDs for the cache subnet group. Required."
  type        = list(string)
  nullable    = false
}

variable "allowed_security_group_ids" {
  description = "Client security groups allowed to connect on the Redis port, as label => security group ID (labels known at plan time). Default: {}."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "port" {
  description = "Port Redis listens on. Default: 6379."
  type        = number
  default     = 6379
}

################################################################################
# Encryption
################################################################################

variable "create_kms_key" {
  description = "Whether to create a KMS key for at-rest encryption, the AUTH token secret and the logs when kms_key_arn is null. Default: true."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "KMS key ARN for at-rest encryption, the AUTH token secret and the log groups. Default: null (the module's key, or AWS-owned keys when create_kms_key is false)."
  type        = string
  default     = null
}

################################################################################
# Authentication
################################################################################

variable "create_auth_token" {
  description = "Whether to generate an AUTH token into a Secrets Manager secret (ignored when user_group_ids is set). Default: true."
  type        = bool
  default     = true
}

variable "user_group_ids" {
  description = "ElastiCache RBAC user group IDs to authenticate with instead of an AUTH token. Default: [] (AUTH token)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "auth_token_secret_recovery_window_days" {
  description = "Days Secrets Manager keeps a deleted AUTH token secret: 0 (delete now) or 7-30. Default: 7."
  type        = number
  default     = 7

  validation {
    condition     = var.auth_token_secret_recovery_window_days == 0 || (var.auth_token_secret_recovery_window_days >= 7 && var.auth_token_secret_recovery_window_days <= 30)
    error_message = "auth_token_secret_recovery_window_days must be 0 or from 7 to 30."
  }
}

################################################################################
# Parameter group
################################################################################

variable "engine" {
  description = "Cache engine: \"redis\" or \"valkey\". Default: \"redis\"."
  type        = string
  default     = "redis"

  validation {
    condition     = contains(["redis", "valkey"], var.engine)
    error_message = "engine must be \"redis\" or \"valkey\"."
  }
}

variable "engine_version" {
  description = "Engine version as major.minor (the provider takes no bare major from 7 on): \"7.0\" or \"7.1\" with redis (Redis OSS ends at 7.1), \"7.2\" or 8.x, such as \"8.0\", with valkey. Default: \"7.1\"."
  type        = string
  default     = "7.1"

  validation {
    condition     = can(regex("^(7\\.[0-2]|8\\.[0-9]+)$", var.engine_version))
    error_message = "engine_version must be major.minor: \"7.0\" or \"7.1\" (redis), \"7.2\" or 8.x such as \"8.0\" (valkey)."
  }
}

variable "parameters" {
  description = "Extra engine parameters as name => value; cluster-enabled is set from cluster mode. Default: {}."
  type        = map(string)
  default     = {}
  nullable    = false
}

################################################################################
# Replication group
################################################################################

variable "node_type" {
  description = "Node type, such as \"cache.t3.micro\". Default: \"cache.t3.micro\"."
  type        = string
  default     = "cache.t3.micro"
}

variable "replication" {
  description = <<-EOT
    Topology: cluster_mode (default false), shards (1-500; must be 1 without cluster mode, default 1),
    replicas_per_shard (0-5, default 0), automatic_failover_enabled (default null: on in cluster mode, which requires it,
    and when there is more than one node). Multi-AZ is on when failover is and there is at least one replica per shard.
    Without cluster mode at most 6 nodes, and automatic failover needs at least one replica. Default: {}.
  EOT
  type = object({
    cluster_mode               = optional(bool, false)
    shards                     = optional(number, 1)
    replicas_per_shard         = optional(number, 0)
    automatic_failover_enabled = optional(bool)
  })
  default = {}

  validation {
    condition     = var.replication.replicas_per_shard >= 0 && var.replication.replicas_per_shard <= 5
    error_message = "replication.replicas_per_shard must be from 0 to 5."
  }

  validation {
    condition     = var.replication.shards >= 1 && var.replication.shards <= 500
    error_message = "replication.shards must be from 1 to 500."
  }

  validation {
    condition     = var.replication.cluster_mode || var.replication.shards == 1
    error_message = "replication.shards must be 1 unless cluster_mode is true."
  }

  validation {
    condition     = var.replication.cluster_mode || 1 + var.replication.replicas_per_shard <= 6
    error_message = "A replication group without cluster mode holds at most 6 nodes (1 primary + 5 replicas); enable cluster mode for more."
  }

  validation {
    condition     = var.replication.automatic_failover_enabled != true || var.replication.cluster_mode || var.replication.replicas_per_shard >= 1
    error_message = "replication.automatic_failover_enabled needs at least one replica without cluster mode (a single node cannot fail over); in cluster mode it is always on."
  }

  validation {
    condition     = !var.replication.cluster_mode || var.replication.automatic_failover_enabled != false
    error_message = "Cluster mode requires automatic failover: leave replication.automatic_failover_enabled null or true."
  }
}

variable "apply_immediately" {
  description = "Whether modifications apply now instead of in the maintenance window. Default: false."
  type        = bool
  default     = false
}

variable "maintenance_window" {
  description = "Weekly UTC maintenance window, ddd:hh24:mi-ddd:hh24:mi. Default: \"sun:06:00-sun:07:00\"."
  type        = string
  default     = "sun:06:00-sun:07:00"
}

variable "notification_topic_arn" {
  description = "SNS topic for ElastiCache events; it must not be KMS-encrypted (ElastiCache cannot publish to an encrypted topic and marks the notification inactive): route events to an encrypted topic with an EventBridge rule instead (the monitoring module's forward_cache_events). Default: null (no notifications)."
  type        = string
  default     = null
}

variable "snapshot_retention_limit" {
  description = "Days of automatic snapshots, 0-35 (0 disables). Default: 7."
  type        = number
  default     = 7

  validation {
    condition     = var.snapshot_retention_limit >= 0 && var.snapshot_retention_limit <= 35
    error_message = "snapshot_retention_limit must be from 0 to 35."
  }
}

variable "snapshot_window" {
  description = "Daily UTC snapshot window, hh24:mi-hh24:mi, not overlapping maintenance_window. Default: \"03:00-04:00\"."
  type        = string
  default     = "03:00-04:00"
}

################################################################################
# Log delivery
################################################################################

variable "log_types" {
  description = "Logs delivered to CloudWatch Logs (JSON): \"slow-log\" and/or \"engine-log\". Default: [\"slow-log\"]."
  type        = list(string)
  default     = ["slow-log"]
  nullable    = false

  validation {
    condition     = alltrue([for log_type in var.log_types : contains(["slow-log", "engine-log"], log_type)])
    error_message = "log_types may contain only \"slow-log\" and \"engine-log\"."
  }
}

variable "log_retention_days" {
  description = "Retention in days of the log groups (a CloudWatch Logs retention value). Default: 30."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}
