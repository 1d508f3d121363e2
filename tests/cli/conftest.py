"""A throw-away project (envs/ only) for the CLI convention tests: nothing is written into the repository."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    shutil.copytree(REPO / "envs", root / "envs")
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(root))
    return root
