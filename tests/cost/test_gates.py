"""Cost gates per environment (budget.fail_over_max, budget.max_monthly_increase usd/percent): `toolkit cost
--gates` and the PR workflow fail only when a configured gate trips; an added unpriced resource is said so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tests.cost.conftest import change
from toolkit.cli import app

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> Any:
    result = CliRunner().invoke(app, ["cost", *args])
    assert "Traceback" not in result.output, result.output
    return result


def set_budget(project_dir: Path, environment: str, text: str) -> None:
    path = project_dir / "envs" / f"{environment}.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    document["budget"] = {**(document.get("budget") or {}), **yaml.safe_load(text)}
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def grow_cache(document: dict[str, Any]) -> None:
    """staging's two nodes go from cache.t3.micro to cache.t3.small: +2 × 730 × 0.032 = +46.72 USD a month."""
    group = change(document, "module.cache.aws_elasticache_replication_group.this[0]")
    group["change"]["before"] = {**group["change"]["after"], "node_type": "cache.t3.micro"}
    group["change"]["after"]["node_type"] = "cache.t3.small"
    group["change"]["actions"] = ["update"]
    for entry in document["resource_changes"]:
        if entry is not group:
            entry["change"].update(actions=["no-op"], before=entry["change"]["after"])


def test_no_gate_configured_never_fails(env_plan: Callable[..., Path]) -> None:
    result = run(str(env_plan("prod")), "-e", "prod", "--gates")  # prod is over budget, but has no gate
    assert result.exit_code == 0, result.output
    assert "Gate " not in result.stdout


def test_fail_over_max_trips_only_when_configured(env_plan: Callable[..., Path], project_dir: Path) -> None:
    set_budget(project_dir, "prod", "fail_over_max: true")
    plan = str(env_plan("prod"))
    result = run(plan, "-e", "prod", "--gates")
    assert result.exit_code == 3, result.output
    assert "Error: cost gate tripped: budget.fail_over_max: the estimate's low end $" in result.stderr
    assert "is above monthly_max_usd $2,500.00" in result.stderr
    # Without --gates the same estimate warns and exits 0 (a local run is not a check).
    assert run(plan, "-e", "prod").exit_code == 0
    report = json.loads(run(plan, "-e", "prod", "--format", "json").stdout)
    assert report["gates"] == [{"name": "budget.fail_over_max", "tripped": True,
                                "sentence": report["gates"][0]["sentence"]}]


def test_increase_gates_in_usd_and_percent(env_plan: Callable[..., Path], project_dir: Path) -> None:
    plan = str(env_plan("staging", grow_cache))
    set_budget(project_dir, "staging", "max_monthly_increase: {usd: 50}")
    passed = run(plan, "-e", "staging", "--gates")
    assert passed.exit_code == 0, passed.output
    assert "Gate passed: budget.max_monthly_increase.usd: the plan adds +$46.72/month (low end), within the " \
           "$50.00 allowed." in passed.stdout
    set_budget(project_dir, "staging", "max_monthly_increase: {usd: 40}")
    failed = run(plan, "-e", "staging", "--gates")
    assert failed.exit_code == 3 and "more than the $40.00 allowed" in failed.stderr, failed.output
    set_budget(project_dir, "staging", "max_monthly_increase: {percent: 5}")
    result = run(plan, "-e", "staging", "--gates", "--format", "md")
    assert result.exit_code == 3, result.output
    assert "❌ Gate FAILED: budget.max_monthly_increase.percent: the plan adds +" in result.stdout
    set_budget(project_dir, "staging", "max_monthly_increase: {percent: 50}")
    assert run(plan, "-e", "staging", "--gates").exit_code == 0


def test_percent_gate_on_a_new_environment_is_not_applied(env_plan: Callable[..., Path], project_dir: Path) -> None:
    set_budget(project_dir, "dev", "max_monthly_increase: {percent: 10}")
    result = run(str(env_plan("dev")), "-e", "dev", "--gates")
    assert result.exit_code == 0, result.output
    assert "not applied (nothing priced exists yet" in result.stdout


