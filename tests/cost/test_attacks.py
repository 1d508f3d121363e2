"""An attacker's and a careless user's inputs: secrets, hostile values, interrupted refreshes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from typer.testing import CliRunner

from bench.plan_generator import SECRET_CANARY, write_plan
from tests.cost.conftest import change
from toolkit.cli import app
from toolkit.cost.prices import load_price_book
from toolkit.cost.refresh import refresh_prices
from toolkit.errors import AwsError

runner = CliRunner()


def run(*args: str) -> Any:
    result = runner.invoke(app, [*args])
    assert "Traceback" not in result.output, result.output
    return result


def test_generated_plan_secrets_never_shown(tmp_path: Path, project_dir: Path) -> None:
    plan = tmp_path / "plan.json"
    with plan.open("w", encoding="utf-8") as handle:
        write_plan(handle, 400, seed=3)
    for output_format in ("text", "md", "json"):
        result = run("cost", str(plan), "--region", "us-east-1", "--format", output_format)
        assert result.exit_code == 0, result.output
        assert SECRET_CANARY not in result.output
    reviewed = run("review", str(plan), "--format", "md")
    assert SECRET_CANARY not in reviewed.output


def test_a_value_marked_sensitive_is_neither_shown_nor_priced(env_plan: Callable[..., Path]) -> None:
    def hide(document: dict[str, Any]) -> None:
        database = change(document, "module.database.aws_db_instance.this[0]")
        database["change"]["after"]["instance_class"] = "db.t3.micro-CANARY-42"
        database["change"]["after_sensitive"] = {"instance_class": True}

    result = run("cost", str(env_plan("dev", hide)), "-e", "dev", "--region", "us-east-1", "--format", "json")
    assert result.exit_code == 0, result.output
    assert "CANARY-42" not in result.output
    report = json.loads(result.stdout)
    reasons = [item["reason"] for item in report["not_priced"]
               if item["address"] == "module.database.aws_db_instance.this[0]"]
    assert reasons == ["(sensitive) instance: (sensitive) in us-east-1 is not in the price book"]


def test_hostile_quantities_are_not_priced(env_plan: Callable[..., Path]) -> None:
    def hostile(document: dict[str, Any]) -> None:
        change(document, "module.database.aws_db_instance.this[0]")["change"]["after"]["allocated_storage"] = -500
        target = change(document, "module.compute.aws_appautoscaling_target.this[0]")["change"]["after"]
        target.update(min_capacity=5, max_capacity=1)  # reversed bounds
        task = change(document, "module.compute.aws_ecs_task_definition.this[0]")["change"]["after"]
        task["cpu"] = "lots"

    result = run("cost", str(env_plan("dev", hostile)), "-e", "dev", "--region", "us-east-1", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["planned_usd"][0] >= 0
    reasons = {item["reason"] for item in report["not_priced"]}
    assert "storage (size unknown until apply): the quantity is known only after apply" in reasons
    assert "Fargate tasks (task size unknown): the quantity is known only after apply" in reasons


def test_infinity_in_a_plan_is_not_a_price(env_plan: Callable[..., Path]) -> None:
    plan = env_plan("dev")
    text = plan.read_text().replace('"allocated_storage": 20', '"allocated_storage": Infinity')
    plan.write_text(text)
    report = json.loads(run("cost", str(plan), "-e", "dev", "--region", "us-east-1", "--format", "json").stdout)
    assert report["planned_usd"][1] < 1_000_000


def test_markdown_cannot_be_broken_by_an_address(env_plan: Callable[..., Path]) -> None:
    def odd(document: dict[str, Any]) -> None:
        key = change(document, "module.storage.aws_kms_key.this[0]")
        key["address"] = 'module.storage.aws_kms_key.this["a`|b"]'

    markdown = run("cost", str(env_plan("dev", odd)), "-e", "dev", "--region", "us-east-1", "--format", "md").stdout
    row = next(line for line in markdown.splitlines() if "a`" in line and line.startswith("|"))
    assert row.startswith('| ``module.storage.aws_kms_key.this["a`\\|b"]`` | create | +$1.00 |')


def test_interrupted_refresh_keeps_the_previous_cache(tmp_path: Path) -> None:
    """A failure (or kill -9) part way through leaves the last complete cache, never half of one."""
    cache_dir = tmp_path / "cache"
    previous = cache_dir / "prices" / "prices.json"
    previous.parent.mkdir(parents=True)
    previous.write_text(json.dumps({"prices": [{"product": "nat_gateway_hour", "region": "sa-east-1",
                                                "instance_type": "", "usd": 0.1, "as_of": "2026-01-01",
                                                "source": "earlier refresh"}]}))
    book = load_price_book(None, cache_dir)
    client = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    stubber.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": []})
    stubber.add_client_error("get_products", service_error_code="ThrottlingException", service_message="Rate exceeded")
    with stubber, pytest.raises(AwsError, match="ThrottlingException: Rate exceeded"):
        refresh_prices(book, cache_dir, client=client)
    assert json.loads(previous.read_text())["prices"][0]["source"] == "earlier refresh"
    assert [path.name for path in previous.parent.iterdir()] == ["prices.json"]
