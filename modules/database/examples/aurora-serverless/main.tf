# Aurora PostgreSQL Serverless v2: a writer and one reader scaling between 0.5 and 16 ACU.
provider "aws" {
  region = "sa-east-1"
}

module "database" {
  source = "../../"

  name           = "example-aurora"
  engine_mode    = "aurora-serverless"
  engine_version = "15.8"

  vpc_id                     = "vpc-0123456789abcdef0"
  subnet_ids                 = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
  allowed_security_group_ids = { app = "sg-0123456789abcdef0" }

  read_replica_count      = 1
  serverless_min_capacity = 0.5
  serverless_max_capacity = 16
  deletion_protection     = false

  parameters = {
    shared_preload_libraries = "pg_stat_statements"
  }
}

output "db_cluster_identifier" {
  description = "The Aurora cluster."
  value       = module.database.db_cluster_identifier
}
