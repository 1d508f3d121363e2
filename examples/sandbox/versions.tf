# Pinned for the offline sandbox: Terraform 1.0.3 and the AWS provider 3.39 from .cache/providers.
# No backend block here: `toolkit plan` stages this folder with a generated backend.tf (see docs/ENGINE.md).
terraform {
  required_version = ">= 1.0.3"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "3.39.0"
    }
  }
}

# The emulator (moto) accepts any credentials; the engine exports fake ones (AWS_ACCESS_KEY_ID=testing).
provider "aws" {
  region = var.aws_region

  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_force_path_style         = true

  endpoints {
    applicationautoscaling = var.aws_endpoint_url
    cloudwatch             = var.aws_endpoint_url
    ec2                    = var.aws_endpoint_url
    ecs                    = var.aws_endpoint_url
    iam                    = var.aws_endpoint_url
    rds                    = var.aws_endpoint_url
    s3                     = var.aws_endpoint_url
    sts                    = var.aws_endpoint_url
  }

  default_tags {
    tags = local.tags
  }
}
