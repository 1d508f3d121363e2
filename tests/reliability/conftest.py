"""Throw-away project copies and helpers for the reliability and security suite.

Every test works on a copy of the project in a temporary folder (TOOLKIT_PROJECT_DIR points at it and
the test runs inside it), never on the repository. `.cache` is a symlink to the repository's, so the
pinned terraform 1.0.3 and the provider mirror are used offline. Emulator projects get their own project
name, so their AWS resources (state bucket, lock table, ECS, S3) never meet another area's in the shared
moto server.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tests.support.moto_server import MotoServer

REPO = Path(__file__).resolve().parents[2]
TOOLKIT = REPO / ".venv" / "bin" / "toolkit"
# Variables that would point a run somewhere else than the test wants.
FOREIGN_VARIABLES = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "TOOLKIT_TERRAFORM", "TF_CLI_CONFIG_FILE", "TF_DATA_DIR",
                     "TOOLKIT_DATABASE_URL", "GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_EVENT_PATH")


@dataclass(frozen=True)
class Result:
    """What a CLI run left: exit code, stdout and stderr apart."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(*arguments: str) -> Result:
    """The CLI in-process (typer's CliRunner), stdout and stderr kept apart."""
    from toolkit.cli import app

    result = CliRunner().invoke(app, list(arguments), catch_exceptions=True)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        # An exception the CLI did not turn into `Error: …` is a bug: show it as a traceback would.
        import traceback

        stderr += "Traceback (most recent call last):\n" + "".join(
            traceback.format_exception(result.exception))
    return Result(result.exit_code, result.stdout, stderr)


def snapshot(root: Path) -> dict[str, str]:
    """Every file under `root` (symlinks as their target) with a content hash, to prove nothing changed."""
    files: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        relative = str(path.relative_to(root))
        if relative.startswith(".cache"):
            continue
        if path.is_symlink():
            files[relative] = "-> " + os.readlink(path)
        elif path.is_file():
            files[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def copy_project(destination: Path, *, name: str | None = None, parts: tuple[str, ...] = (
        "envs", "terraform", "examples", "db", "modules")) -> Path:
    """A copy of the repository's project folders (without run data); `.cache` is linked, not copied."""
    destination.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*", "__pycache__")
    for part in parts:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, destination / part, ignore=ignore)
    (destination / ".cache").symlink_to(REPO / ".cache")
    if name is not None:
        defaults = destination / "envs" / "defaults.yaml"
        text = defaults.read_text(encoding="utf-8")
        defaults.write_text(text.replace("project: edu-platform", f"project: {name}"), encoding="utf-8")
    return destination


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No AWS profile, endpoint, terraform override or GitHub setting leaks in from the caller's shell."""
    for name in FOREIGN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("TOOLKIT_ACTOR", "reliability@test")
    # boto3's process-wide default session caches the credentials an earlier test resolved.
    import boto3

    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    return monkeypatch


@pytest.fixture
def project(tmp_path: Path, clean_environment: pytest.MonkeyPatch) -> Path:
    """A project copy with every environment; the test runs inside it."""
    root = copy_project(tmp_path / "project")
    clean_environment.setenv("TOOLKIT_PROJECT_DIR", str(root))
    clean_environment.chdir(root)
    return root


# ---------------------------------------------------------------------------------------------
# Emulator projects: the sandbox root with an S3 backend of its own in the shared moto server
# ---------------------------------------------------------------------------------------------

def sandbox_environment(project_name: str, **overrides: Any) -> dict[str, Any]:
    """An environment file for the sandbox root, state in the emulator's S3 with a DynamoDB lock."""
    values: dict[str, Any] = {
        "terraform": {"root": "examples/sandbox"},
        "backend": {"type": "s3", "bucket": f"{project_name}-state", "dynamodb_table": f"{project_name}-locks",
                    "endpoint_from_env": "AWS_ENDPOINT_URL"},
        "compute": {"cpu": 256, "memory_mib": 512, "min_tasks": 1, "max_tasks": 3},
        "storage": {"buckets": {"uploads": {"versioning": True}}},
    }
    values.update(overrides)
    return values


