"""`toolkit cost` through the CLI on plans shaped like the real root's, per environment."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.cost.conftest import change
from toolkit.cli import app

runner = CliRunner()


def run(*args: str) -> Any:
    result = runner.invoke(app, ["cost", *args])
    assert "Traceback" not in result.output, result.output
    return result


def cost_json(*args: str) -> dict[str, Any]:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def resource(document: dict[str, Any], address: str) -> dict[str, Any]:
    return next(item for item in document["resources"] if item["address"] == address)


def test_fargate_is_a_range_from_the_autoscaling_min_and_max(env_plan: Callable[..., Path]) -> None:
    report = cost_json(str(env_plan("dev")), "-e", "dev")
    service = resource(report, "module.compute.aws_ecs_service.this[0]")
    # dev: 1–2 tasks of 0.5 vCPU / 1 GB in sa-east-1 (0.0696 per vCPU-hour, 0.0076 per GB-hour), 730 hours.
    vcpu, memory = service["planned"]["lines"]
    assert vcpu["quantity"] == [365.0, 730.0]
    assert vcpu["monthly_usd"] == [pytest.approx(25.404), pytest.approx(50.808)]
    assert memory["monthly_usd"] == [pytest.approx(5.548), pytest.approx(11.096)]
    assert vcpu["price"] == "fargate_vcpu_hour@sa-east-1"
    price = report["prices"]["fargate_vcpu_hour@sa-east-1"]
    assert price["service_code"] == "AmazonECS" and price["usd"] == 0.0696 and price["unit"] == "vCPU-hour"
    assert price["attributes"] == {"usagetype": "SAE1-Fargate-vCPU-Hours:perCPU", "regionCode": "sa-east-1"}
    assert price["location"] == "South America (Sao Paulo)"
    assert price["as_of"] and price["source"]
    assert report["region"] == "sa-east-1"


def test_totals_per_module_and_the_not_priced_lines_are_listed(env_plan: Callable[..., Path]) -> None:
    result = run(str(env_plan("dev")), "-e", "dev")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("Monthly cost of dev (sa-east-1): $")
    assert "(lower bound)" in out.splitlines()[0]
    assert "By module (planned):" in out
    assert "  module.compute " in out
    assert "Not priced (" in out
    assert "module.database.aws_db_instance.this[0]: db.t3.micro instance: no public sa-east-1 figure found" in out
    # Priced from the Price List slice: cache.t3.micro (Redis) in sa-east-1 at 0.032 per node-hour.
    assert "cache.t3.micro 1 node: 730 node-hour × $0.032 = $23.36" in out
    report = cost_json(str(env_plan("dev")), "-e", "dev")
    module_total = sum(item["monthly_usd"][0] for item in report["modules"])
    assert module_total == pytest.approx(report["planned_usd"][0], abs=0.02)
    assert not report["complete"]


def test_multi_az_and_replicas_are_priced_from_planned_attributes(env_plan: Callable[..., Path]) -> None:
    def shrink(document: dict[str, Any]) -> None:
        # prod's db.r6g.xlarge has no public price; db.t3.small does (us-east-1 0.036/h, gp3 0.115/GB-month).
        for entry in document["resource_changes"]:
            if entry["type"] == "aws_db_instance":
                entry["change"]["after"]["instance_class"] = "db.t3.small"

    report = cost_json(str(env_plan("prod", shrink)), "-e", "prod", "--region", "us-east-1")
    primary = resource(report, "module.database.aws_db_instance.this[0]")["planned"]
    # Instance hours, gp3 storage, then backup storage beyond the free allocation (usage, 0: not measured).
    assert [line["quantity"] for line in primary["lines"]] == [[1460.0, 1460.0], [400.0, 400.0], [0.0, 0.0]]
    assert primary["lines"][2]["usage_key"] == "usage.rds_backup_gb"
    assert primary["monthly_usd"] == [pytest.approx(1460 * 0.036 + 400 * 0.115)] * 2
    replica = resource(report, 'module.database.aws_db_instance.replica["replica-1"]')["planned"]
    # A replica has no allocated_storage of its own: it stores what its source stores (200 GB).
    assert replica["lines"][1]["quantity"] == [200.0, 200.0]


def test_aurora_serverless_acu_range_and_usage_assumption(env_plan: Callable[..., Path], project_dir: Path) -> None:
    (project_dir / "envs" / "dev.yaml").write_text(
        "allow_auto_apply: true\ndatabase:\n  engine_mode: aurora-serverless\n  serverless_min_acu: 0.5\n"
        "  serverless_max_acu: 4\n", encoding="utf-8")
    plan = str(env_plan("dev"))
    report = cost_json(plan, "-e", "dev", "--region", "us-east-1")
    member = resource(report, 'module.database.aws_rds_cluster_instance.this["member-0"]')["planned"]
    assert member["monthly_usd"] == [pytest.approx(0.5 * 730 * 0.12), pytest.approx(4 * 730 * 0.12)]
    with (project_dir / "envs" / "dev.yaml").open("a", encoding="utf-8") as handle:
        handle.write("usage:\n  aurora_average_acu: {low: 1, high: 2}\n")
    narrowed = cost_json(plan, "-e", "dev", "--region", "us-east-1")
    member = resource(narrowed, 'module.database.aws_rds_cluster_instance.this["member-0"]')["planned"]
    assert member["monthly_usd"] == [pytest.approx(730 * 0.12), pytest.approx(2 * 730 * 0.12)]


def test_delta_against_the_prior_state(env_plan: Callable[..., Path]) -> None:
    def resize_and_delete(document: dict[str, Any]) -> None:
        group = change(document, "module.cache.aws_elasticache_replication_group.this[0]")
        group["change"]["before"] = {**group["change"]["after"], "node_type": "cache.t3.small"}
        group["change"]["actions"] = ["update"]
        key = change(document, "module.storage.aws_kms_key.this[0]")
        key["change"].update(actions=["delete"], before={}, after=None)
        kept = change(document, "module.database.aws_kms_key.this[0]")
        kept["change"].update(actions=["no-op"], before={})

    report = cost_json(str(env_plan("dev", resize_and_delete)), "-e", "dev", "--region", "us-east-1")
    group = resource(report, "module.cache.aws_elasticache_replication_group.this[0]")
    assert group["delta_usd"] == [pytest.approx(-(0.034 - 0.017) * 730)] * 2
    deleted = resource(report, "module.storage.aws_kms_key.this[0]")
    assert deleted["planned"] is None and deleted["delta_usd"] == [-1.0, -1.0]
    assert resource(report, "module.database.aws_kms_key.this[0]")["delta_usd"] == [0.0, 0.0]
    assert report["prior_usd"][0] == pytest.approx(0.034 * 730 + 1 + 1, abs=0.01)


def test_over_budget_warns_and_fails_only_when_asked(env_plan: Callable[..., Path], project_dir: Path) -> None:
    with (project_dir / "envs" / "dev.yaml").open("a", encoding="utf-8") as handle:
        handle.write("budget:\n  monthly_min_usd: 10\n  monthly_max_usd: 20\n")
    plan = str(env_plan("dev"))
    result = run(plan, "-e", "dev")
    assert result.exit_code == 0, result.output
    assert "OVER BUDGET: $" in result.stdout
    assert "Warning: OVER BUDGET: $" in result.stderr
    failed = run(plan, "-e", "dev", "--fail-over-budget")
    assert failed.exit_code == 3, failed.output
    assert failed.stderr.splitlines()[-1].startswith("Error: OVER BUDGET: $")
    assert "is above the $10.00–$20.00 budget (budget in envs/dev.yaml) even at its low end" in failed.stderr
    assert ("The sizes planned for dev cost more than its budget allows: a finding for whoever set the sizing and "
            "the budget (the sizing plan), not something to hide by adjusting prices.") in failed.stderr


def test_at_risk_passes_with_fail_over_budget(env_plan: Callable[..., Path]) -> None:
    # staging's low end is within its 400–500 USD budget, its high end (6 tasks) is not: a warning, not a failure.
    result = run(str(env_plan("staging")), "-e", "staging", "--fail-over-budget")
    assert result.exit_code == 0, result.output
    assert "Budget at risk: " in result.stdout


def test_cost_per_active_student(env_plan: Callable[..., Path]) -> None:
    report = cost_json(str(env_plan("prod")), "-e", "prod")
    low, high = report["per_active_student_usd"]
    assert low == pytest.approx(report["planned_usd"][0] / 50_000, rel=1e-3)
    assert high == pytest.approx(report["planned_usd"][1] / 50_000, rel=1e-3)
    text = run(str(env_plan("prod")), "-e", "prod").stdout
    assert "Cost per active student: $" in text and "at 50,000 students" in text
    assert "Cost per active student: not computed (usage.active_students is not set)." in \
        run(str(env_plan("dev")), "-e", "dev").stdout


def test_markdown_output(env_plan: Callable[..., Path]) -> None:
    result = run(str(env_plan("prod")), "-e", "prod", "--format", "md")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("## Cost estimate: `prod`")
    assert "| resource | action | monthly change |" in result.stdout
    assert "<summary>Not priced:" in result.stdout


def test_an_environment_name_reads_its_saved_plan(env_plan: Callable[..., Path], project_dir: Path) -> None:
    saved = project_dir / ".toolkit" / "envs" / "dev" / "plans" / "latest"
    saved.mkdir(parents=True)
    env_plan("dev").rename(saved / "plan.json")
    result = run("dev")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Monthly cost of dev (sa-east-1)")


def test_region_other_than_the_plans_is_noted(env_plan: Callable[..., Path]) -> None:
    result = run(str(env_plan("dev")), "-e", "dev", "--region", "us-east-1")
    assert "Note: the plan's aws_region is sa-east-1; priced in us-east-1." in result.stdout


def test_plan_from_the_rendered_tfvars(project_dir: Path) -> None:
    """The estimate of a plan built from what `toolkit render prod` wrote, with prod's budget and students."""
    from tests.cost.synthetic import variables_from_tfvars, write_environment_plan

    rendered = runner.invoke(app, ["render", "prod"])
    assert rendered.exit_code == 0, rendered.output
    plan = write_environment_plan(variables_from_tfvars(project_dir / "build" / "prod" / "terraform.tfvars"),
                                  project_dir / "prod-rendered.json")
    report = cost_json(str(plan), "-e", "prod")
    service = resource(report, "module.compute.aws_ecs_service.this[0]")["planned"]
    # prod: 5–20 tasks of 2 vCPU / 4 GB at sa-east-1's Fargate prices.
    assert service["monthly_usd"] == [pytest.approx(5 * 730 * (2 * 0.0696 + 4 * 0.0076)),
                                      pytest.approx(20 * 730 * (2 * 0.0696 + 4 * 0.0076))]
    assert report["budget"]["min_usd"] == 1500 and report["budget"]["max_usd"] == 2500
    # Nine cache.r6g.large nodes (0.41/h in sa-east-1) and 5 Fargate tasks already pass prod's 2,500 USD maximum.
    assert report["budget"]["status"] == "over"


