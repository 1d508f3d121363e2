"""Throw-away git repositories for tests (never the real one): init, commit everything, read HEAD."""

from __future__ import annotations

import subprocess
from pathlib import Path

IDENTITY = ["-c", "user.name=Toolkit Tests", "-c", "user.email=tests@toolkit.invalid", "-c", "commit.gpgsign=false"]
IGNORED = ".toolkit/\nbuild/\n.cache\n.terraform/\n*.tfstate\n*.tfstate.backup\n"


def git(root: Path, *args: str) -> str:
    completed = subprocess.run(["git", *IDENTITY, *args], cwd=root, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, f"git {' '.join(args)}: {completed.stderr}"
    return completed.stdout.strip()


def init_repository(root: Path) -> str:
    """`root` as a new repository with everything in it committed; returns the commit."""
    (root / ".gitignore").write_text(IGNORED, encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    return commit_all(root, "initial")


def commit_all(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")
