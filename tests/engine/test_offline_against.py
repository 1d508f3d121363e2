"""Offline reviews against the base (issue 28 item 1): `toolkit plan prod --offline --against merge-base` in a
throw-away git repository (never the real one) holding a copy of the real root, modules and environments.

The pull request enlarges prod's cache node and drops one read replica. The base (the merge base with main) is
applied to the stub by the engine, the branch is planned against it, and the review and cost must show exactly
that: one update in place of the cache, the replica destroyed (as data at risk), its alarms, log groups and
references going with it, and nothing created or replaced.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.engine.conftest import REPO, toolkit
from tests.support.git_repo import commit_all, git, init_repository

pytestmark = pytest.mark.slow

REPLICA = 'module.database.aws_db_instance.replica["edu-platform-prod-replica-2"]'
CACHE = "module.cache.aws_elasticache_replication_group.this[0]"
# Test prices (the snapshot has no sa-east-1 figures for these): the delta must be exactly their difference.
PRICES = {("elasticache_node_hour", "cache.r6g.large"): 0.25, ("elasticache_node_hour", "cache.r6g.xlarge"): 0.5,
          ("rds_postgres_instance_hour", "db.r6g.xlarge"): 1.0}


@pytest.fixture(scope="module")
def pull_request(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """main holds the real configuration; the checked-out branch `bigger-cache` changes prod's cache and replicas."""
    root = tmp_path_factory.mktemp("against") / "project"
    ignore = shutil.ignore_patterns(".terraform*", "*.tfstate*", "tests")
    for folder in ("terraform", "modules", "envs"):
        shutil.copytree(REPO / folder, root / folder, ignore=ignore)
    (root / ".cache").symlink_to(REPO / ".cache")
    init_repository(root)
    git(root, "checkout", "-q", "-b", "bigger-cache")
    prod = root / "envs" / "prod.yaml"
    text = prod.read_text(encoding="utf-8")
    assert "  node_type: cache.r6g.large\n" in text and "  read_replicas: 2\n" in text
    prod.write_text(text.replace("  node_type: cache.r6g.large\n", "  node_type: cache.r6g.xlarge\n")
                    .replace("  read_replicas: 2\n", "  read_replicas: 1\n"), encoding="utf-8")
    staging = root / "envs" / "staging.yaml"
    staging.write_text(staging.read_text(encoding="utf-8") + "storage:\n  buckets:\n    exports: null\n",
                       encoding="utf-8")
    dev = root / "envs" / "dev.yaml"
    image = "compute:\n  container_image: public.ecr.aws/nginx/nginx:1.27-broken\n"
    dev.write_text(dev.read_text(encoding="utf-8") + image, encoding="utf-8")
    commit_all(root, "prod: a bigger cache node, one read replica fewer; staging: no exports bucket; dev: new image")
    prices = yaml.safe_load((REPO / "toolkit" / "data" / "prices.yaml").read_text(encoding="utf-8"))
    for (product, instance_type), usd in PRICES.items():
        prices["products"][product]["by_instance_type"].setdefault(instance_type, {})["sa-east-1"] = {
            "usd": usd, "as_of": "2026-12-01", "source": "test price"}
    (root.parent / "prices.yaml").write_text(yaml.safe_dump(prices), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOOLKIT_PROJECT_DIR", str(root))
        patch.chdir(root)
        for name in ("TOOLKIT_TERRAFORM", "TF_CLI_CONFIG_FILE", "TOOLKIT_PROVIDER_MIRROR", "AWS_PROFILE"):
            patch.delenv(name, raising=False)
        yield root


@pytest.fixture(scope="module")
def planned(pull_request: Path) -> dict[str, Any]:
    result = toolkit("plan", "prod", "--offline", "--against", "merge-base", "--json")
    assert result.exit_code == 2, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def review(planned: dict[str, Any]) -> dict[str, Any]:
    result = toolkit("review", "prod", "--offline", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_plan_is_made_against_the_merge_base_with_main(pull_request: Path, planned: dict[str, Any]) -> None:
    main = git(pull_request, "rev-parse", "main")
    assert planned["offline_base"] == {"ref": "main", "commit": main, "how": "the merge base of HEAD and main",
                                       "environment_at_base": "yes"}
    assert planned["add"] == 0 and planned["replace"] == 0
    # The checkout was never touched: still on the branch, nothing modified.
    assert git(pull_request, "rev-parse", "--abbrev-ref", "HEAD") == "bigger-cache"
    assert git(pull_request, "status", "--porcelain") == ""


def test_the_review_shows_exactly_the_pull_requests_changes(review: dict[str, Any]) -> None:
    changes = {change["address"]: change for change in review["changes"]}
    assert review["summary"]["add"] == 0 and review["summary"]["replace"] == 0
    destroyed = sorted(address for address, change in changes.items() if change["action"] == "delete")
    assert REPLICA in destroyed
    # Everything destroyed belongs to the dropped replica (its log groups, alarms, metric filters).
    assert all("replica-2" in address for address in destroyed), destroyed
    updated = {address: change for address, change in changes.items() if change["action"] == "update"}
    assert [(row["path"], row["before"], row["after"]) for row in updated[CACHE]["attributes"]] == [
        ("node_type", '"cache.r6g.large"', '"cache.r6g.xlarge"')]
    # The other updates only drop the replica from lists (policies, the dashboard): nothing added anywhere.
    for address, change in updated.items():
        if address != CACHE:
            assert change["attributes"] and all(row["after"] == "null" for row in change["attributes"]), change
    assert set(changes) == {*destroyed, *updated}


def test_the_replicas_destroy_is_data_at_risk_saying_what_the_plan_does(review: dict[str, Any]) -> None:
    warning = next(warning for warning in review["warnings"] if warning["address"] == REPLICA)
    assert warning["action"] == "delete"
    assert "read replica of edu-platform-prod" in warning["data_at_risk"]
    assert warning["plan_does"]
    assert review["offline"] is True and "applied to a throw-away state" in review["offline_notice"]


def test_the_markdown_review_fits_one_comment_and_starts_with_the_summary(planned: dict[str, Any]) -> None:
    result = toolkit("review", "prod", "--offline", "--format", "md")
    assert result.exit_code == 0, result.output
    assert "**Plan: 0 to add, " in result.stdout and "to destroy.**" in result.stdout
    assert "Offline plan against the base" in result.stdout
    assert "174 to add" not in result.stdout


def test_cost_shows_the_per_resource_delta_against_the_base(pull_request: Path, planned: dict[str, Any]) -> None:
    result = toolkit("cost", "prod", "--offline", "--prices-file", str(pull_request.parent / "prices.yaml"),
                     "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    main = git(pull_request, "rev-parse", "main")
    assert report["compared_with"] == f"the base main at {main[:12]}"
    deltas = {resource["address"]: resource["delta_usd"] for resource in report["resources"]
              if resource["delta_usd"] != [0, 0]}
    hours = report["hours_per_month"]
    nodes = 3 * 3  # prod: 3 shards of a primary and 2 replicas
    assert deltas[CACHE] == [pytest.approx(nodes * hours * 0.25)] * 2
    replica = deltas[REPLICA]
    assert replica[0] < 0 and replica[0] <= -hours * 1.0  # the instance-hours at least (its storage too)
    assert set(deltas) <= {CACHE, REPLICA, *(address for address in deltas if "replica-2" in address)}
    text = toolkit("cost", "prod", "--offline", "--prices-file", str(pull_request.parent / "prices.yaml"))
    assert f"Changed against the base main at {main[:12]}" in text.stdout


def test_against_needs_offline() -> None:
    result = toolkit("plan", "prod", "--against", "main")
    assert result.exit_code == 1
    assert "--against REF plans offline against a base revision: add --offline" in result.output


def test_a_bucket_removed_in_one_environment_is_reviewed_as_a_destroy(planned: dict[str, Any]) -> None:
    result = toolkit("plan", "staging", "--offline", "--against", "merge-base", "--json")
    assert result.exit_code == 2, result.output
    review = json.loads(toolkit("review", "staging", "--offline", "--format", "json").stdout)
    buckets = [change for change in review["changes"] if change["type"] == "aws_s3_bucket"]
    assert [(change["action"], "exports" in change["address"]) for change in buckets] == [("delete", True)]
    assert review["summary"]["add"] == 0
    warning = next(warning for warning in review["warnings"] if warning["type"] == "aws_s3_bucket")
    assert "force_destroy" in warning["plan_does"]


def test_an_image_change_replaces_the_task_definition_and_shows_both_tags(planned: dict[str, Any]) -> None:
    result = toolkit("plan", "dev", "--offline", "--against", "merge-base", "--json")
    assert result.exit_code == 2, result.output
    text = toolkit("review", "dev", "--offline", "--format", "text", "--no-color").stdout
    assert "container_definitions[name=" in text and "].image" in text, text
    assert '"public.ecr.aws/nginx/nginx:stable" → "public.ecr.aws/nginx/nginx:1.27-broken"' in text, text
    review = json.loads(toolkit("review", "dev", "--offline", "--format", "json").stdout)
    task = next(change for change in review["changes"] if change["type"] == "aws_ecs_task_definition")
    assert task["action"] == "replace"  # AWS never updates a task definition in place
