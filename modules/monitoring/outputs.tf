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
  description = "Names of all alarms the module created, in the order of their keys."
  value       = [for alarm in aws_cloudwatch_metric_alarm.this : alarm.alarm_name]
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

output "alarm_thresholds" {
  description = "The planned thresholds of the service-level alarms, read from them: latency_p95_seconds (p95 TargetResponseTime) and latency_statistic, availability_min_percent, cache_hit_rate_min_percent and the cache nodes the hit-rate alarms watch (null or [] when the alarm is not created). For tests and plan reviews."
  value = {
    latency_p95_seconds        = try(aws_cloudwatch_metric_alarm.this["alb-latency-p95"].threshold, null)
    latency_statistic          = try(aws_cloudwatch_metric_alarm.this["alb-latency-p95"].extended_statistic, null)
    availability_min_percent   = try(aws_cloudwatch_metric_alarm.this["availability"].threshold, null)
    cache_hit_rate_min_percent = try(one(distinct([for key in keys(local.cache_alarms) : aws_cloudwatch_metric_alarm.this[key].threshold])), null)
    cache_hit_rate_nodes = sort(flatten([
      for key in keys(local.cache_alarms) : [
        for query in aws_cloudwatch_metric_alarm.this[key].metric_query : query.metric[0].dimensions["CacheClusterId"] if length(query.metric) > 0 && try(query.metric[0].metric_name, "") == "CacheHits"
      ]
    ]))
  }
}

output "budget_cost_filters" {
  description = "Cost filters of the budget ({ name, values }); empty means the whole account."
  value       = try([for filter in aws_budgets_budget.this[0].cost_filter : { name = filter.name, values = filter.values }], [])
}
