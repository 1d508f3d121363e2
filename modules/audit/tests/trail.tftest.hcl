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
  target          = module.bucket.aws_s3_bucket.this
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
    condition = (output.bucket_name == "edu-test-audit-123456789012" && module.bucket.bucket_settings["audit"].versioning == "Enabled"
      && module.bucket.bucket_settings["audit"].lifecycle["archive-then-expire"].transitions == { "90" = "GLACIER" }
      && module.bucket.bucket_settings["audit"].lifecycle["archive-then-expire"].expiration_days == 365
    && module.bucket.bucket_settings["audit"].lifecycle["archive-then-expire"].noncurrent_expiration_days == 30)
    error_message = "The storage module's bucket, versioned; log files are archived, then expire after retention_days."
  }

  assert {
    condition = [for statement in jsondecode(module.bucket.bucket_policies["audit"]).Statement : statement.Sid] == [
      "CloudTrailAclCheck", "CloudTrailWrite", "DenyInsecureTransport", "DenyOutdatedTls",
    ]
    error_message = "The bucket policy is CloudTrail's two statements, then the hardening of every bucket (TLS only, TLS 1.2 or newer)."
  }

  assert {
    condition = one([for statement in jsondecode(module.bucket.bucket_policies["audit"]).Statement : statement if statement.Sid == "CloudTrailWrite"]) == {
      Sid       = "CloudTrailWrite", Effect = "Allow", Action = "s3:PutObject"
      Resource  = "arn:aws:s3:::edu-test-audit-123456789012/AWSLogs/123456789012/*"
      Principal = { Service = "cloudtrail.amazonaws.com" }
      Condition = { StringEquals = { "aws:SourceArn" = "arn:aws:cloudtrail:sa-east-1:123456789012:trail/edu-test" } }
    }
    error_message = "CloudTrail writes only under AWSLogs/<account>/, on behalf of this trail."
  }
}

run "archive_before_expiry" {
  command = plan

  variables {
    retention_days     = 90
    archive_after_days = 90
  }

  expect_failures = [data.aws_iam_policy_document.cloudtrail]
}
