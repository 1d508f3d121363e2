################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create the key, its alias and its policy. Default: true."
  type        = bool
  default     = true
}

variable "alias" {
  description = "Alias name without the \"alias/\" prefix, such as \"edu-platform-prod-db\". Required."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9/_-]{1,250}$", var.alias)) && !startswith(var.alias, "aws/")
    error_message = "alias must be 1-250 letters, digits, /, _ or - and must not start with \"aws/\" (reserved for AWS managed keys)."
  }
}

variable "description" {
  description = "Description of the key: what it encrypts. Required."
  type        = string
}

variable "tags" {
  description = "Tags added to the key. Default: {}."
  type        = map(string)
  default     = {}
  nullable    = false
}

################################################################################
# Key policy
################################################################################

variable "log_group_names" {
  description = "Names (or name patterns with * and ?) of the CloudWatch Logs log groups this key may encrypt: the regional logs.<region>.amazonaws.com principal gets the key only for them, through the kms:EncryptionContext:aws:logs:arn condition. Default: [] (no CloudWatch Logs statement)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "service_statements" {
  description = "Further key policy statements for AWS service principals, each { sid, services (principals), actions, conditions = [{ test, variable, values }] }. Default: []."
  type = list(object({
    sid      = string
    services = list(string)
    actions  = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  default  = []
  nullable = false
}

################################################################################
# Key
################################################################################

variable "deletion_window_in_days" {
  description = "Days between scheduling the key's deletion and its deletion, 7-30. Default: 30."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be from 7 to 30."
  }
}
