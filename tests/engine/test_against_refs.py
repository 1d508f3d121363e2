"""`--against REF` refuses what is not a base before any render or terraform work (issue 28 item 1)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.engine.conftest import REPO, toolkit
from tests.support.git_repo import init_repository


@pytest.fixture
def repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    shutil.copytree(REPO / "envs", root / "envs")
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(root))
    monkeypatch.chdir(root)
    return root


@pytest.mark.parametrize(("ref", "message"), [
    ("no-such-branch", "--against no-such-branch: no such commit, branch or tag in this clone"),
    ("--upload-pack=x", "is not a git revision (it starts with '-')"),
])
def test_a_ref_that_is_not_a_commit_is_refused(repository: Path, ref: str, message: str) -> None:
    init_repository(repository)
    result = toolkit("plan", "prod", "--offline", f"--against={ref}")
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert not (repository / "build").exists()  # nothing rendered


def test_outside_a_git_checkout_it_says_so(repository: Path) -> None:
    result = toolkit("plan", "prod", "--offline", "--against", "merge-base")
    assert result.exit_code == 1, result.output
    assert "is not a git checkout: --against plans a git revision as the base" in result.output
