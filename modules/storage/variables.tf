################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create any resource in this module. Default: true."
  type        = bool
  default     = true
}

variable "name_prefix" {
  description = "Prefix of the bucket names a bucket does not set (a bucket \"uploads\" becomes \"<name_prefix>-uploads\"; S3 names are global, so include project and environment), of the access-log bucket and of the KMS key alias. Required."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 lowercase letters, digits or hyphens, starting and ending with a letter or digit."
  }
}

variable "tags" {
  description = "Tags added to every resource. Default: {}."
  type        = map(string)
  default     = {}
  nullable    = false
}

################################################################################
# Encryption
################################################################################

variable "create_kms_key" {
  description = "Whether to create a KMS key for SSE-KMS when kms_key_arn is null. Default: true."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "KMS key ARN for SSE-KMS. Default: null (the module's key, or the aws/s3 key when create_kms_key is false)."
  type        = string
  default     = null
}

################################################################################
# Buckets
################################################################################

variable "buckets" {
  description = <<-EOT
    Buckets by short name (3-42 lowercase letters, digits, hyphens; "access-logs" is the module's own log bucket). Each:
    name (default "<name_prefix>-<key>"); encryption "SSE-KMS" (the module's key or kms_key_arn, with a bucket key) or
    "SSE-S3" (default "SSE-KMS"); versioning (default false); lifecycle, a list of rules { id, prefix (default "" = the
    whole bucket), transitions [{ days, storage_class }] (default []), expiration_days, noncurrent_expiration_days,
    abort_incomplete_multipart_upload_days (each default null) }; cors_allowed_origins (default [] = no CORS);
    access_logging (default false); force_destroy (default false); policy_documents, IAM policy documents (JSON) whose
    statements join the bucket policy through source_policy_documents, after them the TLS-only and TLS 1.2 denies
    (sids must be unique; default []). A bucket none of whose whole-bucket rules aborts incomplete multipart uploads
    gets the rule "abort-incomplete-multipart-uploads" (an id no rule of `buckets` may use). Rule ids are unique per
    bucket and every rule has at least one action. STANDARD_IA/ONEZONE_IA transitions need day 30 or later. A bucket's
    name, given or made from the prefix and the key, is at most 63 characters. Default: {}.
  EOT
  type = map(object({
    name       = optional(string)
    encryption = optional(string, "SSE-KMS")
    versioning = optional(bool, false)
    lifecycle = optional(list(object({
      id     = string
      prefix = optional(string, "")
      transitions = optional(list(object({
        days          = number
        storage_class = string
      })), [])
      expiration_days                        = optional(number)
      noncurrent_expiration_days             = optional(number)
      abort_incomplete_multipart_upload_days = optional(number)
    })), [])
    cors_allowed_origins = optional(list(string), [])
    access_logging       = optional(bool, false)
    force_destroy        = optional(bool, false)
    policy_documents     = optional(list(string), [])
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for name in keys(var.buckets) : can(regex("^[a-z0-9][a-z0-9-]{1,40}[a-z0-9]$", name))])
    error_message = "Bucket keys must be 3-42 lowercase letters, digits or hyphens, starting and ending with a letter or digit."
  }

  validation {
    condition     = !contains(keys(var.buckets), "access-logs")
    error_message = "The bucket key \"access-logs\" is reserved for the module's own access-log bucket: use another key."
  }

  validation {
    # S3 bucket naming rules: 3-63 lowercase letters, digits, dots, hyphens, a letter or digit at each end.
    condition     = alltrue([for bucket in values(var.buckets) : bucket.name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", bucket.name))])
    error_message = "A bucket's name must be 3-63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit."
  }

  validation {
    condition     = alltrue([for bucket in values(var.buckets) : contains(["SSE-KMS", "SSE-S3"], bucket.encryption)])
    error_message = "A bucket's encryption must be \"SSE-KMS\" or \"SSE-S3\"."
  }

  validation {
    condition     = alltrue(flatten([for bucket in values(var.buckets) : [for rule in bucket.lifecycle : coalesce(rule.abort_incomplete_multipart_upload_days, 1) >= 1]]))
    error_message = "Lifecycle abort_incomplete_multipart_upload_days must be at least 1."
  }

  validation {
    condition = alltrue(flatten([for bucket in values(var.buckets) : [for rule in bucket.lifecycle : [
      for transition in rule.transitions : contains(["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"], transition.storage_class)
    ]]]))
    error_message = "Transition storage_class must be STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER or DEEP_ARCHIVE."
  }

  validation {
    condition = alltrue(flatten([for bucket in values(var.buckets) : [for rule in bucket.lifecycle : [
      for transition in rule.transitions : transition.days >= 30 if contains(["STANDARD_IA", "ONEZONE_IA"], transition.storage_class)
    ]]]))
    error_message = "S3 accepts STANDARD_IA and ONEZONE_IA transitions from day 30 only."
  }

  validation {
    condition = alltrue(flatten([for bucket in values(var.buckets) : [for rule in bucket.lifecycle : [
      for index, transition in rule.transitions : transition.days > try(rule.transitions[index - 1].days, -1)
    ]]]))
    error_message = "Lifecycle transitions must be listed in increasing order of days."
  }

  validation {
    condition = alltrue(flatten([for bucket in values(var.buckets) : [for rule in bucket.lifecycle : [
      for index, transition in rule.transitions : transition.days >= try(rule.transitions[index - 1].days, 0) + 30
      if contains(["STANDARD_IA", "ONEZONE_IA"], try(rule.transitions[index - 1].storage_class, ""))
    ]]]))
    error_message = "Objects must stay 30 days in STANDARD_IA/ONEZONE_IA before the next transition."
  }

  validation {
    condition = alltrue(flatten([for bucket in values(var.buckets) : [for rule in bucket.lifecycle :
      rule.expiration_days == null ? true : (rule.expiration_days >= 1 && alltrue([for transition in rule.transitions : rule.expiration_days > transition.days]))
    ]]))
    error_message = "Lifecycle expiration_days must be at least 1 and after every transition of the rule."
  }

  validation {
    condition     = alltrue(flatten([for bucket in values(var.buckets) : [for rule in bucket.lifecycle : can(regex("^[A-Za-z0-9._-]{1,255}$", rule.id))]]))
    error_message = "Lifecycle rule ids must be 1-255 letters, digits, dots, underscores or hyphens."
  }

  validation {
    # S3 refuses a configuration that repeats a rule id ("Rule ID must be unique").
    condition     = alltrue([for bucket in values(var.buckets) : length(distinct(bucket.lifecycle[*].id)) == length(bucket.lifecycle)])
    error_message = "Lifecycle rule ids must be unique within a bucket."
  }

  validation {
    condition     = !contains(flatten([for bucket in values(var.buckets) : bucket.lifecycle[*].id]), "abort-incomplete-multipart-uploads")
    error_message = "The lifecycle rule id \"abort-incomplete-multipart-uploads\" is the module's own (the rule it adds to a bucket none of whose whole-bucket rules aborts incomplete multipart uploads): use another id."
  }

  validation {
    # S3: "At least one action needs to be specified in a rule".
    condition = alltrue(flatten([for bucket in values(var.buckets) : [for rule in bucket.lifecycle :
      length(rule.transitions) > 0 || rule.expiration_days != null || rule.noncurrent_expiration_days != null || rule.abort_incomplete_multipart_upload_days != null
    ]]))
    error_message = "Every lifecycle rule needs an action: transitions, expiration_days, noncurrent_expiration_days or abort_incomplete_multipart_upload_days."
  }
}

variable "cors_allowed_methods" {
  description = "HTTP methods allowed by the CORS rule of buckets with cors_allowed_origins. Default: [\"GET\", \"PUT\", \"POST\", \"HEAD\"]."
  type        = list(string)
  default     = ["GET", "PUT", "POST", "HEAD"]
  nullable    = false
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which incomplete multipart uploads are aborted, in every bucket, at least 1. Default: 7."
  type        = number
  default     = 7
  nullable    = false

  validation {
    # S3 API AbortIncompleteMultipartUpload: DaysAfterInitiation is a positive integer.
    condition     = var.abort_incomplete_multipart_upload_days >= 1 && floor(var.abort_incomplete_multipart_upload_days) == var.abort_incomplete_multipart_upload_days
    error_message = "abort_incomplete_multipart_upload_days must be a whole number of days, at least 1."
  }
}

################################################################################
# Access logging
################################################################################

variable "load_balancer_access_logs" {
  description = "Whether the access-log bucket (created here) also takes load balancer access logs (ELB delivery under <prefix>/AWSLogs/<account>/; SSE-S3, as ELB requires). Default: false."
  type        = bool
  default     = false
}

variable "access_log_bucket_name" {
  description = "Existing bucket receiving server access logs of buckets with access_logging = true. Default: null (the module creates \"<name_prefix>-access-logs\" when a bucket needs it)."
  type        = string
  default     = null
}

variable "access_log_retention_days" {
  description = "Days the module's access log bucket keeps logs. Default: 90."
  type        = number
  default     = 90
}
