locals {
  cluster_mode = var.replication.cluster_mode
  shards       = var.replication.shards
  replicas     = var.replication.replicas_per_shard
  node_count   = local.shards * (1 + local.replicas)
  # Automatic failover must be on for a cluster-mode-enabled replication group (AWS refuses it off, replicas or not)
  # and is on by default whenever there is more than one node. Multi-AZ needs failover and at least one replica
  # per shard: a cluster-mode group of primaries only has failover on and Multi-AZ off.
  failover       = var.replication.automatic_failover_enabled != null ? var.replication.automatic_failover_enabled : local.cluster_mode || local.node_count > 1
  multi_az       = local.failover && local.replicas >= 1
  engine_major   = split(".", var.engine_version)[0]
  create_token   = var.create && var.create_auth_token && length(var.user_group_ids) == 0
  create_kms_key = var.create && var.create_kms_key && var.kms_key_arn == null
  kms_key_arn    = local.create_kms_key ? module.kms.key_arn : var.kms_key_arn

  # ElastiCache names member clusters <id>-<shard 4 digits>-<node 3 digits> in cluster mode, <id>-<node 3 digits> otherwise.
  member_cluster_ids = local.cluster_mode ? flatten([
    for shard in range(1, local.shards + 1) : [for node in range(1, local.replicas + 2) : format("%s-%04d-%03d", var.name, shard, node)]
  ]) : [for node in range(1, local.replicas + 2) : format("%s-%03d", var.name, node)]
}

################################################################################
# Network
################################################################################

resource "aws_elasticache_subnet_group" "this" {
  count = var.create ? 1 : 0

  name        = var.name
  description = "Private subnets of ${var.name}"
  subnet_ids  = var.subnet_ids

  tags = var.tags
}

resource "aws_security_group" "this" {
  count = var.create ? 1 : 0

  name_prefix = "${var.name}-cache-"
  description = "Redis ${var.name}: open only to its client security groups"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-cache" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "clients" {
  for_each = var.create ? var.allowed_security_group_ids : {}

  security_group_id            = aws_security_group.this[0].id
  description                  = "Redis from ${each.key}"
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
  alias       = "${var.name}-cache"
  description = "At-rest data, AUTH token secret and logs of cache ${var.name}"
  # Only this cache's log delivery groups.
  log_group_names = [for log_type in var.log_types : "/aws/elasticache/${var.name}/${log_type}"]

  tags = var.tags
}

################################################################################
# Authentication
################################################################################

# Redis AUTH accepts 16-128 printable characters except /, " and @.
resource "random_password" "auth_token" {
  count = local.create_token ? 1 : 0

  length           = 64
  special          = true
  override_special = "!&#$^<>-"
}

resource "aws_secretsmanager_secret" "auth_token" {
  count = local.create_token ? 1 : 0

  #checkov:skip=CKV2_AWS_57:The AUTH token is rotated through Terraform (auth_token_update_strategy ROTATE), not by a rotation Lambda.
  name_prefix             = "${var.name}/redis-auth-token-"
  description             = "AUTH token of ElastiCache replication group ${var.name}"
  kms_key_id              = local.kms_key_arn
  recovery_window_in_days = var.auth_token_secret_recovery_window_days

  tags = var.tags
}

resource "aws_secretsmanager_secret_version" "auth_token" {
  count = local.create_token ? 1 : 0

  secret_id     = aws_secretsmanager_secret.auth_token[0].id
  secret_string = random_password.auth_token[0].result
}

################################################################################
# Parameter group
################################################################################

# The family and cluster mode are in the name, so a change of either creates the new group first and
# moves the replication group to it before the old one (still in use until then) is deleted.
resource "aws_elasticache_parameter_group" "this" {
  count = var.create ? 1 : 0

  name        = "${var.name}-${var.engine}${local.engine_major}-cluster-${local.cluster_mode ? "on" : "off"}"
  description = "${var.engine} ${local.engine_major} parameters of ${var.name} (cluster mode ${local.cluster_mode ? "on" : "off"})"
  family      = "${var.engine}${local.engine_major}"

  dynamic "parameter" {
    for_each = merge(var.parameters, { "cluster-enabled" = local.cluster_mode ? "yes" : "no" })

    content {
      name  = parameter.key
      value = parameter.value
    }
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

################################################################################
# Replication group
################################################################################

resource "aws_elasticache_replication_group" "this" {
  count = var.create ? 1 : 0

  #checkov:skip=CKV2_AWS_50:Automatic failover is on in cluster mode and whenever there is a replica, Multi-AZ whenever there is a replica; single-node groups (dev) cannot fail over.
  replication_group_id = var.name
  description          = "Redis of ${var.name}"
  engine               = var.engine
  engine_version       = var.engine_version
  node_type            = var.node_type
  port                 = var.port
  parameter_group_name = aws_elasticache_parameter_group.this[0].name

  cluster_mode            = local.cluster_mode ? "enabled" : "disabled"
  num_node_groups         = local.cluster_mode ? local.shards : null
  replicas_per_node_group = local.cluster_mode ? local.replicas : null
  num_cache_clusters      = local.cluster_mode ? null : 1 + local.replicas

  automatic_failover_enabled = local.failover
  multi_az_enabled           = local.multi_az

  subnet_group_name  = aws_elasticache_subnet_group.this[0].name
  security_group_ids = [aws_security_group.this[0].id]

  at_rest_encryption_enabled = "true"
  kms_key_id                 = local.kms_key_arn
  transit_encryption_enabled = true
  auth_token                 = local.create_token ? random_password.auth_token[0].result : null
  auth_token_update_strategy = local.create_token ? "ROTATE" : null
  user_group_ids             = length(var.user_group_ids) > 0 ? var.user_group_ids : null

  snapshot_retention_limit = var.snapshot_retention_limit
  snapshot_window          = var.snapshot_window
  maintenance_window       = var.maintenance_window
  notification_topic_arn   = var.notification_topic_arn

  auto_minor_version_upgrade = true
  apply_immediately          = var.apply_immediately

  lifecycle {
    # The engine's own versions (a validation reading var.engine would need Terraform 1.9; the floor is 1.5).
    precondition {
      condition     = var.engine == "valkey" ? can(regex("^(7\\.2|8\\.[0-9]+)$", var.engine_version)) : contains(["7.0", "7.1"], var.engine_version)
      error_message = "engine_version ${var.engine_version} is not a ${var.engine} version: redis (Redis OSS) takes \"7.0\" or \"7.1\" (its last), valkey \"7.2\" or 8.x such as \"8.0\"."
    }
  }

  dynamic "log_delivery_configuration" {
    for_each = aws_cloudwatch_log_group.this

    content {
      destination      = log_delivery_configuration.value.name
      destination_type = "cloudwatch-logs"
      log_format       = "json"
      log_type         = log_delivery_configuration.key
    }
  }

  tags = var.tags
}

################################################################################
# Log delivery
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  for_each = var.create ? toset(var.log_types) : toset([])

  #checkov:skip=CKV_AWS_338:Retention is set per environment (log_retention_days); one year is not required for cache logs.
  #checkov:skip=CKV_AWS_158:Encrypted with kms_key_arn or the module's key; null only when create_kms_key is false.
  name              = "/aws/elasticache/${var.name}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = local.kms_key_arn

  tags = var.tags
}
