data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  name = "${var.project}-${var.environment}"
  # The name each module takes, cut to its limit (the modules' own rules, from AWS's: S3 prefix 20 so bucket
  # names stay within 63, audit 32, load balancer 32, ElastiCache 40, RDS 52, Lambda 50 + "-migrations"), with
  # runs of '-' folded and a trailing '-' trimmed, which RDS and ElastiCache refuse. envs/ names fit uncut.
  names = {
    for use, limit in { buckets = 20, audit = 32, compute = 32, cache = 40, database = 52, migrations = 50 } :
    use => trim(substr(replace(local.name, "/-+/", "-"), 0, limit), "-")
  }
  is_aurora = var.database.engine_mode == "aurora-serverless"
  # The WAF choice, made once: the edge ACL (cdn.tf, CloudFront scope) when the CDN is on, the load balancer's
  # regional ACL otherwise; web_acl is the one in use (null when waf.enabled is false).
  waf_at_edge = var.waf.enabled && var.cdn.enabled
  waf_on_alb  = var.waf.enabled && !var.cdn.enabled
  web_acl     = one(concat(module.waf[*], module.waf_cloudfront[*]))
  # Deletion protection marks the environments whose data and endpoints must survive mistakes (prod).
  protected        = var.database.deletion_protection
  create_migration = var.migrations_package_path != null
  use_new_vpc      = var.network.existing_vpc_id == null

  tags = merge({
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
  }, var.tags)
}

################################################################################
# Log encryption
################################################################################

# Every log group the modules create outside the data tier (whose modules keep their own keys) is encrypted with
# the environment's logs key; CloudWatch Logs may use it only for these names (the modules' own naming).
locals {
  migrations_name = "${local.names.migrations}-migrations"
  log_group_names = merge(
    {
      ecs       = "/ecs/${local.names.compute}"
      flow_logs = "/aws/vpc-flow-log/${local.name}"
      waf       = "aws-waf-logs-${local.name}"
    },
    local.create_migration ? { migrations = "/aws/lambda/${local.migrations_name}" } : {},
  )
}

module "logs_kms" {
  source = "../modules/kms-key"

  alias           = "${local.name}-logs"
  description     = "Log groups of ${local.name}: containers, VPC flow logs, WAF, migrations Lambda"
  log_group_names = values(local.log_group_names)

  tags = local.tags
}

# CloudFront's web ACL logs live in us-east-1, where a key of this region cannot be used.
module "edge_logs_kms" {
  source = "../modules/kms-key"
  count  = local.waf_at_edge ? 1 : 0

  providers = {
    aws = aws.us_east_1
  }

  alias           = "${local.name}-edge-logs"
  description     = "Edge web ACL logs of ${local.name}"
  log_group_names = ["aws-waf-logs-${local.name}-edge"]

  tags = local.tags
}

################################################################################
# Network
################################################################################

module "network" {
  source = "../modules/network"

  name                        = local.name
  vpc_cidr                    = var.network.vpc_cidr
  availability_zones          = var.network.availability_zones
  single_nat_gateway          = var.network.single_nat_gateway
  existing_vpc_id             = var.network.existing_vpc_id
  existing_public_subnet_ids  = var.existing_public_subnet_ids
  existing_private_subnet_ids = var.existing_private_subnet_ids
  log_retention_days          = var.monitoring.log_retention_days
  flow_log_kms_key_arn        = module.logs_kms.key_arn

  tags = local.tags
}

################################################################################
# The data tier's clients
################################################################################

# The security groups of the database's and the cache's clients (the tasks; the migration runner), made before the
# data tier: the database and the cache let them in, compute and migrations_runner take them as inputs and add
# their own rules, so every module reads only modules above it (terraform-aws-ecs passes its service's group in).
locals {
  client_security_groups = merge(
    {
      app = {
        name        = "${local.names.compute}-service"
        description = "Tasks of ${local.names.compute}: container port from the load balancer only"
      }
    },
    local.create_migration ? {
      migrations = {
        name        = local.migrations_name
        description = "Migration runner ${local.migrations_name}: egress to the database and HTTPS to Secrets Manager only"
      }
    } : {},
  )
}

