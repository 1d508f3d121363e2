"""What a first real apply would reject, read from the offline plans of dev, staging and prod (issue 22 defects).

The plans are the real root with each environment's rendered values against the stub AWS provider 6 (see
test_offline_plan.py, whose fixtures this reuses). Where the fix is a dependency or an argument left out, the plan's
`configuration` (references and expressions) is what shows it; elsewhere the planned values do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.engine.test_offline_plan import offline_project, planned  # noqa: F401  (module-scoped fixtures)

pytestmark = pytest.mark.slow

ENVIRONMENTS = ("dev", "staging", "prod")


def _plan(planned: dict[str, Any], environment: str) -> dict[str, Any]:  # noqa: F811 (the fixture)
    entry = next(item for item in planned["environments"] if item["environment"] == environment)
    return json.loads(Path(entry["plan_json"]).read_text(encoding="utf-8"))


def _changes(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {change["address"]: change["change"] for change in plan["resource_changes"]}


def _module_config(plan: dict[str, Any], name: str) -> dict[str, Any]:
    return plan["configuration"]["root_module"]["module_calls"][name]["module"]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_no_resource_carries_two_tag_keys_equal_apart_from_case(planned: dict[str, Any],  # noqa: F811
                                                                environment: str) -> None:
    """Defect 1: IAM's CreateRole (and others) answer "Duplicate tag keys found" for Environment + environment."""
    for address, change in _changes(_plan(planned, environment)).items():
        tags = (change.get("after") or {}).get("tags") or {}
        lowered = [key.lower() for key in tags]
        assert len(lowered) == len(set(lowered)), f"{address}: tag keys equal apart from case: {sorted(tags)}"


def test_metric_filters_wait_for_the_database_log_groups(planned: dict[str, Any]) -> None:  # noqa: F811
    """Defect 2: PutMetricFilter on a missing group fails; the output the filters read must come from the groups."""
    output = _module_config(_plan(planned, "prod"), "database")["outputs"]["postgresql_log_group_names"]
    references = output["expression"]["references"]
    assert {"aws_cloudwatch_log_group.postgresql", "aws_cloudwatch_log_group.exports"} <= set(references), references


def test_read_replicas_take_their_sources_key(planned: dict[str, Any]) -> None:  # noqa: F811
    """Defect 3: a same-region encrypted replica always uses the source's key; RDS refuses KmsKeyId for it."""
    plan = _plan(planned, "prod")
    replicas = [address for address in _changes(plan) if address.startswith("module.database.aws_db_instance.replica")]
    assert len(replicas) == 2, "prod has two read replicas (envs/prod.yaml)"
    config = next(resource for resource in _module_config(plan, "database")["resources"]
                  if resource["address"] == "aws_db_instance.replica")
    assert "kms_key_id" not in config["expressions"]
    assert config["expressions"]["storage_encrypted"] == {"constant_value": True}


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_the_service_runs_the_named_ecr_image_and_may_pull_it(planned: dict[str, Any],  # noqa: F811
                                                               environment: str) -> None:
    """Defect 4: the image of this account's repository, pinned by digest; the execution role may pull from it."""
    plan = _plan(planned, environment)
    data = {resource["address"]: resource["values"]
            for resource in plan["prior_state"]["values"]["root_module"]["resources"]}
    repository, image = data["data.aws_ecr_repository.app[0]"], data["data.aws_ecr_image.app[0]"]
    assert repository["name"] == "edu-platform/api" and image["image_tag"] == "1.0.0"
    outputs = plan["configuration"]["root_module"]["module_calls"]["compute"]["expressions"]
    assert "local.ecr_repository_arns" in outputs["ecr_repository_arns"]["references"]
    groups = [change["after"] for address, change in _changes(plan).items()
              if address.startswith("module.compute.aws_lb_target_group.this")]
    assert groups and all(group["port"] == 8080 and group["health_check"][0]["path"] == "/health" for group in groups)


def test_dev_placeholder_is_checked_where_it_answers(planned: dict[str, Any]) -> None:  # noqa: F811
    """Defect 4: public nginx listens on 80 and has no /health; dev's target group checks / on 80."""
    groups = [change["after"] for address, change in _changes(_plan(planned, "dev")).items()
              if address.startswith("module.compute.aws_lb_target_group.this")]
    assert groups and all(group["port"] == 80 and group["health_check"][0]["path"] == "/" for group in groups)


