"""Offline schema validation: planted mistakes in temp .tf files are caught with exact messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.checks.findings import CheckResult
from toolkit.checks.runner import CheckTargets
from toolkit.checks.schema import SchemaError, run_schema_check

from .conftest import write_files


def check(tmp_path: Path, text: str) -> CheckResult:
    write_files(tmp_path, {"modules/cache/main.tf": text})
    return run_schema_check(tmp_path, [tmp_path / "modules"])


def messages(result: CheckResult) -> list[str]:
    return [str(finding) for finding in result.findings]


VALID = """\
resource "aws_elasticache_replication_group" "this" {
  count                = var.create ? 1 : 0
  replication_group_id = "cache"
  description          = "Valkey cache"
  num_cache_clusters   = 2
  depends_on           = [aws_s3_bucket.this]

  dynamic "log_delivery_configuration" {
    for_each = var.log_delivery
    iterator = log
    content {
      destination      = log.value.destination
      destination_type = "cloudwatch-logs"
      log_format       = "json"
      log_type         = log.key
    }
  }

  timeouts {
    create = "90m"
  }

  lifecycle {
    ignore_changes = [num_cache_clusters]
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = "b"
  rule {
    id     = "archive"
    status = "Enabled"
    filter {}
    transition {
      days          = 30
      storage_class = "STANDARD_IA"
    }
  }
}

data "aws_iam_policy_document" "this" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
  }
}

resource "random_password" "this" {
  length = 32
}

module "network" {
  source          = "../network"
  not_a_provider  = true
}

