"""Fixtures for the checks tests: the real project, its binaries, and temp Terraform trees."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.checks.findings import CheckResult
from toolkit.checks.runner import CheckTargets

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = PROJECT_ROOT / ".cache"
TERRAFORM = CACHE_DIR / "engine" / "bin" / "terraform"
CHECKOV = CACHE_DIR / "checkov-venv" / "bin" / "checkov"


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Create files (relative path → text) under root; return root."""
    for relative_path, text in files.items():
        target = root / relative_path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def project_binaries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Point temp projects (which have no .cache) at this checkout's terraform and checkov."""
    monkeypatch.setenv("TOOLKIT_TERRAFORM", str(TERRAFORM))
    monkeypatch.setenv("TOOLKIT_CHECKOV", str(CHECKOV))


@pytest.fixture(scope="session")
def real_targets() -> CheckTargets:
    return CheckTargets(PROJECT_ROOT, CACHE_DIR)


@pytest.fixture(scope="session")
def real_checkov_result(real_targets: CheckTargets) -> CheckResult:
    """checkov over the real modules/ and terraform/, run once per session (several seconds)."""
    from toolkit.checks.checkov import run_checkov_check

    return run_checkov_check(real_targets.root, real_targets.directories)
