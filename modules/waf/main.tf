locals {
  metric_prefix = replace(var.name, "-", "_")
  # One regex over the allowed prefixes keeps the statement three levels deep (and, not, regex).
  large_body_paths_regex = "^(${join("|", [for prefix in var.large_body.allowed_path_prefixes : replace(prefix, ".", "\\.")])})(/|$)"
}

################################################################################
# Web ACL
################################################################################

resource "aws_wafv2_web_acl" "this" {
  count = var.create ? 1 : 0

  #checkov:skip=CKV_AWS_192:AWSManagedRulesKnownBadInputsRuleSet (Log4j) is in managed_rule_groups by default; checkov cannot resolve the dynamic rule through the us-east-1 (CLOUDFRONT) module call.

  name        = var.name
  description = "${var.scope == "CLOUDFRONT" ? "CloudFront" : "Regional"} web ACL of ${var.name}: geo allow-list, per-IP rate limit, AWS managed rules"
  scope       = var.scope

  default_action {
    dynamic "allow" {
      for_each = var.default_action == "allow" ? [1] : []

      content {}
    }

    dynamic "block" {
      for_each = var.default_action == "block" ? [1] : []

      content {}
    }
  }

  # Priority 0: everything from outside the allowed countries is blocked before any other rule runs.
  dynamic "rule" {
    for_each = length(var.allowed_countries) > 0 ? [var.allowed_countries] : []

    content {
      name     = "block-outside-allowed-countries"
      priority = 0

      action {
        block {}
      }

      statement {
        not_statement {
          statement {
            geo_match_statement {
              country_codes = rule.value
            }
          }
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${local.metric_prefix}_geo_block"
        sampled_requests_enabled   = true
      }
    }
  }

  rule {
    name     = "rate-limit-per-ip"
    priority = 1

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit                 = var.rate_limit
        evaluation_window_sec = var.rate_limit_window_seconds
        aggregate_key_type    = "IP"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.metric_prefix}_rate_limit"
      sampled_requests_enabled   = true
    }
  }

  # Priority 2: a body larger than WAF inspects is refused unless the path is one that takes uploads.
  dynamic "rule" {
    for_each = var.large_body.enabled ? [var.large_body] : []

    content {
      name     = "block-large-body-outside-upload-paths"
      priority = 2

      action {
        block {}
      }

      statement {
        and_statement {
          statement {
            size_constraint_statement {
              comparison_operator = "GT"
              size                = rule.value.max_bytes

              field_to_match {
                body {
                  oversize_handling = "MATCH"
                }
              }

              text_transformation {
                priority = 0
                type     = "NONE"
              }
            }
          }

          statement {
            not_statement {
              statement {
                regex_match_statement {
                  regex_string = length(rule.value.allowed_path_prefixes) > 0 ? local.large_body_paths_regex : "^$"

                  field_to_match {
                    uri_path {}
                  }

                  text_transformation {
                    priority = 0
                    type     = "NONE"
                  }
                }
              }
            }
          }
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${local.metric_prefix}_large_body"
        sampled_requests_enabled   = true
      }
    }
  }

  dynamic "rule" {
    for_each = var.managed_rule_groups

    content {
      name     = rule.key
      priority = rule.value.priority

      override_action {
        dynamic "none" {
          for_each = rule.value.override_action == "none" ? [1] : []

          content {}
        }

        dynamic "count" {
          for_each = rule.value.override_action == "count" ? [1] : []

          content {}
        }
      }

      statement {
        managed_rule_group_statement {
          name        = rule.key
          vendor_name = rule.value.vendor_name

          dynamic "rule_action_override" {
            for_each = rule.value.count_rules

            content {
              name = rule_action_override.value

              action_to_use {
                count {}
              }
            }
          }

          dynamic "managed_rule_group_configs" {
            for_each = rule.value.inspection_level != null ? [rule.value.inspection_level] : []

            content {
              aws_managed_rules_bot_control_rule_set {
                inspection_level = managed_rule_group_configs.value
              }
            }
          }
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${local.metric_prefix}_${rule.key}"
        sampled_requests_enabled   = true
      }
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = local.metric_prefix
    sampled_requests_enabled   = true
  }

  tags = var.tags
}

################################################################################
# Association
################################################################################

resource "aws_wafv2_web_acl_association" "this" {
  count = var.create && var.create_association && var.scope == "REGIONAL" ? 1 : 0

  resource_arn = var.resource_arn
  web_acl_arn  = aws_wafv2_web_acl.this[0].arn

  lifecycle {
    precondition {
      condition     = var.resource_arn != null
      error_message = "resource_arn is required when create_association is true."
    }
  }
}

################################################################################
# Logging
################################################################################

# WAF only delivers to log groups whose name starts with aws-waf-logs-.
resource "aws_cloudwatch_log_group" "this" {
  count = var.create ? 1 : 0

  #checkov:skip=CKV_AWS_338:Retention is set per environment (log_retention_days); one year is not required for WAF logs.
  #checkov:skip=CKV_AWS_158:The KMS key is an input (log_kms_key_arn); without it CloudWatch Logs encrypts with its own key.
  name              = "aws-waf-logs-${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  count = var.create ? 1 : 0

  resource_arn            = aws_wafv2_web_acl.this[0].arn
  log_destination_configs = [aws_cloudwatch_log_group.this[0].arn]

  dynamic "redacted_fields" {
    for_each = var.redacted_headers

    content {
      single_header {
        name = redacted_fields.value
      }
    }
  }
}
