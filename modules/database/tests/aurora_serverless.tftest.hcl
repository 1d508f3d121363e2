# engine_mode = "aurora-serverless": an Aurora PostgreSQL cluster of db.serverless instances scaling between the
# ACU bounds the sizing plan allows for the serverless option.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name                  = "edu-platform-test"
  vpc_id                = "vpc-0123456789abcdef0"
  subnet_ids            = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
  engine_mode           = "aurora-serverless"
  read_replicas         = 1
  serverless_min_acu    = 0.5
  serverless_max_acu    = 16
  backup_retention_days = 0
}

run "aurora_serverless_v2" {
  command = plan

  assert {
    condition     = length(aws_db_instance.this) == 0 && aws_rds_cluster.this[0].engine == "aurora-postgresql" && aws_rds_cluster.this[0].engine_mode == "provisioned"
    error_message = "aurora-serverless plans an Aurora PostgreSQL cluster (Serverless v2 runs in provisioned mode) and no RDS instance (module contract: engine_mode)"
  }

  assert {
    condition     = aws_rds_cluster.this[0].serverlessv2_scaling_configuration[0].min_capacity == var.serverless_min_acu && aws_rds_cluster.this[0].serverlessv2_scaling_configuration[0].max_capacity == var.serverless_max_acu
    error_message = "the cluster scales between serverless_min_acu and serverless_max_acu ACU (sizing plan, Aurora Serverless v2 option)"
  }

  assert {
    condition     = length(aws_rds_cluster_instance.this) == var.read_replicas + 1 && alltrue([for instance in aws_rds_cluster_instance.this : instance.instance_class == "db.serverless"])
    error_message = "a writer plus read_replicas readers, all db.serverless (module contract: read_replicas)"
  }

  assert {
    condition     = aws_rds_cluster.this[0].backup_retention_period == 1
    error_message = "Aurora cannot turn automated backups off: backup_retention_days 0 is raised to 1 day (AWS: Aurora backups 1-35 days)"
  }

  assert {
    condition     = aws_rds_cluster.this[0].storage_encrypted && aws_cloudwatch_log_group.postgresql[0].name == "/aws/rds/cluster/${var.name}/postgresql"
    error_message = "the cluster is encrypted and its postgresql log group is the cluster one (security plan; monitoring plan)"
  }

  assert {
    condition     = output.sizing.serverless_min_acu == var.serverless_min_acu && output.sizing.serverless_max_acu == var.serverless_max_acu && output.sizing.read_replicas == var.read_replicas
    error_message = "the sizing output reports the ACU range and readers as planned (module contract: sizing)"
  }
}

run "minimum_above_maximum" {
  command = plan

  variables {
    serverless_min_acu = 32
  }

  expect_failures = [aws_rds_cluster.this]
}
