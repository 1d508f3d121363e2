# The service-level alarms of the monitoring plan with the module's defaults: API p95 latency above 500 ms and a
# cache hit rate below 80 % page the on-call topic; every cache node is watched.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name                       = "edu-platform-test"
  alarm_emails               = ["oncall@example.com"]
  alb_arn_suffix             = "app/edu-platform-test/0123456789abcdef"
  ecs_cluster_name           = "edu-platform-test"
  ecs_service_name           = "edu-platform-test"
  db_instance_identifiers    = ["edu-platform-test"]
  db_max_connections         = 200
  db_allocated_storage_gb    = 20
  cache_replication_group_id = "edu-platform-test"
  cache_member_cluster_ids   = ["edu-platform-test-0001-001", "edu-platform-test-0001-002", "edu-platform-test-0001-003", "edu-platform-test-0002-001", "edu-platform-test-0002-002", "edu-platform-test-0002-003"]
  budget                     = { monthly_min_usd = 150, monthly_max_usd = 200 }
}

run "monitoring_plan_alarms" {
  command = plan

  assert {
    condition     = output.alarm_thresholds.latency_p95_seconds == 0.5 && output.alarm_thresholds.latency_statistic == "p95"
    error_message = "an alarm fires when the API's p95 response time exceeds 500 ms (monitoring plan: P95 latency 500 ms)"
  }

  assert {
    condition     = output.alarm_thresholds.cache_hit_rate_min_percent == 80
    error_message = "an alarm fires when the cache hit rate falls below 80 % (monitoring plan: cache hit rate 80 %)"
  }

  assert {
    condition     = output.alarm_thresholds.cache_hit_rate_nodes == sort(var.cache_member_cluster_ids)
    error_message = "the hit-rate alarms watch every cache node, five per alarm (CloudWatch: 10 metrics per metric-math alarm)"
  }

  assert {
    condition     = toset([for key in keys(aws_cloudwatch_metric_alarm.this) : key if startswith(key, "nodes-")]) == toset(["nodes-1-5", "nodes-6-6"])
    error_message = "six nodes need two hit-rate alarms of at most five nodes each (CloudWatch: 10 metrics per metric-math alarm)"
  }

  assert {
    condition     = aws_sns_topic_subscription.email["oncall@example.com"].protocol == "email"
    error_message = "every alarm e-mail address is subscribed to the alarm topic (monitoring plan: alerts)"
  }

  assert {
    condition     = alltrue([for key in ["edu-platform-test:connections", "edu-platform-test:free-storage"] : contains(keys(aws_cloudwatch_metric_alarm.this), key)])
    error_message = "database connections near the limit and low free storage are alarmed (recommendations: proactive alerts)"
  }
}

run "thresholds_follow_the_inputs" {
  command = plan

  variables {
    latency_p95_ms             = 800
    cache_hit_rate_min_percent = 90
    log_groups                 = { app = { name = "/edu-platform-test/app" } }
    log_retention_days         = 90
  }

  assert {
    condition     = output.alarm_thresholds.latency_p95_seconds == var.latency_p95_ms / 1000 && output.alarm_thresholds.cache_hit_rate_min_percent == var.cache_hit_rate_min_percent
    error_message = "the alarm thresholds follow latency_p95_ms and cache_hit_rate_min_percent (module contract)"
  }

  assert {
    condition     = aws_cloudwatch_log_group.this["app"].retention_in_days == var.log_retention_days
    error_message = "extra log groups are kept log_retention_days unless they say otherwise (monitoring plan: log retention)"
  }
}

run "alarms_come_from_the_tables" {
  command = plan

  assert {
    condition = output.alarm_names == [
      "edu-platform-test-alb-5xx-rate", "edu-platform-test-alb-latency-p95", "edu-platform-test-availability",
      "edu-platform-test-connections", "edu-platform-test-free-storage", "edu-platform-test-cache-hit-rate-nodes-1-5",
      "edu-platform-test-cache-hit-rate-nodes-6-6", "edu-platform-test-running-tasks",
    ]
    error_message = "alarm_names lists every alarm of the tables in key order: service, database (per instance) and cache rows"
  }

  assert {
    condition     = alltrue([for alarm in aws_cloudwatch_metric_alarm.this : (alarm.namespace == null) == (length(alarm.metric_query) > 0)])
    error_message = "a row is either one metric (namespace, metric_name) or metric math (metric_query), never both"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["edu-platform-test:connections"].dimensions["DBInstanceIdentifier"] == "edu-platform-test" && aws_cloudwatch_metric_alarm.this["edu-platform-test:connections"].namespace == "AWS/RDS" && aws_cloudwatch_metric_alarm.this["edu-platform-test:connections"].treat_missing_data == "missing"
    error_message = "database rows watch AWS/RDS per instance and count missing data as missing"
  }
}
