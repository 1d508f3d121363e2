# The migration runner Lambda in the private subnets of its own network, next to the database it migrates,
# reaching Secrets Manager through the network's VPC endpoint.
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
  vpc_cidr           = "10.60.0.0/16"
  create_nat_gateway = false
}

module "database" {
  source = "../../../database"

  name           = local.name
  engine_mode    = "rds"
  engine_version = "15.8"
  instance_class = "db.t4g.micro"

  vpc_id     = module.network.vpc_id
  subnet_ids = module.network.private_subnet_ids
  # The runner's own security group is allowed by the runner module (egress to this group on the port).
  allowed_security_group_ids = { migrations = module.migrations_runner.security_group_id }
  # So that `terraform destroy` can remove the example; environments keep the default (true).
  deletion_protection = false
}

module "migrations_runner" {
  source = "../../"

  name     = "${local.name}-migrations"
  filename = "${path.module}/migrations-runner.zip"
  # Given explicitly so the example plans without the package on disk (`make` builds the real one).
  source_code_hash = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

  vpc_id                                    = module.network.vpc_id
  subnet_ids                                = module.network.private_subnet_ids
  database_security_group_id                = module.database.security_group_id
  secretsmanager_endpoint_security_group_id = module.network.endpoint_security_group_id
  database_secret_arn                       = module.database.master_user_secret_arn

  environment_variables = {
    DATABASE_HOST = module.database.endpoint
  }
}
