data "aws_caller_identity" "current" {}

locals {
  buckets = var.create ? var.buckets : {}

  create_kms_key = var.create && var.create_kms_key && var.kms_key_arn == null
  kms_key_arn    = local.create_kms_key ? module.kms.key_arn : var.kms_key_arn

  logged_buckets         = { for name, bucket in local.buckets : name => bucket if bucket.access_logging }
  create_log_bucket      = (length(local.logged_buckets) > 0 || var.load_balancer_access_logs) && var.access_log_bucket_name == null
  access_log_bucket_name = local.create_log_bucket ? aws_s3_bucket.access_logs[0].id : var.access_log_bucket_name

  cors_buckets = { for name, bucket in local.buckets : name => bucket if length(bucket.cors_allowed_origins) > 0 }
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
  #checkov:skip=CKV_AWS_18:Access logging is per bucket (access_logging); it goes to the module's log bucket when on.
  #checkov:skip=CKV2_AWS_62:No consumer of S3 event notifications exists yet.
  #checkov:skip=CKV_AWS_21:Versioning is per bucket (versioning); buckets of regenerable data do not keep versions.
  bucket        = "${var.name_prefix}-${each.key}"
  force_destroy = each.value.force_destroy

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}" })
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
    status = each.value.versioning ? "Enabled" : "Suspended"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = local.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

data "aws_iam_policy_document" "bucket" {
  for_each = local.buckets

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this[each.key].arn, "${aws_s3_bucket.this[each.key].arn}/*"]

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
    resources = [aws_s3_bucket.this[each.key].arn, "${aws_s3_bucket.this[each.key].arn}/*"]

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

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  dynamic "rule" {
    for_each = each.value.lifecycle

    content {
      id     = rule.value.id
      status = "Enabled"

      filter {
        prefix = rule.value.prefix
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

resource "aws_s3_bucket" "access_logs" {
  count = local.create_log_bucket ? 1 : 0

  #checkov:skip=CKV_AWS_144:Cross-region replication is not required for access logs.
  #checkov:skip=CKV_AWS_18:This is the access log bucket; logging it into itself would loop.
  #checkov:skip=CKV2_AWS_62:No consumer of S3 event notifications exists for access logs.
  #checkov:skip=CKV_AWS_21:Access log objects are written once and expire; versions add nothing.
  #checkov:skip=CKV_AWS_145:S3 server access logging only delivers to buckets encrypted with SSE-S3.
  bucket = "${var.name_prefix}-access-logs"

  tags = merge(var.tags, { Name = "${var.name_prefix}-access-logs" })
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  count = local.create_log_bucket ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  count = local.create_log_bucket ? 1 : 0

  bucket                  = aws_s3_bucket.access_logs[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  count = local.create_log_bucket ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  count = local.create_log_bucket ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = var.access_log_retention_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }
}

# Load balancers of regions older than August 2022 deliver as the regional ELB account, newer ones as the
# log delivery service (ELB user guide, "Enable access logs for your Application Load Balancer").
data "aws_elb_service_account" "this" {
  count = local.create_log_bucket && var.load_balancer_access_logs ? 1 : 0
}

data "aws_iam_policy_document" "access_logs" {
  count = local.create_log_bucket ? 1 : 0

  dynamic "statement" {
    for_each = var.load_balancer_access_logs ? { account = "AWS", service = "Service" } : {}

    content {
      sid       = "LoadBalancerAccessLogs${title(statement.key)}"
      actions   = ["s3:PutObject"]
      resources = ["${aws_s3_bucket.access_logs[0].arn}/*/AWSLogs/${data.aws_caller_identity.current.account_id}/*"]

      principals {
        type        = statement.value
        identifiers = [statement.key == "account" ? data.aws_elb_service_account.this[0].arn : "logdelivery.elasticloadbalancing.amazonaws.com"]
      }
    }
  }

  statement {
    sid       = "S3ServerAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs[0].arn}/*"]

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

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.access_logs[0].arn, "${aws_s3_bucket.access_logs[0].arn}/*"]

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
}

resource "aws_s3_bucket_policy" "access_logs" {
  count = local.create_log_bucket ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id
  policy = data.aws_iam_policy_document.access_logs[0].json

  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}

resource "aws_s3_bucket_logging" "this" {
  for_each = local.logged_buckets

  bucket        = aws_s3_bucket.this[each.key].id
  target_bucket = local.access_log_bucket_name
  target_prefix = "${each.key}/"
}
