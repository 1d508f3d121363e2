"""Refactors proven on a plan: a throw-away repository whose `main` holds the real root, modules and environments
as of a given commit of this repository, and whose branch holds them as they are in the working tree.

`toolkit plan ENV --offline --against main` in it applies the old code to the stub provider and plans the new code
against that state, so the plan shows what the refactor does to infrastructure made by the old code: moves
(`moved` blocks), updates, creates, replacements and destroys. `plan_changes` reads that plan back.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.git_repo import commit_all, git, init_repository

REPO = Path(__file__).resolve().parents[2]
FOLDERS = ("terraform", "modules", "envs")
BRANCH = "refactor"
_IGNORED = shutil.ignore_patterns(".terraform*", "*.tfstate*")


def refactor_repository(root: Path, base_commit: str, *, source: Path = REPO,
                        extra: Mapping[str, str] | None = None) -> Path:
    """`root` as a repository: `main` = FOLDERS of `base_commit` in `source`, branch BRANCH (checked out) = the
    working tree's FOLDERS; both sides get the `extra` files (path => text, e.g. an environment only the test
    has). Fails (never skips) when `source` does not hold the commit."""
    known = subprocess.run(["git", "-C", str(source), "cat-file", "-e", f"{base_commit}^{{commit}}"],
                           capture_output=True, text=True, timeout=60)
    if known.returncode != 0:
        pytest.fail(f"the refactor's base commit {base_commit} is not in {source}: the proof plans from a state made "
                    "by that commit's code, so it needs the history (`git fetch --unshallow`, in CI a checkout with "
                    "fetch-depth: 0)")
    archive = subprocess.run(["git", "-C", str(source), "archive", "--format=tar", base_commit, *FOLDERS],
                             capture_output=True, timeout=120)
    assert archive.returncode == 0, f"git archive {base_commit}: {archive.stderr.decode(errors='replace')}"
    root.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(root, filter="data")
    _write(root, extra or {})
    init_repository(root)
    git(root, "checkout", "-q", "-b", BRANCH)
    for folder in FOLDERS:
        shutil.rmtree(root / folder)
        shutil.copytree(source / folder, root / folder, ignore=_IGNORED)
    _write(root, extra or {})
    commit_all(root, f"the working tree of {source.name} over {base_commit}")
    # The engine and the provider mirror of the real checkout (never rebuilt for a throw-away project).
    (root / ".cache").symlink_to(source / ".cache")
    return root


def _write(root: Path, files: Mapping[str, str]) -> None:
    for path, text in files.items():
        (root / path).write_text(text, encoding="utf-8")


@contextmanager
def inside_project(root: Path) -> Iterator[Path]:
    """The toolkit pointed at `root` (cwd and TOOLKIT_PROJECT_DIR), with none of the caller's engine overrides."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOOLKIT_PROJECT_DIR", str(root))
        patch.chdir(root)
        for name in ("TOOLKIT_TERRAFORM", "TF_CLI_CONFIG_FILE", "TOOLKIT_PROVIDER_MIRROR", "AWS_PROFILE"):
            patch.delenv(name, raising=False)
        yield root


@dataclass(frozen=True)
class PlannedChange:
    """One resource of a plan that does something: moves, or any action but no-op and read."""

    address: str
    actions: tuple[str, ...]
    previous_address: str | None
    before: Any
    after: Any

    @property
    def moved_only(self) -> bool:
        return self.actions == ("no-op",) and self.previous_address is not None

    def changed_attributes(self) -> dict[str, tuple[Any, Any]]:
        """Top-level attributes whose value differs: name -> (before, after); after None may be unknown."""
        before, after = self.before or {}, self.after or {}
        return {name: (before.get(name), after.get(name)) for name in sorted({*before, *after})
                if before.get(name) != after.get(name)}


def plan_changes(plan_json: Path) -> dict[str, PlannedChange]:
    """The managed resources of a saved plan.json that move or change, by address."""
    plan = json.loads(plan_json.read_text(encoding="utf-8"))
    changes = {}
    for resource in plan.get("resource_changes", []):
        if resource.get("mode") != "managed":
            continue
        actions = tuple(resource["change"]["actions"])
        if actions == ("no-op",) and not resource.get("previous_address"):
            continue
        changes[resource["address"]] = PlannedChange(resource["address"], actions, resource.get("previous_address"),
                                                     resource["change"].get("before"),
                                                     resource["change"].get("after"))
    return changes
