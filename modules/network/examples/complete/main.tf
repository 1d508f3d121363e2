# A production-like network: three AZs, one NAT gateway per AZ, S3 and Secrets Manager endpoints, flow logs.
provider "aws" {
  region = local.region
}

locals {
  name   = "ex-${basename(path.cwd)}"
  region = "sa-east-1"

  tags = {
    Example    = local.name
    Repository = "modules/network/examples/complete"
  }
}

module "network" {
  source = "../../"

  name               = local.name
  vpc_cidr           = "10.20.0.0/16"
  availability_zones = 3
  single_nat_gateway = false

  tags = local.tags
}
