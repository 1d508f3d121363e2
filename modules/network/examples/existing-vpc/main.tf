# Reuse a VPC that already exists (here the region's default VPC): only the lookups happen, and its subnets
# are passed through to the other modules unchanged.
provider "aws" {
  region = local.region
}

locals {
  name   = "ex-${basename(path.cwd)}"
  region = "sa-east-1"
}

data "aws_vpc" "default" {
  default = true
}

data "aws_subnets" "default" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default.id]
  }
}

module "network" {
  source = "../../"

  name            = local.name
  existing_vpc_id = data.aws_vpc.default.id
  # The default VPC's subnets are all public: the same ones serve both tiers in this example.
  existing_public_subnet_ids  = data.aws_subnets.default.ids
  existing_private_subnet_ids = data.aws_subnets.default.ids
}
