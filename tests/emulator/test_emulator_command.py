"""`toolkit emulator up|status|down` and the newcomer path: a real moto_server, found without exporting anything."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from toolkit.cli import app

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    shutil.copytree(REPO / "envs", root / "envs")
    shutil.copytree(REPO / "terraform", root / "terraform", ignore=shutil.ignore_patterns(".terraform"))
    (root / ".cache").symlink_to(REPO / ".cache")
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(root))
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                 "AWS_SESSION_TOKEN"):
        # Set, then removed: monkeypatch then restores the original at teardown even after the code under test
        # set it for this process (`emulator up` and an emulator environment's load do), so nothing leaks.
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    yield root
    CliRunner().invoke(app, ["emulator", "down"])


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def test_up_status_down_and_the_environment_finds_the_server_without_exports(project: Path) -> None:
    up = invoke("emulator", "up")
    assert up.exit_code == 0, up.output
    record = json.loads((project / ".toolkit" / "emulator" / "server.json").read_text())
    endpoint = f"http://127.0.0.1:{record['port']}"
    assert f"emulator started: {endpoint}" in up.output
    assert "s3://toolkit-local-state (versioned, lock files) ready" in up.output
    # `up` exports nothing: a new process (here: this one, with the variable it set for itself removed) finds
    # the server from its record.
    os.environ.pop("AWS_ENDPOINT_URL", None)
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="sa-east-1", aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    assert s3.get_bucket_versioning(Bucket="toolkit-local-state")["Status"] == "Enabled"
    again = invoke("emulator", "up")
    assert again.exit_code == 0 and f"already running: {endpoint}" in again.output
    # The emulator environment renders against the recorded server though nothing was exported.
    rendered = invoke("render", "local")
    assert rendered.exit_code == 0, rendered.output
    assert endpoint in (project / "build" / "local" / "emulator_override.tf").read_text()
    assert invoke("emulator", "status").exit_code == 0
    down = invoke("emulator", "down")
    assert down.exit_code == 0 and f"port {record['port']}" in down.output
    assert invoke("emulator", "status").exit_code == 1
    os.environ.pop("AWS_ENDPOINT_URL", None)  # set for this process by the render above


def test_down_never_kills_a_process_that_is_not_the_emulator(project: Path) -> None:
    record = project / ".toolkit" / "emulator" / "server.json"
    record.parent.mkdir(parents=True)
    record.write_text(json.dumps({"pid": os.getpid(), "port": 1, "log_file": "x"}))
    result = invoke("emulator", "down")
    assert result.exit_code == 0 and "no emulator was running" not in result.output
    assert not record.exists()  # this test process is alive: only the stale record went


def test_up_for_a_real_environment_is_refused(project: Path) -> None:
    result = invoke("emulator", "up", "dev")
    assert result.exit_code == 1
    assert "envs/dev.yaml has no `emulator:` section" in result.output


def test_local_without_the_built_providers_says_how_to_get_them(project: Path, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TOOLKIT_BUILD_CACHE", str(tmp_path / "empty-build-cache"))
    assert invoke("emulator", "up").exit_code == 0
    result = invoke("plan", "local", "--quiet")
    assert result.exit_code == 1
    assert "are not built on this machine yet: run `make setup`" in result.output
    assert "toolkit plan ENV --offline" in result.output
    os.environ.pop("AWS_ENDPOINT_URL", None)


def test_checkpoints_and_rollback_of_the_emulator_environment_find_the_recorded_server(project: Path) -> None:
    # A newcomer found these two went to real AWS (s3://toolkit-local-state in sa-east-1) while plan and apply
    # found the emulator `up` started: the rollback path reads no schema, and looked for no emulator.
    up = invoke("emulator", "up")
    assert up.exit_code == 0, up.output
    os.environ.pop("AWS_ENDPOINT_URL", None)  # a new shell: nothing exported
    listed = invoke("checkpoints", "local")
    assert listed.exit_code == 0, listed.output
    assert "credentials" not in listed.output and "amazonaws.com" not in listed.output
    triage = invoke("rollback", "local")
    assert "credentials" not in triage.output and "amazonaws.com" not in triage.output, triage.output
    assert "no emulator is running" not in triage.output
    os.environ.pop("AWS_ENDPOINT_URL", None)


@pytest.mark.parametrize("command", [("checkpoints", "local"), ("rollback", "local"),
                                     ("rollback", "local", "--tier", "immediate")])
def test_without_a_running_emulator_the_emulator_environment_is_refused_before_any_aws_call(
        project: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]) -> None:
    # Real-looking keys in the shell: the refusal must come first, not a call to AWS with them.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret-key-but-shaped-like-one")
    result = invoke(*command)
    assert result.exit_code != 0, result.output
    assert "envs/local.yaml is an emulator environment and no emulator is running" in result.output
    assert "toolkit emulator up" in result.output
    assert "amazonaws.com" not in result.output


@pytest.mark.parametrize("command", [("plan", "local", "--quiet"), ("apply", "local", "--auto", "--quiet")])
def test_plan_and_apply_without_an_emulator_say_start_it_not_give_me_credentials(
        project: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]) -> None:
    """A newcomer's `toolkit plan local` with no emulator asked for AWS credentials: it looked for the environment's
    checkpoints in real AWS (s3://toolkit-local-state…) before rendering anything."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret-key-but-shaped-like-one")
    result = invoke(*command)
    assert result.exit_code == 1, result.output
    assert "which is not set" in result.output and "`toolkit emulator up`" in result.output, result.output
    assert "credentials" not in result.output and "amazonaws.com" not in result.output, result.output
