# Every validation of the module's variables, each broken once: a rule no test can break is not known to work.
# buckets has fourteen rules: each run breaks exactly one of them.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name_prefix = "edu-platform-test"
}

run "name_prefix_ending_with_a_hyphen" {
  command = plan
  variables { name_prefix = "edu-platform-" }
  expect_failures = [var.name_prefix]
}

run "bucket_key_in_upper_case" {
  command = plan
  variables { buckets = { Uploads = {} } }
  expect_failures = [var.buckets]
}

run "unknown_storage_class" {
  command = plan
  variables { buckets = { uploads = { lifecycle = [{ id = "tier-down", transitions = [{ days = 30, storage_class = "GLACIER_FLEXIBLE" }] }] } } }
  expect_failures = [var.buckets]
}

run "standard_ia_after_7_days" {
  # The storage plan's first wish for uploads: S3 refuses Standard-IA before day 30.
  command = plan
  variables { buckets = { uploads = { lifecycle = [{ id = "tier-down", transitions = [{ days = 7, storage_class = "STANDARD_IA" }] }] } } }
  expect_failures = [var.buckets]
}

run "transitions_out_of_order" {
  command = plan
  variables { buckets = { exports = { lifecycle = [{ id = "archive", transitions = [{ days = 90, storage_class = "GLACIER" }, { days = 60, storage_class = "DEEP_ARCHIVE" }] }] } } }
  expect_failures = [var.buckets]
}

run "glacier_15_days_after_standard_ia" {
  command = plan
  variables { buckets = { uploads = { lifecycle = [{ id = "tier-down", transitions = [{ days = 30, storage_class = "STANDARD_IA" }, { days = 45, storage_class = "GLACIER" }] }] } } }
  expect_failures = [var.buckets]
}

run "expiration_before_the_transition" {
  command = plan
  variables { buckets = { exports = { lifecycle = [{ id = "archive-then-expire", transitions = [{ days = 30, storage_class = "GLACIER" }], expiration_days = 20 }] } } }
  expect_failures = [var.buckets]
}

run "rule_id_with_spaces" {
  command = plan
  variables { buckets = { exports = { lifecycle = [{ id = "archive then expire", expiration_days = 90 }] } } }
  expect_failures = [var.buckets]
}

run "the_access_log_buckets_key" {
  command = plan
  variables { buckets = { access-logs = {} } }
  expect_failures = [var.buckets]
}

run "bucket_name_with_an_underscore" {
  command = plan
  variables { buckets = { uploads = { name = "edu_uploads" } } }
  expect_failures = [var.buckets]
}

run "customer_provided_keys" {
  command = plan
  variables { buckets = { uploads = { encryption = "SSE-C" } } }
  expect_failures = [var.buckets]
}

run "abort_multipart_uploads_on_day_0" {
  command = plan
  variables { buckets = { uploads = { lifecycle = [{ id = "abort-now", abort_incomplete_multipart_upload_days = 0 }] } } }
  expect_failures = [var.buckets]
}

run "two_rules_with_one_id" {
  # S3 refuses the configuration at apply ("Rule ID must be unique"), after the bucket exists.
  command = plan
  variables { buckets = { exports = { lifecycle = [{ id = "expire", expiration_days = 90 }, { id = "expire", prefix = "tmp/", expiration_days = 7 }] } } }
  expect_failures = [var.buckets]
}

run "the_modules_own_rule_id" {
  # A rule of this id under a prefix would sit beside the module's whole-bucket abort rule of the same id.
  command = plan
  variables { buckets = { exports = { lifecycle = [{ id = "abort-incomplete-multipart-uploads", prefix = "tmp/", expiration_days = 7 }] } } }
  expect_failures = [var.buckets]
}

run "rule_without_an_action" {
  # S3: "At least one action needs to be specified in a rule".
  command = plan
  variables { buckets = { exports = { lifecycle = [{ id = "keep", prefix = "keep/" }] } } }
  expect_failures = [var.buckets]
}

run "abort_incomplete_multipart_uploads_after_0_days" {
  command = plan
  variables { abort_incomplete_multipart_upload_days = 0 }
  expect_failures = [var.abort_incomplete_multipart_upload_days]
}

run "bucket_name_longer_than_63" {
  # The longest prefix (32) and key (42) make 75 characters; each passes its own rule.
  command = plan
  variables {
    name_prefix = "edu-platform-staging-sandbox-abc"
    buckets     = { "exports-of-every-course-and-every-student" = {} }
  }
  expect_failures = [aws_s3_bucket.this]
}
