data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

locals {
  requested = var.create ? var.buckets : {}

  # A conditional, not `&&`: kms_key_arn may be unknown at plan (a key made by the caller) when create_kms_key is off.
  create_kms_key = var.create_kms_key ? var.create && var.kms_key_arn == null : false
  kms_key_arn    = local.create_kms_key ? module.kms.key_arn : var.kms_key_arn

  logged_buckets    = { for key, bucket in local.requested : key => bucket if bucket.access_logging }
  create_log_bucket = var.create && (length(local.logged_buckets) > 0 || var.load_balancer_access_logs) && var.access_log_bucket_name == null
  log_key           = "access-logs"

  # ELB user guide, "Enable access logs for your Application Load Balancer": regions available before August 2022
  # deliver as a regional ELB account, the newer ones only as the log delivery service; the provider's
  # aws_elb_service_account knows the former and fails the plan anywhere else.
  elb_account_regions = [
    "af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-southeast-1",
    "ap-southeast-2", "ap-southeast-3", "ca-central-1", "cn-north-1", "cn-northwest-1", "eu-central-1", "eu-north-1",
    "eu-south-1", "eu-west-1", "eu-west-2", "eu-west-3", "me-south-1", "sa-east-1", "us-east-1", "us-east-2",
    "us-gov-east-1", "us-gov-west-1", "us-west-1", "us-west-2",
  ]
  elb_account = local.create_log_bucket && var.load_balancer_access_logs && contains(local.elb_account_regions, data.aws_region.current.region)

  # Every bucket, the access-log bucket included, in one shape; each gets the same hardening below.
  buckets = merge(
    { for key, bucket in local.requested : key => {
      name                 = coalesce(bucket.name, "${var.name_prefix}-${key}")
      encryption           = bucket.encryption
      versioning           = bucket.versioning ? "Enabled" : "Suspended"
      lifecycle            = bucket.lifecycle
      cors_allowed_origins = bucket.cors_allowed_origins
      force_destroy        = bucket.force_destroy
    } },
    local.create_log_bucket ? {
      (local.log_key) = {
        name = "${var.name_prefix}-access-logs"
        # S3 server access logging and ELB deliver only to buckets encrypted with SSE-S3.
        encryption = "SSE-S3"
        # Log objects are written once and expire: the bucket stays unversioned ("Disabled" records that, no API call).
        versioning = "Disabled"
        lifecycle = [{
          id                                     = "expire-access-logs"
          prefix                                 = ""
          transitions                            = []
          expiration_days                        = var.access_log_retention_days
          noncurrent_expiration_days             = null
          abort_incomplete_multipart_upload_days = var.abort_incomplete_multipart_upload_days
        }]
        cors_allowed_origins = []
        # Unset (the provider's default, false), as this bucket always had it.
        force_destroy = null
      }
    } : {},
  )

  # A bucket whose whole-bucket rules do not abort incomplete multipart uploads gets a rule that does.
  lifecycle_rules = { for key, bucket in local.buckets : key => concat(
    anytrue([for rule in bucket.lifecycle : rule.prefix == "" && rule.abort_incomplete_multipart_upload_days != null]) ? [] : [{
      id                                     = "abort-incomplete-multipart-uploads"
      prefix                                 = ""
      transitions                            = []
      expiration_days                        = null
      noncurrent_expiration_days             = null
      abort_incomplete_multipart_upload_days = var.abort_incomplete_multipart_upload_days
    }],
    bucket.lifecycle,
  ) }

  # ARNs from names: the policies are known at plan time and never wait for a change to a bucket resource.
  bucket_arns = { for key, bucket in local.buckets : key => "arn:${data.aws_partition.current.partition}:s3:::${bucket.name}" }

  policy_documents = merge(
    { for key, bucket in local.requested : key => bucket.policy_documents },
    local.create_log_bucket ? { (local.log_key) = [data.aws_iam_policy_document.access_logs[0].json] } : {},
  )

  access_log_bucket_name = local.create_log_bucket ? aws_s3_bucket.this[local.log_key].id : var.access_log_bucket_name
  cors_buckets           = { for key, bucket in local.requested : key => bucket if length(bucket.cors_allowed_origins) > 0 }
}

################################################################################
# Encryption
################################################################################

# S3 and the application use the key through IAM (the account statement); no service principal needs it.
module "kms" {
  source = "../kms-key"

  create      = local.create_kms_key
  alias       = "${var.name_prefix}-s3"
  description = "SSE-KMS of the ${var.name_prefix} buckets"

  tags = var.tags
}

################################################################################
# Buckets
################################################################################

