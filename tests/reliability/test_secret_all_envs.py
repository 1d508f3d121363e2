"""Attack: per-environment errors of `plan --all` and `drift --all` are printed and written (--json) outside the
CLI error handler; a secret in one (here a DSN typed as a key of the environment file) must be masked there too."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app

REPO = Path(__file__).resolve().parents[2]
CANARY = "CANARYallenvs9f"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "envs").mkdir()
    shutil.copy(REPO / "envs" / "defaults.yaml", tmp_path / "envs" / "defaults.yaml")
    (tmp_path / "envs" / "zz.yaml").write_text(f'"postgres://app:{CANARY}@db/x": 1\n', encoding="utf-8")
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("command", [["plan", "--all", "--quiet"], ["plan", "--all", "--json", "--quiet"],
                                     ["drift", "--all", "--quiet"], ["drift", "--all", "--format", "json",
                                                                     "--quiet"]])
def test_a_secret_in_one_environments_error_is_masked(project: Path, command: list[str]) -> None:
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 1, result.output
    assert CANARY not in result.output, result.output
    assert "postgres://app:(sensitive)@db/x = 1: unknown key" in result.output, result.output