resource "aws_security_group" "client" {
  for_each = local.client_security_groups

  #checkov:skip=CKV2_AWS_5:Attached by the modules it is passed to (compute's service, the migrations Lambda).
  name_prefix = "${each.value.name}-"
  description = each.value.description
  vpc_id      = module.network.vpc_id

  tags = merge(local.tags, { Name = each.value.name })

  lifecycle {
    create_before_destroy = true
  }
}

################################################################################
# Database
################################################################################

module "database" {
  source = "../modules/database"

  name           = local.names.database
  engine_mode    = var.database.engine_mode
  engine_version = var.database.engine_version

  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.private_subnet_ids
  allowed_security_group_ids = { for client, group in aws_security_group.client : client => group.id }

  instance_class           = var.database.instance_class
  allocated_storage_gb     = var.database.allocated_storage_gb
  max_allocated_storage_gb = var.database.max_allocated_storage_gb
  multi_az                 = var.database.multi_az
  read_replicas            = var.database.read_replicas

  serverless_min_acu = var.database.serverless_min_acu
  serverless_max_acu = var.database.serverless_max_acu

  backup_retention_days = var.database.backup_retention_days
  deletion_protection   = var.database.deletion_protection
  # A reviewed engine_version change in envs/ is the decision to upgrade (the seeds' 14 -> 15 plan); RDS refuses a
  # major version change without this flag.
  allow_major_version_upgrade = true

  performance_insights                 = var.database.performance_insights
  enhanced_monitoring_interval_seconds = var.database.enhanced_monitoring_interval_seconds
  log_retention_days                   = var.monitoring.log_retention_days

  parameters = var.database.parameters

  aws_backup = var.backup

  tags = local.tags
}

################################################################################
# Cache
################################################################################

module "cache" {
  source = "../modules/cache"

  name           = local.names.cache
  create         = var.cache.enabled
  engine_version = var.cache.engine_version
  node_type      = var.cache.node_type

  replication = {
    cluster_mode       = var.cache.cluster_mode
    shards             = var.cache.shards
    replicas_per_shard = var.cache.replicas_per_shard
  }

  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.private_subnet_ids
  allowed_security_group_ids = { app = aws_security_group.client["app"].id }

  # No notification_topic_arn: ElastiCache cannot publish to the KMS-encrypted alarm topic (its notification
  # status turns inactive); the monitoring module routes ElastiCache's EventBridge events to the topic instead.
  log_retention_days = var.monitoring.log_retention_days

  tags = local.tags
}

################################################################################
# Storage
################################################################################

module "storage" {
  source = "../modules/storage"

  name_prefix = local.names.buckets
  buckets     = var.storage.buckets
  # The load balancer's access logs (seeds 003: logs for every service) into the locked-down log bucket.
  load_balancer_access_logs = true

  tags = local.tags
}

################################################################################
# Compute
################################################################################

