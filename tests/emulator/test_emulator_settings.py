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


def test_a_backend_endpoint_planted_in_prod_can_only_point_at_this_machine(project: Path, monkeypatch) -> None:
    prod = project / "envs" / "prod.yaml"
    text = prod.read_text()
    planted = "backend:\n  type: s3\n  bucket: stolen-state\n  endpoint_from_env: EVIL_ENDPOINT\n"
    prod.write_text(text.replace("backend:\n", planted, 1) if "backend:\n" in text else text + planted)
    monkeypatch.setenv("EVIL_ENDPOINT", "https://attacker.example.com")
    result = invoke("render", "prod")
    assert result.exit_code == 1
    assert "is not an emulator on this machine" in result.output
    assert not (project / "build" / "prod").exists()


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


def _set_features_off(project: Path, entries: dict[str, str]) -> Path:
    local = project / "envs" / "local.yaml"
    text = local.read_text()
    head = text[:text.index("  features_off:")]
    body = "".join(f"    {key}: {reason}\n" for key, reason in entries.items())
    local.write_text(head + "  features_off:\n" + body)
    return local


def test_features_off_switches_a_setting_and_an_unknown_one_is_refused(project: Path) -> None:
    _set_features_off(project, {"cdn.enabled": "the emulator has no CloudFront"})
    shown = invoke("envs", "show", "local")
    assert shown.exit_code == 0, shown.output
    _set_features_off(project, {"cdn.enabeld": "the emulator has no CloudFront"})
    refused = invoke("envs", "show", "local")
    assert refused.exit_code == 1
    assert "cdn.enabeld" in refused.output and "envs/local.yaml:" in refused.output


@pytest.mark.parametrize(("setting", "shown"), [
    ("protected", "not a toolkit key"),
    ("allow_auto_apply", "not a toolkit key"),
    ("backend.encrypt", "not a toolkit key"),
    ("emulator.endpoint_from_env", "not a toolkit key"),
    ("database.parameters.max_connections", "database.parameters has no fixed settings inside"),
    ("storage.buckets.surprise.versioning", "storage.buckets has no fixed settings inside"),
    ("network.single_nat_gateway.x", "network.single_nat_gateway has no fixed settings inside"),
    ("compute.min_tasks", "compute.min_tasks is not an on/off setting"),
    ("foo.bar", "foo: unknown setting"),
])
def test_features_off_takes_only_existing_on_off_settings_of_the_infrastructure(
        project: Path, setting: str, shown: str) -> None:
    """Found by review: a toolkit key (prod's protection), a map entry, a number or a new bucket were set."""
    local = _set_features_off(project, {"cache.enabled": "moto has no parameter groups", setting: "a reason here"})
    line = local.read_text().splitlines().index(f"    {setting}: a reason here") + 1
    result = invoke("envs", "show", "local")
    assert result.exit_code == 1, result.output
    assert f"envs/local.yaml:{line}: emulator.features_off.{setting}: " in result.output and shown in result.output


@pytest.mark.parametrize("merge", ["<<: {emulator: {endpoint_from_env: AWS_ENDPOINT_URL}}\n",
                                   "<<: [{emulator: {endpoint_from_env: AWS_ENDPOINT_URL}}]\n",
                                   "base: &base {emulator: {features_off: {database.deletion_protection: x}}}\n"
                                   "<<: *base\n"])
@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_a_merge_key_does_not_carry_emulator_settings_into_a_real_environment(
        project: Path, environment: str, merge: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by review: keys brought in by `<<` were recorded under `<<`, so the refusal never saw them."""
    env_file = project / "envs" / f"{environment}.yaml"
    env_file.write_text(env_file.read_text() + merge)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    result = invoke("render", environment)
    assert result.exit_code == 1, result.output
    assert f"envs/{environment}.yaml:" in result.output and "emulator settings are not allowed" in result.output
    assert not (project / "build" / environment).exists()


def test_a_merge_key_does_not_carry_an_emulator_endpoint_into_defaults(project: Path) -> None:
    defaults = project / "envs" / "defaults.yaml"
    defaults.write_text(defaults.read_text().replace("backend:\n", "backend:\n  <<: {endpoint_from_env: X_URL}\n", 1))
    result = invoke("envs", "show", "dev")
    assert result.exit_code == 1, result.output
    assert "envs/defaults.yaml:" in result.output and "not allowed in defaults.yaml" in result.output


@pytest.mark.parametrize(("section", "key"), [("cache", "enabled"), ("compute", "autoscaling"),
                                              ("budget", "enabled")])
@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_the_emulator_switches_stay_on_outside_an_emulator_environment(
        project: Path, environment: str, section: str, key: str) -> None:
    """Found by review: prod could drop its cache, autoscaling or budget with no word in the plan or review."""
    env_file = project / "envs" / f"{environment}.yaml"
    env_file.write_text(env_file.read_text() + f"{section}:\n  {key}: false\n" if f"\n{section}:" not in
                        env_file.read_text() else env_file.read_text().replace(f"\n{section}:\n",
                                                                              f"\n{section}:\n  {key}: false\n", 1))
    result = invoke("envs", "show", environment)
    assert result.exit_code == 1, result.output
    assert f"{section}.{key}" in result.output and "may be false only in an emulator environment" in result.output


@pytest.mark.parametrize("endpoint", ['http://127.0.0.1:1/" != "" ? "https://attacker.example" : "',
                                      'http://127.0.0.1:1/${file("/etc/hostname")}',
                                      "http://127.0.0.1:80.attacker.example", "http://127.0.0.1:5000/path",
                                      "http://127.0.0.1:5000\nx = 1"])
def test_an_endpoint_with_more_than_scheme_host_and_port_is_refused(
        project: Path, endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by review: the value went into the override's HCL unescaped (a conditional sent every call away)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    result = invoke("render", "local")
    assert result.exit_code == 1, result.output
    assert "is not an emulator on this machine" in result.output
    assert not (project / "build" / "local" / "emulator_override.tf").exists()


@pytest.mark.parametrize("environment", ["dev", "local"])
def test_terraform_of_a_real_environment_never_gets_an_emulator_endpoint(
        project: Path, environment: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by review: AWS_ENDPOINT_URL in the shell (or set by a run of local) reached dev's provider, whose
    plan then read moto's account and was saved as applyable."""
    from toolkit.config import load_environment
    from toolkit.engine.workspace import Workspace
    from toolkit.project import Project

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:5000")
    config = load_environment(Project(project), environment)
    workspace = Workspace(Project(project), config, None, project, project, project, None, None)  # type: ignore[arg-type]
    variables = workspace.environment_variables()
    if environment == "dev":
        assert "AWS_ENDPOINT_URL" not in variables and "AWS_ENDPOINT_URL_S3" not in variables
    else:
        assert variables["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5000"
        assert variables["AWS_ACCESS_KEY_ID"] == "testing"
