"""Offline plans of the real environments: terraform/ with dev's, staging's and prod's rendered values, planned by
the engine (Terraform 1.15.5) against the stub AWS provider 6, kept apart from real plans, never applied.

The sizes are checked against each environment's own validated configuration (never typed here again), so the
test proves the path from envs/*.yaml through render, the root and the modules to the planned values.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.engine.conftest import REPO, toolkit

pytestmark = pytest.mark.slow

REAL_ENVIRONMENTS = ("dev", "staging", "prod")


@pytest.fixture(scope="module")
def offline_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the real root, modules and environments (the sandbox included), with this checkout's .cache."""
    root = tmp_path_factory.mktemp("offline") / "project"
    ignore = shutil.ignore_patterns(".terraform*", "*.tfstate*", "tests")
    for folder in ("terraform", "modules", "envs"):
        shutil.copytree(REPO / folder, root / folder, ignore=ignore)
    (root / ".cache").symlink_to(REPO / ".cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOOLKIT_PROJECT_DIR", str(root))
        patch.chdir(root)
        for name in ("TOOLKIT_TERRAFORM", "TF_CLI_CONFIG_FILE", "TOOLKIT_PROVIDER_MIRROR", "AWS_PROFILE"):
            patch.delenv(name, raising=False)
        yield root


@pytest.fixture(scope="module")
def planned(offline_project: Path) -> dict[str, Any]:
    result = toolkit("plan", "--all", "--offline", "--json")
    assert result.exit_code == 2, result.output
    return json.loads(result.stdout)


def _plan_of(planned: dict[str, Any], environment: str) -> dict[str, Any]:
    entry = next(item for item in planned["environments"] if item["environment"] == environment)
    return json.loads(Path(entry["plan_json"]).read_text(encoding="utf-8"))


def _after(plan: dict[str, Any], address: str) -> dict[str, Any]:
    change = next(change for change in plan["resource_changes"] if change["address"] == address)
    return change["change"]["after"]


def test_every_real_environment_plans_offline_and_the_sandbox_is_skipped(planned: dict[str, Any]) -> None:
    results = {item["environment"]: item for item in planned["environments"]}
    assert results["sandbox"]["status"] == "skipped"
    for environment in REAL_ENVIRONMENTS:
        assert results[environment]["status"] == "changes", results[environment]
        assert results[environment]["offline"] is True
        assert results[environment]["add"] > 100, results[environment]
        assert {"network", "database", "cache", "compute", "storage", "monitoring"} <= set(
            results[environment]["resources_by_module"])
    # prod has WAF and the CDN on (envs/prod.yaml): the web ACL is CloudFront's (issue 13), not the regional one.
    assert "waf_cloudfront" in results["prod"]["resources_by_module"], "prod has WAF on (envs/prod.yaml)"
    assert "waf" not in results["prod"]["resources_by_module"], "behind CloudFront no regional ACL"
    assert "waf" not in results["dev"]["resources_by_module"], "dev has WAF off (envs/defaults.yaml)"


def test_offline_plans_are_kept_apart_from_real_plans(offline_project: Path, planned: dict[str, Any]) -> None:
    for environment in REAL_ENVIRONMENTS:
        data_dir = offline_project / ".toolkit" / "envs" / environment
        entry = next(item for item in planned["environments"] if item["environment"] == environment)
        assert Path(entry["plan_json"]).is_relative_to(data_dir / "offline" / "plans")
        assert not (data_dir / "plans").exists(), "an offline plan never becomes a real plan or `latest`"
        metadata = json.loads((Path(entry["plan_json"]).parent / "metadata.json").read_text())
        assert metadata["offline"] is True and metadata["state_serial"] is None
        assert metadata["terraform_version"] == "1.15.5", "the project's engine made the plan"
    # The stub never writes a lock file into the real root.
    assert not (offline_project / "terraform" / ".terraform.lock.hcl").exists()


@pytest.mark.parametrize("environment", REAL_ENVIRONMENTS)
def test_planned_sizes_follow_the_environment_file(offline_project: Path, planned: dict[str, Any],
                                                   environment: str) -> None:
    from toolkit.config import load_environment
    from toolkit.project import Project

    settings = load_environment(Project(offline_project), environment).settings
    plan = _plan_of(planned, environment)
    database = _after(plan, "module.database.aws_db_instance.this[0]")
    assert database["instance_class"] == settings.database.instance_class
    assert database["allocated_storage"] == settings.database.allocated_storage_gb
    assert database["multi_az"] == settings.database.multi_az
    assert database["backup_retention_period"] == settings.database.backup_retention_days
    assert database["deletion_protection"] == settings.database.deletion_protection
    assert database["performance_insights_enabled"] == settings.database.performance_insights
    replicas = [change for change in plan["resource_changes"]
                if change["address"].startswith("module.database.aws_db_instance.replica")]
    assert len(replicas) == settings.database.read_replicas
    cache = _after(plan, "module.cache.aws_elasticache_replication_group.this[0]")
    assert cache["node_type"] == settings.cache.node_type
    assert cache["transit_encryption_enabled"] is True
    task = _after(plan, "module.compute.aws_ecs_task_definition.this[0]")
    assert (int(task["cpu"]), int(task["memory"])) == (settings.compute.cpu, settings.compute.memory_mib)
    scaling = _after(plan, "module.compute.aws_appautoscaling_target.this[0]")
    assert (scaling["min_capacity"], scaling["max_capacity"]) == (settings.compute.min_tasks,
                                                                   settings.compute.max_tasks)


