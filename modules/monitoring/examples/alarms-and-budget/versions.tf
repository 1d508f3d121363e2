terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # compute's floor (the watched service): the ECS blue/green deployment blocks.
      version = ">= 6.5.0"
    }
    # the database's floor (its final snapshot's random id).
    random = {
      source  = "hashicorp/random"
      version = ">= 3.5"
    }
  }
}
