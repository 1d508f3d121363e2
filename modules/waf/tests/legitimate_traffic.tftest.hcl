# Issue 22 defect 7: the Common rule set's SizeRestrictions_BODY blocks every body over 8 KB (uploads, export
# POSTs) and Bot Control's SignalNonBrowserUserAgent / CategoryHttpLibrary block every non-browser client (the
# mobile app, API clients). By default those rules only count; a scoped rule blocks large bodies except on the
# paths that take them.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name         = "edu-platform-test"
  resource_arn = "arn:aws:elasticloadbalancing:sa-east-1:123456789012:loadbalancer/app/edu-platform-test/0123456789abcdef"
}

run "defaults_let_uploads_and_api_clients_through" {
  command = plan

  assert {
    condition     = output.rules["AWSManagedRulesCommonRuleSet"].counted_rules == tolist(["SizeRestrictions_BODY"]) && output.rules["AWSManagedRulesCommonRuleSet"].blocks
    error_message = "the Common rule set blocks what it matches except SizeRestrictions_BODY, which only counts (uploads and exports exceed 8 KB)"
  }

  assert {
    condition     = output.rules["AWSManagedRulesBotControlRuleSet"].counted_rules == tolist(["CategoryHttpLibrary", "SignalNonBrowserUserAgent"])
    error_message = "Bot Control only counts non-browser user agents and HTTP libraries (the mobile app and API clients are not browsers)"
  }

  assert {
    condition     = output.rules["block-large-body-outside-upload-paths"].priority == 2 && output.rules["block-large-body-outside-upload-paths"].blocks
    error_message = "the scoped rule blocks large bodies (priority 2, before the managed groups)"
  }

  assert {
    condition     = local.large_body_paths_regex == "^(/api/uploads|/api/exports)(/|$)"
    error_message = "large bodies are allowed on the upload and export paths only (module default large_body.allowed_path_prefixes)"
  }

  assert {
    condition     = one([for rule in aws_wafv2_web_acl.this[0].rule : rule if rule.name == "block-large-body-outside-upload-paths"]).statement[0].and_statement[0].statement[0].size_constraint_statement[0].size == 8192
    error_message = "large means over 8 KB, the most an ALB lets WAF inspect (WAF developer guide, body inspection limits)"
  }
}

run "large_body_rule_configurable" {
  command = plan

  variables {
    large_body = { allowed_path_prefixes = ["/v2/files"], max_bytes = 16384 }
  }

  assert {
    condition     = local.large_body_paths_regex == "^(/v2/files)(/|$)" && one([for rule in aws_wafv2_web_acl.this[0].rule : rule if rule.name == "block-large-body-outside-upload-paths"]).statement[0].and_statement[0].statement[0].size_constraint_statement[0].size == 16384
    error_message = "the allowed paths and the size are inputs (module contract: large_body)"
  }
}

run "large_body_rule_off" {
  command = plan

  variables {
    large_body = { enabled = false }
  }

  assert {
    condition     = !contains(keys(output.rules), "block-large-body-outside-upload-paths")
    error_message = "large_body.enabled = false drops the scoped rule"
  }
}

run "large_body_bad_prefix_refused" {
  command = plan

  variables {
    large_body = { allowed_path_prefixes = ["uploads"] }
  }

  expect_failures = [var.large_body]
}

run "large_body_negative_size_refused" {
  command = plan

  variables {
    large_body = { max_bytes = -1 }
  }

  expect_failures = [var.large_body]
}
