# RDS sized as the production column of the sizing plan asks (instance class, storage, Multi-AZ, 7 days of
# backups, two read replicas, Performance Insights, Enhanced Monitoring). The numbers are typed only here; every
# assertion compares the plan with the input, so the test proves the module plans what it is given.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name       = "edu-platform-prod"
  vpc_id     = "vpc-0123456789abcdef0"
  subnet_ids = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0bbbbbbbbbbbbbbb3"]

  instance_class                       = "db.r6g.xlarge"
  allocated_storage_gb                 = 200
  max_allocated_storage_gb             = 1000
  multi_az                             = true
  read_replicas                        = 2
  backup_retention_days                = 7
  deletion_protection                  = true
  performance_insights                 = true
  enhanced_monitoring_interval_seconds = 60
  log_retention_days                   = 90
}

run "production_sizing" {
  command = plan

  assert {
    condition     = aws_db_instance.this[0].instance_class == var.instance_class && aws_db_instance.this[0].allocated_storage == var.allocated_storage_gb && aws_db_instance.this[0].max_allocated_storage == var.max_allocated_storage_gb
    error_message = "the primary has the production instance class and storage, with autoscaling up to max_allocated_storage_gb (sizing plan, production)"
  }

  assert {
    condition     = aws_db_instance.this[0].multi_az
    error_message = "prod database is Multi-AZ (sizing plan, production)"
  }

  assert {
    condition     = aws_db_instance.this[0].backup_retention_period == var.backup_retention_days
    error_message = "prod keeps backup_retention_days days of automated backups (sizing plan, production: 7 days)"
  }

  assert {
    condition     = length(aws_db_instance.replica) == var.read_replicas && alltrue([for replica in aws_db_instance.replica : replica.instance_class == var.instance_class && replica.replicate_source_db == var.name])
    error_message = "prod has read_replicas read replicas of the primary, same class by default (sizing plan, production: 2 replicas)"
  }

  assert {
    condition     = aws_db_instance.this[0].performance_insights_enabled && alltrue([for replica in aws_db_instance.replica : replica.performance_insights_enabled])
    error_message = "Performance Insights is on for the primary and every replica (sizing plan, production)"
  }

  assert {
    condition     = aws_db_instance.this[0].monitoring_interval == var.enhanced_monitoring_interval_seconds && length(aws_iam_role.monitoring) == 1
    error_message = "Enhanced Monitoring every enhanced_monitoring_interval_seconds seconds with the module's role (sizing plan, production)"
  }

  assert {
    condition     = output.sizing.multi_az && output.sizing.read_replicas == var.read_replicas && output.sizing.performance_insights && output.sizing.log_retention_days == var.log_retention_days
    error_message = "the sizing output reports Multi-AZ, replicas, Performance Insights and log retention as planned (module contract: sizing)"
  }
}
