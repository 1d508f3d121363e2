# The web ACL the security plan asks for, from the module's defaults alone: Brazil only, 100 requests per IP per
# 60 s, AWS managed rules against SQL injection, cross-site scripting (Common rule set) and bots.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name         = "edu-platform-test"
  resource_arn = "arn:aws:elasticloadbalancing:sa-east-1:123456789012:loadbalancer/app/edu-platform-test/0123456789abcdef"
}

run "defaults_follow_the_security_plan" {
  command = plan

  assert {
    condition     = output.rules["rate-limit-per-ip"].rate_limit == 100 && output.rules["rate-limit-per-ip"].rate_limit_window_seconds == 60
    error_message = "one IP may send 100 requests per 60 s before it is blocked (sizing plan, WAF: rate limiting 100 req/min per IP)"
  }

  assert {
    condition     = output.rules["rate-limit-per-ip"].rate_limit_key == "IP" && output.rules["rate-limit-per-ip"].blocks
    error_message = "the rate rule counts per client IP and blocks (sizing plan, WAF: rate limiting per IP)"
  }

  assert {
    condition     = output.rules["block-outside-allowed-countries"].allowed_countries == tolist(["BR"]) && output.rules["block-outside-allowed-countries"].blocks
    error_message = "requests from outside Brazil are blocked (sizing plan, WAF: geo-blocking, Brazil only)"
  }

  assert {
    condition     = output.rules["block-outside-allowed-countries"].priority == 0 && output.rules["rate-limit-per-ip"].priority == 1
    error_message = "the geo rule runs first and the rate rule second, before the managed rules (module contract: priorities 0 and 1)"
  }

  assert {
    condition     = output.rules["AWSManagedRulesSQLiRuleSet"].managed_rule_group == "AWS/AWSManagedRulesSQLiRuleSet" && output.rules["AWSManagedRulesSQLiRuleSet"].blocks
    error_message = "the AWS SQL injection rule set blocks what it matches (sizing plan, WAF: SQL injection protection)"
  }

  assert {
    condition     = output.rules["AWSManagedRulesCommonRuleSet"].managed_rule_group == "AWS/AWSManagedRulesCommonRuleSet" && output.rules["AWSManagedRulesCommonRuleSet"].blocks
    error_message = "the AWS Common rule set (its CrossSiteScripting_* rules) blocks XSS (sizing plan, WAF: XSS protection)"
  }

  assert {
    condition     = output.rules["AWSManagedRulesBotControlRuleSet"].managed_rule_group == "AWS/AWSManagedRulesBotControlRuleSet" && output.rules["AWSManagedRulesBotControlRuleSet"].inspection_level == "COMMON"
    error_message = "AWS Bot Control runs at the COMMON inspection level (sizing plan, WAF: bot protection)"
  }

  assert {
    condition     = aws_wafv2_web_acl.this[0].scope == "REGIONAL" && aws_wafv2_web_acl_association.this[0].resource_arn == var.resource_arn
    error_message = "the regional web ACL is associated with the load balancer (module contract: resource_arn)"
  }

  assert {
    condition     = aws_cloudwatch_log_group.this[0].name == "aws-waf-logs-${var.name}" && aws_cloudwatch_log_group.this[0].retention_in_days == 30
    error_message = "WAF logs go to aws-waf-logs-<name> (WAF only delivers there) kept 30 days by default (module default log_retention_days)"
  }
}

run "count_only_managed_group_does_not_block" {
  command = plan

  variables {
    managed_rule_groups = {
      AWSManagedRulesSQLiRuleSet = { priority = 20, override_action = "count" }
    }
    allowed_countries = []
  }

  assert {
    condition     = !output.rules["AWSManagedRulesSQLiRuleSet"].blocks
    error_message = "override_action = \"count\" only counts matches (module contract: managed_rule_groups)"
  }

  assert {
    condition     = !contains(keys(output.rules), "block-outside-allowed-countries")
    error_message = "an empty allowed_countries list turns the geo rule off (module contract: allowed_countries)"
  }
}

run "association_needs_a_resource" {
  command = plan

  variables {
    resource_arn = null
  }

  expect_failures = [aws_wafv2_web_acl_association.this]
}
