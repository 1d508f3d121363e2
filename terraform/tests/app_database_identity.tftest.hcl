# Pins issue 13 defect 5: the application connects as its own IAM-authenticated database user (rds-db:connect
# on the task role), not with the master user's rotating secret, and reads from the replicas when there are any.
provider "aws" {
  region = "sa-east-1"
}

override_resource {
  target          = module.database.aws_db_instance.this[0]
  override_during = plan
  values = {
    resource_id = "db-PRIMARYRESOURCEID"
    address     = "edu-platform-test.abc.sa-east-1.rds.amazonaws.com"
  }
}

override_resource {
  target          = module.database.aws_db_instance.replica["edu-platform-test-replica-1"]
  override_during = plan
  values = {
    resource_id = "db-REPLICARESOURCEID"
    address     = "edu-platform-test-replica-1.abc.sa-east-1.rds.amazonaws.com"
  }
}

override_resource {
  target          = module.cache.aws_elasticache_replication_group.this[0]
  override_during = plan
  values = {
    primary_endpoint_address = "master.edu-platform-test.abc.sae1.cache.amazonaws.com"
  }
}

override_resource {
  target          = module.cache.aws_secretsmanager_secret.auth_token[0]
  override_during = plan
  values = {
    arn = "arn:aws:secretsmanager:sa-east-1:123456789012:secret:edu-platform-test/redis-auth-token-AbCdEf"
  }
}

override_resource {
  target          = module.storage.module.kms.aws_kms_key.this[0]
  override_during = plan
  values = {
    arn = "arn:aws:kms:sa-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }
}

variables {
  environment = "test"
  project     = "edu-platform"
  aws_region  = "sa-east-1"
  database = {
    read_replicas         = 1
    backup_retention_days = 1
  }
}

run "task_role_connects_with_iam" {
  command = plan

  assert {
    condition = toset(one([for statement in jsondecode(data.aws_iam_policy_document.app_storage.json).Statement : statement.Resource if statement.Sid == "DatabaseIamConnect"])) == toset([
      "arn:aws:rds-db:sa-east-1:123456789012:dbuser:db-PRIMARYRESOURCEID/app_user",
      "arn:aws:rds-db:sa-east-1:123456789012:dbuser:db-REPLICARESOURCEID/app_user",
    ])
    error_message = "The task role must get rds-db:connect as app_user on the primary and the replicas."
  }

  assert {
    condition     = [for secret in jsondecode(module.compute.container_definitions)[0].secrets : secret.name] == ["REDIS_AUTH_TOKEN"]
    error_message = "The application must not read the master user's secret (DATABASE_USERNAME/PASSWORD)."
  }

  assert {
    condition = {
      for variable in jsondecode(module.compute.container_definitions)[0].environment : variable.name => variable.value
      if startswith(variable.name, "DATABASE_")
      } == {
      DATABASE_AUTH        = "iam"
      DATABASE_USERNAME    = "app_user"
      DATABASE_HOST        = "edu-platform-test.abc.sa-east-1.rds.amazonaws.com"
      DATABASE_READER_HOST = "edu-platform-test-replica-1.abc.sa-east-1.rds.amazonaws.com"
      DATABASE_PORT        = "5432"
      DATABASE_NAME        = "app"
    }
    error_message = "The application gets its IAM login, the writer and the reader endpoint."
  }
}
