# Two buckets: exports archived to Glacier then expired, uploads tiered down with CORS and access logs.
provider "aws" {
  region = local.region
}

data "aws_caller_identity" "current" {}

locals {
  name   = "ex-${basename(path.cwd)}"
  region = "sa-east-1"
  # S3 bucket names are global: the account id keeps this example's from another account's (BucketAlreadyExists).
  bucket_prefix = "${local.name}-${data.aws_caller_identity.current.account_id}"
}

module "storage" {
  source = "../../"

  name_prefix = local.bucket_prefix

  buckets = {
    exports = {
      lifecycle = [{
        id              = "archive-then-expire"
        transitions     = [{ days = 30, storage_class = "GLACIER" }]
        expiration_days = 90
      }]
    }
    uploads = {
      versioning = true
      lifecycle = [{
        id = "tier-down"
        transitions = [
          { days = 30, storage_class = "STANDARD_IA" },
          { days = 60, storage_class = "GLACIER" },
        ]
        noncurrent_expiration_days = 30
      }]
      cors_allowed_origins = ["https://app.example.com"]
      access_logging       = true
    }
  }
}
