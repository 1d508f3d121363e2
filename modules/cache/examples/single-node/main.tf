# The smallest cache for dev: one node, no failover, still encrypted with an AUTH token, in its own network.
provider "aws" {
  region = local.region
}

locals {
  name   = "ex-${basename(path.cwd)}"
  region = "sa-east-1"
}

module "network" {
  source = "../../../network"

  name     = local.name
  vpc_cidr = "10.30.0.0/16"
  # A cache needs no internet egress.
  create_nat_gateway = false
}

module "cache" {
  source = "../../"

  name      = local.name
  node_type = "cache.t3.micro"

  vpc_id     = module.network.vpc_id
  subnet_ids = module.network.private_subnet_ids

  snapshot_retention_limit = 1
}