@pytest.mark.parametrize(("text", "shown"), [
    ("max_monthly_increase: {}", "budget.max_monthly_increase.usd"),
    ("max_monthly_increase: {usd: -5}", "budget.max_monthly_increase.usd"),
    ("max_monthly_increase: {usd: .inf}", "budget.max_monthly_increase.usd"),
    ("max_monthly_increase: {percent: abc}", "budget.max_monthly_increase.percent"),
    ("max_monthly_increase: {dollars: 5}", "budget.max_monthly_increase.dollars"),
    ("fail_over_max: 'yes'", "budget.fail_over_max"),
    ("max_monthly_increase: {usd: true}", "budget.max_monthly_increase.usd"),
    ("max_monthly_increase: {percent: .nan}", "budget.max_monthly_increase.percent"),
    ("max_monthly_increase: {usd: 1.0e+300}", "budget.max_monthly_increase.usd"),
])
def test_bad_gate_settings_are_refused(env_plan: Callable[..., Path], project_dir: Path, text: str,
                                       shown: str) -> None:
    plan = str(env_plan("dev"))
    set_budget(project_dir, "dev", text)
    result = run(plan, "-e", "dev", "--gates")
    assert result.exit_code == 1, result.output
    assert "envs/dev.yaml" in result.stderr and shown in result.stderr, result.stderr


def test_an_added_unpriced_resource_is_said_so_never_zero(env_plan: Callable[..., Path], project_dir: Path) -> None:
    def add_exotic(document: dict[str, Any]) -> None:
        grow_cache(document)
        change(document, "module.database.aws_db_instance.this[0]")["change"].update(actions=["create"], before=None)

    set_budget(project_dir, "staging", "max_monthly_increase: {usd: 1000}")
    plan = str(env_plan("staging", add_exotic))
    markdown = run(plan, "-e", "staging", "--gates", "--format", "md").stdout
    # db.t3.small has no public sa-east-1 price (its gp3 storage has): the row says what it leaves out.
    assert "| `module.database.aws_db_instance.this[0]` | create | +$10.95 + not priced |" in markdown
    assert "+ 1 added resource not priced against the prior state" in markdown
    assert "(1 item added not priced: the real figure can only be higher)" in markdown
    review = CliRunner().invoke(app, ["review", plan, "-e", "staging", "--format", "md"]).stdout
    assert "Cost: +$" in review and "+ 1 added resource not priced →" in review
    report = json.loads(run(plan, "-e", "staging", "--format", "json").stdout)
    assert report["added_not_priced"] == ["module.database.aws_db_instance.this[0]"]


def test_the_pull_request_step_fails_only_on_a_tripped_gate(env_plan: Callable[..., Path], project_dir: Path,
                                                             tmp_path: Path) -> None:
    document = yaml.safe_load((ROOT / ".github" / "workflows" / "toolkit-plan.yml").read_text(encoding="utf-8"))
    step = next(step for step in document["jobs"]["plan"]["steps"] if step.get("name") == "Cost gates")
    assert "continue-on-error" not in step and "--gates" in step["run"]
    saved = project_dir / ".toolkit" / "envs" / "prod" / "plans" / "latest"
    saved.mkdir(parents=True)
    env_plan("prod").rename(saved / "plan.json")
    summary = tmp_path / "summary.md"

    def step_exit() -> int:
        environment = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                       "HOME": str(tmp_path), "ENVIRONMENT": "prod", "TOOLKIT_PROJECT_DIR": str(project_dir),
                       "GITHUB_STEP_SUMMARY": str(summary)}
        return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                              cwd=project_dir, env=environment, capture_output=True, text=True, timeout=120).returncode

    assert step_exit() == 0  # over budget, but no gate configured
    assert "## Cost estimate: `prod`" in summary.read_text(encoding="utf-8")
    set_budget(project_dir, "prod", "fail_over_max: true")
    assert step_exit() == 3
    assert "❌ Gate FAILED: budget.fail_over_max" in summary.read_text(encoding="utf-8")
