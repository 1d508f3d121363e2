"""Bad input: a clear error or an explicit "not priced" line, never a traceback or a made-up number."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.cost.prices import SNAPSHOT

runner = CliRunner()


def run(*args: str) -> Any:
    result = runner.invoke(app, ["cost", *args])
    assert "Traceback" not in result.output, result.output
    return result


def test_unknown_region_is_an_error(env_plan: Callable[..., Path]) -> None:
    result = run(str(env_plan("dev")), "-e", "dev", "--region", "xx-west-9")
    assert result.exit_code == 1, result.output
    assert result.stderr == ("Error: region 'xx-west-9' is not in the price snapshot (the shipped price snapshot "
                             "covers sa-east-1, us-east-1): add it to toolkit/data/prices.yaml or estimate with "
                             "--region\n")


def test_environment_region_outside_the_snapshot(env_plan: Callable[..., Path], project_dir: Path) -> None:
    plan = str(env_plan("dev"))
    with (project_dir / "envs" / "dev.yaml").open("a", encoding="utf-8") as handle:
        handle.write("aws_region: eu-west-1\n")
    result = run(plan, "-e", "dev")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: region 'eu-west-1' is not in the price snapshot")


def test_plan_without_region_and_environment(tmp_path: Path, env_plan: Callable[..., Path]) -> None:
    document = json.loads(env_plan("dev").read_text())
    document["variables"] = {}
    path = tmp_path / "anonymous.json"
    path.write_text(json.dumps(document))
    result = run(str(path))
    assert result.exit_code == 1, result.output
    assert result.stderr == (f"Error: {path}: cannot tell the AWS region (no environment file and no aws_region "
                             "variable in the plan): pass --region REGION\n")
    # The plan's own aws_region variable is enough.
    assert run(str(env_plan("dev")), "--format", "json").exit_code == 0


def test_resource_type_with_no_price_is_listed_not_priced(env_plan: Callable[..., Path]) -> None:
    def add_table(document: dict[str, Any]) -> None:
        document["resource_changes"].append({
            "address": "aws_dynamodb_table.sessions", "mode": "managed", "type": "aws_dynamodb_table",
            "name": "sessions", "change": {"actions": ["create"], "before": None, "after": {"name": "s"}}})

    result = run(str(env_plan("dev", add_table)), "-e", "dev", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"address": "aws_dynamodb_table.sessions", "reason": "no price rule for aws_dynamodb_table"} \
        in report["not_priced"]
    table = next(item for item in report["resources"] if item["address"] == "aws_dynamodb_table.sessions")
    assert table["planned"]["monthly_usd"] == [0, 0] and table["planned"]["not_priced"]
    assert report["complete"] is False


def test_instance_class_missing_from_the_snapshot_is_not_priced(env_plan: Callable[..., Path]) -> None:
    def exotic(document: dict[str, Any]) -> None:
        for entry in document["resource_changes"]:
            if entry["type"] == "aws_db_instance":
                entry["change"]["after"]["instance_class"] = "db.x2iedn.32xlarge"

    report = json.loads(run(str(env_plan("dev", exotic)), "-e", "dev", "--region", "us-east-1", "--format",
                            "json").stdout)
    reasons = [item["reason"] for item in report["not_priced"]]
    assert "db.x2iedn.32xlarge instance: db.x2iedn.32xlarge in us-east-1 is not in the price book" in reasons


def test_usage_key_of_the_wrong_type(env_plan: Callable[..., Path], project_dir: Path) -> None:
    plan = str(env_plan("dev"))
    with (project_dir / "envs" / "dev.yaml").open("a", encoding="utf-8") as handle:
        handle.write("usage:\n  nat_processed_gb: lots\n  active_students: '50000'\n  typo_key: 1\n")
    result = run(plan, "-e", "dev")
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        "Error: envs/dev.yaml: 3 problems\n"
        "  envs/dev.yaml:8: usage.active_students = '50000': must be a whole number of students, such as 50000\n"
        "  envs/dev.yaml:7: usage.nat_processed_gb = 'lots': must be a number\n"
        "  envs/dev.yaml:9: usage.typo_key = 1: unknown key; allowed: active_students, alb_lcu, aurora_average_acu, "
        "aurora_storage_gb, backup_storage_gb, cache_snapshot_gb, cdn_data_out_gb, cloudtrail_paid_events, "
        "cost_per_student_target_usd, fargate_average_tasks, flow_log_gb, lambda_gb_seconds, log_ingestion_gb, "
        "nat_processed_gb, rds_backup_gb, requests_per_minute, s3_storage_gb, xray_traces\n")


def test_a_file_that_is_not_a_plan(tmp_path: Path, project_dir: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"resources": []}')
    result = run(str(path), "--region", "us-east-1")
    assert result.exit_code == 1, result.output
    assert result.stderr == (f"Error: {path} is JSON but not a Terraform plan: it has no format_version and no "
                             "resource_changes (expected the output of `terraform show -json PLANFILE`)\n")
    binary = tmp_path / "plan.json"
    binary.write_bytes(b"PK\x03\x04\xff\xfe")
    assert run(str(binary), "--region", "us-east-1").exit_code == 1


def test_corrupt_price_files(tmp_path: Path, env_plan: Callable[..., Path]) -> None:
    plan = str(env_plan("dev"))
    broken = tmp_path / "broken.yaml"
    broken.write_text("products: [unclosed\n")
    result = run(plan, "-e", "dev", "--prices-file", str(broken))
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"Error: {broken}: the price file is not valid YAML at line ")

    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(SNAPSHOT.read_text().replace("usd: 0.0696,", 'usd: "cheap",', 1))
    result = run(plan, "-e", "dev", "--prices-file", str(wrong))
    assert result.exit_code == 1, result.output
    assert result.stderr == (f"Error: {wrong}: the price file is malformed: "
                             "products.fargate_vcpu_hour.regions.sa-east-1.usd: Value error, must be a number of "
                             "US dollars or null, not 'cheap'\n")

    negative = tmp_path / "negative.yaml"
    negative.write_text(SNAPSHOT.read_text().replace("usd: 0.0696,", "usd: -1,", 1))
    assert "must be a finite price between 0 and 100,000 USD, not -1" in run(
        plan, "-e", "dev", "--prices-file", str(negative)).stderr

    # Issue 21: `usd: true` was read as $1; infinite and absurd prices are refused the same way.
    for written, shown in (("true", "must be a number of US dollars or null, not True"),
                           (".inf", "not inf"), (".nan", "not nan"), ("1.0e+300", "not 1e+300")):
        hostile = tmp_path / "hostile.yaml"
        hostile.write_text(SNAPSHOT.read_text().replace("usd: 0.0696,", f"usd: {written},", 1))
        result = run(plan, "-e", "dev", "--prices-file", str(hostile))
        assert result.exit_code == 1, (written, result.output)
        assert "products.fargate_vcpu_hour.regions.sa-east-1.usd" in result.stderr and shown in result.stderr, written

    missing = tmp_path / "missing.yaml"
    assert run(plan, "-e", "dev", "--prices-file", str(missing)).stderr == \
        f"Error: {missing}: price file not found\n"


def test_corrupt_refresh_cache(env_plan: Callable[..., Path], project_dir: Path) -> None:
    plan = str(env_plan("dev"))
    cache = project_dir / ".cache" / "prices" / "prices.json"
    cache.parent.mkdir(parents=True)
    cache.write_text('{"prices": [{"product": "fargate_vcpu_hour"')
    result = run(plan, "-e", "dev")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"Error: {cache}: the refreshed price cache is corrupt (JSONDecodeError: ")
    assert result.stderr.endswith("delete it or run --refresh-prices again\n")


def test_a_mistyped_environment_name(project_dir: Path) -> None:
    result = run("prdo")
    assert result.exit_code == 1, result.output  # a usage error, never 2 ("changes present")
    assert result.stderr == ("Error: unknown environment 'prdo': no envs/prdo.yaml (environments: dev, prod, "
                             "staging; or pass a plan JSON file)\n")


def test_an_environment_without_a_saved_plan(project_dir: Path) -> None:
    result = run("staging")
    assert result.exit_code == 1, result.output
    assert result.stderr == ("Error: no saved plan for environment 'staging' (.toolkit/envs/staging/plans/latest/"
                             "plan.json is missing): run `toolkit plan staging` first\n")