provider "aws" {
  region = "eu-west-1"
  default_tags {
    tags = { team = "platform" }
  }
}
"""


def test_valid_file_has_no_findings(tmp_path: Path) -> None:
    result = check(tmp_path, VALID)
    assert messages(result) == []
    assert result.status == "passed"
    # Three AWS blocks and the aws provider are validated; random_password is not an AWS type.
    assert result.counts["blocks"] == 4
    assert result.counts["skipped"] == 1


def test_unknown_argument_suggests_the_right_name(tmp_path: Path) -> None:
    text = VALID.replace("num_cache_clusters   = 2", "num_cache_cluster    = 2")
    assert messages(check(tmp_path, text)) == [
        'modules/cache/main.tf:5: aws_elasticache_replication_group.this: unknown argument "num_cache_cluster" '
        '(did you mean "num_cache_clusters"?)'
    ]


def test_unknown_argument_in_nested_block_of_a_data_source(tmp_path: Path) -> None:
    text = VALID.replace('type        = "AWS"', 'typ         = "AWS"')
    assert messages(check(tmp_path, text)) == [
        'modules/cache/main.tf:46: data.aws_iam_policy_document.this: statement.principals: unknown argument "typ" '
        '(did you mean "type"?)',
        "modules/cache/main.tf:45: data.aws_iam_policy_document.this: statement.principals: "
        'missing required argument "type"',
    ]


def test_missing_required_argument_two_levels_down(tmp_path: Path) -> None:
    text = VALID.replace('      storage_class = "STANDARD_IA"\n', "")
    assert messages(check(tmp_path, text)) == [
        "modules/cache/main.tf:34: aws_s3_bucket_lifecycle_configuration.this: rule.transition: "
        'missing required argument "storage_class"'
    ]


def test_missing_required_top_level_argument(tmp_path: Path) -> None:
    text = VALID.replace('  description          = "Valkey cache"\n', "")
    assert messages(check(tmp_path, text)) == [
        'modules/cache/main.tf:1: aws_elasticache_replication_group.this: missing required argument "description"'
    ]


def test_block_written_as_an_argument(tmp_path: Path) -> None:
    text = VALID.replace("  timeouts {\n", "  timeouts = {\n")
    assert messages(check(tmp_path, text)) == [
        'modules/cache/main.tf:19: aws_elasticache_replication_group.this: "timeouts" is a block, not an argument: '
        'write `timeouts { ... }` (or `dynamic "timeouts"`) instead of `timeouts = ...`'
    ]


def test_argument_written_as_a_block(tmp_path: Path) -> None:
    text = VALID.replace('    tags = { team = "platform" }', '    tags {\n      team = "platform"\n    }')
    assert messages(check(tmp_path, text)) == [
        'modules/cache/main.tf:64: provider "aws": default_tags: "tags" is an argument, not a block: '
        "write `tags = ...` instead of `tags { ... }`"
    ]


def test_dynamic_block_content_is_validated_and_counts_as_the_block(tmp_path: Path) -> None:
    text = VALID.replace('log_format       = "json"', 'log_fromat       = "json"')
    assert messages(check(tmp_path, text)) == [
        "modules/cache/main.tf:14: aws_elasticache_replication_group.this: log_delivery_configuration: "
        'unknown argument "log_fromat" (did you mean "log_format"?)',
        "modules/cache/main.tf:11: aws_elasticache_replication_group.this: log_delivery_configuration: "
        'missing required argument "log_format"',
    ]


def test_dynamic_block_of_an_unknown_type_and_bad_dynamic_arguments(tmp_path: Path) -> None:
    text = VALID.replace('dynamic "log_delivery_configuration"', 'dynamic "log_delivery_config"').replace(
        "    iterator = log\n", "    iterator = log\n    labels_x = []\n"
    )
    assert messages(check(tmp_path, text)) == [
        'modules/cache/main.tf:11: aws_elasticache_replication_group.this: dynamic "log_delivery_config": '
        'unknown argument "labels_x" (did you mean "labels"?) (allowed: for_each, iterator, labels)',
        "modules/cache/main.tf:12: aws_elasticache_replication_group.this: "
        'unknown block "log_delivery_config" (did you mean "log_delivery_configuration"?)',
    ]


def test_lifecycle_meta_block_is_checked(tmp_path: Path) -> None:
    text = VALID.replace("ignore_changes = [num_cache_clusters]", "ignore_change = [num_cache_clusters]")
    assert messages(check(tmp_path, text)) == [
        'modules/cache/main.tf:24: aws_elasticache_replication_group.this: lifecycle: unknown argument "ignore_change" '
        '(did you mean "ignore_changes"?) (allowed: create_before_destroy, ignore_changes, prevent_destroy, '
        "replace_triggered_by)"
    ]


def test_single_block_given_twice(tmp_path: Path) -> None:
    text = VALID.replace('    create = "90m"\n  }\n', '    create = "90m"\n  }\n  timeouts {\n    delete = "1h"\n  }\n')
    assert messages(check(tmp_path, text)) == [
        'modules/cache/main.tf:1: aws_elasticache_replication_group.this: block "timeouts" may appear only once, '
        "found 2"
    ]


def test_unknown_argument_without_a_close_match_lists_what_is_allowed(tmp_path: Path) -> None:
    text = VALID.replace("      days          = 30\n", "      days          = 30\n      weeks         = 4\n")
    assert messages(check(tmp_path, text)) == [
        "modules/cache/main.tf:36: aws_s3_bucket_lifecycle_configuration.this: rule.transition: unknown argument "
        '"weeks" (allowed: date, days, storage_class)'
    ]


def test_unknown_resource_type(tmp_path: Path) -> None:
    text = VALID.replace('"aws_s3_bucket_lifecycle_configuration" "this"', '"aws_s3_bucket_lifecycle_config" "this"')
    assert messages(check(tmp_path, text)) == [
        "modules/cache/main.tf:28: aws_s3_bucket_lifecycle_config.this: unknown resource type "
        '"aws_s3_bucket_lifecycle_config" in AWS provider 6.66.0 '
        '(did you mean "aws_s3_bucket_lifecycle_configuration"?)'
    ]


def test_invalid_hcl_is_reported_with_its_file(tmp_path: Path) -> None:
    result = check(tmp_path, 'resource "aws_s3_bucket" "this" {\n  bucket = \n}\n')
    assert result.status == "failed"
    assert len(result.findings) == 1
    assert str(result.findings[0]).startswith("modules/cache/main.tf:2: not valid HCL: ")


def test_examples_are_validated_too(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {"modules/cache/examples/basic/main.tf": 'resource "aws_sqs_queue" "this" {\n  nmae = "q"\n}\n'},
    )
    result = run_schema_check(tmp_path, [tmp_path / "modules"])
    assert messages(result) == [
        'modules/cache/examples/basic/main.tf:2: aws_sqs_queue.this: unknown argument "nmae" (did you mean "name"?)'
    ]


@pytest.mark.slow
def test_real_modules_and_root_pass_the_schema_check(real_targets: CheckTargets) -> None:
    result = run_schema_check(real_targets.root, real_targets.directories)
    assert result.counts["files"] > 0, "no .tf files found under modules/ and terraform/"
    assert result.errors == [], "\n".join(str(finding) for finding in result.errors)


def test_object_argument_in_block_syntax_checks_its_keys(tmp_path: Path) -> None:
    text = """\
