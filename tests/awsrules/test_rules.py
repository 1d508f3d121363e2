"""Each AWS apply-time rule with a plan it passes and a plan it fails (synthetic plan JSON)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.awsrules.plans import change, plan
from toolkit.awsrules import evaluate_plan
from toolkit.awsrules.registry import all_rules


def findings(document: dict[str, Any], rule_id: str | None = None) -> list[tuple[str, str, str, str]]:
    report = evaluate_plan(document)
    return [(finding.rule_id, finding.address, finding.severity, finding.message) for finding in report.findings
            if rule_id is None or finding.rule_id == rule_id]


def rule_ids(document: dict[str, Any]) -> set[str]:
    return {rule_id for rule_id, *_ in findings(document)}


# -- tags -----------------------------------------------------------------------------------------------------


def test_iam_role_with_tag_keys_differing_only_in_case_is_rejected() -> None:
    role = change("aws_iam_role.task", {"name": "task", "tags_all": {"Environment": "dev", "environment": "dev"}})
    [(rule_id, address, severity, message)] = findings(plan(role), "AWS-TAG-001")
    assert (rule_id, address, severity) == ("AWS-TAG-001", "aws_iam_role.task", "error")
    assert '"Environment" and "environment"' in message and "Duplicate tag keys found" in message


def test_distinct_tag_keys_pass_and_other_services_only_warn() -> None:
    role = change("aws_iam_role.task", {"name": "task", "tags_all": {"Environment": "dev", "Project": "x"}})
    assert findings(plan(role), "AWS-TAG-001") == []
    vpc = change("aws_vpc.this", {"tags_all": {"Name": "a", "name": "b"}})
    assert [severity for _, _, severity, _ in findings(plan(vpc), "AWS-TAG-001")] == ["warning"]


def test_tag_limits_come_from_botocore_shapes() -> None:
    too_many = {f"k{index}": "v" for index in range(51)}
    role = change("aws_iam_role.task", {"name": "task", "tags_all": too_many})
    [(_, _, _, message)] = findings(plan(role), "AWS-TAG-002")
    assert "51 tags" in message and "at most 50" in message and "iam:tagListType" in message
    long_key = change("aws_iam_role.task", {"name": "task", "tags_all": {"k" * 129: "v", "ok": "v" * 257}})
    messages = [message for *_, message in findings(plan(long_key), "AWS-TAG-002")]
    assert any("129 characters long (at most 128) (iam:tagKeyType)" in message for message in messages)
    assert any("257 characters long (at most 256) (iam:tagValueType)" in message for message in messages)
    fine = change("aws_iam_role.task", {"name": "task", "tags_all": {"Owner": "équipe données", "a:b/c=d+e-f@g": ""}})
    assert findings(plan(fine), "AWS-TAG-002") == []


def test_reserved_aws_prefix_and_general_limits_for_unmodelled_services() -> None:
    bucket = change("aws_s3_bucket.logs", {"bucket": "logs-1", "tags_all": {"aws:owner": "x", "k": "v" * 300}})
    messages = [message for *_, message in findings(plan(bucket), "AWS-TAG-002")]
    assert any('starts with "aws:"' in message for message in messages)
    assert any("300 characters long (at most 256)" in message for message in messages)


# -- names ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("resource_type", "attribute", "good", "bad", "expected"), [
    ("aws_lb", "name", "edu-platform-prod", "edu-platform-production-load-balancer", "at most 32"),
    ("aws_lb", "name", "app", "internal-app", 'must not begin with "internal-"'),
    ("aws_lb_target_group", "name", "edu-platform-prod-blue", "edu-platform-production-blue-tg-01", "at most 32"),
    ("aws_iam_role", "name", "edu-platform-prod-task", "r" * 65, "(iam:roleNameType)"),
    ("aws_iam_role", "name", "a+b=c,d.e@f-g_h", "has space", "does not match the allowed pattern"),
    ("aws_iam_policy", "name", "read-buckets", "p" * 129, "(iam:policyNameType)"),
    ("aws_iam_role_policy", "name", "inline", "p" * 129, "(iam:policyNameType)"),
    ("aws_s3_bucket", "bucket", "edu-platform-prod-uploads", "Edu_Platform", "lowercase letters"),
    ("aws_s3_bucket", "bucket", "a.b.c", "192.168.1.1", "IP address"),
    ("aws_s3_bucket", "bucket", "abc", "ab", "3 to 63"),
    ("aws_s3_bucket", "bucket", "my-bucket", "my-bucket-s3alias", "reserves"),
    ("aws_elasticache_replication_group", "replication_group_id", "edu-platform-prod", "r" * 41, "1 to 40"),
    ("aws_elasticache_replication_group", "replication_group_id", "a1", "a--b", "two consecutive hyphens"),
    ("aws_elasticache_cluster", "cluster_id", "c" * 50, "c" * 51, "1 to 50"),
    ("aws_db_instance", "identifier", "edu-platform-prod-replica-1", "1db", "must start with a letter"),
    ("aws_db_instance", "identifier", "d" * 63, "d" * 64, "1 to 63"),
    ("aws_rds_cluster", "cluster_identifier", "aurora-1", "aurora-", "must not end with a hyphen"),
    ("aws_lambda_function", "function_name", "f" * 64, "f" * 65, "at most 64"),
    ("aws_lambda_function", "function_name", "migrate_db-1", "bad.name", "does not match"),
    ("aws_sns_topic", "name", "alarms.fifo", "alarms.v2", "letters, digits, hyphens and underscores"),
    ("aws_cloudwatch_log_group", "name", "/aws/ecs/app", "/aws/ecs/app name", "(logs:LogGroupName)"),
    ("aws_wafv2_web_acl", "name", "edge_acl-1", "edge acl", "(wafv2:EntityName)"),
    ("aws_ecs_task_definition", "family", "edu-platform-prod", "app:1", "letters, digits, hyphens"),
])
def test_names(resource_type: str, attribute: str, good: str, bad: str, expected: str) -> None:
    address = f"{resource_type}.this"
    assert findings(plan(change(address, {attribute: good})), "AWS-NAME-001") == []
    [(_, found_at, severity, message)] = findings(plan(change(address, {attribute: bad})), "AWS-NAME-001")
    assert (found_at, severity) == (address, "error")
    assert expected in message and f"`{attribute}`" in message


def test_lambda_limit_of_64_is_what_botocore_documents() -> None:
    """The 64 is typed in names.py; botocore's own documentation of the parameter says it, so an upgrade that
    changes it fails here."""
    from botocore.loaders import Loader

    model = Loader().load_service_model("lambda", "service-2")
    member = model["shapes"]["CreateFunctionRequest"]["members"]["FunctionName"]
    assert "limited to 64 characters" in member["documentation"]


def test_names_known_only_after_apply_are_not_checked() -> None:
    role = change("aws_iam_role.task", {"name": None, "name_prefix": "edu-platform-prod-task-"},
                  unknown={"name": True})
    load_balancer = change("aws_lb.this", {"name": "(sensitive)"}, sensitive={"name": True})
    assert findings(plan(role, load_balancer)) == []


# -- RDS ------------------------------------------------------------------------------------------------------

_DB_CONFIGURATION = {"root_module": {"module_calls": {"database": {"expressions": {}, "module": {
    "variables": {"kms_key_arn": {"default": None}},
    "resources": [
        {"address": "aws_db_instance.this", "mode": "managed", "type": "aws_db_instance", "name": "this",
         "expressions": {"kms_key_id": {"references": ["local.kms_key_arn"]}}},
        {"address": "aws_db_instance.replica", "mode": "managed", "type": "aws_db_instance", "name": "replica",
         "expressions": {"replicate_source_db": {"references": ["aws_db_instance.this[0].identifier",
                                                               "aws_db_instance.this[0]", "aws_db_instance.this"]},
                         "kms_key_id": {"references": ["local.kms_key_arn"]}}},
        {"address": "aws_db_instance.plain", "mode": "managed", "type": "aws_db_instance", "name": "plain",
         "expressions": {"replicate_source_db": {"references": ["aws_db_instance.this[0].identifier"]},
                         "kms_key_id": {"references": ["var.kms_key_arn"]}}},
    ]}}}}}


def _replica(name: str, after: dict[str, Any], unknown: dict[str, Any]) -> dict[str, Any]:
    return change(f'module.database.aws_db_instance.{name}["r1"]', after, unknown=unknown, module="module.database")


def test_replica_with_kms_key_id_from_the_configuration_is_rejected() -> None:
    replica = _replica("replica", {"replicate_source_db": None, "kms_key_id": None},
                       {"replicate_source_db": True, "kms_key_id": True})
    [(_, address, severity, message)] = findings(plan(replica, configuration=_DB_CONFIGURATION), "AWS-RDS-001")
    assert address == 'module.database.aws_db_instance.replica["r1"]' and severity == "error"
    assert "remove kms_key_id" in message


def test_replica_with_a_known_kms_key_and_an_identifier_source_is_rejected() -> None:
    replica = change("aws_db_instance.replica", {"replicate_source_db": "main",
                                                 "kms_key_id": "arn:aws:kms:sa-east-1:123456789012:key/abc"})
    assert rule_ids(plan(replica)) == {"AWS-RDS-001"}


def test_replica_without_kms_key_id_and_cross_region_replicas_pass() -> None:
    # Not written in the configuration: unknown only because the provider computes it.
    unset = _replica("replica", {"replicate_source_db": "main", "kms_key_id": None}, {"kms_key_id": True})
    configuration = {"root_module": {"module_calls": {"database": {"expressions": {}, "module": {"resources": [
        {"address": "aws_db_instance.replica", "mode": "managed", "type": "aws_db_instance", "name": "replica",
         "expressions": {"replicate_source_db": {"constant_value": "main"}}}]}}}}}
    assert findings(plan(unset, configuration=configuration), "AWS-RDS-001") == []
    # Written from a module variable left at its null default: nothing is sent.
    null_input = _replica("plain", {"replicate_source_db": None, "kms_key_id": None},
                          {"replicate_source_db": True, "kms_key_id": True})
    assert findings(plan(null_input, configuration=_DB_CONFIGURATION), "AWS-RDS-001") == []
    cross_region = change("aws_db_instance.replica", {
        "replicate_source_db": "arn:aws:rds:us-east-1:123456789012:db:main", "region": "sa-east-1",
        "kms_key_id": "arn:aws:kms:sa-east-1:123456789012:key/abc"})
    assert findings(plan(cross_region), "AWS-RDS-001") == []
    primary = change("aws_db_instance.this", {"kms_key_id": "arn:aws:kms:sa-east-1:123456789012:key/abc"})
    assert findings(plan(primary), "AWS-RDS-001") == []


# -- ElastiCache ----------------------------------------------------------------------------------------------


def _cache_plan(topic_after: dict[str, Any], topic_unknown: dict[str, Any]) -> dict[str, Any]:
    group = change("module.cache.aws_elasticache_replication_group.this[0]",
                   {"replication_group_id": "app", "notification_topic_arn": None},
                   unknown={"notification_topic_arn": True}, module="module.cache")
    topic = change("module.monitoring.aws_sns_topic.this[0]", {"name": "alarms", **topic_after},
                   unknown=topic_unknown, module="module.monitoring")
    configuration = {"root_module": {"module_calls": {
        "cache": {"expressions": {"notification_topic_arn": {"references": ["module.monitoring.alarm_topic_arn",
                                                                              "module.monitoring"]}},
                  "module": {"resources": [{"address": "aws_elasticache_replication_group.this", "mode": "managed",
                                            "type": "aws_elasticache_replication_group", "name": "this",
                                            "expressions": {"notification_topic_arn": {
                                                "references": ["var.notification_topic_arn"]}}}]}},
        "monitoring": {"expressions": {}, "module": {"outputs": {"alarm_topic_arn": {"expression": {
            "references": ["aws_sns_topic.this[0].arn", "aws_sns_topic.this[0]", "aws_sns_topic.this"]}}}}},
    }}}
    return plan(group, topic, configuration=configuration)


def test_notifications_to_a_kms_encrypted_topic_are_rejected_through_module_outputs() -> None:
    document = _cache_plan({"kms_master_key_id": None}, {"kms_master_key_id": True})
    [(_, address, _, message)] = findings(document, "AWS-EC-001")
    assert address == "module.cache.aws_elasticache_replication_group.this[0]"
    assert "module.monitoring.aws_sns_topic.this[0]" in message and "EventBridge" in message


def test_notifications_to_an_unencrypted_topic_pass() -> None:
    assert findings(_cache_plan({"kms_master_key_id": None}, {}), "AWS-EC-001") == []


def test_a_known_topic_arn_is_matched_by_name() -> None:
    group = change("aws_elasticache_replication_group.this", {
        "notification_topic_arn": "arn:aws:sns:sa-east-1:123456789012:alarms"})
    encrypted = change("aws_sns_topic.alarms", {"name": "alarms", "kms_master_key_id": "alias/aws/sns"})
    assert rule_ids(plan(group, encrypted)) == {"AWS-EC-001"}
    other = change("aws_sns_topic.other", {"name": "other", "kms_master_key_id": "alias/aws/sns"})
    assert findings(plan(group, other), "AWS-EC-001") == []


# -- S3 lifecycle ---------------------------------------------------------------------------------------------


def _lifecycle(*transitions: tuple[int, str], expiration: int | None = None, noncurrent: bool = False) -> dict:
    key, block = ("noncurrent_days", "noncurrent_version_transition") if noncurrent else ("days", "transition")
    rule = {"id": "tier", "status": "Enabled", block: [{key: days, "storage_class": storage}
                                                        for days, storage in transitions],
            "expiration": [{"days": expiration}] if expiration is not None and not noncurrent else []}
    return plan(change("aws_s3_bucket_lifecycle_configuration.this", {"rule": [rule]}))


def test_lifecycle_transitions() -> None:
    assert findings(_lifecycle((30, "STANDARD_IA"), (60, "GLACIER"), expiration=365)) == []
    [(_, _, _, message)] = findings(_lifecycle((7, "STANDARD_IA")), "AWS-S3-001")
    assert "after 7 day(s)" in message and "30 or more" in message
    [(_, _, _, message)] = findings(_lifecycle((30, "ONEZONE_IA"), (45, "GLACIER")), "AWS-S3-001")
    assert "less than 30 days after the one to ONEZONE_IA" in message and "day 60 or later" in message
    [(_, _, _, message)] = findings(_lifecycle((90, "GLACIER"), expiration=90), "AWS-S3-001")
    assert "expiration after 90 day(s)" in message
    assert rule_ids(_lifecycle((10, "STANDARD_IA"), noncurrent=True)) == {"AWS-S3-001"}
    assert findings(_lifecycle((1, "GLACIER_IR"), (1, "DEEP_ARCHIVE"), noncurrent=True)) == []


def _rules(*rules: dict[str, Any], unknown: dict[str, Any] | None = None) -> dict[str, Any]:
    return plan(change("aws_s3_bucket_lifecycle_configuration.this", {"rule": list(rules)}, unknown=unknown))


def test_lifecycle_rule_ids_are_unique_and_every_rule_has_an_action() -> None:
    abort = {"id": "abort", "status": "Enabled", "abort_incomplete_multipart_upload": [{"days_after_initiation": 7}]}
    expire = {"id": "expire", "status": "Enabled", "filter": [{"prefix": "tmp/"}], "expiration": [{"days": 30}]}
    assert findings(_rules(abort, expire)) == []
    # S3 refuses both with InvalidArgument / InvalidRequest, at apply, after the bucket exists.
    [(_, address, severity, message)] = findings(_rules(abort, {**expire, "id": "abort"}), "AWS-S3-002")
    assert (address, severity) == ("aws_s3_bucket_lifecycle_configuration.this", "error")
    assert 'rule id "abort" is used by 2 rules' in message
    disabled = {"id": "abort", "status": "Disabled", "expiration": [{"days": 1}]}  # S3 counts disabled rules too
    assert rule_ids(_rules(abort, disabled)) == {"AWS-S3-002"}
    idle = {"id": "idle", "status": "Enabled", "filter": [{"prefix": "a/"}], "expiration": [], "transition": []}
    [(_, _, _, message)] = findings(_rules(abort, idle), "AWS-S3-002")
    assert 'rule "idle" has no action' in message and "At least one action" in message
    # An action known only after apply is not a missing one.
    assert findings(_rules(idle, unknown={"rule": [{"expiration": True}]}), "AWS-S3-002") == []


# -- Fargate --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("cpu", "memory", "ok"), [
    ("256", "512", True), ("256", "3072", False), ("512", "4096", True), ("1024", "1024", False),
    ("2048", "4096", True), ("4096", "30720", True), ("4096", "31744", False), ("8192", "20480", True),
    ("8192", "18432", False), ("16384", "122880", True), ("128", "512", False), ("1 vCPU", "2 GB", True),
    ("0.25 vcpu", "1GB", True),
])
def test_fargate_pairs(cpu: str, memory: str, ok: bool) -> None:
    task = change("aws_ecs_task_definition.this", {"family": "app", "cpu": cpu, "memory": memory,
                                                   "requires_compatibilities": ["FARGATE"]})
    assert (findings(plan(task), "AWS-ECS-001") == []) is ok


def test_fargate_rule_skips_ec2_tasks_and_unknown_sizes() -> None:
    ec2 = change("aws_ecs_task_definition.this", {"family": "app", "cpu": "128", "memory": "100",
                                                  "requires_compatibilities": ["EC2"]})
    unknown = change("aws_ecs_task_definition.other", {"family": "app", "cpu": None, "memory": "512",
                                                       "requires_compatibilities": ["FARGATE"]},
                     unknown={"cpu": True})
    assert findings(plan(ec2, unknown), "AWS-ECS-001") == []
    missing = change("aws_ecs_task_definition.this", {"family": "app", "requires_compatibilities": ["FARGATE"]})
    assert rule_ids(plan(missing)) == {"AWS-ECS-001"}


# -- WAF ------------------------------------------------------------------------------------------------------


def _acl(group: str, overrides: tuple[str, ...] = (), vendor: str = "AWS") -> dict[str, Any]:
    statement = {"managed_rule_group_statement": [{
        "name": group, "vendor_name": vendor,
        "rule_action_override": [{"name": name, "action_to_use": [{"count": [{}]}]} for name in overrides]}]}
    return plan(change("aws_wafv2_web_acl.this", {"name": "edge", "rule": [{"name": group, "statement": [statement]}]}))


def test_waf_managed_rule_group_names() -> None:
    assert findings(_acl("AWSManagedRulesCommonRuleSet")) == []
    [(_, _, _, message)] = findings(_acl("AWSManagedRulesCommonRuleset"), "AWS-WAF-001")
    assert 'did you mean "AWSManagedRulesCommonRuleSet"' in message
    assert findings(_acl("MyRules", vendor="F5")) == []


def test_waf_rule_action_override_names() -> None:
    assert findings(_acl("AWSManagedRulesCommonRuleSet", ("SizeRestrictions_BODY", "NoUserAgent_HEADER"))) == []
    bot_overrides = ("SignalNonBrowserUserAgent", "CategoryHttpLibrary")
    assert findings(_acl("AWSManagedRulesBotControlRuleSet", bot_overrides)) == []
    [(_, _, _, message)] = findings(_acl("AWSManagedRulesCommonRuleSet", ("SizeRestrictions_Body",)), "AWS-WAF-002")
    assert 'no rule "SizeRestrictions_Body"' in message
    assert rule_ids(_acl("AWSManagedRulesBotControlRuleSet", ("SignalNonBrowser",))) == {"AWS-WAF-002"}


# -- CloudWatch -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("namespace", "metric", "dimensions"), [
    ("AWS/RDS", "FreeStorageSpace", {"DBInstanceIdentifier": "db"}),
    ("AWS/ElastiCache", "CacheHits", {"CacheClusterId": "c-001"}),
    ("AWS/ECS", "CPUUtilization", {"ClusterName": "c", "ServiceName": "s"}),
    ("AWS/ApplicationELB", "TargetResponseTime", {"LoadBalancer": "app/x/1"}),
    ("AWS/WAFV2", "BlockedRequests", {"WebACL": "edge", "Rule": "ALL"}),
    ("AWS/CloudFront", "5xxErrorRate", {"DistributionId": "E1", "Region": "Global"}),
    ("ECS/ContainerInsights", "RunningTaskCount", {"ClusterName": "c", "ServiceName": "s"}),
    ("edu/Application", "Anything", {"Whatever": "x"}),
])
def test_alarm_metrics_that_exist_pass(namespace: str, metric: str, dimensions: dict[str, str]) -> None:
    alarm = change("aws_cloudwatch_metric_alarm.this", {"alarm_name": "a", "namespace": namespace,
                                                        "metric_name": metric, "dimensions": dimensions})
    assert findings(plan(alarm)) == []


def test_alarm_metric_or_dimension_that_does_not_exist_is_rejected() -> None:
    alarm = change("aws_cloudwatch_metric_alarm.this", {"alarm_name": "a", "namespace": "AWS/RDS",
                                                        "metric_name": "FreeStorage",
                                                        "dimensions": {"DBInstanceId": "db"}})
    messages = [message for *_, message in findings(plan(alarm), "AWS-CW-001")]
    assert len(messages) == 2
    assert any('metric "FreeStorage" does not exist in AWS/RDS' in message for message in messages)
    assert any('dimension "DBInstanceId"' in message for message in messages)
    query = change("aws_cloudwatch_metric_alarm.q", {"alarm_name": "q", "metric_query": [
        {"id": "e", "expression": "m1 + m2", "metric": []},
        {"id": "m1", "metric": [{"namespace": "AWS/ApplicationELB", "metric_name": "HTTPCode_ELB_5xx_Count",
                                 "dimensions": {"LoadBalancer": None}}]}]})
    [(_, _, _, message)] = findings(plan(query), "AWS-CW-001")
    assert 'metric_query "m1"' in message and 'did you mean "HTTPCode_ELB_5XX_Count"' in message


def _bucket_policy(statements: int, *, unknown: bool = False) -> dict[str, Any]:
    import json

    document = {"Version": "2012-10-17", "Statement": [
        {"Sid": f"Statement{index}", "Effect": "Allow", "Action": "s3:GetObject",
         "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
         "Resource": f"arn:aws:s3:::edu-platform-prod-uploads/tenant-{index:04d}/*"} for index in range(statements)]}
    # Pretty-printed as aws_iam_policy_document writes it; S3 receives it compacted (the provider normalizes it).
    policy = json.dumps(document, indent=2)
    return plan(change("aws_s3_bucket_policy.this", {"bucket": "edu-platform-prod-uploads",
                                                     "policy": None if unknown else policy},
                       unknown={"policy": True} if unknown else None))


def test_bucket_policy_within_20_kb() -> None:
    assert findings(_bucket_policy(100), "AWS-S3-003") == []  # 18 KB compact, 25 KB as indented
    [(_, address, severity, message)] = findings(_bucket_policy(130), "AWS-S3-003")
    assert (address, severity) == ("aws_s3_bucket_policy.this", "error")
    assert "bytes" in message and "at most 20480" in message and "edu-platform-prod-uploads" in message
    assert findings(_bucket_policy(0, unknown=True), "AWS-S3-003") == []


# -- what every rule needs --------------------------------------------------------------------------------------


def test_every_rule_has_an_id_types_and_a_source() -> None:
    ids = [rule.id for rule in all_rules()]
    assert len(ids) == len(set(ids))
    for rule in all_rules():
        assert rule.resource_types and rule.sources, rule.id
        assert all(source.url.startswith("https://docs.aws.amazon.com/") for source in rule.sources), rule.id


def test_every_rule_is_documented_with_its_source_in_checks_md() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "CHECKS.md").read_text(encoding="utf-8")
    for rule in all_rules():
        assert f"`{rule.id}`" in text, rule.id
        assert any(source.url in text for source in rule.sources), rule.id


# -- RDS major upgrades and parameter group replacement -------------------------------------------------------


def _updated(address: str, before: dict[str, Any], after: dict[str, Any],
             actions: tuple[str, ...] = ("update",)) -> dict[str, Any]:
    entry = change(address, after, actions=actions)
    entry["change"]["before"] = before
    return entry


def test_major_engine_upgrade_needs_allow_major_version_upgrade() -> None:
    before = {"engine": "postgres", "engine_version": "14.10"}
    upgrade = _updated("aws_db_instance.this", before, {"engine": "postgres", "engine_version": "15"})
    [(_, _, _, message)] = findings(plan(upgrade), "AWS-RDS-002")
    assert "major 14 to 15" in message and "allow_major_version_upgrade" in message
    allowed = _updated("aws_db_instance.this", before, {"engine": "postgres", "engine_version": "15",
                                                        "allow_major_version_upgrade": True})
    minor = _updated("aws_db_instance.this", before, {"engine": "postgres", "engine_version": "14.11"})
    created = change("aws_db_instance.new", {"engine": "postgres", "engine_version": "15"})
    assert findings(plan(allowed, minor, created), "AWS-RDS-002") == []
    mysql = _updated("aws_db_instance.m", {"engine": "mysql", "engine_version": "5.7.44"},
                     {"engine": "mysql", "engine_version": "8.0.35"})
    assert rule_ids(plan(mysql)) == {"AWS-RDS-002"}


def test_a_parameter_group_destroyed_first_while_in_use_is_rejected() -> None:
    group = _updated("aws_elasticache_parameter_group.this", {"name": "app-redis", "family": "redis6.x"},
                     {"name": "app-redis", "family": "redis7"}, actions=("delete", "create"))
    user = _updated("aws_elasticache_replication_group.this", {"parameter_group_name": "app-redis"},
                    {"parameter_group_name": "app-redis"}, actions=("no-op",))
    [(_, address, _, message)] = findings(plan(group, user), "AWS-PG-001")
    assert address == "aws_elasticache_parameter_group.this"
    assert "aws_elasticache_replication_group.this uses it" in message and "create_before_destroy" in message
    # Nothing uses it (or its user is replaced too): nothing in the way.
    assert findings(plan(group), "AWS-PG-001") == []
    replaced_user = _updated("aws_elasticache_replication_group.this", {"parameter_group_name": "app-redis"},
                             {"parameter_group_name": "app-redis"}, actions=("delete", "create"))
    assert findings(plan(group, replaced_user), "AWS-PG-001") == []


def test_a_parameter_group_created_first_under_the_same_name_is_rejected() -> None:
    same_name = _updated("aws_db_parameter_group.this", {"name": "app-pg15"}, {"name": "app-pg15"},
                         actions=("create", "delete"))
    assert rule_ids(plan(same_name)) == {"AWS-PG-001"}
    prefixed = _updated("aws_db_parameter_group.this", {"name": "app-pg15-2024"}, {"name": None},
                        actions=("create", "delete"))
    prefixed["change"]["after_unknown"] = {"name": True}
    assert findings(plan(prefixed), "AWS-PG-001") == []
