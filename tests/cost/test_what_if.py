"""`toolkit cost ENV --set KEY=VALUE`: values validated like the files, the variant planned offline by the real
engine (terraform, the stub provider, the real root) and priced against the environment as it is."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app

REPO = Path(__file__).resolve().parents[2]


def cost(*args: str) -> object:
    result = CliRunner().invoke(app, ["cost", *args])
    assert "Traceback" not in result.output, result.output
    return result


@pytest.mark.parametrize(("value", "shown"), [
    ("compute.max_taks=15", "--set compute.max_taks: unknown key 'max_taks' under compute; allowed: autoscaling, "
                            "container_image, "
                            "container_port, cpu, deployment_strategy, ecr_repository, health_check_path, "
                            "image_tag, ingress_cidr_blocks, max_tasks, memory_mib, min_tasks"),
    ("computer.max_tasks=15", "--set computer.max_tasks: unknown key 'computer' under the top level; allowed: "),
    ("compute.cpu.x=1", "--set compute.cpu.x: compute.cpu is a single value, it has no keys"),
    ("compute.max_tasks", "--set 'compute.max_tasks': expected KEY=VALUE, such as compute.max_tasks=15"),
    ("=5", "expected KEY=VALUE"),
    ("compute..max_tasks=3", "an empty key part"),
    ("backend.bucket=x", "--set backend.bucket: backend says how the toolkit reaches the environment"),
    ("usage.alb_lcu=.nan", "--set usage.alb_lcu: NaN is not a value"),
    ("compute.max_tasks=[unclosed", "--set compute.max_tasks: the value is not valid YAML"),
    ("compute.max_tasks=" + "9" * 5000, "the value is longer than 4096 characters"),
])
def test_malformed_or_unknown_keys_are_refused_before_anything_runs(project_dir: Path, value: str,
                                                                   shown: str) -> None:
    result = cost("dev", "--set", value)
    assert result.exit_code != 0, result.output
    assert shown in result.stderr, result.stderr
    assert not (project_dir / ".toolkit").exists()  # nothing planned, nothing written


@pytest.mark.parametrize(("value", "shown"), [
    ("compute.max_tasks=abc", "--set compute.max_tasks = 'abc': Input should be a valid integer"),
    ("compute.max_tasks=15.5", "--set compute.max_tasks = 15.5: Input should be a valid integer"),
    ("compute.max_tasks=0", "--set compute.max_tasks = 0: Input should be greater than or equal to 1"),
    ("compute.max_tasks=1.0e+400", "--set compute.max_tasks = inf: Input should be a valid integer"),
    ("compute.max_tasks=99999999999999999999", "Input should be less than or equal to 1000"),
    ("cache.node_type=r6g.large", "--set cache.node_type = 'r6g.large': String should match pattern"),
    ("cache.node_type=true", "--set cache.node_type = True: Input should be a valid string"),
    ("usage.log_ingestion_gb=.inf", "--set usage.log_ingestion_gb = inf: must be a finite number"),
    ("usage.alb_lcu=-1", "--set usage.alb_lcu = -1: must be between 0 and 1e+12"),
    ("compute.min_tasks=50", "compute.min_tasks = 50: must not exceed max_tasks"),
    ("usage.s3_storage_gb.nobucket=5", "usage.s3_storage_gb.nobucket"),
])
def test_wrong_values_are_refused_naming_the_key_and_what_is_allowed(project_dir: Path, value: str,
                                                                     shown: str) -> None:
    result = cost("dev", "--set", value)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: --set: dev with ")
    assert shown in result.stderr, result.stderr
    assert not (project_dir / ".toolkit").exists()


@pytest.mark.parametrize(("values", "shown", "hidden"), [
    (["app_settings.DB_PASSWORD=hunter2-is-my-password"], "app_settings.DB_PASSWORD=(value hidden)",
     "hunter2-is-my-password"),
    (["app_settings.URL=postgres://app:s3cretpass@db.example/app"], "app_settings.URL=(value hidden)", "s3cretpass"),
])
def test_a_secret_given_to_set_is_never_echoed(project_dir: Path, values: list[str], shown: str,
                                               hidden: str) -> None:
    result = cost("dev", *[arg for value in values for arg in ("--set", value)])
    assert result.exit_code == 1 and shown in result.stderr, result.output
    assert hidden not in result.output


def test_the_same_key_twice_and_a_region_without_prices_are_refused_before_planning(project_dir: Path) -> None:
    twice = cost("dev", "--set", "compute.max_tasks=3", "--set", "compute.max_tasks=4")
    assert twice.exit_code != 0 and "--set compute.max_tasks: given twice" in twice.stderr
    region = cost("dev", "--set", "aws_region=eu-west-1")
    assert region.exit_code == 1 and "region 'eu-west-1' is not in the price snapshot" in region.stderr
    assert not (project_dir / ".toolkit").exists()


def test_set_needs_an_environment_name(project_dir: Path) -> None:
    result = cost("plan.json", "--set", "compute.max_tasks=3")
    assert result.exit_code == 1 and "--set prices an environment's offline plans" in result.stderr


@pytest.fixture(scope="module")
def offline_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("what-if") / "project"
    for folder in ("terraform", "modules", "envs"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    (root / ".cache").symlink_to(REPO / ".cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOOLKIT_PROJECT_DIR", str(root))
        patch.chdir(root)
        for name in ("TOOLKIT_TERRAFORM", "TF_CLI_CONFIG_FILE", "TOOLKIT_PROVIDER_MIRROR", "AWS_PROFILE"):
            patch.delenv(name, raising=False)
        yield root


@pytest.mark.slow
def test_what_if_plans_the_variant_and_shows_the_difference(offline_project: Path) -> None:
    result = cost("dev", "--set", "compute.max_tasks=15", "--set", "cache.node_type=cache.r6g.large",
                  "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["set"] == {"compute.max_tasks": 15, "cache.node_type": "cache.r6g.large"}
    moved = {item["address"]: item for item in report["resources"]}
    cache = moved["module.cache.aws_elasticache_replication_group.this[0]"]
    # dev's one node from cache.t3.micro (0.032/h) to cache.r6g.large (0.41/h), sa-east-1, 730 hours.
    assert cache["as_is_usd"] == [23.36, 23.36] and cache["what_if_usd"] == [299.3, 299.3]
    service = moved["module.compute.aws_ecs_service.this[0]"]
    assert service["what_if_usd"][1] == pytest.approx(service["as_is_usd"][1] / 2 * 15, rel=1e-3)
    low, high = report["difference_usd"]
    assert low == pytest.approx(299.3 - 23.36, abs=0.02) and high > low
    # The variant is planned in its own folder: the environment's offline plans and rendered files are untouched.
    assert list((offline_project / ".toolkit" / "envs" / "dev" / "what-if" / "plans").glob("*/plan.json"))
    rendered = (offline_project / "build" / "dev" / "terraform.tfvars").read_text(encoding="utf-8")
    assert "cache.t3.micro" in rendered and "cache.r6g.large" not in rendered
    text = cost("dev", "--set", "compute.max_tasks=15")
    assert text.exit_code == 0, text.output
    assert "What if dev had compute.max_tasks=15 (offline plans, sa-east-1):" in text.stdout
    assert "  difference: +$" in text.stdout
