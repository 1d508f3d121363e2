"""Trying to break the rules: valid plans that must pass, unknown and sensitive values, missing or odd keys,
and a big plan read through the review's streaming reader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.awsrules.plans import change, plan
from toolkit.awsrules import evaluate_plan
from toolkit.awsrules.service import RulesCollector

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plans"


def test_a_plan_without_resource_changes_or_configuration_has_no_findings() -> None:
    assert evaluate_plan({"format_version": "1.2"}).findings == []
    assert evaluate_plan({"format_version": "1.2", "resource_changes": None, "configuration": None}).findings == []


def test_odd_entries_are_skipped_not_crashed_on() -> None:
    odd: list[Any] = [
        "not an object", {"address": "x"}, {"change": "nope"}, {"change": {"actions": "create", "after": {}}},
        {"type": "aws_iam_role", "change": {"actions": ["create"], "after": None}},
        change("aws_iam_role.a", {"tags_all": ["not", "a", "map"], "name": 12}),
        change("aws_lb.b", {"name": None}),
        change("aws_s3_bucket_lifecycle_configuration.c", {"rule": [{"transition": [{"days": "30",
                                                                                    "storage_class": 5}]}]}),
        change("aws_ecs_task_definition.d", {"requires_compatibilities": "FARGATE", "cpu": True}),
        change("aws_wafv2_web_acl.e", {"name": "e", "rule": [{"statement": [{"managed_rule_group_statement": [
            {"name": None, "rule_action_override": [None, {"name": 3}]}]}]}]}),
        change("aws_cloudwatch_metric_alarm.f", {"alarm_name": "f", "namespace": "AWS/RDS", "metric_name": None,
                                                 "dimensions": None, "metric_query": [{"metric": [None]}]}),
        change("aws_db_instance.g", {"replicate_source_db": 7, "kms_key_id": {"weird": True}}),
        change("aws_elasticache_replication_group.h", {"notification_topic_arn": "not-an-arn"}),
    ]
    document = plan(*[entry for entry in odd if isinstance(entry, dict)])
    document["resource_changes"].insert(0, "not an object")
    assert evaluate_plan(document).findings == []


def test_deletes_and_no_ops_send_nothing_to_aws() -> None:
    bad_tags = {"tags_all": {"A": "1", "a": "2"}}
    deleted = change("aws_iam_role.old", bad_tags, actions=("delete",))
    unchanged = change("aws_iam_role.same", bad_tags, actions=("no-op",))
    replaced = change("aws_iam_role.new", bad_tags, actions=("delete", "create"))
    report = evaluate_plan(plan(deleted, unchanged, replaced))
    assert [finding.address for finding in report.findings] == ["aws_iam_role.new"]


def test_unknown_tags_map_and_unknown_tag_values() -> None:
    whole = change("aws_iam_role.a", {"tags_all": None}, unknown={"tags_all": True})
    values = change("aws_iam_role.b", {"tags_all": {"Owner": None}}, unknown={"tags_all": {"Owner": True}})
    assert evaluate_plan(plan(whole, values)).findings == []


def test_sensitive_values_are_neither_checked_nor_printed() -> None:
    secret = "x" * 300
    role = change("aws_iam_role.a", {"name": "a", "tags_all": {"Token": secret}},
                  sensitive={"tags_all": {"Token": True}})
    redacted = change("aws_iam_role.b", {"name": "(sensitive)"}, sensitive={"name": True})
    report = evaluate_plan(plan(role, redacted))
    assert report.findings == []
    assert secret not in json.dumps(report.as_dict())


def test_data_sources_and_other_providers_are_ignored() -> None:
    data = change("data.aws_iam_policy_document.x", {"tags_all": {"A": "1", "a": "2"}})
    data["mode"] = "data"
    other = change("random_password.p", {"tags_all": {"A": "1", "a": "2"}})
    assert evaluate_plan(plan(data, other)).findings == []


def test_the_sandbox_plan_fixture_has_no_errors() -> None:
    report = evaluate_plan(json.loads((FIXTURES / "current_format.json").read_text(encoding="utf-8")))
    assert report.errors == []


def test_the_review_reader_path_finds_what_the_document_path_finds(tmp_path: Path) -> None:
    """The review feeds the rules entry by entry from its streaming reader, with a small chunk so the window
    slides; the configuration is read back from its byte span. Both paths must agree."""
    from toolkit.plans.reader import read_plan

    document = json.loads((FIXTURES / "offline_prod.json").read_text(encoding="utf-8"))
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    collector = RulesCollector()
    parsed = read_plan(path, chunk_bytes=4096, on_entry=collector)
    streamed = collector.finish(parsed.load_configuration(), "prod", None)
    parsed.close()
    whole = evaluate_plan(document)
    assert streamed.findings == whole.findings
    assert {finding.rule_id for finding in whole.errors} >= {"AWS-TAG-001"}


def test_a_big_plan_is_checked_and_findings_stay_grouped(tmp_path: Path) -> None:
    """20,000 changes with one repeated mistake: every one found, the review section stays one short group."""
    from toolkit.awsrules.render import grouped, markdown_section

    changes = [change(f'aws_iam_role.r["{index}"]', {"name": f"r{index}", "tags_all": {"Env": "x", "env": "x"}})
               for index in range(20_000)]
    report = evaluate_plan(plan(*changes))
    assert len(report.blocking) == 20_000
    assert len(grouped(report.findings)) == 1
    section = markdown_section(report, 16_000)
    assert len(section.encode("utf-8")) <= 16_000 and "and 19990 more" in section


def test_many_distinct_findings_are_cut_to_the_markdown_budget() -> None:
    from toolkit.awsrules.render import markdown_section

    changes = [change(f"aws_lb.lb{index}", {"name": f"{'n' * 40}{index}"}) for index in range(3_000)]
    report = evaluate_plan(plan(*changes))
    section = markdown_section(report, 10_000)
    assert len(section.encode("utf-8")) <= 10_000
    assert section.startswith("\n### 🛑 Would be rejected by AWS: 3000") and "more: run `toolkit review`" in section


def test_tags_are_checked_when_only_tags_all_is_unknown() -> None:
    role = change("aws_iam_role.a", {"name": "a", "tags": {"Team": "x", "team": "y"}, "tags_all": None},
                  unknown={"tags_all": True})
    assert [finding.rule_id for finding in evaluate_plan(plan(role)).findings] == ["AWS-TAG-001"]


def test_default_iam_paths_and_arn_function_names_pass() -> None:
    role = change("aws_iam_role.a", {"name": "a", "path": "/"})
    service_role = change("aws_iam_role.b", {"name": "b", "path": "/service-role/"})
    function = change("aws_lambda_function.f", {
        "function_name": "arn:aws:lambda:sa-east-1:123456789012:function:migrations-runner"})
    assert evaluate_plan(plan(role, service_role, function)).findings == []
    bad_path = change("aws_iam_role.c", {"name": "c", "path": "service"})
    assert [finding.rule_id for finding in evaluate_plan(plan(bad_path)).findings] == ["AWS-NAME-001"]