resource "aws_s3_bucket" "this" {
  for_each = local.buckets

  #checkov:skip=CKV_AWS_144:Cross-region replication is not required for these buckets.
  #checkov:skip=CKV_AWS_18:Access logging is per bucket (access_logging); the access-log bucket would log into itself.
  #checkov:skip=CKV2_AWS_62:No consumer of S3 event notifications exists yet.
  #checkov:skip=CKV_AWS_21:Versioning is per bucket (versioning); regenerable data and access logs keep no versions.
  #checkov:skip=CKV_AWS_145:Encryption is per bucket (encryption); the access-log bucket is SSE-S3, the only one S3 and ELB log delivery accept.
  bucket        = each.value.name
  force_destroy = each.value.force_destroy

  tags = merge(var.tags, { Name = each.value.name })

  lifecycle {
    # "<name_prefix>-<key>" can reach 75 characters (32 + 1 + 42) with each part within its own rule.
    precondition {
      condition     = length(each.value.name) <= 63
      error_message = "Bucket \"${each.key}\" would be named \"${each.value.name}\" (${length(each.value.name)} characters): S3 bucket names are at most 63. Shorten name_prefix or the key, or set the bucket's name."
    }
  }
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = local.buckets

  bucket                  = aws_s3_bucket.this[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  versioning_configuration {
    status = each.value.versioning
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = each.value.encryption == "SSE-KMS" ? "aws:kms" : "AES256"
      kms_master_key_id = each.value.encryption == "SSE-KMS" ? local.kms_key_arn : null
    }
    bucket_key_enabled = each.value.encryption == "SSE-KMS" ? true : null
  }
}

# The caller's statements (policy_documents) first, then TLS only, TLS 1.2 or newer, for every bucket.
data "aws_iam_policy_document" "bucket" {
  for_each = local.buckets

  source_policy_documents = local.policy_documents[each.key]

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [local.bucket_arns[each.key], "${local.bucket_arns[each.key]}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "DenyOutdatedTls"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [local.bucket_arns[each.key], "${local.bucket_arns[each.key]}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id
  policy = data.aws_iam_policy_document.bucket[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  dynamic "rule" {
    for_each = local.lifecycle_rules[each.key]

    content {
      id     = rule.value.id
      status = "Enabled"

      # The whole bucket is an empty filter (a null prefix), as S3 returns it.
      filter {
        prefix = rule.value.prefix == "" ? null : rule.value.prefix
      }

      dynamic "transition" {
        for_each = rule.value.transitions

        content {
          days          = transition.value.days
          storage_class = transition.value.storage_class
        }
      }

      dynamic "expiration" {
        for_each = rule.value.expiration_days != null ? [rule.value.expiration_days] : []

        content {
          days = expiration.value
        }
      }

      dynamic "noncurrent_version_expiration" {
        for_each = rule.value.noncurrent_expiration_days != null ? [rule.value.noncurrent_expiration_days] : []

        content {
          noncurrent_days = noncurrent_version_expiration.value
        }
      }

      dynamic "abort_incomplete_multipart_upload" {
        for_each = rule.value.abort_incomplete_multipart_upload_days != null ? [rule.value.abort_incomplete_multipart_upload_days] : []

        content {
          days_after_initiation = abort_incomplete_multipart_upload.value
        }
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_cors_configuration" "this" {
  for_each = local.cors_buckets

  bucket = aws_s3_bucket.this[each.key].id

  cors_rule {
    allowed_origins = each.value.cors_allowed_origins
    allowed_methods = var.cors_allowed_methods
    allowed_headers = ["*"]
    expose_headers  = ["ETag"]
    max_age_seconds = 3000
  }
}

################################################################################
# Access logging
################################################################################

# Load balancers of regions older than August 2022 deliver as the regional ELB account, newer ones as the
# log delivery service (local.elb_account_regions).
data "aws_elb_service_account" "this" {
  count = local.elb_account ? 1 : 0
}

# The log bucket's own statements, joined with the hardening of every bucket.
data "aws_iam_policy_document" "access_logs" {
  count = local.create_log_bucket ? 1 : 0

  dynamic "statement" {
    for_each = var.load_balancer_access_logs ? merge(local.elb_account ? { account = "AWS" } : {}, { service = "Service" }) : {}

    content {
      sid       = "LoadBalancerAccessLogs${title(statement.key)}"
      actions   = ["s3:PutObject"]
      resources = ["${local.bucket_arns[local.log_key]}/*/AWSLogs/${data.aws_caller_identity.current.account_id}/*"]

      principals {
        type        = statement.value
        identifiers = [statement.key == "account" ? data.aws_elb_service_account.this[0].arn : "logdelivery.elasticloadbalancing.amazonaws.com"]
      }
    }
  }

  # S3 user guide, "Enabling Amazon S3 server access logging": the logging service principal, from this account.
  statement {
    sid       = "S3ServerAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["${local.bucket_arns[local.log_key]}/*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_s3_bucket_logging" "this" {
  for_each = local.logged_buckets

  bucket        = aws_s3_bucket.this[each.key].id
  target_bucket = local.access_log_bucket_name
  target_prefix = "${each.key}/"
}

################################################################################
# Earlier addresses
################################################################################

# The access-log bucket was written apart (count) before it joined the buckets' for_each.
moved {
  from = aws_s3_bucket.access_logs[0]
  to   = aws_s3_bucket.this["access-logs"]
}

moved {
  from = aws_s3_bucket_ownership_controls.access_logs[0]
  to   = aws_s3_bucket_ownership_controls.this["access-logs"]
}

moved {
  from = aws_s3_bucket_public_access_block.access_logs[0]
  to   = aws_s3_bucket_public_access_block.this["access-logs"]
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.access_logs[0]
  to   = aws_s3_bucket_server_side_encryption_configuration.this["access-logs"]
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.access_logs[0]
  to   = aws_s3_bucket_lifecycle_configuration.this["access-logs"]
}

moved {
  from = aws_s3_bucket_policy.access_logs[0]
  to   = aws_s3_bucket_policy.this["access-logs"]
}