def test_two_services_in_one_module_use_their_own_task_and_scaling(env_plan: Callable[..., Path]) -> None:
    def second_service(document: dict[str, Any]) -> None:
        entries = document["resource_changes"]
        service = change(document, "module.compute.aws_ecs_service.this[0]")
        service["change"]["after"].update(name="app", task_definition="arn:aws:ecs:sa-east-1:1:task-definition/app:3")
        change(document, "module.compute.aws_appautoscaling_target.this[0]")["change"]["after"]["resource_id"] = \
            "service/cluster/app"
        for address, kind, after in (
            ("module.compute.aws_ecs_service.worker[0]", "aws_ecs_service",
             {"launch_type": "FARGATE", "desired_count": 1, "name": "worker", "task_definition": "worker:7"}),
            ("module.compute.aws_ecs_task_definition.worker[0]", "aws_ecs_task_definition",
             {"cpu": "4096", "memory": "8192", "family": "worker", "runtime_platform": []}),
            ("module.compute.aws_appautoscaling_target.worker[0]", "aws_appautoscaling_target",
             {"service_namespace": "ecs", "min_capacity": 3, "max_capacity": 3,
              "resource_id": "service/cluster/worker"}),
        ):
            entries.append({"address": address, "mode": "managed", "type": kind, "name": "worker",
                            "module_address": "module.compute", "index": 0,
                            "change": {"actions": ["create"], "before": None, "after": after}})
        change(document, "module.compute.aws_ecs_task_definition.this[0]")["change"]["after"]["family"] = "app"

    report = cost_json(str(env_plan("dev", second_service)), "-e", "dev")
    app_service = resource(report, "module.compute.aws_ecs_service.this[0]")["planned"]
    worker = resource(report, "module.compute.aws_ecs_service.worker[0]")["planned"]
    assert app_service["lines"][0]["quantity"] == [365.0, 730.0]  # 1–2 tasks × 0.5 vCPU
    assert worker["lines"][0]["quantity"] == [3 * 4 * 730.0] * 2  # 3 tasks × 4 vCPU


