"""The commits to revert after a rollback: those that changed the environment's configuration between what was live
at the checkpoint and what each undone apply applied (a responder's `git revert` of the apply's HEAD alone failed on
a merge commit, or reverted an unrelated one)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

GIT_TIMEOUT_S = 20
# Checkpoints can be edited by anyone with the bucket: only a commit id ever reaches git.
COMMIT_ID = re.compile(r"[0-9a-f]{7,64}")
# A root module folder, as a record or the merged values name it: a plain relative path, nothing a shell or git
# would read as more (the hints are pasted into a shell; a review planted `terraform $(touch /tmp/pwned)`).
ROOT_FOLDER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*")


def configuration_paths(environment: str, roots: list[str] | None = None) -> list[str]:
    """What an apply of `environment` reads from the checkout (envs/ beyond its two files are other environments):
    its root module folders (terraform.root, then and now; terraform/ by default) and modules/."""
    folders = [root.strip("/") for root in (roots or ["terraform"])
               if ROOT_FOLDER.fullmatch(root.strip("/"))]
    return ["envs/defaults.yaml", f"envs/{environment}.yaml", *dict.fromkeys(folders or ["terraform"]), "modules"]


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=GIT_TIMEOUT_S,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None


def commits_to_revert(root: Path, environment: str, live: str | None, applied: list[str],
                      roots: list[str] | None = None) -> list[str] | None:
    """The non-merge commits in `live`..each of `applied` that changed the environment's configuration, newest first,
    each once; None when git cannot tell (no live commit recorded, no repository, a commit not in this clone): the
    caller falls back to the applied commits themselves. An id that is not a commit id (an edited record) never
    reaches git: None."""
    if not live or not applied or not all(COMMIT_ID.fullmatch(item) for item in [live, *applied]):
        return None
    found: list[str] = []
    for commit in applied:
        # A live commit that is not an ancestor (a rebased or force-pushed branch): `live..commit` would list the
        # rebased copies of what was live too, and reverting those undoes the good configuration.
        ancestry = _git(root, "merge-base", "--is-ancestor", live, commit)
        if ancestry is None or ancestry.returncode != 0:
            return None
        completed = _git(root, "log", "--no-merges", "--topo-order", "--format=%H", f"{live}..{commit}", "--",
                         *configuration_paths(environment, roots))
        if completed is None or completed.returncode != 0:
            return None
        found += [line for line in completed.stdout.split() if line not in found]
    return found
