"""A careless user and an attacker against the stub and `check --validate`: each finding kept as a test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.checks.validate import run_validate_check
from toolkit.cli import app
from toolkit.stub_mirror import StubMirror

from .conftest import FIXTURE_SCHEMAS

pytestmark = pytest.mark.slow
MAGIC = {"TF_PLUGIN_MAGIC_COOKIE": "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"}
PROJECT = {
    "envs/defaults.yaml": "# Shared defaults.\n# Test project.\n{}\n",
    "terraform/main.tf": ('terraform {\n  required_providers {\n    aws = {\n      source = "hashicorp/aws"\n    }\n'
                          '  }\n}\n\nprovider "aws" {\n  region = "sa-east-1"\n}\n\n'
                          'resource "aws_vpc" "this" {\n  cidr_block = "10.0.0.0/16"\n}\n'),
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: Path) -> Path:
    for relative, text in PROJECT.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(tmp_path))
    monkeypatch.setenv("TOOLKIT_TERRAFORM", str(engine))
    monkeypatch.setenv("TOOLKIT_STUB_SCHEMA_DIR", str(FIXTURE_SCHEMAS))
    monkeypatch.setenv("TOOLKIT_VALIDATE_PROVIDERS", "stub")  # these attack the stub provider itself
    return tmp_path


def test_a_stub_whose_terraform_was_killed_exits_by_itself(fixture_mirror: StubMirror) -> None:
    """kill -9 of terraform never says Shutdown: the stub must not linger."""
    parent = (
        "import os, subprocess, sys\n"
        f"child = subprocess.Popen([{str(fixture_mirror.launcher('aws'))!r}], stdout=subprocess.PIPE, text=True)\n"
        "child.stdout.readline()\n"
        "print(child.pid, flush=True)\n"
        "os._exit(0)\n")
    completed = subprocess.run([sys.executable, "-c", parent], env={**os.environ, **MAGIC}, capture_output=True,
                               text=True, timeout=60, check=True)
    pid = int(completed.stdout)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, 9)
    pytest.fail("the stub kept running after its parent died")


def test_a_person_running_the_launcher_gets_an_explanation(fixture_mirror: StubMirror) -> None:
    environment = {key: value for key, value in os.environ.items() if key != "TF_PLUGIN_MAGIC_COOKIE"}
    completed = subprocess.run([str(fixture_mirror.launcher("aws"))], env=environment, capture_output=True,
                               text=True, timeout=60, check=False)
    assert completed.returncode == 1
    assert completed.stderr == ("This is the toolkit's offline stub of a Terraform provider: Terraform starts it, "
                                "a person does not (see docs/CHECKS.md).\n")


@pytest.mark.parametrize("setting", ["5m", "nan", "inf", "-1"])
def test_a_bad_timeout_setting_is_a_clear_error(project: Path, monkeypatch: pytest.MonkeyPatch, setting: str) -> None:
    monkeypatch.setenv("TOOLKIT_VALIDATE_TIMEOUT", setting)
    result = CliRunner().invoke(app, ["check", "--validate"])
    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[:2] == [
        "== validate", f"TOOLKIT_VALIDATE_TIMEOUT={setting}: expected a number of seconds greater than 0"]


def test_a_missing_schema_is_a_clear_error(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLKIT_STUB_SCHEMA_DIR", str(project / "nowhere"))
    result = CliRunner().invoke(app, ["check", "--validate"])
    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[1] == (
        f"no schema for the aws stub provider: expected {project / 'nowhere' / 'aws.json.gz'} (the typed provider "
        "schema; set TOOLKIT_STUB_SCHEMA_DIR to use another folder)")


def test_a_committed_lock_file_is_neither_used_nor_touched(project: Path) -> None:
    """The real providers' lock file would fail against the stub's hashes, and must never be rewritten."""
    lock = project / "terraform" / ".terraform.lock.hcl"
    text = ('provider "registry.terraform.io/hashicorp/aws" {\n  version = "6.66.0"\n  hashes = [\n'
            '    "h1:realproviderhashrealproviderhashrealprovide=",\n  ]\n}\n')
    lock.write_text(text)
    result = CliRunner().invoke(app, ["check", "--validate"])
    assert result.exit_code == 0, result.output
    assert lock.read_text() == text


def test_two_checks_of_one_checkout_at_once(project: Path) -> None:
    results: list[str] = []

    def check() -> None:
        results.append(run_validate_check(project).status)

    threads = [threading.Thread(target=check) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert results == ["passed", "passed"]


def test_secrets_never_reach_the_findings(project: Path) -> None:
    """A sensitive value in a broken expression: terraform's diagnostics (and so ours) keep it hidden."""
    (project / "terraform" / "secret.tf").write_text(
        'locals {\n  db_password = sensitive("hunter2-secret")\n}\n\n'
        'resource "aws_vpc" "leak" {\n  cidr_block         = "10.1.0.0/16"\n'
        '  enable_dns_support = local.db_password\n}\n')
    result = CliRunner().invoke(app, ["check", "--validate", "--json"])
    assert result.exit_code == 1, result.output
    assert "hunter2" not in result.output
    [check] = json.JSONDecoder().raw_decode(result.output)[0]["checks"]
    assert check["findings"][0]["path"] == "terraform/secret.tf"


def test_a_terminated_stub_removes_its_socket_folder(fixture_mirror: StubMirror, tmp_path: Path) -> None:
    process = subprocess.Popen([str(fixture_mirror.launcher("aws"))], stdout=subprocess.PIPE, text=True,
                               env={**os.environ, **MAGIC, "TMPDIR": str(tmp_path)})
    socket = Path(process.stdout.readline().split("|")[3])
    assert socket.exists() and socket.parent.parent == tmp_path
    assert oct(socket.parent.stat().st_mode & 0o777) == "0o700"  # only this user reaches the socket
    process.terminate()
    assert process.wait(timeout=10) == 0
    assert not socket.parent.exists()
