# RDS for PostgreSQL 15 as in prod: Multi-AZ primary, two read replicas, Performance Insights, Enhanced
# Monitoring, reachable from one application security group.
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
  vpc_cidr           = "10.41.0.0/16"
  availability_zones = 3
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
  engine_mode    = "rds"
  engine_version = "15.8"

  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.private_subnet_ids
  allowed_security_group_ids = { app = aws_security_group.app.id }

  instance_class           = "db.r6g.xlarge"
  allocated_storage_gb     = 200
  max_allocated_storage_gb = 1000
  multi_az                 = true
  read_replicas            = 2

  backup_retention_days                = 7
  performance_insights                 = true
  enhanced_monitoring_interval_seconds = 60
  # So that `terraform destroy` can remove the example; environments keep the default (true).
  deletion_protection = false

  parameters = {
    shared_preload_libraries   = "pg_stat_statements"
    max_connections            = "500"
    log_min_duration_statement = "1000"
  }

  tags = {
    Example = local.name
  }
}