# The application reads and writes its own buckets, nothing else in S3.
data "aws_iam_policy_document" "app_storage" {
  statement {
    sid       = "ListBuckets"
    actions   = ["s3:ListBucket"]
    resources = length(module.storage.bucket_arns) > 0 ? values(module.storage.bucket_arns) : ["arn:aws:s3:::${local.names.buckets}-none"]
  }

  statement {
    sid       = "ReadWriteObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = length(module.storage.bucket_arns) > 0 ? [for arn in values(module.storage.bucket_arns) : "${arn}/*"] : ["arn:aws:s3:::${local.names.buckets}-none/*"]
  }

  statement {
    sid       = "UseBucketKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [module.storage.kms_key_arn]
  }

  # The application signs in as its own database user with IAM authentication (a token per connection),
  # never with the master user's RDS-managed secret, which rotates every 7 days while tasks read it only
  # at start. The user is created by the migrations (examples/migrations/011_app_user.sql).
  statement {
    sid     = "DatabaseIamConnect"
    actions = ["rds-db:connect"]
    resources = [
      for resource_id in module.database.iam_connect_resource_ids :
      "arn:${data.aws_partition.current.partition}:rds-db:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:dbuser:${resource_id}/${var.database.app_username}"
    ]
  }
}

# The application image: a private ECR repository of this account (pull rights for exactly it, the tag checked at
# plan time and pinned by digest so a re-pushed tag cannot change running tasks), or a full reference as given.
data "aws_ecr_repository" "app" {
  count = var.compute.ecr_repository != null ? 1 : 0

  name = var.compute.ecr_repository
}

data "aws_ecr_image" "app" {
  count = var.compute.ecr_repository != null ? 1 : 0

  repository_name = var.compute.ecr_repository
  image_tag       = var.compute.image_tag
}

locals {
  container_image     = var.compute.ecr_repository != null ? "${data.aws_ecr_repository.app[0].repository_url}@${data.aws_ecr_image.app[0].image_digest}" : var.compute.container_image
  ecr_repository_arns = var.compute.ecr_repository != null ? [data.aws_ecr_repository.app[0].arn] : []
}

module "compute" {
  source = "../modules/compute"

  name               = local.names.compute
  vpc_id             = module.network.vpc_id
  public_subnet_ids  = module.network.public_subnet_ids
  private_subnet_ids = module.network.private_subnet_ids

  create_service_security_group = false
  service_security_group_id     = aws_security_group.client["app"].id

  container_image     = local.container_image
  container_port      = var.compute.container_port
  ecr_repository_arns = local.ecr_repository_arns
  health_check        = { path = var.compute.health_check_path }
  deployment_strategy = var.compute.deployment_strategy
  task_size = {
    cpu        = var.compute.cpu
    memory_mib = var.compute.memory_mib
  }
  enable_xray = var.enable_xray

  # Without the cache the application runs as the short rollback tier leaves it: CACHE_ENABLED=false, no REDIS_URL.
  environment = merge(var.app_settings, var.cache.enabled ? { REDIS_URL = module.cache.redis_url } : { CACHE_ENABLED = "false" }, {
    ENVIRONMENT   = var.environment
    DATABASE_HOST = module.database.endpoint
    # Read-only queries go to the readers when there are any (the writer otherwise).
    DATABASE_READER_HOST = var.database.read_replicas > 0 ? module.database.reader_endpoint : module.database.endpoint
    DATABASE_PORT        = tostring(module.database.port)
    DATABASE_NAME        = module.database.database_name
    DATABASE_USERNAME    = var.database.app_username
    DATABASE_AUTH        = "iam"
  })
  secrets              = merge(var.cache.enabled ? { REDIS_AUTH_TOKEN = module.cache.auth_token_secret_arn } : {}, var.container_secrets)
  secrets_kms_key_arns = var.cache.enabled ? [module.cache.kms_key_arn] : []

  attach_task_role_policy = true
  task_role_policy_json   = data.aws_iam_policy_document.app_storage.json

  egress_security_group_rules = merge(
    { database = { security_group_id = module.database.security_group_id, port = module.database.port } },
    var.cache.enabled ? { cache = { security_group_id = module.cache.security_group_id, port = module.cache.port } } : {},
  )

  certificate_arn            = local.alb_certificate_arn
  enable_https               = local.alb_https
  ingress_cidr_blocks        = var.compute.ingress_cidr_blocks
  access_logs_bucket         = module.storage.load_balancer_access_log_bucket
  enable_deletion_protection = local.protected
  # With the CDN on, only CloudFront (its origin-facing prefix list, carrying the secret header) gets in.
  ingress_prefix_list_ids = local.cdn_enabled && local.has_domain && local.alb_https ? [data.aws_ec2_managed_prefix_list.cloudfront_origin_facing[0].id] : []
  origin_verify_header    = local.cdn_enabled ? { name = local.origin_verify_header_name, value = random_password.origin_verify[0].result } : null
  autoscaling             = var.compute.autoscaling
  min_tasks               = var.compute.min_tasks
  max_tasks               = var.compute.max_tasks
  log_retention_days      = var.monitoring.log_retention_days
  log_kms_key_arn         = module.logs_kms.key_arn

  tags = local.tags
}

################################################################################
# WAF
################################################################################

# Without the CDN the regional ACL protects the load balancer; with it, the edge ACL (cdn.tf) does.
module "waf" {
  source = "../modules/waf"
  count  = local.waf_on_alb ? 1 : 0

  name                      = local.name
  rate_limit                = var.waf.rate_limit
  rate_limit_window_seconds = var.waf.rate_limit_window_seconds
  allowed_countries         = var.waf.allowed_countries
  resource_arn              = module.compute.alb_arn
  log_retention_days        = var.monitoring.log_retention_days
  log_kms_key_arn           = module.logs_kms.key_arn

  tags = local.tags
}

################################################################################
# Audit
################################################################################

module "audit" {
  source = "../modules/audit"
  count  = var.audit.cloudtrail ? 1 : 0

  name           = local.names.audit
  retention_days = var.audit.retention_days

  tags = local.tags
}

################################################################################
# Migrations
################################################################################

module "migrations_runner" {
  source = "../modules/migrations-runner"
  count  = local.create_migration ? 1 : 0

  name     = local.migrations_name
  filename = var.migrations_package_path

  vpc_id                                    = module.network.vpc_id
  subnet_ids                                = module.network.private_subnet_ids
  create_security_group                     = false
  security_group_id                         = aws_security_group.client["migrations"].id
  database_security_group_id                = module.database.security_group_id
  database_port                             = module.database.port
  use_secretsmanager_endpoint               = local.use_new_vpc
  secretsmanager_endpoint_security_group_id = module.network.endpoint_security_group_id
  https_egress_cidr_blocks                  = local.use_new_vpc ? [] : ["0.0.0.0/0"]

  database_secret_arn = module.database.master_user_secret_arn
  # Names read by toolkit/db/lambda_handler.py (see docs/MIGRATIONS.md).
  environment_variables = {
    TOOLKIT_DB_HOST      = module.database.endpoint
    TOOLKIT_DB_PORT      = tostring(module.database.port)
    TOOLKIT_DB_NAME      = module.database.database_name
    TOOLKIT_DB_SECRET_ID = module.database.master_user_secret_arn
  }

  log_retention_days = var.monitoring.log_retention_days
  log_kms_key_arn    = module.logs_kms.key_arn

  tags = local.tags
}

################################################################################
# Monitoring
################################################################################

module "monitoring" {
  source = "../modules/monitoring"

  name                = local.name
  alarm_emails        = var.monitoring.alarm_emails
  alarm_subscriptions = var.monitoring.alarm_subscriptions
  log_retention_days  = var.monitoring.log_retention_days

  alb_arn_suffix            = module.compute.alb_arn_suffix
  target_group_arn_suffixes = module.compute.target_group_arn_suffixes
  min_tasks                 = var.compute.min_tasks
  ecs_cluster_name          = module.compute.cluster_name
  ecs_service_name          = module.compute.service_name
  latency_p95_ms            = var.monitoring.latency_p95_ms
  availability_min_percent  = var.monitoring.availability_min_percent

  db_instance_identifiers = module.database.db_instance_identifiers
  db_max_connections      = try(tonumber(var.database.parameters["max_connections"]), null)
  db_allocated_storage_gb = local.is_aurora ? null : var.database.allocated_storage_gb
  db_engine_mode          = var.database.engine_mode
  db_log_group_names      = module.database.postgresql_log_group_names
  db_log_min_duration_ms  = try(tonumber(var.database.parameters["log_min_duration_statement"]), null)

  app_metrics = {
    namespace = var.monitoring.app_metrics_namespace
  }

  cache_replication_group_id = module.cache.replication_group_id
  forward_cache_events       = var.cache.enabled
  cache_member_cluster_ids   = module.cache.member_cluster_ids
  cache_hit_rate_min_percent = var.monitoring.cache_hit_rate_min_percent

  waf_web_acl_name = local.web_acl == null ? null : local.web_acl.web_acl_name
  waf_scope        = local.waf_at_edge ? "CLOUDFRONT" : "REGIONAL"

  # The budget covers this environment only: costs carrying its Environment cost allocation tag (activate
  # the tag in Billing); without the filter dev's budget would alert on prod's spend.
  budget_cost_filter_tags = { Environment = var.environment }
  budget = var.budget.enabled ? {
    monthly_min_usd = var.budget.monthly_min_usd
    monthly_max_usd = var.budget.monthly_max_usd
  } : null

  tags = local.tags
}