def test_offline_plan_of_an_environment(env_plan: Callable[..., Path], project_dir: Path) -> None:
    folder = project_dir / ".toolkit" / "envs" / "prod" / "offline" / "plans" / "20261130T070000Z-abcd"
    folder.mkdir(parents=True)
    env_plan("prod").rename(folder / "plan.json")
    result = run("prod", "--offline")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Monthly cost of prod (sa-east-1)")
    missing = run("dev", "--offline")
    assert missing.exit_code == 1 and "no saved offline plan for environment 'dev'" in missing.stderr


def test_a_change_to_a_size_without_a_price_is_left_out_of_the_change_never_a_saving(
        env_plan: Callable[..., Path]) -> None:
    # A newcomer's review: prod's cache grown to a node type the price book lacks read "-$2,737.50/month" (the
    # old nodes subtracted, the new ones counted as $0).
    def grow_unpriced(document: dict[str, Any]) -> None:
        group = change(document, "module.cache.aws_elasticache_replication_group.this[0]")
        group["change"]["before"] = dict(group["change"]["after"])
        group["change"]["after"] = {**group["change"]["after"], "node_type": "cache.x9.unpriced"}
        group["change"]["actions"] = ["update"]
        for entry in document["resource_changes"]:
            if entry["address"] != group["address"]:
                entry["change"].update(actions=["no-op"], before=entry["change"]["after"])

    plan = str(env_plan("dev", grow_unpriced))
    report = cost_json(plan, "-e", "dev", "--region", "us-east-1")
    address = "module.cache.aws_elasticache_replication_group.this[0]"
    assert resource(report, address)["change"].startswith("change not priced")
    assert report["changed_not_priced"] == [address]
    assert report["delta_usd"] == [0.0, 0.0], "the unpriced change is named, not counted as the old size saved"
    text = run(plan, "-e", "dev", "--region", "us-east-1")
    assert text.exit_code == 0, text.output
    assert "(1 changed resource not priced)" in text.stdout and "-$" not in text.stdout.split("\n")[0]
