################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create any resource in this module. Default: true."
  type        = bool
  default     = true
}

variable "name" {
  description = "Identifier of the DB instance or Aurora cluster and prefix of every other name, such as \"edu-platform-prod\". Required."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,50}[a-z0-9]$", var.name)) && !strcontains(var.name, "--")
    error_message = "name must be 2-52 lowercase letters, digits or single hyphens, starting with a letter (RDS identifier rules, leaving room for suffixes)."
  }
}

variable "tags" {
  description = "Tags added to every resource. Default: {}."
  type        = map(string)
  default     = {}
  nullable    = false
}

################################################################################
# Engine
################################################################################

variable "engine_mode" {
  description = "\"rds\" (RDS for PostgreSQL instance with read replicas) or \"aurora-serverless\" (Aurora PostgreSQL Serverless v2 cluster). Default: \"rds\"."
  type        = string
  default     = "rds"

  validation {
    condition     = contains(["rds", "aurora-serverless"], var.engine_mode)
    error_message = "engine_mode must be \"rds\" or \"aurora-serverless\"."
  }
}

variable "engine_version" {
  description = "PostgreSQL engine version, major or major.minor (13-17), such as \"15.8\". Default: \"15.8\"."
  type        = string
  default     = "15.8"

  validation {
    condition     = can(regex("^1[3-7](\\.[0-9]+)?$", var.engine_version))
    error_message = "engine_version must be a PostgreSQL version from 13 to 17, such as \"15.8\"."
  }
}

variable "database_name" {
  description = "Name of the database created on the instance/cluster. Default: \"app\"."
  type        = string
  default     = "app"
}

variable "master_username" {
  description = "Master user name; its password is generated and rotated by RDS in Secrets Manager. Default: \"app_admin\"."
  type        = string
  default     = "app_admin"
}

variable "master_user_secret_kms_key_id" {
  description = "KMS key (ARN or ID) for the RDS-managed master user secret. Default: null (the aws/secretsmanager key)."
  type        = string
  default     = null
}

variable "port" {
  description = "Port PostgreSQL listens on. Default: 5432."
  type        = number
  default     = 5432
}

################################################################################
# Network
################################################################################

variable "vpc_id" {
  description = "VPC of the database security group. Required."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnet IDs (two AZs at least) for the DB subnet group. Required."
  type        = list(string)
  nullable    = false
}

variable "allowed_security_group_ids" {
  description = "Client security groups allowed to connect on the database port, as a map of label => security group ID (labels must be known at plan time). Default: {}."
  type        = map(string)
  default     = {}
  nullable    = false
}

################################################################################
# Encryption
################################################################################

variable "create_kms_key" {
  description = "Whether to create a KMS key for storage and Performance Insights encryption when kms_key_arn is null. Default: true."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "KMS key ARN for storage, Performance Insights and log encryption. Default: null (a key created by this module, or the aws/rds key when create_kms_key is false)."
  type        = string
  default     = null
}

################################################################################
# Parameter group
################################################################################

variable "parameter_group_family" {
  description = "Parameter group family. Default: null (postgresNN or aurora-postgresqlNN from engine_version)."
  type        = string
  default     = null
}

