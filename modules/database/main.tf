data "aws_partition" "current" {}

locals {
  is_aurora     = var.engine_mode == "aurora-serverless"
  create_rds    = var.create && !local.is_aurora
  create_aurora = var.create && local.is_aurora

  engine_major = split(".", var.engine_version)[0]
  family       = coalesce(var.parameter_group_family, local.is_aurora ? "aurora-postgresql${local.engine_major}" : "postgres${local.engine_major}")

  # Clients must use TLS unless the caller explicitly overrides it.
  parameters = merge({ "rds.force_ssl" = "1" }, var.parameters)

  create_kms_key = var.create && var.create_kms_key && var.kms_key_arn == null
  kms_key_arn    = local.create_kms_key ? module.kms.key_arn : var.kms_key_arn

  create_monitoring_role = var.create && var.enhanced_monitoring_interval_seconds > 0 && var.create_monitoring_role && var.monitoring_role_arn == null
  monitoring_role_arn    = var.enhanced_monitoring_interval_seconds > 0 ? (local.create_monitoring_role ? aws_iam_role.monitoring[0].arn : var.monitoring_role_arn) : null

  logs_exports = coalesce(var.enabled_cloudwatch_logs_exports, local.is_aurora ? ["postgresql"] : ["postgresql", "upgrade"])

  replica_identifiers = [for index in range(var.read_replicas) : "${var.name}-replica-${index + 1}"]
  # Aurora: instance 1 is the writer, the others are readers.
  cluster_instance_identifiers = [for index in range(var.read_replicas + 1) : "${var.name}-${index + 1}"]

  postgresql_log_group_name = local.is_aurora ? "/aws/rds/cluster/${var.name}/postgresql" : "/aws/rds/instance/${var.name}/postgresql"

  # Every log group RDS would otherwise create itself (without retention or key): each exported log of the
  # primary and of every replica (rds), or of the cluster (aurora). Aurora publishes per cluster.
  log_sources = local.is_aurora ? ["cluster/${var.name}"] : [for identifier in concat([var.name], local.replica_identifiers) : "instance/${identifier}"]
  log_group_names = var.create ? {
    for pair in setproduct(local.log_sources, local.logs_exports) : "${pair[0]}/${pair[1]}" => "/aws/rds/${pair[0]}/${pair[1]}"
  } : {}
  # The primary's postgresql group keeps its original address (aws_cloudwatch_log_group.postgresql); the rest live in .exports.
  other_log_group_names = { for key, name in local.log_group_names : key => name if name != local.postgresql_log_group_name }
}

################################################################################
# Network
################################################################################

resource "aws_db_subnet_group" "this" {
  count = var.create ? 1 : 0

  name        = var.name
  description = "Private subnets of ${var.name}"
  subnet_ids  = var.subnet_ids

  tags = var.tags
}

resource "aws_security_group" "this" {
  count = var.create ? 1 : 0

  name_prefix = "${var.name}-db-"
  description = "PostgreSQL ${var.name}: open only to its client security groups"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-db" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "clients" {
  for_each = var.create ? var.allowed_security_group_ids : {}

  security_group_id            = aws_security_group.this[0].id
  description                  = "PostgreSQL from ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = var.port
  to_port                      = var.port
  referenced_security_group_id = each.value

  tags = var.tags
}

################################################################################
# Encryption
################################################################################

module "kms" {
  source = "../kms-key"

  create      = local.create_kms_key
  alias       = "${var.name}-db"
  description = "Storage, Performance Insights and logs of database ${var.name}"
  # Only the log groups of this database's instances (replicas included) or cluster.
  log_group_names = values(local.log_group_names)

  tags = var.tags
}

################################################################################
# Parameter group
################################################################################

