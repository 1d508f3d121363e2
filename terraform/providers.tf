# One state per environment: the toolkit writes backend.tf next to a staged copy of this folder.
provider "aws" {
  region = var.aws_region
}
