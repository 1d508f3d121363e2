################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create any resource in this module. Default: true."
  type        = bool
  default     = true
}

variable "name" {
  description = "Name of the Lambda function and prefix of its role, security group and log group, such as \"edu-platform-prod-migrations\". Required."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.name))
    error_message = "name must be 1-64 letters, digits, hyphens or underscores (Lambda function name rules)."
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
  description = "VPC of the function's security group. Required."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets the function runs in. Required."
  type        = list(string)
  nullable    = false
}

variable "create_security_group" {
  description = "Whether the module creates the function's security group; false: the function uses security_group_id (a group the caller made first, so a database created before this module can let it in). Default: true."
  type        = bool
  default     = true
  nullable    = false
}

variable "security_group_id" {
  description = "The function's security group when create_security_group is false (the module adds its egress rules). Default: null."
  type        = string
  default     = null
}

variable "database_security_group_id" {
  description = "Security group of the database: the only egress besides HTTPS to Secrets Manager. Required."
  type        = string
}

variable "database_port" {
  description = "Port of the database. Default: 5432."
  type        = number
  default     = 5432
}

variable "use_secretsmanager_endpoint" {
  description = "true: HTTPS egress goes only to secretsmanager_endpoint_security_group_id (an interface endpoint); false: to https_egress_cidr_blocks. Default: true."
  type        = bool
  default     = true
}

variable "secretsmanager_endpoint_security_group_id" {
  description = "Security group of the Secrets Manager interface endpoint (used when use_secretsmanager_endpoint is true). Default: null."
  type        = string
  default     = null
}

variable "https_egress_cidr_blocks" {
  description = "IPv4 ranges reachable over HTTPS when use_secretsmanager_endpoint is false (for example [\"0.0.0.0/0\"] through NAT). Default: []."
  type        = list(string)
  default     = []
  nullable    = false
}

################################################################################
# Logging and tracing
################################################################################

variable "log_retention_days" {
  description = "Retention in days of /aws/lambda/<name> (a CloudWatch Logs retention value). Default: 30."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key ARN encrypting the log group (its policy must allow CloudWatch Logs). Default: null (CloudWatch Logs' own encryption)."
  type        = string
  default     = null
}

variable "tracing_mode" {
  description = "X-Ray tracing mode: \"Active\" or \"PassThrough\". Default: \"Active\"."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough."
  }
}

################################################################################
# IAM
################################################################################

variable "database_secret_arn" {
  description = "ARN of the database credentials secret; the function may read this secret and nothing else. Required."
  type        = string
}

variable "database_secret_kms_key_arn" {
  description = "Customer-managed KMS key of the secret (kms:Decrypt is granted on it). Default: null (aws/secretsmanager)."
  type        = string
  default     = null
}

################################################################################
# Function
################################################################################

variable "filename" {
  description = "Path of the deployment package zip (the toolkit's migration runner with its dependencies). Required."
  type        = string
}

variable "source_code_hash" {
  description = "Base64 SHA-256 of the package, which triggers updates. Default: null (filebase64sha256(filename))."
  type        = string
  default     = null
}

variable "handler" {
  description = "Python handler of the migration runner. Default: \"toolkit.db.lambda_handler.handler\"."
  type        = string
  default     = "toolkit.db.lambda_handler.handler"
}

variable "runtime" {
  description = "Lambda runtime: \"python3.12\" or \"python3.13\". Default: \"python3.12\"."
  type        = string
  default     = "python3.12"

  validation {
    condition     = contains(["python3.12", "python3.13"], var.runtime)
    error_message = "runtime must be python3.12 or python3.13."
  }
}

variable "architecture" {
  description = "Instruction set: \"x86_64\" or \"arm64\" (must match the package's compiled dependencies). Default: \"x86_64\"."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "memory_size" {
  description = "Memory in MB, 128-10240. Default: 512."
  type        = number
  default     = 512

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be from 128 to 10240 MB."
  }
}

variable "timeout" {
  description = "Timeout in seconds, 1-900. Default: 300."
  type        = number
  default     = 300

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "timeout must be from 1 to 900 seconds."
  }
}

variable "reserved_concurrent_executions" {
  description = "Concurrent executions reserved (and capped); 1 keeps two migration runs from racing (the runner also takes an advisory lock). Default: 1."
  type        = number
  default     = 1
}

variable "environment_variables" {
  description = "Environment variables of the function, such as the database host and secret ARN (never secret values). Default: {}."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "kms_key_arn" {
  description = "KMS key encrypting the environment variables. Default: null (the aws/lambda key)."
  type        = string
  default     = null
}
