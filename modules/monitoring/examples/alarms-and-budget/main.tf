# Alarms, dashboard and budget for one environment, wired by hand to existing resources.
provider "aws" {
  region = "sa-east-1"
}

module "monitoring" {
  source = "../../"

  name         = "example-prod"
  alarm_emails = ["oncall@example.com"]

  alb_arn_suffix = "app/example/0123456789abcdef"
  target_group_arn_suffixes = {
    blue  = "targetgroup/blue-0123456789/0123456789abcdef"
    green = "targetgroup/green-0123456789/fedcba9876543210"
  }
  ecs_cluster_name = "example-prod"
  ecs_service_name = "example-prod"
  latency_p95_ms   = 500

  db_instance_identifiers = ["example-prod", "example-prod-replica-1"]
  db_max_connections      = 500
  db_allocated_storage_gb = 200
  db_log_group_names      = ["/aws/rds/instance/example-prod/postgresql", "/aws/rds/instance/example-prod-replica-1/postgresql"]
  db_log_min_duration_ms  = 5000

  cache_replication_group_id = "example-prod"
  cache_member_cluster_ids   = ["example-prod-0001-001", "example-prod-0001-002", "example-prod-0002-001", "example-prod-0002-002"]

  waf_web_acl_name = "example-prod"

  application_metrics = {
    namespace = "EduPlatform/Application"
  }

  # Only this environment's costs (an activated cost allocation tag).
  budget_cost_filter_tags = { Environment = "prod" }

  budget = {
    monthly_min_usd = 1500
    monthly_max_usd = 2500
  }
}

output "alarm_topic_arn" {
  description = "The alarm topic."
  value       = module.monitoring.alarm_topic_arn
}
