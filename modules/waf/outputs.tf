################################################################################
# Web ACL
################################################################################

output "web_acl_arn" {
  description = "ARN of the web ACL."
  value       = try(aws_wafv2_web_acl.this[0].arn, null)
}

output "web_acl_id" {
  description = "ID of the web ACL."
  value       = try(aws_wafv2_web_acl.this[0].id, null)
}

output "web_acl_name" {
  description = "Name of the web ACL: the WebACL dimension of its CloudWatch metrics (AWS/WAFV2)."
  value       = try(aws_wafv2_web_acl.this[0].name, null)
}

output "metric_names" {
  description = "CloudWatch metric names (the Rule dimension) by rule: geo, rate and each managed rule group."
  value = merge(
    { web_acl = local.metric_prefix, rate = "${local.metric_prefix}_rate_limit" },
    length(var.allowed_countries) > 0 ? { geo = "${local.metric_prefix}_geo_block" } : {},
    { for name, group in var.managed_rule_groups : name => "${local.metric_prefix}_${name}" },
  )
}

################################################################################
# Logging
################################################################################

output "log_group_name" {
  description = "CloudWatch log group receiving the WAF logs (aws-waf-logs-<name>)."
  value       = try(aws_cloudwatch_log_group.this[0].name, null)
}
