"""`toolkit cost` on real plan JSON: prod's offline plan (terraform 1.15.5, the real root, stub AWS provider 6).

tests/fixtures/plans/offline_prod.json is `toolkit plan prod --offline` output with its resource
changes as Terraform wrote them (nested blocks as lists, sensitivity and unknown values as nested
structures), less the random passwords and secret versions and the sections cost does not read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from toolkit.cli import app

PLAN = Path(__file__).resolve().parents[1] / "fixtures" / "plans" / "offline_prod.json"


@pytest.fixture
def report(project_dir: Path) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["cost", str(PLAN), "-e", "prod", "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def planned(report: dict[str, Any], address: str) -> dict[str, Any]:
    return next(item["planned"] for item in report["resources"] if item["address"] == address)


def test_waf_rules_and_bot_control_from_the_real_blocks(report: dict[str, Any]) -> None:
    acl = planned(report, "module.waf[0].aws_wafv2_web_acl.this[0]")
    assert [line["label"] for line in acl["lines"]] == [
        "web ACL", "6 rules", "43.8 M requests", "Bot Control subscription", "Bot Control 43.8 M requests"]
    assert acl["monthly_usd"] == [pytest.approx(5 + 6 + 43.8 * 0.6 + 10 + 43.8)] * 2


def test_metric_math_alarms_count_the_metrics_they_read(report: dict[str, Any]) -> None:
    http = planned(report, "module.monitoring.aws_cloudwatch_metric_alarm.http_5xx_rate[0]")
    assert http["lines"][0]["quantity"] == [3.0, 3.0]
    cache = planned(report, 'module.monitoring.aws_cloudwatch_metric_alarm.cache_hit_rate["nodes-1-5"]')
    assert cache["lines"][0]["quantity"] == [10.0, 10.0]


def test_database_cache_compute_and_network(report: dict[str, Any]) -> None:
    primary = planned(report, "module.database.aws_db_instance.this[0]")
    # Instance hours, gp3 storage, backup storage beyond the free allocation (usage), Performance Insights.
    assert [line["quantity"] for line in primary["lines"]] == [[1460.0, 1460.0], [400.0, 400.0], [0.0, 0.0],
                                                               [0.0, 0.0]]
    assert primary["lines"][1]["monthly_usd"] == [pytest.approx(400 * 0.219)] * 2
    replica = planned(report, 'module.database.aws_db_instance.replica["edu-platform-prod-replica-1"]')
    assert [line["quantity"] for line in replica["lines"]][:2] == [[730.0, 730.0], [200.0, 200.0]]
    cache = planned(report, "module.cache.aws_elasticache_replication_group.this[0]")
    assert cache["lines"][0]["label"] == "cache.r6g.large 3 shards × 3 nodes"
    assert cache["lines"][0]["monthly_usd"] == [pytest.approx(9 * 730 * 0.41)] * 2
    service = planned(report, "module.compute.aws_ecs_service.this[0]")
    assert service["monthly_usd"] == [pytest.approx(5 * 730 * (2 * 0.0696 + 4 * 0.0076)),
                                      pytest.approx(20 * 730 * (2 * 0.0696 + 4 * 0.0076))]
    nat = [item for item in report["resources"] if item["type"] == "aws_nat_gateway"]
    assert len(nat) == 3 and all(item["planned"]["monthly_usd"] == [67.89, 67.89] for item in nat)


def test_prod_is_over_budget_and_says_why(report: dict[str, Any]) -> None:
    # Nine cache.r6g.large nodes alone (0.41/h in sa-east-1) cost 2,693 USD a month: above prod's 2,500.
    assert report["budget"]["status"] == "over"
    assert report["planned_usd"][0] > 2500
    assert "a finding for whoever set the sizing and the budget" in report["budget"]["sentence"]
    reasons = {item["reason"] for item in report["not_priced"]}
    assert "db.r6g.xlarge instance (Multi-AZ: primary and standby): no public figure found" in reasons
    assert not any(reason.startswith("cache.r6g.large") for reason in reasons)


def test_review_of_the_offline_plan_has_the_cost(project_dir: Path) -> None:
    result = CliRunner().invoke(app, ["review", str(PLAN), "-e", "prod", "--format", "md"])
    assert result.exit_code == 0, result.output
    assert "; budget over\n" in result.stdout and "### 💰 Cost\n" in result.stdout
