# Redis 7 in cluster mode as in prod: 3 shards with 2 replicas each, Multi-AZ failover, TLS and AUTH token,
# reachable from one application security group.
provider "aws" {
  region = local.region
}

locals {
  name   = "ex-${basename(path.cwd)}"
  region = "sa-east-1"
}

module "network" {
  source = "../../../network"

  name               = local.name
  vpc_cidr           = "10.31.0.0/16"
  availability_zones = 3
  create_nat_gateway = false
}

# The application's security group, as the compute module creates it for its tasks.
resource "aws_security_group" "app" {
  #checkov:skip=CKV2_AWS_5:The application's tasks attach it; this example creates only the cache side.
  name        = "${local.name}-app"
  description = "Clients of the ${local.name} cache"
  vpc_id      = module.network.vpc_id
}

module "cache" {
  source = "../../"

  name           = local.name
  engine_version = "7.1"
  node_type      = "cache.r6g.large"

  replication = {
    cluster_mode       = true
    shards             = 3
    replicas_per_shard = 2
  }

  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.private_subnet_ids
  allowed_security_group_ids = { app = aws_security_group.app.id }
}
