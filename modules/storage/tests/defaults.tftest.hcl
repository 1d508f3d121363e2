# The platform's buckets with the lifecycle the storage plan asks for: exports archived to Glacier after 30 days
# and deleted after 90; uploads to Standard-IA after 30 days (the plan's 7 days is refused by S3: Standard-IA
# starts at day 30) and to Glacier after 60; ml-models versioned. Every bucket private and encrypted.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name_prefix = "edu-platform-test"
  buckets = {
    exports = {
      lifecycle = [{ id = "archive-then-expire", transitions = [{ days = 30, storage_class = "GLACIER" }], expiration_days = 90 }]
    }
    uploads = {
      lifecycle = [{ id = "tier-down", transitions = [{ days = 30, storage_class = "STANDARD_IA" }, { days = 60, storage_class = "GLACIER" }] }]
    }
    ml-models = { versioning = true }
    bncc-data = {}
  }
}

run "storage_plan_buckets" {
  command = plan

  assert {
    condition     = output.bucket_settings["exports"].lifecycle["archive-then-expire"].transitions == { "30" = "GLACIER" } && output.bucket_settings["exports"].lifecycle["archive-then-expire"].expiration_days == 90
    error_message = "exports go to Glacier after 30 days and are deleted after 90 (storage plan: exports lifecycle)"
  }

  assert {
    condition     = output.bucket_settings["uploads"].lifecycle["tier-down"].transitions == { "30" = "STANDARD_IA", "60" = "GLACIER" } && output.bucket_settings["uploads"].lifecycle["tier-down"].expiration_days == null
    error_message = "uploads go to Standard-IA after 30 days (S3's minimum; the plan's 7 days is refused) and to Glacier after 60, never deleted (storage plan: uploads lifecycle)"
  }

  assert {
    condition     = output.bucket_settings["ml-models"].versioning == "Enabled" && output.bucket_settings["uploads"].versioning == "Suspended"
    error_message = "ml-models keeps every version of a model; other buckets do not (storage plan: ml-models versioned)"
  }

  assert {
    condition     = alltrue([for configuration in aws_s3_bucket_lifecycle_configuration.this : configuration.rule[0].abort_incomplete_multipart_upload[0].days_after_initiation == var.abort_incomplete_multipart_upload_days])
    error_message = "every bucket aborts incomplete multipart uploads (cost plan: no orphaned parts)"
  }

  assert {
    condition     = alltrue([for block in aws_s3_bucket_public_access_block.this : block.block_public_acls && block.block_public_policy && block.ignore_public_acls && block.restrict_public_buckets])
    error_message = "no bucket can be made public (security plan: private storage)"
  }

  assert {
    condition     = alltrue([for configuration in aws_s3_bucket_server_side_encryption_configuration.this : one(configuration.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms"])
    error_message = "every bucket is encrypted with SSE-KMS (security plan: encryption at rest)"
  }

  assert {
    condition     = toset([for bucket in aws_s3_bucket.this : bucket.bucket]) == toset(["edu-platform-test-exports", "edu-platform-test-uploads", "edu-platform-test-ml-models", "edu-platform-test-bncc-data"])
    error_message = "bucket names are <name_prefix>-<key> (module contract: S3 names are global)"
  }
}
