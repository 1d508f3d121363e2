# Issue 22 defect 9: the seeds' plan is built around a PostgreSQL 14 -> 15 upgrade, which RDS refuses without
# allow_major_version_upgrade; the parameter group follows the major version (a new family, created first).
provider "aws" {
  region = "sa-east-1"
}

variables {
  name           = "edu-platform-test"
  vpc_id         = "vpc-0123456789abcdef0"
  subnet_ids     = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
  engine_version = "15"
}

run "major_upgrade_off_by_default" {
  command = plan

  assert {
    condition     = aws_db_instance.this[0].allow_major_version_upgrade == false
    error_message = "the module default refuses a major upgrade (module contract: allow_major_version_upgrade default false)"
  }
}

run "rds_major_upgrade_allowed" {
  command = plan

  variables {
    allow_major_version_upgrade = true
    read_replicas               = 1
  }

  assert {
    condition     = aws_db_instance.this[0].allow_major_version_upgrade && aws_db_instance.this[0].engine_version == "15"
    error_message = "with allow_major_version_upgrade the instance may move to the new major version (RDS ModifyDBInstance AllowMajorVersionUpgrade)"
  }

  assert {
    condition     = aws_db_parameter_group.this[0].family == "postgres15"
    error_message = "the parameter group follows the major version (a 15 family for PostgreSQL 15)"
  }
}

run "aurora_major_upgrade_allowed" {
  command = plan

  variables {
    engine_mode                 = "aurora-serverless"
    allow_major_version_upgrade = true
  }

  assert {
    condition     = aws_rds_cluster.this[0].allow_major_version_upgrade && aws_rds_cluster_parameter_group.this[0].family == "aurora-postgresql15"
    error_message = "an Aurora cluster may move to a new major version with its new cluster parameter group family"
  }
}
