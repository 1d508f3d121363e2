"""A throw-away copy of the project (envs/ and the root module) so tests never write into the repo."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    shutil.copytree(REPO / "envs", root / "envs")
    shutil.copytree(REPO / "terraform", root / "terraform",
                    ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", ".terraform.lock.hcl"))
    # The sandbox root is written for the offline engine; only the main environments matter here.
    for extra in (root / "envs").glob("*.yaml"):
        if extra.stem not in {"defaults", "dev", "staging", "prod"}:
            extra.unlink()
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(root))
    monkeypatch.chdir(root)
    return root


def files_under(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}
