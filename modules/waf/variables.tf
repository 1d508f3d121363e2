################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create any resource in this module. Default: true."
  type        = bool
  default     = true
}

variable "name" {
  description = "Name of the web ACL and prefix of its metrics and log group. Required."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,110}$", var.name))
    error_message = "name must be 1-110 letters, digits, hyphens or underscores."
  }
}

variable "tags" {
  description = "Tags added to every resource. Default: {}."
  type        = map(string)
  default     = {}
  nullable    = false
}

################################################################################
# Web ACL
################################################################################

variable "scope" {
  description = "\"REGIONAL\" (associated with resource_arn, such as the load balancer) or \"CLOUDFRONT\" (given to a distribution as its web_acl_id; the provider of this module must be in us-east-1). Behind CloudFront a regional ACL would see CloudFront's addresses, so the per-IP and geo rules belong on the CLOUDFRONT ACL. Default: \"REGIONAL\"."
  type        = string
  default     = "REGIONAL"

  validation {
    condition     = contains(["REGIONAL", "CLOUDFRONT"], var.scope)
    error_message = "scope must be \"REGIONAL\" or \"CLOUDFRONT\"."
  }
}

variable "default_action" {
  description = "Action for requests no rule blocks: \"allow\" or \"block\". Default: \"allow\"."
  type        = string
  default     = "allow"

  validation {
    condition     = contains(["allow", "block"], var.default_action)
    error_message = "default_action must be \"allow\" or \"block\"."
  }
}

variable "allowed_countries" {
  description = "ISO 3166 alpha-2 country codes allowed through; requests from any other country are blocked. An empty list turns the geo rule off. Default: [\"BR\"]."
  type        = list(string)
  default     = ["BR"]
  nullable    = false

  validation {
    condition     = alltrue([for country in var.allowed_countries : can(regex("^[A-Z]{2}$", country))])
    error_message = "allowed_countries must hold two-letter upper-case ISO country codes, such as \"BR\"."
  }
}

variable "rate_limit" {
  description = "Requests one IP may send per evaluation window before it is blocked, 10-2000000000. Default: 100."
  type        = number
  default     = 100

  validation {
    condition     = var.rate_limit >= 10 && var.rate_limit <= 2000000000 && floor(var.rate_limit) == var.rate_limit
    error_message = "rate_limit must be a whole number from 10 to 2000000000 (WAFv2 rejects lower limits)."
  }
}

variable "rate_limit_window_seconds" {
  description = "Evaluation window of the rate-based rule in seconds: 60, 120, 300 or 600. Default: 60."
  type        = number
  default     = 60

  validation {
    condition     = contains([60, 120, 300, 600], var.rate_limit_window_seconds)
    error_message = "rate_limit_window_seconds must be 60, 120, 300 or 600 (the WAFv2 evaluation windows)."
  }
}

variable "managed_rule_groups" {
  description = "AWS managed rule groups by name: priority (unique, above 1), vendor_name (default \"AWS\"), override_action (\"none\" to use the group's actions or \"count\" to only count; default \"none\"), count_rules (rules of the group only counted; default []), inspection_level (Bot Control: \"COMMON\" or \"TARGETED\"; default null). Default: the Common (includes XSS; its SizeRestrictions_BODY only counted, the large_body rule decides instead), SQLi, Known bad inputs and Bot Control (COMMON; SignalNonBrowserUserAgent and CategoryHttpLibrary only counted, so mobile apps and API clients get through) rule sets."
  type = map(object({
    priority         = number
    vendor_name      = optional(string, "AWS")
    override_action  = optional(string, "none")
    count_rules      = optional(list(string), [])
    inspection_level = optional(string)
  }))
  default = {
    # SizeRestrictions_BODY blocks every body over 8 KB (uploads, export POSTs): counted, see large_body.
    AWSManagedRulesCommonRuleSet         = { priority = 10, count_rules = ["SizeRestrictions_BODY"] }
    AWSManagedRulesSQLiRuleSet           = { priority = 20 }
    AWSManagedRulesKnownBadInputsRuleSet = { priority = 30 }
    # These two block every client that is not a browser (the mobile app, API clients): counted.
    AWSManagedRulesBotControlRuleSet = { priority = 40, inspection_level = "COMMON", count_rules = ["SignalNonBrowserUserAgent", "CategoryHttpLibrary"] }
  }
  nullable = false

  validation {
    condition     = alltrue([for group in values(var.managed_rule_groups) : contains(["none", "count"], group.override_action)])
    error_message = "managed_rule_groups[*].override_action must be \"none\" or \"count\"."
  }

  validation {
    condition     = alltrue([for group in values(var.managed_rule_groups) : group.priority > 2])
    error_message = "managed_rule_groups[*].priority must be above 2 (0, 1 and 2 are the geo, rate and large-body rules)."
  }

  validation {
    condition     = length(distinct([for group in values(var.managed_rule_groups) : group.priority])) == length(var.managed_rule_groups)
    error_message = "managed_rule_groups priorities must be unique."
  }

  validation {
    condition     = alltrue([for group in values(var.managed_rule_groups) : group.inspection_level == null || contains(["COMMON", "TARGETED"], coalesce(group.inspection_level, "COMMON"))])
    error_message = "managed_rule_groups[*].inspection_level must be \"COMMON\" or \"TARGETED\"."
  }
}

variable "large_body" {
  description = "The scoped replacement of the Common rule set's 8 KB body limit: bodies over max_bytes (default 8192, the most an ALB lets WAF inspect) are blocked except on URI paths starting with one of allowed_path_prefixes (default [\"/api/uploads\", \"/api/exports\"]); enabled (default true). Default: {}."
  type = object({
    enabled               = optional(bool, true)
    max_bytes             = optional(number, 8192)
    allowed_path_prefixes = optional(list(string), ["/api/uploads", "/api/exports"])
  })
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for prefix in var.large_body.allowed_path_prefixes : can(regex("^/[A-Za-z0-9/._~-]*$", prefix))])
    error_message = "large_body.allowed_path_prefixes must be URI paths starting with / (letters, digits, / . _ ~ -)."
  }

  validation {
    condition     = var.large_body.max_bytes >= 0
    error_message = "large_body.max_bytes must not be negative."
  }
}

################################################################################
# Association
################################################################################

variable "create_association" {
  description = "Whether to associate the web ACL with resource_arn (REGIONAL scope only; CloudFront takes the ACL's ARN as web_acl_id). Default: true."
  type        = bool
  default     = true
}

variable "resource_arn" {
  description = "ARN of the regional resource to protect (the application load balancer). Default: null (no association)."
  type        = string
  default     = null
}

################################################################################
# Logging
################################################################################

variable "log_retention_days" {
  description = "Retention in days of the aws-waf-logs-<name> log group (a CloudWatch Logs retention value). Default: 30."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key ARN encrypting the WAF log group (its policy must allow CloudWatch Logs). Default: null (CloudWatch Logs' own encryption)."
  type        = string
  default     = null
}

variable "redacted_headers" {
  description = "Request headers replaced by REDACTED in the logs (lower case). Default: [\"authorization\", \"cookie\"]."
  type        = list(string)
  default     = ["authorization", "cookie"]
  nullable    = false
}
