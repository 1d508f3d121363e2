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

# AWS Backup names take at most 50 characters (CreateBackupVault ^[a-zA-Z0-9\-\_]{2,50}$, plan and selection
# names 1-50) and name may have 52: the vault, plan and selection are named from name cut to 47, then "-db".
run "longest_name_fits_aws_backup" {
  command = plan

  variables {
    name = "edu-platform-${join("", [for i in range(39) : "x"])}"
  }

  assert {
    condition     = length(var.name) == 52 && aws_backup_vault.this[0].name == "${substr(var.name, 0, 47)}-db"
    error_message = "A 52-character name gives a 50-character vault name: name cut to 47, then -db."
  }

  assert {
    condition     = length(aws_backup_vault.this[0].name) <= 50 && length(aws_backup_plan.this[0].name) <= 50 && length(aws_backup_selection.this[0].name) <= 50
    error_message = "The vault, plan and selection names fit AWS Backup's 50 characters."
  }

  assert {
    condition     = aws_backup_plan.this[0].name == aws_backup_vault.this[0].name && aws_backup_selection.this[0].name == aws_backup_vault.this[0].name
    error_message = "The plan and selection share the vault's name."
  }
}

run "cut_on_a_hyphen_is_trimmed" {
  command = plan

  variables {
    # 46 letters, '-', 5 letters: the cut at 47 ends on the '-'.
    name = "${join("", [for i in range(46) : "a"])}-bbbbb"
  }

  assert {
    condition     = aws_backup_vault.this[0].name == "${join("", [for i in range(46) : "a"])}-db"
    error_message = "A '-' left at the end of the cut is trimmed: no \"--\" before db."
  }

  assert {
    condition     = !strcontains(aws_backup_plan.this[0].name, "--") && !strcontains(aws_backup_selection.this[0].name, "--")
    error_message = "No name holds \"--\"."
  }
}

run "short_name_unchanged" {
  command = plan

  assert {
    condition     = aws_backup_vault.this[0].name == "edu-test-db" && aws_backup_plan.this[0].name == "edu-test-db" && aws_backup_selection.this[0].name == "edu-test-db"
    error_message = "A name that fits keeps \"<name>-db\"."
  }
}
