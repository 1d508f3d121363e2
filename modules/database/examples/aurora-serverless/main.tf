# Aurora PostgreSQL Serverless v2: a writer and one reader scaling between 0.5 and 16 ACU, reachable from one
# application security group.
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
  vpc_cidr           = "10.40.0.0/16"
  create_nat_gateway = false
}

# The application's security group, as the compute module creates it for its tasks.
resource "aws_security_group" "app" {
  #checkov:skip=CKV2_AWS_5:The application's tasks attach it; this example creates only the database side.
  name        = "${local.name}-app"
  description = "Clients of the ${local.name} database"
  vpc_id      = module.network.vpc_id
}

module "database" {
  source = "../../"

  name           = local.name
  engine_mode    = "aurora-serverless"
  engine_version = "15.8"

  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.private_subnet_ids
  allowed_security_group_ids = { app = aws_security_group.app.id }

  read_replicas      = 1
  serverless_min_acu = 0.5
  serverless_max_acu = 16
  # So that `terraform destroy` can remove the example; environments keep the default (true).
  deletion_protection = false

  parameters = {
    shared_preload_libraries = "pg_stat_statements"
  }
}