@dataclass
class EmulatorProject:
    """A project folder holding the sandbox root and environments backed by the emulator."""

    root: Path
    name: str

    def env_file(self, environment: str) -> Path:
        return self.root / "envs" / f"{environment}.yaml"

    def write_environment(self, environment: str, values: dict[str, Any]) -> None:
        header = f"# Reliability test environment {environment}.\n# Written by tests/reliability/conftest.py.\n"
        self.env_file(environment).write_text(header + yaml.safe_dump(values, sort_keys=False), encoding="utf-8")

    def read_environment(self, environment: str) -> dict[str, Any]:
        return yaml.safe_load(self.env_file(environment).read_text(encoding="utf-8"))

    def set_max_tasks(self, environment: str, value: int) -> None:
        values = self.read_environment(environment)
        values["compute"]["max_tasks"] = value
        self.write_environment(environment, values)

    def data_dir(self, environment: str) -> Path:
        return self.root / ".toolkit" / "envs" / environment

    def state_key(self, environment: str) -> str:
        return f"{self.name}/{environment}/terraform.tfstate"

    def state_bucket(self) -> str:
        return f"{self.name}-state"

    def lock_table(self) -> str:
        return f"{self.name}-locks"

    def state(self, moto: MotoServer, environment: str) -> dict[str, Any] | None:
        """The current state object straight from the emulator's S3 (None before the first apply)."""
        import json

        s3 = moto.client("s3")
        try:
            body = s3.get_object(Bucket=self.state_bucket(), Key=self.state_key(environment))["Body"].read()
        except s3.exceptions.NoSuchKey:
            return None
        return json.loads(body)

    def state_versions(self, moto: MotoServer, environment: str) -> list[str]:
        listed = moto.client("s3").list_object_versions(Bucket=self.state_bucket(),
                                                         Prefix=self.state_key(environment))
        return [version["VersionId"] for version in listed.get("Versions", [])]

    def lock_entry(self, moto: MotoServer, environment: str) -> dict[str, Any] | None:
        """The DynamoDB item terraform writes while it holds the state lock."""
        key = f"{self.state_bucket()}/{self.state_key(environment)}"
        item = moto.client("dynamodb").get_item(TableName=self.lock_table(), Key={"LockID": {"S": key}})
        return item.get("Item")

    def checkpoints(self, environment: str) -> list[dict[str, Any]]:
        """The environment's checkpoints where the toolkit keeps them (beside an S3 state, else the folder)."""
        from toolkit.config import load_environment
        from toolkit.project import Project
        from toolkit.records.places import checkpoint_store_for

        project = Project(self.root)
        return [item.to_dict() for item in checkpoint_store_for(project, load_environment(project, environment)).list()]

    def process_environment(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "TOOLKIT_PROJECT_DIR": str(self.root), **extra}

    def start(self, *arguments: str, **extra: str) -> subprocess.Popen[str]:
        """The CLI as a separate process in its own process group (signals reach it and terraform)."""
        return subprocess.Popen([str(TOOLKIT), *arguments], cwd=self.root, env=self.process_environment(**extra),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)


def make_emulator_project(base: Path, name: str, environments: dict[str, dict[str, Any]]) -> EmulatorProject:
    """The sandbox root, defaults with this project name and no buckets, and the given environments."""
    root = copy_project(base / name, name=name, parts=("envs", "examples"))
    for extra in (root / "envs").glob("*.yaml"):
        if extra.name != "defaults.yaml":
            extra.unlink()
    defaults = yaml.safe_load((root / "envs" / "defaults.yaml").read_text(encoding="utf-8"))
    defaults["storage"] = {"buckets": {}}
    (root / "envs" / "defaults.yaml").write_text(
        "# Reliability test defaults.\n# Written by tests/reliability/conftest.py.\n"
        + yaml.safe_dump(defaults, sort_keys=False), encoding="utf-8")
    created = EmulatorProject(root, name)
    for environment, values in environments.items():
        created.write_environment(environment, values)
    return created


def bootstrap_backend(project: EmulatorProject, environment: str) -> None:
    """The versioned state bucket and the lock table, as `make demo` creates them."""
    from toolkit.engine.bootstrap import ensure_state_backend
    from toolkit.project import Project

    ensure_state_backend(Project(project.root), environment)


@pytest.fixture(scope="module")
def emulator_variables(moto_server: MotoServer, tmp_path_factory: pytest.TempPathFactory
                       ) -> Iterator[pytest.MonkeyPatch]:
    """Emulator endpoint and fake credentials for a whole module (its project is shared by its tests)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in FOREIGN_VARIABLES:
            patch.delenv(name, raising=False)
        for name, value in moto_server.environment().items():
            patch.setenv(name, value)
        no_config = tmp_path_factory.mktemp("aws-config")
        patch.setenv("AWS_CONFIG_FILE", str(no_config / "config"))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(no_config / "credentials"))
        patch.setenv("TOOLKIT_ACTOR", "reliability@test")
        # The PostgreSQL instance's creation waits 30 s in the provider; tests that need a slow resource
        # switch it back on for one run.
        patch.setenv("TF_VAR_create_db_instance", "false")
        yield patch


def assert_clean_failure(result: Result, *, code: int | None = None) -> None:
    """Non-zero exit, `Error: …` on stderr, and no traceback anywhere."""
    assert result.exit_code != 0, result.output
    if code is not None:
        assert result.exit_code == code, result.output
    assert "Traceback" not in result.output, result.output
    assert result.stderr.startswith("Error: ") or "\nError: " in result.stderr, result.output