variable "parameters" {
  description = "PostgreSQL parameters as name => value. rds.force_ssl = 1 is added unless given. Default: {}."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "static_parameter_names" {
  description = "Parameters that only take effect after a reboot; they get apply_method = \"pending-reboot\", all others \"immediate\". Default: the common PostgreSQL static parameters."
  type        = list(string)
  default = [
    "shared_preload_libraries",
    "max_connections",
    "track_activity_query_size",
    "max_worker_processes",
    "max_parallel_workers",
    "max_wal_senders",
    "max_replication_slots",
    "max_locks_per_transaction",
    "max_prepared_transactions",
    "max_pred_locks_per_transaction",
    "autovacuum_max_workers",
    "shared_buffers",
    "wal_buffers",
    "huge_pages",
    "track_commit_timestamp",
    "rds.logical_replication",
  ]
  nullable = false
}

################################################################################
# Enhanced monitoring
################################################################################

variable "enhanced_monitoring_interval_seconds" {
  description = "Enhanced Monitoring interval in seconds: 0 (off), 1, 5, 10, 15, 30 or 60. Default: 0."
  type        = number
  default     = 0

  validation {
    condition     = contains([0, 1, 5, 10, 15, 30, 60], var.enhanced_monitoring_interval_seconds)
    error_message = "enhanced_monitoring_interval_seconds must be one of 0, 1, 5, 10, 15, 30, 60."
  }
}

variable "create_monitoring_role" {
  description = "Whether to create the Enhanced Monitoring IAM role when enhanced_monitoring_interval_seconds > 0 and monitoring_role_arn is null. Default: true."
  type        = bool
  default     = true
}

variable "monitoring_role_arn" {
  description = "Existing IAM role for Enhanced Monitoring. Default: null (the module's role)."
  type        = string
  default     = null
}

################################################################################
# CloudWatch logs
################################################################################

variable "enabled_cloudwatch_logs_exports" {
  description = "Logs exported to CloudWatch: \"postgresql\" and/or \"upgrade\" (upgrade only for rds). Default: null (rds: [\"postgresql\", \"upgrade\"]; aurora: [\"postgresql\"])."
  type        = list(string)
  default     = null
}

variable "log_retention_days" {
  description = "Retention in days of the postgresql log group the module creates (a CloudWatch Logs retention value). Default: 30."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

################################################################################
# Instance (engine_mode = "rds")
################################################################################

variable "instance_class" {
  description = "Instance class of the primary (and default for replicas), such as \"db.t3.micro\". Default: \"db.t3.micro\"."
  type        = string
  default     = "db.t3.micro"
}

variable "allocated_storage_gb" {
  description = "Initial storage in GiB, 20-65536. Default: 20."
  type        = number
  default     = 20

  validation {
    condition     = var.allocated_storage_gb >= 20 && var.allocated_storage_gb <= 65536
    error_message = "allocated_storage_gb must be between 20 and 65536 GiB."
  }
}

variable "max_allocated_storage_gb" {
  description = "Upper limit in GiB for storage autoscaling (must be at least allocated_storage_gb); 0 disables autoscaling. Default: 100."
  type        = number
  default     = 100

  validation {
    condition     = var.max_allocated_storage_gb == 0 || (var.max_allocated_storage_gb >= 20 && var.max_allocated_storage_gb <= 65536)
    error_message = "max_allocated_storage_gb must be 0 (no autoscaling) or between 20 and 65536 GiB."
  }
}

variable "storage_type" {
  description = "Storage type: \"gp3\", \"gp2\", \"io1\" or \"io2\". Default: \"gp3\"."
  type        = string
  default     = "gp3"

  validation {
    condition     = contains(["gp3", "gp2", "io1", "io2"], var.storage_type)
    error_message = "storage_type must be gp3, gp2, io1 or io2."
  }
}

variable "iops" {
  description = "Provisioned IOPS (gp3 from 400 GiB, io1/io2). Default: null (the storage type's baseline)."
  type        = number
  default     = null
}

variable "storage_throughput" {
  description = "gp3 throughput in MiB/s (from 400 GiB). Default: null (the baseline)."
  type        = number
  default     = null
}

variable "multi_az" {
  description = "Whether the primary instance has a synchronous standby in another AZ. Default: false."
  type        = bool
  default     = false
}

################################################################################
# Read replicas
################################################################################

variable "read_replicas" {
  description = "Number of read replicas (rds: asynchronous replicas of the primary; aurora-serverless: reader instances in the cluster), 0-15. Default: 0."
  type        = number
  default     = 0

  validation {
    condition     = var.read_replicas >= 0 && var.read_replicas <= 15 && floor(var.read_replicas) == var.read_replicas
    error_message = "read_replicas must be a whole number from 0 to 15."
  }
}

variable "replica_instance_class" {
  description = "Instance class of the read replicas (rds mode). Default: null (same as instance_class)."
  type        = string
  default     = null
}

################################################################################
# Aurora Serverless v2 (engine_mode = "aurora-serverless")
################################################################################

variable "serverless_min_acu" {
  description = "Minimum Aurora capacity units, 0-256 in steps of 0.5 (0 lets the cluster pause). Default: 0.5."
  type        = number
  default     = 0.5

  validation {
    condition     = var.serverless_min_acu >= 0 && var.serverless_min_acu <= 256 && floor(var.serverless_min_acu * 2) == var.serverless_min_acu * 2
    error_message = "serverless_min_acu must be from 0 to 256 ACU in steps of 0.5."
  }
}

variable "serverless_max_acu" {
  description = "Maximum Aurora capacity units, 1-256 in steps of 0.5. Default: 128."
  type        = number
  default     = 128

  validation {
    condition     = var.serverless_max_acu >= 1 && var.serverless_max_acu <= 256 && floor(var.serverless_max_acu * 2) == var.serverless_max_acu * 2
    error_message = "serverless_max_acu must be from 1 to 256 ACU in steps of 0.5."
  }
}

################################################################################
# Backups and protection
################################################################################

variable "backup_retention_days" {
  description = "Days of automated backups, 0-35 (read replicas need at least 1). Default: 7."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_days >= 0 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be from 0 to 35 days."
  }
}

variable "backup_window" {
  description = "Daily UTC backup window, hh24:mi-hh24:mi, not overlapping maintenance_window. Default: \"03:00-04:00\"."
  type        = string
  default     = "03:00-04:00"
}

variable "maintenance_window" {
  description = "Weekly UTC maintenance window, ddd:hh24:mi-ddd:hh24:mi. Default: \"sun:05:00-sun:06:00\"."
  type        = string
  default     = "sun:05:00-sun:06:00"
}

variable "skip_final_snapshot" {
  description = "Whether to skip the final snapshot on deletion; false takes one named \"<name>-final-<random hex>\", the suffix kept as long as the identifier. Default: false."
  type        = bool
  default     = false
}

variable "allow_major_version_upgrade" {
  description = "Whether a change of engine_version to a new major version (14 to 15) may be applied; RDS refuses one without it. The parameter group family follows the version (a new group is created first). Default: false."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Whether AWS refuses to delete the instance/cluster. Default: true."
  type        = bool
  default     = true
}

variable "apply_immediately" {
  description = "Whether modifications apply now instead of in the maintenance window. Default: false."
  type        = bool
  default     = false
}

variable "iam_database_authentication_enabled" {
  description = "Whether IAM database authentication is enabled (in addition to the managed password). Default: true."
  type        = bool
  default     = true
}

################################################################################
# Performance Insights
################################################################################

variable "performance_insights" {
  description = "Whether Performance Insights is enabled (encrypted with the module's KMS key). Default: false."
  type        = bool
  default     = false
}

variable "performance_insights_retention_period" {
  description = "Performance Insights retention in days: 7, 731 or a multiple of 31. Default: 7."
  type        = number
  default     = 7

  validation {
    # AWS accepts 7 (free tier), month * 31 for 1-23 months, or 731 (2 years); 0 is not a multiple it takes.
    condition     = contains([7, 731], var.performance_insights_retention_period) || (var.performance_insights_retention_period % 31 == 0 && var.performance_insights_retention_period >= 31 && var.performance_insights_retention_period <= 713)
    error_message = "performance_insights_retention_period must be 7, 731, or a multiple of 31 from 31 to 713."
  }
}

################################################################################
# AWS Backup
################################################################################

variable "aws_backup" {
  description = "Compliance backups through AWS Backup, next to the automated backups: enabled (default false), retention_days (default 30), schedule (default daily at 05:00 UTC, \"cron(0 5 * * ? *)\"). The vault is encrypted with the module's key (or kms_key_arn). Default: {}."
  type = object({
    enabled        = optional(bool, false)
    retention_days = optional(number, 30)
    schedule       = optional(string, "cron(0 5 * * ? *)")
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.aws_backup.retention_days >= 1 && floor(var.aws_backup.retention_days) == var.aws_backup.retention_days
    error_message = "aws_backup.retention_days must be a whole number of days, at least 1."
  }

  validation {
    condition     = can(regex("^cron\\(.+\\)$", var.aws_backup.schedule))
    error_message = "aws_backup.schedule must be a cron expression such as \"cron(0 5 * * ? *)\"."
  }
}
