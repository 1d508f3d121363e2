# Every validation of the module's variables, each broken once: a rule no test can break is not known to work.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name         = "edu-platform-test"
  resource_arn = "arn:aws:elasticloadbalancing:sa-east-1:123456789012:loadbalancer/app/edu-platform-test/0123456789abcdef"
}

run "name_with_a_space" {
  command = plan
  variables { name = "edu platform" }
  expect_failures = [var.name]
}

run "default_action_deny" {
  command = plan
  variables { default_action = "deny" }
  expect_failures = [var.default_action]
}

run "country_in_lower_case" {
  command = plan
  variables { allowed_countries = ["br"] }
  expect_failures = [var.allowed_countries]
}

run "rate_limit_below_wafv2_minimum" {
  command = plan
  variables { rate_limit = 9 }
  expect_failures = [var.rate_limit]
}

run "rate_limit_window_not_a_wafv2_window" {
  command = plan
  variables { rate_limit_window_seconds = 90 }
  expect_failures = [var.rate_limit_window_seconds]
}

run "managed_group_override_action_block" {
  command = plan
  variables { managed_rule_groups = { AWSManagedRulesSQLiRuleSet = { priority = 20, override_action = "block" } } }
  expect_failures = [var.managed_rule_groups]
}

run "managed_group_priority_of_the_rate_rule" {
  command = plan
  variables { managed_rule_groups = { AWSManagedRulesSQLiRuleSet = { priority = 1 } } }
  expect_failures = [var.managed_rule_groups]
}

run "managed_group_priorities_repeated" {
  command = plan
  variables {
    managed_rule_groups = {
      AWSManagedRulesSQLiRuleSet   = { priority = 20 }
      AWSManagedRulesCommonRuleSet = { priority = 20 }
    }
  }
  expect_failures = [var.managed_rule_groups]
}

run "bot_control_inspection_level_unknown" {
  command = plan
  variables { managed_rule_groups = { AWSManagedRulesBotControlRuleSet = { priority = 40, inspection_level = "STRICT" } } }
  expect_failures = [var.managed_rule_groups]
}

run "log_retention_not_a_cloudwatch_value" {
  command = plan
  variables { log_retention_days = 45 }
  expect_failures = [var.log_retention_days]
}

run "scope_global" {
  command = plan
  variables { scope = "GLOBAL" }
  expect_failures = [var.scope]
}

run "managed_group_priority_of_the_large_body_rule" {
  command = plan
  variables { managed_rule_groups = { AWSManagedRulesSQLiRuleSet = { priority = 2 } } }
  expect_failures = [var.managed_rule_groups]
}

run "large_body_path_prefix_without_a_slash" {
  command = plan
  variables { large_body = { allowed_path_prefixes = ["api/uploads"] } }
  expect_failures = [var.large_body]
}

run "large_body_negative_max_bytes" {
  command = plan
  variables { large_body = { max_bytes = -1 } }
  expect_failures = [var.large_body]
}
