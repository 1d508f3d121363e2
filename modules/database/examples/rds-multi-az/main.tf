# RDS for PostgreSQL 15 as in prod: Multi-AZ primary, two read replicas, Performance Insights, Enhanced Monitoring.
provider "aws" {
  region = "sa-east-1"
}

module "database" {
  source = "../../"

  name           = "example-prod"
  engine_mode    = "rds"
  engine_version = "15.8"

  vpc_id                     = "vpc-0123456789abcdef0"
  subnet_ids                 = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0bbbbbbbbbbbbbbb3"]
  allowed_security_group_ids = { app = "sg-0123456789abcdef0" }

  instance_class        = "db.r6g.xlarge"
  allocated_storage     = 200
  max_allocated_storage = 1000
  multi_az              = true
  read_replica_count    = 2

  backup_retention_period      = 7
  deletion_protection          = true
  performance_insights_enabled = true
  monitoring_interval          = 60

  parameters = {
    shared_preload_libraries   = "pg_stat_statements"
    max_connections            = "500"
    log_min_duration_statement = "1000"
  }

  tags = {
    environment = "example"
  }
}

output "db_instance_identifiers" {
  description = "Primary first, then the replicas."
  value       = module.database.db_instance_identifiers
}
