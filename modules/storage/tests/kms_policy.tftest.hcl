# Pins issue 13 defect 1 for storage: the bucket key comes from the shared kms-key module; S3 and the
# application use it through IAM (the account statement), so no service principal is named in its policy.
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

variables {
  name_prefix = "edu-test"
  buckets     = { uploads = {} }
}

run "account_only_key_encrypts_the_buckets" {
  command = plan

  assert {
    condition     = [for statement in jsondecode(module.kms.policy_json).Statement : statement.Sid] == ["AccountAdministration"]
    error_message = "The storage key needs no service principal: S3 uses it on behalf of IAM principals."
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this["uploads"].rule).apply_server_side_encryption_by_default).kms_master_key_id == module.kms.key_arn
    error_message = "The buckets are encrypted with the shared module's key."
  }
}