def test_review_says_plainly_that_the_plan_is_offline(planned: dict[str, Any]) -> None:
    markdown = toolkit("review", "prod", "--format", "md")
    assert markdown.exit_code == 0, markdown.output
    assert "> **Offline plan**: made by the engine against the stub AWS provider 6 with an empty state." in (
        markdown.stdout)
    assert "`module.database.aws_db_instance.this[0]`" in markdown.stdout
    text = toolkit("review", "prod", "--offline", "--format", "text", "--no-color")
    assert "OFFLINE PLAN: made by the engine against the stub AWS provider 6" in text.stdout, text.output
    document = json.loads(toolkit("review", "prod", "--format", "json").stdout)
    assert document["offline"] is True and document["terraform_version"] == "1.15.5"


def test_apply_refuses_an_offline_plan_even_as_latest(offline_project: Path, planned: dict[str, Any]) -> None:
    entry = next(item for item in planned["environments"] if item["environment"] == "dev")
    plans = offline_project / ".toolkit" / "envs" / "dev" / "plans"
    plans.mkdir(parents=True)
    shutil.copytree(Path(entry["plan_json"]).parent, plans / entry["plan_id"])
    (plans / "latest").symlink_to(entry["plan_id"], target_is_directory=True)
    try:
        result = toolkit("apply", "dev")
        assert result.exit_code == 1, result.output
        assert (f"refusing to apply the saved plan {entry['plan_id']} of dev: it is an offline plan (made against "
                "the stub providers with an empty state, never against AWS)") in result.output
        assert not list((offline_project / ".toolkit" / "envs" / "dev").glob("checkpoints/*.json"))
    finally:
        shutil.rmtree(plans)


def test_destroy_cannot_be_planned_offline(offline_project: Path) -> None:
    result = toolkit("plan", "prod", "--offline", "--destroy")
    assert result.exit_code == 1, result.output  # a usage error, never 2 ("changes present")
    assert "--destroy cannot be planned offline: an offline plan starts from an empty state" in result.output


def _changes(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["address"]: item["change"] for item in plan["resource_changes"]}


def test_per_environment_switches_reach_the_plan(planned: dict[str, Any]) -> None:
    """Issue 13: X-Ray in staging and prod, CloudTrail and 30-day AWS Backup in prod, from envs/*.yaml."""
    for environment in REAL_ENVIRONMENTS:
        changes = _changes(_plan_of(planned, environment))
        # The task definition is unknown at plan (endpoints); the X-Ray policy exists exactly when the sidecar does.
        assert ("module.compute.aws_iam_role_policy.task_xray[0]" in changes) == (environment != "dev"), environment
        assert ("module.audit[0].aws_cloudtrail.this[0]" in changes) == (environment == "prod"), environment
        backup = changes.get("module.database.aws_backup_plan.this[0]")
        assert (backup is not None) == (environment == "prod"), environment
    prod = _changes(_plan_of(planned, "prod"))
    rule = prod["module.database.aws_backup_plan.this[0]"]["after"]["rule"]
    assert [item["lifecycle"][0]["delete_after"] for item in rule] == [30]
    assert prod["module.audit[0].aws_cloudtrail.this[0]"]["after"]["enable_log_file_validation"] is True


def test_the_origin_secret_is_sensitive_in_the_plan(planned: dict[str, Any]) -> None:
    """Issue 13: the header CloudFront sends and the listener rule checks is never shown in a plan."""
    prod = _changes(_plan_of(planned, "prod"))
    distribution = prod["aws_cloudfront_distribution.this[0]"]
    # The whole origin (which holds the header) is sensitive; the value itself is generated at apply.
    assert distribution["after_sensitive"]["origin"] is True
    assert distribution["after_unknown"]["origin"][0]["custom_header"][0]["value"] is True
    # prod deploys blue/green (envs/prod.yaml): the header is checked by the production listener rule ECS shifts.
    assert prod["module.compute.aws_lb_listener_rule.production[0]"]["after_sensitive"]["condition"] is True
    assert prod["aws_secretsmanager_secret_version.origin_verify[0]"]["after_sensitive"]["secret_string"] is True