resource "aws_security_group" "this" {
  name = "web"
  ingress {
    from_port  = 443
    to_port    = 443
    protocol   = "tcp"
    cidr_block = ["10.0.0.0/8"]
    self       = true
  }
}
"""
    assert messages(check(tmp_path, text)) == [
        'modules/cache/main.tf:7: aws_security_group.this: ingress: unknown argument "cidr_block" '
        '(did you mean "cidr_blocks"?)'
    ]


def test_object_argument_literal_keys_are_checked(tmp_path: Path) -> None:
    text = """\
resource "aws_security_group" "this" {
  name = "web"
  egress = [{
    from_port    = 0
    to_port      = 0
    protocol     = "-1"
    cidr_blocks  = ["0.0.0.0/0"]
    "descripton" = "all"
    (var.key)    = "computed keys are not checked"
  }]
}
"""
    assert messages(check(tmp_path, text)) == [
        'modules/cache/main.tf:8: aws_security_group.this: egress: unknown attribute "descripton" '
        '(did you mean "description"?)'
    ]


def test_computed_attribute_cannot_be_set(tmp_path: Path) -> None:
    text = VALID.replace('  replication_group_id = "cache"\n', '  replication_group_id = "cache"\n  arn = "x"\n')
    assert messages(check(tmp_path, text)) == [
        'modules/cache/main.tf:4: aws_elasticache_replication_group.this: "arn" is read-only: the provider '
        "computes it, so it cannot be set"
    ]


def test_provider_default_tags_given_twice(tmp_path: Path) -> None:
    text = VALID.replace("  default_tags {\n", '  default_tags {\n    tags = {}\n  }\n  default_tags {\n', 1)
    assert messages(check(tmp_path, text)) == [
        'modules/cache/main.tf:61: provider "aws": block "default_tags" may appear only once, found 2'
    ]


WAF = """\
resource "aws_wafv2_web_acl" "this" {
  name  = "edge"
  scope = "REGIONAL"
  default_action {
    allow {}
  }
  rule {
    name     = "rate"
    priority = 1
    action {
      block {}
    }
    statement {
      rate_based_statement {
        limit              = 100
        aggregate_key_type = "IP"
        scope_down_statement {
          geo_match_statement {
            country_codes = ["BR"]
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "rate"
      sampled_requests_enabled   = true
    }
  }
  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "edge"
    sampled_requests_enabled   = true
  }
}
"""


def test_wafv2_statement_is_validated_through_the_overlay(tmp_path: Path) -> None:
    """The package types `statement` as `any`; the overlay gives the provider's blocks, so typos are caught."""
    assert messages(check(tmp_path, WAF)) == []
    text = WAF.replace("country_codes = ", "country_code = ")
    assert messages(check(tmp_path, text)) == [
        'modules/cache/main.tf:19: aws_wafv2_web_acl.this: rule.statement.rate_based_statement.scope_down_statement.'
        'geo_match_statement: unknown argument "country_code" (did you mean "country_codes"?)',
        "modules/cache/main.tf:18: aws_wafv2_web_acl.this: rule.statement.rate_based_statement.scope_down_statement."
        'geo_match_statement: missing required argument "country_codes"',
    ]
    missing = WAF.replace("    statement {\n      rate", "    statment {\n      rate")
    assert messages(check(tmp_path, missing))[-1] == (
        'modules/cache/main.tf:7: aws_wafv2_web_acl.this: rule: missing required block "statement"'
    )


def test_corrupt_schema_file_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "aws.json.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00truncated")
    monkeypatch.setenv("TOOLKIT_AWS_SCHEMA", str(broken))
    with pytest.raises(SchemaError) as raised:
        check(tmp_path, VALID)
    assert str(raised.value).startswith(f"cannot read the provider schema {broken}: ")
