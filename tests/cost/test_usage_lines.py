"""Usage-priced lines (backups, snapshots, Performance Insights, CloudTrail, flow logs, X-Ray, WAF requests)
on prod's real offline plan, and the usage values issue 21 found accepted: infinite, boolean, unknown bucket."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from toolkit.cli import app

PLAN = Path(__file__).resolve().parents[1] / "fixtures" / "plans" / "offline_prod.json"


def prod_with_usage(project_dir: Path, usage: str) -> Path:
    env = project_dir / "envs" / "prod.yaml"
    text = env.read_text(encoding="utf-8").replace("usage:\n", "usage:\n" + usage, 1)
    env.write_text(text, encoding="utf-8")
    return env


def created(address: str, module: str, type_name: str, after: dict[str, Any]) -> dict[str, Any]:
    return {"address": address, "module_address": module, "mode": "managed", "type": type_name,
            "name": "this", "index": 0, "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": ["create"], "before": None, "after": after, "after_unknown": {},
                       "before_sensitive": False, "after_sensitive": {}}}


def plan_with_xray(tmp_path: Path) -> Path:
    """prod's offline plan with the X-Ray sidecar's container and the audit and backup modules' resources."""
    document = json.loads(PLAN.read_text(encoding="utf-8"))
    for entry in document["resource_changes"]:
        if entry["type"] == "aws_ecs_task_definition":
            entry["change"]["after"]["container_definitions"] = json.dumps([{"name": "app"}, {"name": "xray-daemon"}])
    document["resource_changes"] += [
        created("module.backup[0].aws_backup_vault.this[0]", "module.backup[0]", "aws_backup_vault",
                {"name": "edu-platform-prod"}),
        created("module.audit[0].aws_cloudtrail.this[0]", "module.audit[0]", "aws_cloudtrail",
                {"name": "edu-platform-prod", "is_multi_region_trail": True}),
    ]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def cost(plan: Path, *args: str) -> Any:
    result = CliRunner().invoke(app, ["cost", str(plan), "-e", "prod", *args])
    assert "Traceback" not in result.output, result.output
    return result


def lines_of(report: dict[str, Any], address: str) -> dict[str, dict[str, Any]]:
    resource = next(item for item in report["resources"] if item["address"] == address)
    return {line["label"]: line for line in resource["planned"]["lines"]}


def test_unmeasured_usage_lines_say_so_and_cost_nothing(project_dir: Path, tmp_path: Path) -> None:
    report = json.loads(cost(plan_with_xray(tmp_path), "--format", "json").stdout)
    vault = lines_of(report, "module.backup[0].aws_backup_vault.this[0]")["backup storage (warm)"]
    assert vault["usage_key"] == "usage.backup_storage_gb" and vault["note"] == "0: not measured" and vault["priced"]
    trail = lines_of(report, "module.audit[0].aws_cloudtrail.this[0]")
    assert trail["management events of additional trail copies"]["note"] == \
        "0: the first copy of management events is free"
    flow = lines_of(report, "module.network.aws_flow_log.this[0]")["flow logs delivered (vended logs)"]
    assert flow["usage_key"] == "usage.flow_log_gb"
    insights = lines_of(report, "module.database.aws_db_instance.this[0]")["Performance Insights (7-day retention)"]
    assert insights["note"] == "free: 7 days of history" and insights["monthly_usd"] == [0, 0]
    assert "X-Ray traces recorded" in lines_of(report, "module.compute.aws_ecs_service.this[0]")
    waf = lines_of(report, "module.waf[0].aws_wafv2_web_acl.this[0]")["43.8 M requests"]
    assert waf["usage_key"] == "usage.requests_per_minute" and waf["monthly_usd"] == [pytest.approx(26.28)] * 2


def test_measured_usage_is_priced_or_said_not_priced(project_dir: Path, tmp_path: Path) -> None:
    prod_with_usage(project_dir, "  cache_snapshot_gb: 100\n  backup_storage_gb: 500\n  xray_traces: 2000000\n")
    report = json.loads(cost(plan_with_xray(tmp_path), "--format", "json").stdout)
    snapshot = lines_of(report, "module.cache.aws_elasticache_replication_group.this[0]")[
        "snapshot storage beyond the free allocation"]
    # sa-east-1 ElastiCache backup storage: 0.085 per GB-month (SAE1-ElastiCache:BackupUsage).
    assert snapshot["monthly_usd"] == [pytest.approx(8.5)] * 2 and snapshot["priced"]
    reasons = [item["reason"] for item in report["not_priced"]]
    # No public figure for AWS Backup warm storage or X-Ray in sa-east-1: measured, so not priced (never $0).
    assert "backup storage (warm): no public figure found" in reasons
    assert "X-Ray traces recorded: no public figure found" in reasons


@pytest.mark.parametrize(("written", "shown"), [
    ("log_ingestion_gb: .inf", "usage.log_ingestion_gb = inf: must be a finite number (not inf)"),
    ("log_ingestion_gb: .nan", "usage.log_ingestion_gb = nan: must be a finite number (not nan)"),
    ("nat_processed_gb: 1.0e+300", "usage.nat_processed_gb = 1e+300: must be between 0 and 1e+12"),
    ("alb_lcu: -3", "usage.alb_lcu = -3: must be between 0 and 1e+12"),
    ("xray_traces: true", "usage.xray_traces = True: must be a number"),
    ("fargate_average_tasks: {low: 1, high: .inf}", "usage.fargate_average_tasks.high = inf: must be a finite"),
])
def test_infinite_or_absurd_usage_is_refused(project_dir: Path, written: str, shown: str) -> None:
    prod_with_usage(project_dir, f"  {written}\n")
    for output in ("json", "text"):
        result = cost(PLAN, "--format", output)
        assert result.exit_code == 1, result.output
        assert "Infinity" not in result.stdout and "NaN" not in result.stdout
        assert "envs/prod.yaml:" in result.stderr and shown in result.stderr, result.stderr


def test_usage_for_a_bucket_the_environment_has_not_is_refused(project_dir: Path) -> None:
    prod_with_usage(project_dir, "  s3_storage_gb: {uploads: 10, uplaods: 5}\n")
    result = cost(PLAN)
    assert result.exit_code == 1, result.output
    assert "usage.s3_storage_gb.uplaods" in result.stderr
    assert "names no bucket of storage.buckets (allowed: bncc-data, exports, ml-models, uploads)" in result.stderr


def test_json_output_never_holds_a_non_finite_number(project_dir: Path) -> None:
    from toolkit.cost import render

    report = json.loads(cost(PLAN, "--format", "json").stdout)
    assert report["planned_usd"][0] > 0
    with pytest.raises(ValueError):
        render.dumps({"x": float("inf")})


def test_rds_backup_storage_is_the_primarys_replicas_keep_none(project_dir: Path) -> None:
    prod_with_usage(project_dir, "  rds_backup_gb: 120\n")
    report = json.loads(cost(PLAN, "--format", "json").stdout)
    primary = lines_of(report, "module.database.aws_db_instance.this[0]")
    assert primary["backup storage beyond the free allocation"]["quantity"] == [120.0, 120.0]
    replica = lines_of(report, 'module.database.aws_db_instance.replica["edu-platform-prod-replica-1"]')
    assert "backup storage beyond the free allocation" not in replica
    reasons = [item["reason"] for item in report["not_priced"]]
    assert "backup storage beyond the free allocation: no public figure found" in reasons
