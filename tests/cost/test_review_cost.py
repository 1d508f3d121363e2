"""The cost in `toolkit review`: one summary line, a bounded cost section, never a failed review."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tests.cost.conftest import change
from toolkit.cli import app
from toolkit.review.markdown import GITHUB_COMMENT_LIMIT

runner = CliRunner()


def review(*args: str) -> Any:
    result = runner.invoke(app, ["review", *args])
    assert "Traceback" not in result.output, result.output
    assert result.exit_code == 0, result.output
    return result


def grow_cache(document: dict[str, Any]) -> None:
    group = change(document, "module.cache.aws_elasticache_replication_group.this[0]")
    group["change"]["before"] = {**group["change"]["after"], "node_type": "cache.t3.micro"}
    group["change"]["after"]["node_type"] = "cache.t3.small"
    group["change"]["actions"] = ["update"]
    for entry in document["resource_changes"]:
        if entry is not group:
            entry["change"].update(actions=["no-op"], before=entry["change"]["after"])


def test_markdown_review_has_the_cost_line_and_section(env_plan: Callable[..., Path]) -> None:
    plan = str(env_plan("staging", grow_cache))
    markdown = review(plan, "-e", "staging", "--format", "md").stdout
    lines = markdown.splitlines()
    cost_line = next(line for line in lines if line.startswith("Cost: "))
    # staging is sa-east-1: 2 nodes from cache.t3.micro (0.032/h) to cache.t3.small (0.064/h).
    assert cost_line.startswith("Cost: +$46.72/month → $")
    assert "items not priced; budget at-risk" in cost_line
    assert "### 💰 Cost\n" in markdown
    assert "- Budget at risk: $" in markdown
    assert "<summary>Not priced:" in markdown
    assert markdown.index("### 💰 Cost") < markdown.index("### Changes")


def test_top_changes_by_cost_in_json(env_plan: Callable[..., Path], project_dir: Path) -> None:
    with (project_dir / "envs" / "staging.yaml").open("a", encoding="utf-8") as handle:
        handle.write("aws_region: us-east-1\n")
    document = json.loads(review(str(env_plan("staging", grow_cache)), "-e", "staging", "--format", "json").stdout)
    assert document["cost_line"].startswith("Cost: +$24.82/month → $")
    cost = document["cost"]
    assert cost["top_changes"] == [{"address": "module.cache.aws_elasticache_replication_group.this[0]",
                                    "action": "update", "delta_usd": [24.82, 24.82]}]
    assert cost["budget"]["status"] == "within"
    assert "resources" not in cost


def test_review_still_works_when_cost_cannot_be_estimated(env_plan: Callable[..., Path], project_dir: Path) -> None:
    plan = str(env_plan("dev"))
    with (project_dir / "envs" / "dev.yaml").open("a", encoding="utf-8") as handle:
        handle.write("aws_region: eu-west-1\n")
    text = review(plan, "-e", "dev", "--format", "text").stdout
    assert "Cost: not estimated (region 'eu-west-1' is not in the price snapshot" in text
    assert text.splitlines()[1].startswith("Plan: ")


def many_alarms(document: dict[str, Any]) -> None:
    template = change(document, "module.monitoring.aws_cloudwatch_metric_alarm.latency_p95[0]")
    for index in range(4000):
        entry = json.loads(json.dumps(template))
        entry["address"] = f'module.monitoring.aws_cloudwatch_metric_alarm.extra["a{index}"]'
        entry["name"], entry["index"] = "extra", f"a{index}"
        document["resource_changes"].append(entry)


def test_cost_section_stays_within_one_comment(env_plan: Callable[..., Path]) -> None:
    markdown = review(str(env_plan("prod", many_alarms)), "-e", "prod", "--format", "md").stdout
    assert len(markdown) <= GITHUB_COMMENT_LIMIT
    assert "### 💰 Cost" in markdown
    section = markdown.split("### 💰 Cost", 1)[1].split("\n### ", 1)[0]
    assert section.count("\n| `") <= 5
    assert "more (`toolkit cost " in section


def test_the_posted_pull_request_comment_carries_the_cost(env_plan: Callable[..., Path], fake_github: Any) -> None:
    from tests.support.fake_github import FAKE_TOKEN
    from toolkit.github import GitHubSettings, post_plan_review, review_marker

    pull = fake_github.add_pull()
    settings = GitHubSettings(repository=fake_github.repository, token=FAKE_TOKEN, api_url=fake_github.url,
                              pull_request=pull)
    post_plan_review(str(env_plan("prod")), settings, environment="prod")
    body = next(comment["body"] for comment in fake_github.comments_on(pull)
                if review_marker("prod") in comment["body"])
    assert "\nCost: +$" in body and "; budget over\n" in body
    assert "### 💰 Cost\n" in body
    assert "- OVER BUDGET: $" in body