def test_prod_alarms_reach_someone(planned: dict[str, Any]) -> None:  # noqa: F811
    """Defect 5: a protected environment's alarm topic has at least one subscriber."""
    subscriptions = [address for address in _changes(_plan(planned, "prod"))
                     if address.startswith("module.monitoring.aws_sns_topic_subscription.")]
    assert subscriptions, "prod's alarm topic has no subscriber"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_cache_events_reach_the_encrypted_topic_through_eventbridge(planned: dict[str, Any],  # noqa: F811
                                                                    environment: str) -> None:
    """Defect 6: ElastiCache cannot publish to a KMS-encrypted topic; EventBridge forwards its events instead."""
    changes = _changes(_plan(planned, environment))
    group = changes["module.cache.aws_elasticache_replication_group.this[0]"]["after"]
    assert group.get("notification_topic_arn") is None
    assert changes["module.monitoring.aws_sns_topic.this[0]"]["after_unknown"].get("kms_master_key_id") or \
        changes["module.monitoring.aws_sns_topic.this[0]"]["after"].get("kms_master_key_id")
    rule = changes["module.monitoring.aws_cloudwatch_event_rule.cache_events[0]"]["after"]
    assert json.loads(rule["event_pattern"])["source"] == ["aws.elasticache"]
    assert "module.monitoring.aws_cloudwatch_event_target.cache_events[0]" in changes


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_major_version_upgrades_are_allowed(planned: dict[str, Any], environment: str) -> None:  # noqa: F811
    """Defect 9: RDS refuses a 14 -> 15 engine_version change without allow_major_version_upgrade."""
    database = _changes(_plan(planned, environment))["module.database.aws_db_instance.this[0]"]["after"]
    assert database["allow_major_version_upgrade"] is True


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_plain_http_is_never_open_to_the_internet(planned: dict[str, Any], environment: str) -> None:  # noqa: F811
    """Defect 10: without HTTPS the listener's sources are restricted; staging serves HTTPS with its certificate."""
    changes = _changes(_plan(planned, environment))
    https = "module.compute.aws_lb_listener.https[0]" in changes
    ingress = [change["after"] for address, change in changes.items()
               if address.startswith("module.compute.aws_vpc_security_group_ingress_rule.alb")]
    assert ingress
    if not https:
        assert all(rule.get("cidr_ipv4") != "0.0.0.0/0" for rule in ingress), ingress
    if environment == "staging":
        assert https, "staging is production-like: HTTPS with its own certificate"


@pytest.mark.parametrize(("environment", "certificates", "records"), [
    ("staging", {"aws_acm_certificate.alb[0]"}, {'aws_route53_record.alias["app-A"]'}),
    ("prod", {"aws_acm_certificate.alb[0]", "aws_acm_certificate.cloudfront[0]"},
     {'aws_route53_record.alias["app-A"]', 'aws_route53_record.alias["app-AAAA"]',
      'aws_route53_record.alias["origin-A"]'}),
])
def test_certificates_and_records_are_created_in_the_hosted_zone(planned: dict[str, Any],  # noqa: F811
                                                                 environment: str, certificates: set[str],
                                                                 records: set[str]) -> None:
    """Defect 11: nothing else creates the ACM certificates (DNS-validated) and the Route 53 alias records."""
    changes = _changes(_plan(planned, environment))
    assert certificates <= set(changes)
    assert records == {address for address in changes if address.startswith("aws_route53_record.alias")}
    for address in certificates:
        assert changes[address]["after"]["validation_method"] == "DNS"
        validation = address.replace("aws_acm_certificate.", "aws_acm_certificate_validation.")
        assert validation in changes, f"{address} is validated before the listener or distribution uses it"
    validations = [address for address in changes if address.startswith("aws_route53_record.certificate_validation")]
    assert len(validations) == len(certificates)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_log_group_uses_a_customer_managed_key(planned: dict[str, Any], environment: str) -> None:  # noqa: F811
    """Seeds (003, logs for every service, encrypted): containers, flow logs, WAF and Lambda logs use the
    environment's logs key (the edge WAF's a us-east-1 one), the data tier its own keys."""
    groups = {address: change for address, change in _changes(_plan(planned, environment)).items()
              if address.split(".")[-2:][0] == "aws_cloudwatch_log_group" or ".aws_cloudwatch_log_group." in address}
    assert any(address.startswith("module.compute.") for address in groups)
    for address, change in groups.items():
        assert change["after"].get("kms_key_id") or change["after_unknown"].get("kms_key_id"), \
            f"{address} is not encrypted with a customer-managed key"
    changes = _changes(_plan(planned, environment))
    key = changes["module.logs_kms.aws_kms_key.this[0]"]
    assert key["after"]["enable_key_rotation"] is True
    # CloudWatch Logs refuses CreateLogGroup with a key whose policy does not name the group: the root's names
    # for the modules' groups must be the modules' own.
    keys = {"module.logs_kms": key,
            "module.edge_logs_kms[0]": changes.get("module.edge_logs_kms[0].aws_kms_key.this[0]")}
    owners = {"module.compute.": "module.logs_kms", "module.network.": "module.logs_kms",
              "module.waf[0].": "module.logs_kms", "module.migrations_runner[0].": "module.logs_kms",
              "module.waf_cloudfront[0].": "module.edge_logs_kms[0]"}
    for address, change in groups.items():
        owner = next((key_module for prefix, key_module in owners.items() if address.startswith(prefix)), None)
        if owner is None:
            continue
        statement = next(item for item in json.loads(keys[owner]["after"]["policy"])["Statement"]
                         if item.get("Sid") == "CloudWatchLogs")
        allowed = statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
        allowed = [allowed] if isinstance(allowed, str) else allowed
        assert any(arn.endswith(":log-group:" + change["after"]["name"]) for arn in allowed), (address, allowed)
