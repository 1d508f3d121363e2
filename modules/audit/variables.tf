################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create the trail, its bucket and its key. Default: true."
  type        = bool
  default     = true
}

variable "name" {
  description = "Name of the trail and prefix of the bucket (\"<name>-audit-<account id>\") and key alias, such as \"edu-platform-prod\". Required."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 lowercase letters, digits or hyphens, starting with a letter (it is part of an S3 bucket name)."
  }
}

variable "tags" {
  description = "Tags added to every resource. Default: {}."
  type        = map(string)
  default     = {}
  nullable    = false
}

################################################################################
# Trail
################################################################################

variable "multi_region" {
  description = "Whether the trail records every region (one trail per account). Default: true."
  type        = bool
  default     = true
}

################################################################################
# Bucket
################################################################################

variable "retention_days" {
  description = "Days the log files are kept before they expire, 90-3653. Default: 365."
  type        = number
  default     = 365

  validation {
    condition     = var.retention_days >= 90 && var.retention_days <= 3653
    error_message = "retention_days must be from 90 to 3653."
  }
}

variable "archive_after_days" {
  description = "Days after which log files move to S3 Glacier Flexible Retrieval (must be before retention_days). Default: 90."
  type        = number
  default     = 90

  validation {
    condition     = var.archive_after_days >= 30
    error_message = "archive_after_days must be at least 30."
  }
}
