"""The emulator environment's settings can never reach dev, staging or prod, and never talk to a remote host."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app

REPO = Path(__file__).resolve().parents[2]
EMULATOR_BLOCK = "emulator:\n  endpoint_from_env: AWS_ENDPOINT_URL\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    shutil.copytree(REPO / "envs", root / "envs")
    shutil.copytree(REPO / "terraform", root / "terraform", ignore=shutil.ignore_patterns(".terraform"))
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(root))
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    return root


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_emulator_section_planted_in_a_real_environment_is_refused_with_file_and_line(
        project: Path, environment: str, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = project / "envs" / f"{environment}.yaml"
    lines = env_file.read_text().count("\n")
    env_file.write_text(env_file.read_text() + EMULATOR_BLOCK)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    result = invoke("render", environment)
    assert result.exit_code == 1
    assert f"envs/{environment}.yaml:{lines + 1}: emulator: emulator settings are not allowed in {environment}" \
        in result.output
    assert not (project / "build" / environment).exists()


def test_emulator_section_in_defaults_is_refused(project: Path) -> None:
    defaults = project / "envs" / "defaults.yaml"
    defaults.write_text(defaults.read_text() + EMULATOR_BLOCK)
    result = invoke("render", "local")
    assert result.exit_code == 1
    assert "envs/defaults.yaml:" in result.output and "not allowed in defaults.yaml" in result.output


def test_backend_endpoint_planted_in_prod_is_refused(project: Path) -> None:
    prod = project / "envs" / "prod.yaml"
    prod.write_text(prod.read_text().replace("backend:\n", "backend:\n  endpoint_from_env: AWS_ENDPOINT_URL\n", 1)
                    if "backend:\n" in prod.read_text()
                    else prod.read_text() + "backend:\n  endpoint_from_env: AWS_ENDPOINT_URL\n")
    result = invoke("envs", "show", "prod")
    assert result.exit_code == 1
    assert "envs/prod.yaml:" in result.output and "backend.endpoint_from_env" in result.output


def test_local_without_endpoint_is_refused_before_any_aws_call(project: Path) -> None:
    result = invoke("render", "local")
    assert result.exit_code == 1
    assert "emulator.endpoint_from_env names AWS_ENDPOINT_URL, which is not set" in result.output
    assert "never falls back to real AWS" in result.output
    assert not (project / "build" / "local").exists()


@pytest.mark.parametrize("endpoint", ["https://s3.sa-east-1.amazonaws.com", "http://10.0.0.5:5000",
                                      "http://user:pw@127.0.0.1:5000", "file:///etc/passwd"])
def test_a_remote_endpoint_is_refused(project: Path, endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    result = invoke("render", "local")
    assert result.exit_code == 1
    assert "is not an emulator on this machine" in result.output


def test_local_renders_the_override_and_dev_never_does(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    assert invoke("render", "local").exit_code == 0
    assert invoke("render", "dev").exit_code == 0
    override = (project / "build" / "local" / "emulator_override.tf").read_text()
    assert 'ec2            = "http://127.0.0.1:4566"' in override and 'alias = "us_east_1"' in override
    assert not (project / "build" / "dev" / "emulator_override.tf").exists()
    assert "127.0.0.1" not in (project / "build" / "dev" / "terraform.tfvars").read_text()


def test_a_planted_override_beside_dev_is_refused_at_staging(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from toolkit.config import load_environment
    from toolkit.engine.render import render_environment
    from toolkit.engine.workspace import prepare_workspace
    from toolkit.errors import GuardError
    from toolkit.project import Project

    tree = Project(project)
    config = load_environment(tree, "dev")
    result = render_environment(tree, config)
    (result.build_dir / "emulator_override.tf").write_text('provider "aws" {}\n')
    with pytest.raises(GuardError, match="not an emulator environment"):
        prepare_workspace(tree, config, result)


def test_features_off_switches_a_setting_and_an_unknown_one_is_refused(project: Path) -> None:
    local = project / "envs" / "local.yaml"
    switched = "features_off:\n    cdn.enabled: the emulator has no CloudFront"
    local.write_text(local.read_text().replace("features_off: {}", switched))
    shown = invoke("envs", "show", "local")
    assert shown.exit_code == 0, shown.output
    local.write_text(local.read_text().replace("cdn.enabled", "cdn.enabeld"))
    refused = invoke("envs", "show", "local")
    assert refused.exit_code == 1
    assert "cdn.enabeld" in refused.output and "envs/local.yaml:" in refused.output
