data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  partition   = data.aws_partition.current.partition
  account_id  = data.aws_caller_identity.current.account_id
  trail_arn   = "arn:${local.partition}:cloudtrail:${data.aws_region.current.region}:${local.account_id}:trail/${var.name}"
  bucket_name = "${var.name}-audit-${local.account_id}"
}

################################################################################
# Encryption
################################################################################

# CloudTrail user guide, "Configure AWS KMS key policies for CloudTrail": GenerateDataKey* bound to this
# account's trails by the encryption context, DescribeKey, both limited to this trail by aws:SourceArn.
module "kms" {
  source = "../kms-key"

  create      = var.create
  alias       = "${var.name}-audit"
  description = "CloudTrail log files of ${var.name}"

  service_statements = [
    {
      sid      = "CloudTrailEncryptLogs"
      services = ["cloudtrail.amazonaws.com"]
      actions  = ["kms:GenerateDataKey*"]
      conditions = [
        {
          test     = "StringLike"
          variable = "kms:EncryptionContext:aws:cloudtrail:arn"
          values   = ["arn:${local.partition}:cloudtrail:*:${local.account_id}:trail/*"]
        },
        {
          test     = "StringEquals"
          variable = "aws:SourceArn"
          values   = [local.trail_arn]
        },
      ]
    },
    {
      sid      = "CloudTrailDescribeKey"
      services = ["cloudtrail.amazonaws.com"]
      actions  = ["kms:DescribeKey"]
      conditions = [{
        test     = "StringEquals"
        variable = "aws:SourceArn"
        values   = [local.trail_arn]
      }]
    },
  ]

  tags = var.tags
}

################################################################################
# Bucket
################################################################################

resource "aws_s3_bucket" "this" {
  count = var.create ? 1 : 0

  #checkov:skip=CKV_AWS_18:Access logs of the audit bucket would need another bucket; reads are recorded by the trail's own data events when enabled.
  #checkov:skip=CKV_AWS_144:Cross-region replication of audit logs is an account-level archive decision, not this module's.
  #checkov:skip=CKV2_AWS_62:No consumer of S3 event notifications exists for audit logs.
  bucket = local.bucket_name

  tags = merge(var.tags, { Name = local.bucket_name })
}

resource "aws_s3_bucket_ownership_controls" "this" {
  count = var.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  count = var.create ? 1 : 0

  bucket                  = aws_s3_bucket.this[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  count = var.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  count = var.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = module.kms.key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  count = var.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    id     = "archive-then-expire"
    status = "Enabled"

    filter {}

    transition {
      days          = var.archive_after_days
      storage_class = "GLACIER"
    }

    expiration {
      days = var.retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 30
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  lifecycle {
    precondition {
      condition     = var.archive_after_days < var.retention_days
      error_message = "archive_after_days must be before retention_days."
    }
  }
}

# CloudTrail user guide, "Amazon S3 bucket policy for CloudTrail": GetBucketAcl and PutObject under
# AWSLogs/<account>/, both only for this trail (aws:SourceArn); no other writer, and TLS only.
data "aws_iam_policy_document" "bucket" {
  count = var.create ? 1 : 0

  statement {
    sid       = "CloudTrailAclCheck"
    actions   = ["s3:GetBucketAcl"]
    resources = [aws_s3_bucket.this[0].arn]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }

  statement {
    sid       = "CloudTrailWrite"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.this[0].arn}/AWSLogs/${local.account_id}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this[0].arn, "${aws_s3_bucket.this[0].arn}/*"]

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

resource "aws_s3_bucket_policy" "this" {
  count = var.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id
  policy = data.aws_iam_policy_document.bucket[0].json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

################################################################################
# Trail
################################################################################

resource "aws_cloudtrail" "this" {
  count = var.create ? 1 : 0

  #checkov:skip=CKV_AWS_252:No SNS notification per log file; the trail is read by audits, not by a consumer.
  #checkov:skip=CKV2_AWS_10:The trail writes to S3 only; CloudWatch Logs delivery is not required by the planning documents.
  name                          = var.name
  s3_bucket_name                = aws_s3_bucket.this[0].id
  kms_key_id                    = module.kms.key_arn
  enable_log_file_validation    = true
  is_multi_region_trail         = var.multi_region
  include_global_service_events = true

  tags = var.tags

  depends_on = [aws_s3_bucket_policy.this]
}
