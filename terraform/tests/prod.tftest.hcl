# Production: the real root planned with prod's rendered tfvars (`toolkit check --tests` renders build/prod/terraform.tfvars
# and passes it with -var-file), against the offline stub providers. Every size is read from var.*: the numbers
# live once, in envs/*.yaml (checked against the sizing plan by tests/foundation); this file proves the root and
# the modules plan exactly those values.

run "prod_sizes" {
  command = plan

  assert {
    condition     = var.environment == "prod"
    error_message = "this file asserts prod's sizes: run it with build/prod/terraform.tfvars (toolkit check --tests)"
  }

  # Database
  assert {
    condition     = var.database.engine_mode == "aurora-serverless" || (module.database.sizing.instance_class == var.database.instance_class && module.database.sizing.allocated_storage_gb == var.database.allocated_storage_gb && module.database.sizing.max_allocated_storage_gb == var.database.max_allocated_storage_gb)
    error_message = "prod database has the environment's instance class and storage (sizing plan, production)"
  }

  assert {
    condition     = module.database.sizing.multi_az == var.database.multi_az
    error_message = "prod database Multi-AZ as the environment says (sizing plan, production)"
  }

  assert {
    condition     = module.database.sizing.backup_retention_days == max(var.database.backup_retention_days, var.database.engine_mode == "aurora-serverless" ? 1 : 0)
    error_message = "prod database keeps the environment's days of automated backups (sizing plan, production)"
  }

  assert {
    condition     = module.database.sizing.read_replicas == var.database.read_replicas && module.database.sizing.performance_insights == var.database.performance_insights
    error_message = "prod database has the environment's read replicas and Performance Insights setting (sizing plan, production)"
  }

  assert {
    condition     = var.database.engine_mode != "aurora-serverless" || (module.database.sizing.serverless_min_acu == var.database.serverless_min_acu && module.database.sizing.serverless_max_acu == var.database.serverless_max_acu)
    error_message = "prod Aurora Serverless v2 scales between the environment's ACU bounds (sizing plan, Aurora option)"
  }

  assert {
    condition     = module.database.sizing.storage_encrypted && module.database.sizing.deletion_protection == var.database.deletion_protection
    error_message = "prod database is encrypted, deletion-protected as the environment says (security plan: LGPD encryption at rest)"
  }

  # Cache
  assert {
    condition     = module.cache.sizing.node_type == var.cache.node_type && module.cache.sizing.cluster_mode == var.cache.cluster_mode
    error_message = "prod cache has the environment's node type and cluster mode (sizing plan, production)"
  }

  assert {
    condition     = module.cache.sizing.shards == (var.cache.cluster_mode ? var.cache.shards : 1) && module.cache.sizing.replicas_per_shard == var.cache.replicas_per_shard
    error_message = "prod cache has the environment's shards and replicas per shard (sizing plan, production)"
  }

  assert {
    condition     = module.cache.sizing.at_rest_encryption_enabled && module.cache.sizing.transit_encryption_enabled
    error_message = "prod cache is encrypted at rest and in transit (security plan: LGPD encryption at rest and in transit)"
  }

  # Compute
  assert {
    condition     = module.compute.sizing.cpu == var.compute.cpu && module.compute.sizing.memory == var.compute.memory_mib
    error_message = "prod tasks have the environment's CPU and memory (sizing plan, production)"
  }

  assert {
    condition     = module.compute.sizing.min_capacity == var.compute.min_tasks && module.compute.sizing.max_capacity == var.compute.max_tasks
    error_message = "prod service scales between the environment's minimum and maximum tasks (sizing plan, production)"
  }

  # WAF
  assert {
    condition     = (output.waf_rules != null) == var.waf.enabled
    error_message = "prod has a web ACL exactly when waf.enabled (sizing plan, production)"
  }

  assert {
    condition = !var.waf.enabled || (
      output.waf_rules["rate-limit-per-ip"].rate_limit == var.waf.rate_limit &&
      output.waf_rules["rate-limit-per-ip"].rate_limit_window_seconds == var.waf.rate_limit_window_seconds &&
      output.waf_rules["block-outside-allowed-countries"].allowed_countries == var.waf.allowed_countries
    )
    error_message = "prod web ACL limits each IP to the environment's rate per window and allows only its countries (sizing plan, WAF)"
  }

  assert {
    condition     = !var.waf.enabled || alltrue([for group in ["AWSManagedRulesSQLiRuleSet", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesBotControlRuleSet"] : output.waf_rules[group].blocks])
    error_message = "prod web ACL blocks SQL injection, XSS (Common rule set) and bots with the AWS managed rules (sizing plan, WAF)"
  }

  # Storage
  assert {
    condition     = toset(keys(module.storage.bucket_settings)) == toset(keys(var.storage.buckets)) && alltrue([for name, bucket in var.storage.buckets : module.storage.bucket_settings[name].versioning == (bucket.versioning ? "Enabled" : "Suspended")])
    error_message = "prod has the environment's buckets, versioned as it says (ml-models versioned; storage plan)"
  }

  assert {
    condition = alltrue(flatten([for name, bucket in var.storage.buckets : [for rule in bucket.lifecycle : [
      module.storage.bucket_settings[name].lifecycle[rule.id].transitions == { for transition in rule.transitions : tostring(transition.days) => transition.storage_class },
      module.storage.bucket_settings[name].lifecycle[rule.id].expiration_days == rule.expiration_days,
    ]]]))
    error_message = "prod buckets have the environment's lifecycle rules: exports to Glacier at 30 d, expired at 90 d; uploads to Standard-IA at 30 d, Glacier at 60 d (storage plan)"
  }

  # Monitoring and logs
  assert {
    condition     = module.monitoring.alarm_thresholds.latency_p95_seconds == var.monitoring.latency_p95_ms / 1000 && module.monitoring.alarm_thresholds.latency_statistic == "p95"
    error_message = "prod alarms when the API's p95 latency exceeds the environment's threshold (monitoring plan: P95 500 ms)"
  }

  assert {
    condition     = module.monitoring.alarm_thresholds.cache_hit_rate_min_percent == var.monitoring.cache_hit_rate_min_percent && module.monitoring.alarm_thresholds.cache_hit_rate_nodes == sort(module.cache.member_cluster_ids)
    error_message = "prod alarms when the hit rate of any cache node falls below the environment's minimum (monitoring plan: cache hit rate 80 %)"
  }

  assert {
    condition = alltrue([
      module.database.sizing.log_retention_days == var.monitoring.log_retention_days,
      module.cache.sizing.log_retention_days == var.monitoring.log_retention_days,
      module.compute.sizing.log_retention_days == var.monitoring.log_retention_days,
    ])
    error_message = "prod database, cache and container logs are kept the environment's log retention (monitoring plan: log retention)"
  }

  # What a protected environment must have, whatever its sizes.
  assert {
    condition     = module.database.sizing.multi_az
    error_message = "prod database is Multi-AZ (sizing plan, production)"
  }

  assert {
    condition     = module.database.sizing.read_replicas > 0 && module.database.sizing.performance_insights
    error_message = "prod database has read replicas and Performance Insights (sizing plan, production)"
  }

  assert {
    condition     = module.database.sizing.deletion_protection
    error_message = "prod database is deletion-protected (protected environment)"
  }

  assert {
    condition     = module.cache.sizing.cluster_mode && module.cache.sizing.automatic_failover_enabled && module.cache.sizing.multi_az_enabled
    error_message = "prod cache runs in cluster mode with Multi-AZ failover (sizing plan, production)"
  }

  assert {
    condition     = output.waf_rules != null
    error_message = "prod API is behind the WAF (sizing plan, production: WAF on)"
  }
}
