# Pins issue 13 defects 9, 10 (monitoring side) and the planning documents' proactive database alerts:
# an outage (missing data) breaches, healthy hosts and running tasks are watched, slow statements over 5 s
# and deadlocks are counted in every postgresql log group, and disks are watched for RDS and Aurora.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name                      = "edu-test"
  alb_arn_suffix            = "app/edu-test/0123456789abcdef"
  target_group_arn_suffixes = { blue = "targetgroup/blue-1/0123", green = "targetgroup/green-1/4567" }
  ecs_cluster_name          = "edu-test"
  ecs_service_name          = "edu-test"
  min_tasks                 = 2
  db_instance_identifiers   = ["edu-test", "edu-test-replica-1"]
  db_max_connections        = 200
  db_allocated_storage_gb   = 100
  db_log_group_names        = ["/aws/rds/instance/edu-test/postgresql", "/aws/rds/instance/edu-test-replica-1/postgresql"]
  db_log_min_duration_ms    = 5000
}

run "outage_breaches" {
  command = plan

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["availability"].treat_missing_data == "breaching"
    error_message = "A full outage (no requests reach the targets) must breach the availability alarm."
  }

  assert {
    condition = (aws_cloudwatch_metric_alarm.this["healthy-hosts"].treat_missing_data == "breaching"
      && aws_cloudwatch_metric_alarm.this["healthy-hosts"].threshold == 1
    && one([for query in aws_cloudwatch_metric_alarm.this["healthy-hosts"].metric_query : query.expression if query.return_data == true]) == "FILL(blue, 0) + FILL(green, 0)")
    error_message = "Healthy targets are summed over blue and green and missing data breaches."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["running-tasks"].threshold == 2 && aws_cloudwatch_metric_alarm.this["running-tasks"].treat_missing_data == "breaching"
    error_message = "Fewer running tasks than the service minimum must alarm."
  }
}

run "database_proactive_alerts" {
  command = plan

  assert {
    condition = toset(keys(aws_cloudwatch_log_metric_filter.db_logs)) == toset(flatten([
      for metric in ["slow-queries", "deadlocks"] : [for group in var.db_log_group_names : "${metric} ${group}"]
    ]))
    error_message = "Slow statements and deadlocks are counted in every postgresql log group, replicas included."
  }

  assert {
    condition     = aws_cloudwatch_log_metric_filter.db_logs["deadlocks /aws/rds/instance/edu-test/postgresql"].pattern == "\"deadlock detected\""
    error_message = "Deadlocks are PostgreSQL's \"deadlock detected\" lines."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["db-slow-queries"].alarm_description == "More than 10 statements slower than 5 s logged in 5 minutes."
    error_message = "The slow-query alarm counts statements over 5 s."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["edu-test:connections"].threshold == 160
    error_message = "Connections alarm at 80 % of max_connections."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["edu-test:free-storage"].threshold == 100 * 1073741824 * 20 / 100
    error_message = "Disk alarm when more than 80 % is used (less than 20 % free)."
  }
}

run "slow_query_log_threshold_must_match" {
  command = plan

  variables {
    db_log_min_duration_ms = 1000
  }

  expect_failures = [aws_cloudwatch_log_metric_filter.db_logs]
}

run "aurora_disk_alarm" {
  command = plan

  variables {
    db_engine_mode          = "aurora-serverless"
    db_instance_identifiers = ["edu-test-1", "edu-test-2"]
    db_allocated_storage_gb = null
    db_log_group_names      = ["/aws/rds/cluster/edu-test/postgresql"]
  }

  assert {
    condition     = toset([for key in keys(aws_cloudwatch_metric_alarm.this) : key if strcontains(key, "storage")]) == toset(["edu-test-1:free-local-storage", "edu-test-2:free-local-storage"])
    error_message = "Aurora instances are watched on free local storage."
  }

  assert {
    condition     = length([for key in keys(aws_cloudwatch_metric_alarm.this) : key if endswith(key, ":connections") || startswith(key, "db-")]) == 4
    error_message = "Aurora gets the connections and deadlock alarms too."
  }
}

run "dashboard_application_metrics" {
  command = plan

  variables {
    app_metrics = { namespace = "EduPlatform/App" }
  }

  assert {
    condition = toset([for widget in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets : widget.properties.title]) == toset([
      "ECS service CPU and memory (%)", "ALB p95 latency (s)", "ALB 5xx responses", "RDS CPU (%)", "RDS connections",
      "RDS free storage (bytes)", "Requests per subject", "BNCC searches per code", "Application cache hit rate (%)",
      "API latency p95 (ms)",
    ])
    error_message = "The dashboard shows the application's custom metrics."
  }

  assert {
    condition     = strcontains(aws_cloudwatch_dashboard.this[0].dashboard_body, "SEARCH('{EduPlatform/App,BnccCode} MetricName=\\\"BnccSearches\\\"'")
    error_message = "The custom metrics come from the configured namespace."
  }
}

run "no_max_connections_no_connections_alarm" {
  command = plan

  variables {
    db_max_connections = null
  }

  assert {
    condition     = length([for key in keys(aws_cloudwatch_metric_alarm.this) : key if endswith(key, ":connections")]) == 0 && length([for key in keys(aws_cloudwatch_metric_alarm.this) : key if endswith(key, ":free-storage")]) == 2
    error_message = "Without max_connections the instances keep their disk alarms and get no connections alarm (the unused row must still evaluate)."
  }
}
