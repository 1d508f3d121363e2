################################################################################
# Alarm topic
################################################################################

output "alarm_topic_arn" {
  description = "ARN of the SNS topic every alarm and the budget notify."
  value       = try(aws_sns_topic.this[0].arn, null)
}

output "kms_key_arn" {
  description = "KMS key encrypting the alarm topic."
  value       = local.kms_key_arn
}

################################################################################
# Log groups
################################################################################

output "log_group_names" {
  description = "Names of the extra log groups by key."
  value       = { for key, log_group in aws_cloudwatch_log_group.this : key => log_group.name }
}

################################################################################
# Alarms
################################################################################

output "alarm_names" {
  description = "Names of all alarms the module created."
  value = concat(
    aws_cloudwatch_metric_alarm.latency_p95[*].alarm_name,
    aws_cloudwatch_metric_alarm.http_5xx_rate[*].alarm_name,
    aws_cloudwatch_metric_alarm.availability[*].alarm_name,
    aws_cloudwatch_metric_alarm.healthy_hosts[*].alarm_name,
    aws_cloudwatch_metric_alarm.running_tasks[*].alarm_name,
    [for alarm in aws_cloudwatch_metric_alarm.db_connections : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.db_free_storage : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.db_free_local_storage : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.db_logs : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.cache_hit_rate : alarm.alarm_name],
  )
}

output "slow_query_metric" {
  description = "Namespace and name of the slow statement count metric, or null."
  value       = local.create_slow_query ? { namespace = local.metric_namespace, name = "SlowQueries" } : null
}

################################################################################
# Dashboard
################################################################################

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = try(aws_cloudwatch_dashboard.this[0].dashboard_name, null)
}

################################################################################
# Budget
################################################################################

output "budget_name" {
  description = "Name of the monthly budget, or null."
  value       = try(aws_budgets_budget.this[0].name, null)
}

output "budget_cost_filters" {
  description = "Cost filters of the budget ({ name, values }); empty means the whole account."
  value       = try([for filter in aws_budgets_budget.this[0].cost_filter : { name = filter.name, values = filter.values }], [])
}
