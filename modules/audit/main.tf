data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  partition   = data.aws_partition.current.partition
  account_id  = data.aws_caller_identity.current.account_id
  trail_arn   = "arn:${local.partition}:cloudtrail:${data.aws_region.current.region}:${local.account_id}:trail/${var.name}"
  bucket_name = "${var.name}-audit-${local.account_id}"
  bucket_arn  = "arn:${local.partition}:s3:::${local.bucket_name}"
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

# The storage module's bucket (private, owner-enforced, TLS 1.2 only), versioned, under the trail's key, archived
# then expired. Its access logs would need another bucket; reads are recorded by the trail's own data events.
module "bucket" {
  source = "../storage"

  create         = var.create
  name_prefix    = var.name
  create_kms_key = false
  kms_key_arn    = module.kms.key_arn

  buckets = {
    audit = {
      name       = local.bucket_name
      versioning = true
      lifecycle = [{
        id                                     = "archive-then-expire"
        transitions                            = [{ days = var.archive_after_days, storage_class = "GLACIER" }]
        expiration_days                        = var.retention_days
        noncurrent_expiration_days             = 30
        abort_incomplete_multipart_upload_days = 7
      }]
      policy_documents = [data.aws_iam_policy_document.cloudtrail.json]
    }
  }

  tags = var.tags
}

# CloudTrail user guide, "Amazon S3 bucket policy for CloudTrail": GetBucketAcl and PutObject under
# AWSLogs/<account>/, both only for this trail (aws:SourceArn); no other writer.
data "aws_iam_policy_document" "cloudtrail" {
  statement {
    sid       = "CloudTrailAclCheck"
    actions   = ["s3:GetBucketAcl"]
    resources = [local.bucket_arn]

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
    resources = ["${local.bucket_arn}/AWSLogs/${local.account_id}/*"]

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

  # Here, not on the bucket: the bucket's rules come after this document, so this fails first and in this
  # module's words (storage would refuse an expiration before the transition in its own).
  lifecycle {
    precondition {
      condition     = var.archive_after_days < var.retention_days
      error_message = "archive_after_days must be before retention_days."
    }
  }
}

################################################################################
# Trail
################################################################################

resource "aws_cloudtrail" "this" {
  count = var.create ? 1 : 0

  #checkov:skip=CKV_AWS_252:No SNS notification per log file; the trail is read by audits, not by a consumer.
  #checkov:skip=CKV2_AWS_10:The trail writes to S3 only; CloudWatch Logs delivery is not required by the planning documents.
  name                          = var.name
  s3_bucket_name                = module.bucket.bucket_names["audit"]
  kms_key_id                    = module.kms.key_arn
  enable_log_file_validation    = true
  is_multi_region_trail         = var.multi_region
  include_global_service_events = true

  tags = var.tags

  # CloudTrail checks the bucket policy when the trail is created.
  depends_on = [module.bucket]
}

################################################################################
# Earlier addresses
################################################################################

# The bucket's resources were written here before the storage module made them.

moved {
  from = aws_s3_bucket.this[0]
  to   = module.bucket.aws_s3_bucket.this["audit"]
}

moved {
  from = aws_s3_bucket_ownership_controls.this[0]
  to   = module.bucket.aws_s3_bucket_ownership_controls.this["audit"]
}

moved {
  from = aws_s3_bucket_public_access_block.this[0]
  to   = module.bucket.aws_s3_bucket_public_access_block.this["audit"]
}

moved {
  from = aws_s3_bucket_versioning.this[0]
  to   = module.bucket.aws_s3_bucket_versioning.this["audit"]
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.this[0]
  to   = module.bucket.aws_s3_bucket_server_side_encryption_configuration.this["audit"]
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.this[0]
  to   = module.bucket.aws_s3_bucket_lifecycle_configuration.this["audit"]
}

moved {
  from = aws_s3_bucket_policy.this[0]
  to   = module.bucket.aws_s3_bucket_policy.this["audit"]
}
