"""Fixtures for the drift tests: a throw-away project holding the sandbox root, and the moto emulator.

The emulator runs for this module of tests only (`drift_emulator`, module scope) on a free port of
127.0.0.1: drift tests change resources behind Terraform's back, so they must not share an emulator
with other areas. It starts through the shared helper, which takes the port moto itself bound (see
tests/support/moto_server.py for why a port picked beforehand made this module flaky under load).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.moto_server import start_moto_server, stop_moto_server

REPO = Path(__file__).resolve().parents[2]
SANDBOX_ENVIRONMENT = """\
# Drift tests: the sandbox root against the moto emulator, state in a local file.
# Only what differs from envs/defaults.yaml belongs here.
terraform:
  root: examples/sandbox
backend:
  type: local
  endpoint_from_env: AWS_ENDPOINT_URL
compute:
  cpu: 256
  memory_mib: 512
tags:
  environment: sandbox
"""


@dataclass(frozen=True)
class Emulator:
    url: str
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def drift_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    server = start_moto_server(tmp_path_factory.mktemp("moto"))
    try:
        yield Emulator(server.endpoint_url, server.process)
    finally:
        stop_moto_server(server)


def make_project(root: Path, environments: dict[str, str]) -> Path:
    """envs/defaults.yaml from the repository, the given environment files, and the sandbox root."""
    (root / "envs").mkdir(parents=True)
    shutil.copy(REPO / "envs" / "defaults.yaml", root / "envs" / "defaults.yaml")
    for name, text in environments.items():
        (root / "envs" / f"{name}.yaml").write_text(text)
    shutil.copytree(REPO / "examples" / "sandbox", root / "examples" / "sandbox",
                    ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", ".terraform.lock.hcl"))
    return root


def project_environment(root: Path, endpoint: str) -> dict[str, str]:
    """Variables a drift run needs: the project, the pinned terraform and provider mirror, the emulator."""
    return {
        "TOOLKIT_PROJECT_DIR": str(root),
        "TOOLKIT_TERRAFORM": str(REPO / ".cache" / "engine" / "bin" / "terraform"),
        "TOOLKIT_PROVIDER_MIRROR": str(REPO / ".cache" / "providers"),
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "sa-east-1",
        "TF_PLUGIN_CACHE_DIR": "",
    }


@pytest.fixture
def usage_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with one environment and nothing applied, for argument and settings errors."""
    root = make_project(tmp_path / "project", {"sandbox": SANDBOX_ENVIRONMENT})
    for key, value in project_environment(root, "http://127.0.0.1:9").items():
        monkeypatch.setenv(key, value)
    for key in ("GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_EVENT_PATH", "GITHUB_API_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(root)
    return root


def apply_sandbox(root: Path, environment: dict[str, str]) -> None:
    """Plan and apply the sandbox through the engine (the same code path as `toolkit plan` / `apply`)."""
    saved = {key: os.environ.get(key) for key in environment}
    os.environ.update(environment)
    try:
        from toolkit.engine.plan import plan_environment
        from toolkit.engine.session import open_session
        from toolkit.plans.saved import PLAN_FILE
        from toolkit.project import Project

        project = Project(root)
        outcome = plan_environment(project, "sandbox")
        session = open_session(project, "sandbox")
        session.terraform.apply(outcome.saved.plan_json.parent / PLAN_FILE, lock_timeout="0s")
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
