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
    var.large_body.enabled ? { large_body = "${local.metric_prefix}_large_body" } : {},
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

output "rules" {
  description = "The web ACL's rules by name as planned: priority, whether matches are blocked (block action, or a managed group's own actions), rate limit and window, allowed countries ([] for other rules), managed rule group and Bot Control inspection level. For tests and plan reviews."
  value = var.create ? {
    for rule in aws_wafv2_web_acl.this[0].rule : rule.name => {
      priority                  = rule.priority
      blocks                    = try(length(rule.action[0].block) > 0, false) || try(length(rule.override_action[0].none) > 0, false)
      rate_limit                = try(rule.statement[0].rate_based_statement[0].limit, tonumber(null))
      rate_limit_window_seconds = try(rule.statement[0].rate_based_statement[0].evaluation_window_sec, tonumber(null))
      rate_limit_key            = try(rule.statement[0].rate_based_statement[0].aggregate_key_type, tostring(null))
      allowed_countries         = try(rule.statement[0].not_statement[0].statement[0].geo_match_statement[0].country_codes, [])
      managed_rule_group        = try("${rule.statement[0].managed_rule_group_statement[0].vendor_name}/${rule.statement[0].managed_rule_group_statement[0].name}", tostring(null))
      inspection_level          = try(rule.statement[0].managed_rule_group_statement[0].managed_rule_group_configs[0].aws_managed_rules_bot_control_rule_set[0].inspection_level, tostring(null))
      counted_rules             = try(sort([for override in rule.statement[0].managed_rule_group_statement[0].rule_action_override : override.name]), [])
    }
  } : {}
}
