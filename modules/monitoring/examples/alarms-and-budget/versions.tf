terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # compute's floor (the watched service): the ECS blue/green deployment blocks.
      version = ">= 6.5.0"
    }
  }
}
