"""Throw-away projects for the engine tests: the sandbox root module, small environments, own state.

Each test module builds its own project (its own project name, hence its own AWS resource names, state
bucket and lock table in the shared emulator), so modules never see each other's resources. The
project's .cache is a symlink to the repository's, so the engine (Terraform 1.15.5) and the provider mirror are used.
"""

from __future__ import annotations

import json
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


def sandbox_environment(project: str, **overrides: Any) -> dict[str, Any]:
    """An environment file for the sandbox root with an S3 backend of its own in the emulator."""
    environment: dict[str, Any] = {
        "terraform": {"root": "examples/sandbox"},
        "backend": {"type": "s3", "bucket": f"{project}-state", "dynamodb_table": f"{project}-locks",
                    "endpoint_from_env": "AWS_ENDPOINT_URL"},
        "compute": {"cpu": 256, "memory_mib": 512, "min_tasks": 1, "max_tasks": 3},
        "storage": {"buckets": {"uploads": {"versioning": True}, "exports": {
            "lifecycle": [{"id": "expire", "expiration_days": 30}]}}},
    }
    environment.update(overrides)
    return environment


@dataclass
class EngineProject:
    root: Path
    name: str

    def env_file(self, environment: str) -> Path:
        return self.root / "envs" / f"{environment}.yaml"

    def write_environment(self, environment: str, values: dict[str, Any]) -> None:
        text = f"# Test environment {environment}.\n# Written by tests/engine/conftest.py.\n"
        self.env_file(environment).write_text(text + yaml.safe_dump(values, sort_keys=False), encoding="utf-8")

    def read_environment(self, environment: str) -> dict[str, Any]:
        return yaml.safe_load(self.env_file(environment).read_text(encoding="utf-8"))

    def data_dir(self, environment: str) -> Path:
        return self.root / ".toolkit" / "envs" / environment

    def latest_plan(self, environment: str) -> Path:
        return self.data_dir(environment) / "plans" / "latest"

    def metadata(self, environment: str) -> dict[str, Any]:
        return json.loads((self.latest_plan(environment) / "metadata.json").read_text(encoding="utf-8"))

    def checkpoints(self, environment: str) -> list[dict[str, Any]]:
        """The environment's checkpoints where the toolkit keeps them (beside an S3 state, else the folder)."""
        from toolkit.config import load_environment
        from toolkit.project import Project
        from toolkit.records.places import checkpoint_store_for

        project = Project(self.root)
        return [item.to_dict() for item in checkpoint_store_for(project, load_environment(project, environment)).list()]

    def state(self, moto: MotoServer, environment: str) -> dict[str, Any] | None:
        """The environment's current state object, read straight from the emulator's S3."""
        values = self.read_environment(environment)
        key = f"{self.name}/{environment}/terraform.tfstate"
        s3 = moto.client("s3")
        try:
            body = s3.get_object(Bucket=values["backend"]["bucket"], Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            return None
        return json.loads(body)


def make_project(base: Path, name: str, environments: dict[str, dict[str, Any]]) -> EngineProject:
    """A project folder: defaults (with this project name and no buckets), the given environments."""
    root = base / name
    (root / "envs").mkdir(parents=True)
    shutil.copytree(REPO / "examples" / "sandbox", root / "examples" / "sandbox",
                    ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    (root / ".cache").symlink_to(REPO / ".cache")
    defaults = yaml.safe_load((REPO / "envs" / "defaults.yaml").read_text(encoding="utf-8"))
    defaults["project"] = name
    defaults["storage"] = {"buckets": {}}
    (root / "envs" / "defaults.yaml").write_text(
        "# Test defaults.\n# Written by tests/engine/conftest.py.\n" + yaml.safe_dump(defaults, sort_keys=False),
        encoding="utf-8")
    project = EngineProject(root, name)
    for environment, values in environments.items():
        project.write_environment(environment, values)
    return project


@pytest.fixture(scope="module")
def module_environment(moto_server: MotoServer) -> Iterator[pytest.MonkeyPatch]:
    """Emulator variables for a whole module (fixtures sharing one initialised project need them)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in moto_server.environment().items():
            patch.setenv(name, value)
        patch.delenv("AWS_PROFILE", raising=False)
        patch.delenv("TOOLKIT_TERRAFORM", raising=False)
        patch.delenv("TF_CLI_CONFIG_FILE", raising=False)
        yield patch


def toolkit(*args: str) -> Any:
    """Run the CLI in-process; the result has .exit_code and .output (stdout and stderr)."""
    from toolkit.cli import app

    return CliRunner().invoke(app, list(args))


def bootstrap_backend(project: EngineProject, environment: str) -> None:
    """Create the environment's state bucket and lock table, as `make demo` does."""
    from toolkit.engine.bootstrap import ensure_state_backend
    from toolkit.project import Project

    ensure_state_backend(Project(project.root), environment)


def _environment_for(project: EngineProject) -> dict[str, str]:
    import os

    return {**os.environ, "TOOLKIT_PROJECT_DIR": str(project.root)}


def toolkit_process(project: EngineProject, *args: str) -> subprocess.Popen[str]:
    """The CLI as a separate process (for runs that overlap with an in-process one)."""
    return subprocess.Popen([str(REPO / ".venv" / "bin" / "toolkit"), *args], cwd=project.root,
                            env=_environment_for(project), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


# The refactors of issue 26 are proven against one base: the real tree before them (main at 4201664), applied to the
# stub once per environment (toolkit.engine.offline_base reuses an applied base), planned once per environment.
REFACTOR_BASE = "4201664"
# An environment the root's moved blocks do not know, on Aurora (the alarm table's `terraform state mv` proof).
# And one planned with the migration runner on (TF_VAR_migrations_package_path: no environment key sets it).
REFACTOR_EXTRA = {"envs/aurora.yaml": "database:\n  engine_mode: aurora-serverless\n  read_replicas: 1\n",
                  "envs/migrate.yaml": "# dev's defaults; the test sets TF_VAR_migrations_package_path\n"
                                       "database:\n  engine_mode: rds\n"}


@dataclass
class RefactorProof:
    """The throw-away repository over REFACTOR_BASE and each environment's plan against it (computed once)."""

    root: Path
    _plans: dict[str, tuple[int, dict[str, Any], Path]]

    def plan(self, environment: str) -> tuple[int, dict[str, Any], Path]:
        """(exit code, toolkit's --json summary, the plan JSON file) of the branch against the applied base."""
        from tests.support.refactor_base import inside_project

        if environment not in self._plans:
            with inside_project(self.root):
                result = toolkit("plan", environment, "--offline", "--against", "main", "--json")
            assert result.exit_code in (0, 2), result.output
            summary = json.loads(result.stdout)
            self._plans[environment] = (result.exit_code, summary, Path(summary["plan_json"]))
        return self._plans[environment]


@pytest.fixture(scope="session")
def refactor_proof(tmp_path_factory: pytest.TempPathFactory) -> RefactorProof:
    from tests.support.refactor_base import refactor_repository

    root = refactor_repository(tmp_path_factory.mktemp("refactor") / "project", REFACTOR_BASE, extra=REFACTOR_EXTRA)
    return RefactorProof(root, {})
