# RDS for PostgreSQL with the module's defaults (the smallest environment): what every instance gets regardless
# of size: encryption at rest, TLS only, managed master password, private, protected.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name       = "edu-platform-test"
  vpc_id     = "vpc-0123456789abcdef0"
  subnet_ids = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
}

run "defaults" {
  command = plan

  assert {
    condition     = aws_db_instance.this[0].engine == "postgres" && aws_db_instance.this[0].instance_class == var.instance_class
    error_message = "rds mode plans one PostgreSQL instance of instance_class (module contract)"
  }

  assert {
    condition     = aws_db_instance.this[0].storage_encrypted && output.sizing.storage_encrypted
    error_message = "storage is encrypted at rest (security plan: LGPD encryption at rest)"
  }

  assert {
    condition     = one([for parameter in aws_db_parameter_group.this[0].parameter : parameter.value if parameter.name == "rds.force_ssl"]) == "1"
    error_message = "clients must use TLS: rds.force_ssl = 1 unless the caller overrides it (security plan: encryption in transit)"
  }

  assert {
    condition     = aws_db_instance.this[0].manage_master_user_password && !aws_db_instance.this[0].publicly_accessible
    error_message = "the master password lives in Secrets Manager (RDS-managed) and the instance is private (security plan)"
  }

  assert {
    condition     = !aws_db_instance.this[0].multi_az && length(aws_db_instance.replica) == 0 && !aws_db_instance.this[0].performance_insights_enabled
    error_message = "by default single-AZ, no replicas, no Performance Insights: the smallest environment's sizing (module defaults)"
  }

  assert {
    condition     = aws_db_instance.this[0].deletion_protection && !aws_db_instance.this[0].skip_final_snapshot
    error_message = "deletion protection and a final snapshot by default: data survives a mistaken destroy (module defaults)"
  }

  assert {
    condition     = output.sizing.allocated_storage_gb == var.allocated_storage_gb && output.sizing.backup_retention_days == var.backup_retention_days
    error_message = "the sizing output reports the planned storage and backups (module contract: sizing)"
  }

  assert {
    condition     = aws_cloudwatch_log_group.postgresql[0].name == "/aws/rds/instance/${var.name}/postgresql" && aws_cloudwatch_log_group.postgresql[0].retention_in_days == var.log_retention_days
    error_message = "the postgresql log group RDS writes to exists beforehand with log_retention_days (monitoring plan: log retention)"
  }
}
