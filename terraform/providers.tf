# One state per environment: the toolkit writes backend.tf next to a staged copy of this folder.
provider "aws" {
  region = var.aws_region
}

# CloudFront's certificate and its CLOUDFRONT-scope web ACL must live in us-east-1.
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"
}
