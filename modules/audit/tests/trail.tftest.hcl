# Pins the planning documents' audit logs: a CloudTrail trail per account, encrypted, with log file
# validation, into a locked-down bucket with a lifecycle; the key policy as the CloudTrail guide documents.
provider "aws" {
  region = "sa-east-1"
}

override_resource {
  target          = module.kms.aws_kms_key.this[0]
  override_during = plan
  values = {
    arn = "arn:aws:kms:sa-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }
}

override_resource {
  target          = aws_s3_bucket.this[0]
  override_during = plan
  values = {
    id  = "edu-test-audit-123456789012"
    arn = "arn:aws:s3:::edu-test-audit-123456789012"
  }
}

variables {
  name = "edu-test"
}

run "trail_encrypted_validated" {
  command = plan

  assert {
    condition = (aws_cloudtrail.this[0].enable_log_file_validation && aws_cloudtrail.this[0].is_multi_region_trail
    && aws_cloudtrail.this[0].kms_key_id == module.kms.key_arn && aws_cloudtrail.this[0].s3_bucket_name == "edu-test-audit-123456789012")
    error_message = "The trail records every region, validates log files and encrypts them with the module's key."
  }

  assert {
    condition = one([for statement in jsondecode(module.kms.policy_json).Statement : statement.Condition if statement.Sid == "CloudTrailEncryptLogs"]) == {
      StringLike   = { "kms:EncryptionContext:aws:cloudtrail:arn" = "arn:aws:cloudtrail:*:123456789012:trail/*" }
      StringEquals = { "aws:SourceArn" = "arn:aws:cloudtrail:sa-east-1:123456789012:trail/edu-test" }
    }
    error_message = "CloudTrail may generate data keys only for this account's trails, on behalf of this trail."
  }

  assert {
    condition = (aws_s3_bucket_public_access_block.this[0].restrict_public_buckets && aws_s3_bucket_ownership_controls.this[0].rule[0].object_ownership == "BucketOwnerEnforced"
    && aws_s3_bucket_versioning.this[0].versioning_configuration[0].status == "Enabled")
    error_message = "The bucket is private, owner-enforced and versioned."
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.this[0].rule[0].expiration[0].days == 365 && one(aws_s3_bucket_lifecycle_configuration.this[0].rule[0].transition).storage_class == "GLACIER"
    error_message = "Log files are archived, then expire after retention_days."
  }
}

run "archive_before_expiry" {
  command = plan

  variables {
    retention_days     = 90
    archive_after_days = 90
  }

  expect_failures = [aws_s3_bucket_lifecycle_configuration.this]
}
