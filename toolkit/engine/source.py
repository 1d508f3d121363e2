"""A configuration other than the working tree: a commit's files, exported from git's objects.

`toolkit rollback ENV --step full` plans and applies the configuration that was live at a checkpoint:
that commit's root and modules, with the rendered tfvars the checkpoint kept. The commit is exported with
`git archive` into .toolkit/envs/ENV/rollback/source/<commit>/, which reads git's object store only: the
responder's working tree, index, branch and uncommitted changes are never touched (no checkout, no
worktree, no stash). The old environment file is never read, so a newer configuration schema does not
have to understand it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import ToolkitError

READY_MARKER = ".toolkit-export"
GIT_TIMEOUT_S = 120
# A full commit id (SHA-1 or SHA-256): anything else in a checkpoint is refused before git sees it.
COMMIT_ID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?\Z")


@dataclass(frozen=True)
class CommitSource:
    """What to plan instead of the working tree (see the module docstring)."""

    commit: str
    tree: Path            # the exported commit: stands in for the project root when staging
    root: str             # the root module folder, relative to the tree
    tfvars_text: str      # the rendered tfvars the checkpoint kept
    checkpoint: str       # the checkpoint whose configuration this is

    @property
    def root_dir(self) -> Path:
        return self.tree / self.root

    @property
    def tfvars_sha256(self) -> str:
        return hashlib.sha256(self.tfvars_text.encode()).hexdigest()


def _git(project_root: Path, *args: str, binary: bool = False) -> subprocess.CompletedProcess:
    # GIT_OPTIONAL_LOCKS=0: no command here may refresh (write) the index of the responder's checkout.
    environment = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    try:
        return subprocess.run(["git", *args], cwd=project_root, capture_output=True, text=not binary,
                              timeout=GIT_TIMEOUT_S, env=environment)
    except FileNotFoundError:
        raise ToolkitError("git is not installed: `rollback --step full` reads the checkpoint's commit from "
                           "git") from None
    except subprocess.TimeoutExpired:
        raise ToolkitError(f"git {args[0]} took longer than {GIT_TIMEOUT_S} s in {project_root}") from None


def check_commit_available(project_root: Path, commit: str, checkpoint: str) -> None:
    """Errors that say what to fetch: not a git checkout, a shallow clone without the commit, an unknown commit."""
    if not COMMIT_ID.match(commit):
        raise ToolkitError(f"checkpoint {checkpoint} records {commit!r} as its commit, which is not a full git commit "
                           "id: the checkpoint file was edited; nothing applied")
    inside = _git(project_root, "rev-parse", "--is-inside-work-tree")
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        raise ToolkitError(f"{project_root} is not a git checkout: `--step full` rebuilds checkpoint {checkpoint}'s "
                           f"commit {commit[:12]} from git; run it from a clone of the repository")
    if _git(project_root, "cat-file", "-e", f"{commit}^{{commit}}").returncode == 0:
        return
    shallow = _git(project_root, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"
    if shallow:
        raise ToolkitError(f"commit {commit} (checkpoint {checkpoint}) is not in this shallow clone: fetch the "
                           f"history with `git fetch --unshallow` (or just that commit: `git fetch --depth=1 origin "
                           f"{commit}`), then run the step again")
    raise ToolkitError(f"commit {commit} (checkpoint {checkpoint}) is not in the local repository: fetch it "
                       f"(`git fetch origin {commit}`, or fetch the branch it was on), then run the step again")


def export_commit(project_root: Path, commit: str, folder: Path) -> Path:
    """The commit's files (the project's part of the repository) under `folder`/<commit>, exported once.

    A partly written export (a killed run) is never used: the tree is unpacked beside the target and
    renamed into place, with a marker written last.
    """
    target = folder / commit
    if (target / READY_MARKER).is_file():
        return target
    prefix = _git(project_root, "rev-parse", "--show-prefix").stdout.strip()
    treeish = f"{commit}:{prefix}" if prefix else commit
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".export-") as scratch:
        archive = Path(scratch) / "commit.tar"
        with archive.open("wb") as handle:
            completed = subprocess.run(["git", "archive", "--format=tar", treeish], cwd=project_root,
                                       stdout=handle, stderr=subprocess.PIPE, timeout=GIT_TIMEOUT_S,
                                       env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"})
        if completed.returncode != 0:
            message = completed.stderr.decode(errors="replace").strip().splitlines()
            raise ToolkitError(f"git archive {treeish[:60]} failed: {message[-1] if message else 'no output'}")
        unpacked = Path(scratch) / "tree"
        with tarfile.open(archive) as tar:
            tar.extractall(unpacked, filter=_inside_the_tree)
        (unpacked / READY_MARKER).write_text(commit + "\n", encoding="utf-8")
        try:
            os.rename(unpacked, target)
        except OSError:
            # Another run exported the same commit meanwhile: use its copy (it may be in use: never remove it).
            if not (target / READY_MARKER).is_file():
                shutil.rmtree(target)
                os.rename(unpacked, target)
    return target


def _inside_the_tree(member: tarfile.TarInfo, destination: str) -> tarfile.TarInfo | None:
    """tarfile's "data" filter, but a member it refuses is left out rather than failing the export.

    A commit may hold a symlink to an absolute path (a checkout's `.cache` link, say): it is not part of the
    configuration, and following it could write outside the export.
    """
    try:
        return tarfile.data_filter(member, destination)
    except tarfile.FilterError:
        return None
