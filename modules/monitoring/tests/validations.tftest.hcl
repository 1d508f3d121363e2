# Every validation of the module's variables, each broken once: a rule no test can break is not known to work.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name           = "edu-platform-test"
  alb_arn_suffix = "app/edu-platform-test/0123456789abcdef"
}

run "alarm_email_without_a_domain" {
  command = plan
  variables { alarm_emails = ["oncall"] }
  expect_failures = [var.alarm_emails]
}

run "log_retention_not_a_cloudwatch_value" {
  command = plan
  variables { log_retention_days = 45 }
  expect_failures = [var.log_retention_days]
}

run "latency_threshold_zero" {
  command = plan
  variables { latency_p95_ms = 0 }
  expect_failures = [var.latency_p95_ms]
}

run "http_5xx_rate_zero" {
  command = plan
  variables { http_5xx_rate_max_percent = 0 }
  expect_failures = [var.http_5xx_rate_max_percent]
}

run "availability_above_100" {
  command = plan
  variables { availability_min_percent = 100.1 }
  expect_failures = [var.availability_min_percent]
}

run "cache_hit_rate_above_100" {
  command = plan
  variables { cache_hit_rate_min_percent = 101 }
  expect_failures = [var.cache_hit_rate_min_percent]
}

run "budget_minimum_above_maximum" {
  command = plan
  variables { budget = { monthly_min_usd = 300, monthly_max_usd = 200 } }
  expect_failures = [var.budget]
}

run "target_group_key_in_upper_case" {
  command = plan
  variables { target_group_arn_suffixes = { Blue = "targetgroup/edu-platform-test-blue/0123456789abcdef" } }
  expect_failures = [var.target_group_arn_suffixes]
}

run "db_engine_mode_aurora_provisioned" {
  command = plan
  variables { db_engine_mode = "aurora" }
  expect_failures = [var.db_engine_mode]
}

run "waf_scope_in_lower_case" {
  command = plan
  variables { waf_scope = "regional" }
  expect_failures = [var.waf_scope]
}

run "alarm_subscription_protocol_email_json" {
  command = plan
  variables { alarm_subscriptions = [{ protocol = "email-json", endpoint = "oncall@example.com" }] }
  expect_failures = [var.alarm_subscriptions]
}
