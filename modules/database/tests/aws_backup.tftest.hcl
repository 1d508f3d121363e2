# Pins the planning documents' compliance retention: AWS Backup keeps daily backups 30 days in a vault
# encrypted with the database key, next to the automated backups.
provider "aws" {
  region = "sa-east-1"
}

override_resource {
  target          = module.kms.aws_kms_key.this[0]
  override_during = plan
  values = {
    arn = "arn:aws:kms:sa-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }
}

variables {
  name                  = "edu-test"
  vpc_id                = "vpc-0123456789abcdef0"
  subnet_ids            = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  backup_retention_days = 7
  aws_backup            = { enabled = true }
}

run "thirty_days_encrypted" {
  command = plan

  assert {
    condition     = one(aws_backup_plan.this[0].rule).lifecycle[0].delete_after == 30 && one(aws_backup_plan.this[0].rule).schedule == "cron(0 5 * * ? *)"
    error_message = "AWS Backup keeps the daily backups 30 days."
  }

  assert {
    condition     = aws_backup_vault.this[0].kms_key_arn == module.kms.key_arn
    error_message = "The vault is encrypted with the database key."
  }

  assert {
    condition     = aws_db_instance.this[0].backup_retention_period == 7
    error_message = "The automated backups stay at 7 days."
  }
}

run "off_by_default" {
  command = plan

  variables {
    aws_backup = {}
  }

  assert {
    condition     = length(aws_backup_plan.this) == 0 && length(aws_backup_vault.this) == 0
    error_message = "AWS Backup is opt-in."
  }
}
