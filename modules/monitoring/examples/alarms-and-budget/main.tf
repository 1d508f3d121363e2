# Alarms, dashboard and budget for one environment: the network, the load-balanced service and the database
# they watch are built here as the root module builds them (no cache, no WAF: their inputs stay unset).
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
  vpc_cidr           = "10.72.0.0/16"
  create_nat_gateway = false
}

module "compute" {
  source = "../../../compute"

  name               = local.name
  vpc_id             = module.network.vpc_id
  public_subnet_ids  = module.network.public_subnet_ids
  private_subnet_ids = module.network.private_subnet_ids
  container_image    = "public.ecr.aws/nginx/nginx:stable"
}

module "database" {
  source = "../../../database"

  name           = local.name
  engine_mode    = "rds"
  engine_version = "15.8"

  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.private_subnet_ids
  allowed_security_group_ids = { app = module.compute.service_security_group_id }

  allocated_storage_gb = 50
  read_replicas        = 1
  # So that `terraform destroy` can remove the example; environments keep the default (true).
  deletion_protection = false

  parameters = {
    max_connections            = "200"
    log_min_duration_statement = "5000"
  }
}

module "monitoring" {
  source = "../../"

  name         = local.name
  alarm_emails = ["oncall@example.com"]

  alb_arn_suffix            = module.compute.alb_arn_suffix
  target_group_arn_suffixes = module.compute.target_group_arn_suffixes
  ecs_cluster_name          = module.compute.cluster_name
  ecs_service_name          = module.compute.service_name
  latency_p95_ms            = 500

  db_instance_identifiers = module.database.db_instance_identifiers
  db_max_connections      = 200
  db_allocated_storage_gb = 50
  db_log_group_names      = module.database.postgresql_log_group_names
  db_log_min_duration_ms  = 5000

  app_metrics = {
    namespace = "Example/Application"
  }

  # Only this example's costs (an activated cost allocation tag).
  budget_cost_filter_tags = { Example = local.name }

  budget = {
    monthly_min_usd = 150
    monthly_max_usd = 250
  }
}
