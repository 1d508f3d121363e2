# One hardening for every bucket (issue 26): a data bucket, a bucket with its own name, SSE-S3 and statements of
# its own, and the access-log bucket all get TLS only and TLS 1.2 or newer, the public access block, owner-enforced
# objects, a versioning state, encryption, an abort of incomplete multipart uploads and, when asked, access logs.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name_prefix = "edu-platform-test"
  buckets = {
    uploads = { access_logging = true }
    reports = {
      name       = "edu-reports-archive"
      encryption = "SSE-S3"
      lifecycle  = [{ id = "expire", expiration_days = 30, abort_incomplete_multipart_upload_days = 3 }]
      policy_documents = [jsonencode({
        Version   = "2012-10-17"
        Statement = [{ Sid = "CdnReads", Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::edu-reports-archive/*", Principal = { Service = "cloudfront.amazonaws.com" } }]
      })]
    }
  }
}

run "every_bucket_gets_the_same_hardening" {
  command = plan

  assert {
    condition     = { for key, bucket in aws_s3_bucket.this : key => bucket.bucket } == { access-logs = "edu-platform-test-access-logs", reports = "edu-reports-archive", uploads = "edu-platform-test-uploads" }
    error_message = "a bucket's name is its own, or <name_prefix>-<key>; the access-log bucket is one of the buckets"
  }

  assert {
    condition     = alltrue([for document in data.aws_iam_policy_document.bucket : slice(jsondecode(document.json).Statement, length(jsondecode(document.json).Statement) - 2, length(jsondecode(document.json).Statement))[*].Sid == ["DenyInsecureTransport", "DenyOutdatedTls"]])
    error_message = "every bucket policy ends with TLS only and TLS 1.2 or newer"
  }

  assert {
    condition     = jsondecode(output.bucket_policies["reports"]).Statement[*].Sid == ["CdnReads", "DenyInsecureTransport", "DenyOutdatedTls"] && jsondecode(output.bucket_policies["uploads"]).Statement[*].Sid == ["DenyInsecureTransport", "DenyOutdatedTls"]
    error_message = "a bucket's own statements come first, and only in its own policy"
  }

  assert {
    condition = (length(aws_s3_bucket_public_access_block.this) == 3 && alltrue([for block in aws_s3_bucket_public_access_block.this : block.block_public_acls && block.block_public_policy && block.ignore_public_acls && block.restrict_public_buckets])
    && alltrue([for key in keys(aws_s3_bucket.this) : aws_s3_bucket_ownership_controls.this[key].rule[0].object_ownership == "BucketOwnerEnforced"]))
    error_message = "every bucket is private and owner-enforced"
  }

  assert {
    condition = { for key, configuration in aws_s3_bucket_server_side_encryption_configuration.this : key => one(one(configuration.rule).apply_server_side_encryption_by_default).sse_algorithm } == {
      access-logs = "AES256", reports = "AES256", uploads = "aws:kms"
    }
    error_message = "encryption is per bucket: SSE-S3 where asked (and for the access-log bucket), SSE-KMS otherwise"
  }

  assert {
    condition     = { for key, versioning in aws_s3_bucket_versioning.this : key => versioning.versioning_configuration[0].status } == { access-logs = "Disabled", reports = "Suspended", uploads = "Suspended" }
    error_message = "every bucket states its versioning; the access-log bucket stays unversioned"
  }

  assert {
    condition = ([for rule in aws_s3_bucket_lifecycle_configuration.this["reports"].rule : rule.id] == ["expire"] && aws_s3_bucket_lifecycle_configuration.this["reports"].rule[0].abort_incomplete_multipart_upload[0].days_after_initiation == 3
    && [for rule in aws_s3_bucket_lifecycle_configuration.this["uploads"].rule : rule.id] == ["abort-incomplete-multipart-uploads"] && [for rule in aws_s3_bucket_lifecycle_configuration.this["access-logs"].rule : rule.id] == ["expire-access-logs"])
    error_message = "every bucket aborts incomplete multipart uploads: in its own whole-bucket rule, or in the module's rule"
  }

  assert {
    condition     = keys(aws_s3_bucket_logging.this) == ["uploads"] && aws_s3_bucket_logging.this["uploads"].target_prefix == "uploads/" && keys(output.bucket_names) == ["reports", "uploads"]
    error_message = "buckets asking for access logs log into the access-log bucket, which is not one of the application's buckets"
  }
}