resource "aws_db_parameter_group" "this" {
  count = local.create_rds ? 1 : 0

  name_prefix = "${var.name}-"
  description = "PostgreSQL ${local.engine_major} parameters of ${var.name}"
  family      = local.family

  dynamic "parameter" {
    for_each = local.parameters

    content {
      name         = parameter.key
      value        = parameter.value
      apply_method = contains(var.static_parameter_names, parameter.key) ? "pending-reboot" : "immediate"
    }
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_rds_cluster_parameter_group" "this" {
  count = local.create_aurora ? 1 : 0

  name_prefix = "${var.name}-"
  description = "Aurora PostgreSQL ${local.engine_major} cluster parameters of ${var.name}"
  family      = local.family

  dynamic "parameter" {
    for_each = local.parameters

    content {
      name         = parameter.key
      value        = parameter.value
      apply_method = contains(var.static_parameter_names, parameter.key) ? "pending-reboot" : "immediate"
    }
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

################################################################################
# Enhanced monitoring
################################################################################

data "aws_iam_policy_document" "monitoring_assume" {
  count = local.create_monitoring_role ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "monitoring" {
  count = local.create_monitoring_role ? 1 : 0

  name_prefix        = "${substr(var.name, 0, 20)}-rds-monitoring-"
  assume_role_policy = data.aws_iam_policy_document.monitoring_assume[0].json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  count = local.create_monitoring_role ? 1 : 0

  role       = aws_iam_role.monitoring[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

################################################################################
# CloudWatch logs
################################################################################

# Created here (not by RDS) so that retention, encryption and the slow-query metric filter apply from day one.
resource "aws_cloudwatch_log_group" "postgresql" {
  count = var.create && contains(local.logs_exports, "postgresql") ? 1 : 0

  #checkov:skip=CKV_AWS_338:Retention is set per environment (log_retention_days); one year is not required for database logs.
  name              = local.postgresql_log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = local.kms_key_arn

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "exports" {
  for_each = local.other_log_group_names

  #checkov:skip=CKV_AWS_338:Retention is set per environment (log_retention_days); one year is not required for database logs.
  name              = each.value
  retention_in_days = var.log_retention_days
  kms_key_id        = local.kms_key_arn

  tags = var.tags
}

################################################################################
# Final snapshot name
################################################################################

# A fixed "<name>-final" exists after the first destroy, so the second destroy of a rebuilt database would
# fail; the suffix lives as long as the identifier (as terraform-aws-rds does).
resource "random_id" "final_snapshot" {
  count = var.create && !var.skip_final_snapshot ? 1 : 0

  keepers = {
    identifier = var.name
  }

  byte_length = 4
}

################################################################################
# Instance (engine_mode = "rds")
################################################################################

resource "aws_db_instance" "this" {
  count = local.create_rds ? 1 : 0

  #checkov:skip=CKV_AWS_157:Multi-AZ is set per environment (multi_az); protected environments must enable it.
  #checkov:skip=CKV_AWS_133:Backups are set per environment (backup_retention_days: envs 1 to 7 days, at least 7 in prod by the toolkit's rule); checkov cannot resolve the root's optional() default it comes from.
  #checkov:skip=CKV_AWS_293:Deletion protection is set per environment (deletion_protection, default true); protected environments must enable it.
  #checkov:skip=CKV_AWS_118:Enhanced Monitoring is set per environment (enhanced_monitoring_interval_seconds).
  #checkov:skip=CKV_AWS_353:Performance Insights is set per environment (performance_insights).
  #checkov:skip=CKV2_AWS_30:Query logging parameters (log_min_duration_statement, ...) come from the environment's parameters.
  identifier     = var.name
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class
  port           = var.port

  db_name                       = var.database_name
  username                      = var.master_username
  manage_master_user_password   = true
  master_user_secret_kms_key_id = var.master_user_secret_kms_key_id

  allocated_storage     = var.allocated_storage_gb
  max_allocated_storage = var.max_allocated_storage_gb
  storage_type          = var.storage_type
  iops                  = var.iops
  storage_throughput    = var.storage_throughput
  storage_encrypted     = true
  kms_key_id            = local.kms_key_arn

  multi_az               = var.multi_az
  db_subnet_group_name   = aws_db_subnet_group.this[0].name
  vpc_security_group_ids = [aws_security_group.this[0].id]
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.this[0].name

  iam_database_authentication_enabled = var.iam_database_authentication_enabled

  backup_retention_period   = var.backup_retention_days
  backup_window             = var.backup_window
  maintenance_window        = var.maintenance_window
  copy_tags_to_snapshot     = true
  skip_final_snapshot       = var.skip_final_snapshot
  final_snapshot_identifier = var.skip_final_snapshot ? null : "${var.name}-final-${random_id.final_snapshot[0].hex}"
  deletion_protection       = var.deletion_protection
  apply_immediately         = var.apply_immediately

  auto_minor_version_upgrade  = true
  allow_major_version_upgrade = var.allow_major_version_upgrade

  performance_insights_enabled          = var.performance_insights
  performance_insights_kms_key_id       = var.performance_insights ? local.kms_key_arn : null
  performance_insights_retention_period = var.performance_insights ? var.performance_insights_retention_period : null

  monitoring_interval = var.enhanced_monitoring_interval_seconds
  monitoring_role_arn = local.monitoring_role_arn

  enabled_cloudwatch_logs_exports = local.logs_exports

  tags = var.tags

  depends_on = [aws_cloudwatch_log_group.postgresql, aws_cloudwatch_log_group.exports, aws_iam_role_policy_attachment.monitoring]
}

################################################################################
# Read replicas
################################################################################

resource "aws_db_instance" "replica" {
  for_each = local.create_rds ? toset(local.replica_identifiers) : toset([])

  #checkov:skip=CKV_AWS_157:A read replica is single-AZ by design; the primary carries Multi-AZ.
  #checkov:skip=CKV_AWS_293:Deletion protection is set per environment (deletion_protection, default true).
  #checkov:skip=CKV_AWS_118:Enhanced Monitoring is set per environment (enhanced_monitoring_interval_seconds).
  #checkov:skip=CKV_AWS_353:Performance Insights is set per environment (performance_insights).
  #checkov:skip=CKV_AWS_133:Replicas take no automated backups; the primary's backups cover the data.
  #checkov:skip=CKV_AWS_161:IAM authentication follows the primary's setting (replicated).
  identifier          = each.key
  replicate_source_db = aws_db_instance.this[0].identifier
  instance_class      = coalesce(var.replica_instance_class, var.instance_class)
  port                = var.port

  max_allocated_storage = var.max_allocated_storage_gb
  storage_type          = var.storage_type
  iops                  = var.iops
  storage_throughput    = var.storage_throughput
  # No kms_key_id: a same-region replica is always encrypted with its source's key, and RDS refuses the
  # parameter for it (CreateDBInstanceReadReplica, KmsKeyId).
  storage_encrypted = true

  multi_az               = false
  vpc_security_group_ids = [aws_security_group.this[0].id]
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.this[0].name

  backup_retention_period = 0
  maintenance_window      = var.maintenance_window
  copy_tags_to_snapshot   = true
  skip_final_snapshot     = true
  deletion_protection     = var.deletion_protection
  apply_immediately       = var.apply_immediately

  auto_minor_version_upgrade = true

  performance_insights_enabled          = var.performance_insights
  performance_insights_kms_key_id       = var.performance_insights ? local.kms_key_arn : null
  performance_insights_retention_period = var.performance_insights ? var.performance_insights_retention_period : null

  monitoring_interval = var.enhanced_monitoring_interval_seconds
  monitoring_role_arn = local.monitoring_role_arn

  enabled_cloudwatch_logs_exports = local.logs_exports

  tags = var.tags

  depends_on = [aws_cloudwatch_log_group.exports]
}

################################################################################
# Aurora Serverless v2 (engine_mode = "aurora-serverless")
################################################################################

resource "aws_rds_cluster" "this" {
  count = local.create_aurora ? 1 : 0

  #checkov:skip=CKV_AWS_139:Deletion protection is set per environment (deletion_protection, default true); protected environments must enable it.
  #checkov:skip=CKV_AWS_133:Backups are always on: backup_retention_days is raised to at least 1 day (Aurora cannot turn them off).
  #checkov:skip=CKV2_AWS_27:Query logging parameters (log_min_duration_statement, ...) come from the environment's parameters.
  #checkov:skip=CKV2_AWS_8:Backups are AWS Backup's concern outside this module; automated backups are kept backup_retention_days days.
  cluster_identifier = var.name
  engine             = "aurora-postgresql"
  engine_mode        = "provisioned"
  engine_version     = var.engine_version
  port               = var.port

  database_name                 = var.database_name
  master_username               = var.master_username
  manage_master_user_password   = true
  master_user_secret_kms_key_id = var.master_user_secret_kms_key_id

  storage_encrypted = true
  kms_key_id        = local.kms_key_arn

  db_subnet_group_name            = aws_db_subnet_group.this[0].name
  vpc_security_group_ids          = [aws_security_group.this[0].id]
  db_cluster_parameter_group_name = aws_rds_cluster_parameter_group.this[0].name

  iam_database_authentication_enabled = var.iam_database_authentication_enabled

  serverlessv2_scaling_configuration {
    min_capacity = var.serverless_min_acu
    max_capacity = var.serverless_max_acu
  }

  backup_retention_period      = max(var.backup_retention_days, 1)
  preferred_backup_window      = var.backup_window
  preferred_maintenance_window = var.maintenance_window
  copy_tags_to_snapshot        = true
  skip_final_snapshot          = var.skip_final_snapshot
  final_snapshot_identifier    = var.skip_final_snapshot ? null : "${var.name}-final-${random_id.final_snapshot[0].hex}"
  deletion_protection          = var.deletion_protection
  apply_immediately            = var.apply_immediately
  allow_major_version_upgrade  = var.allow_major_version_upgrade

  enabled_cloudwatch_logs_exports = local.logs_exports

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.serverless_min_acu <= var.serverless_max_acu
      error_message = "serverless_min_acu must not exceed serverless_max_acu."
    }
  }

  depends_on = [aws_cloudwatch_log_group.postgresql, aws_cloudwatch_log_group.exports]
}

resource "aws_rds_cluster_instance" "this" {
  for_each = local.create_aurora ? toset(local.cluster_instance_identifiers) : toset([])

  #checkov:skip=CKV_AWS_353:Performance Insights is set per environment (performance_insights).
  #checkov:skip=CKV_AWS_118:Enhanced Monitoring is set per environment (enhanced_monitoring_interval_seconds).
  identifier         = each.key
  cluster_identifier = aws_rds_cluster.this[0].id
  engine             = aws_rds_cluster.this[0].engine
  engine_version     = aws_rds_cluster.this[0].engine_version
  instance_class     = "db.serverless"

  db_subnet_group_name = aws_db_subnet_group.this[0].name
  publicly_accessible  = false
  # Failover prefers lower tiers: instance 1 first, then the readers in order.
  promotion_tier = index(local.cluster_instance_identifiers, each.key)

  auto_minor_version_upgrade = true
  copy_tags_to_snapshot      = true
  apply_immediately          = var.apply_immediately

  performance_insights_enabled          = var.performance_insights
  performance_insights_kms_key_id       = var.performance_insights ? local.kms_key_arn : null
  performance_insights_retention_period = var.performance_insights ? var.performance_insights_retention_period : null

  monitoring_interval = var.enhanced_monitoring_interval_seconds
  monitoring_role_arn = local.monitoring_role_arn

  tags = var.tags

  depends_on = [aws_iam_role_policy_attachment.monitoring]
}

################################################################################
# AWS Backup
################################################################################

# The planning documents keep 30 days of backups for compliance ("Backup e Retenção") next to the
# automated backups (7 days in prod): a daily AWS Backup job into an encrypted vault.
locals {
  create_aws_backup = var.create && var.aws_backup.enabled
  # The vault, plan and selection name: AWS Backup takes at most 50 characters (CreateBackupVault
  # ^[a-zA-Z0-9\-\_]{2,50}$; plan and selection names 1-50), and name may have 52, so it is cut to 47 before "-db",
  # a '-' the cut leaves at the end trimmed (name holds no "--"). Names of up to 47 characters are unchanged.
  backup_name = "${trimsuffix(substr(var.name, 0, 47), "-")}-db"
}

resource "aws_backup_vault" "this" {
  count = local.create_aws_backup ? 1 : 0

  name        = local.backup_name
  kms_key_arn = local.kms_key_arn

  tags = var.tags

  lifecycle {
    precondition {
      condition     = local.kms_key_arn != null
      error_message = "aws_backup needs a customer-managed key: leave create_kms_key on or set kms_key_arn."
    }
  }
}

resource "aws_backup_plan" "this" {
  count = local.create_aws_backup ? 1 : 0

  name = local.backup_name

  rule {
    rule_name         = "daily-${var.aws_backup.retention_days}-days"
    target_vault_name = aws_backup_vault.this[0].name
    schedule          = var.aws_backup.schedule

    lifecycle {
      delete_after = var.aws_backup.retention_days
    }
  }

  tags = var.tags
}

data "aws_iam_policy_document" "backup_assume" {
  count = local.create_aws_backup ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["backup.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "backup" {
  count = local.create_aws_backup ? 1 : 0

  name_prefix        = "${substr(var.name, 0, 26)}-backup-"
  assume_role_policy = data.aws_iam_policy_document.backup_assume[0].json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "backup" {
  count = local.create_aws_backup ? 1 : 0

  role       = aws_iam_role.backup[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
}

resource "aws_backup_selection" "this" {
  count = local.create_aws_backup ? 1 : 0

  name         = local.backup_name
  plan_id      = aws_backup_plan.this[0].id
  iam_role_arn = aws_iam_role.backup[0].arn
  resources    = [local.is_aurora ? aws_rds_cluster.this[0].arn : aws_db_instance.this[0].arn]
}
