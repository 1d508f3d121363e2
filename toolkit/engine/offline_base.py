"""The base of an offline review: a git revision's configuration applied to the stub in a throw-away state.

`toolkit plan ENV --offline --against REF` should show what a pull request changes, not the whole
environment as 174 creates. The base revision (default: the merge base of HEAD with the default branch)
is exported from git's objects (toolkit.engine.source.export_commit: no checkout, the working tree is never
touched), rendered with its own envs/ files, planned and applied by the real engine against the stub
providers into a local state under .toolkit/envs/ENV/offline/base/<key>/. The head (the working tree,
uncommitted changes included, as any `toolkit plan`) is
then planned against a copy of that state, so Terraform itself computes the updates, destroys
(`removed from the configuration`, `count` index out of range) and moves between the two.

What it cannot show: replacements decided by AWS (the stub never plans a force-new replacement; such a
change reads as an update in place), and values only AWS knows (the stub fills computed values in
plausibly and identically for both sides, so they never differ). The applied base is kept per (commit,
rendered tfvars, engine version) and reused, so a second review of the same pull request skips the apply.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.errors import ConfigError, ToolkitError

if TYPE_CHECKING:
    from toolkit.engine.progress import Progress
    from toolkit.engine.terraform import TerraformBinary
    from toolkit.project import Project
    from toolkit.stub_mirror import StubMirror

AGAINST_FOLDER = "against"
BASE_FOLDER = "base"
APPLIED_MARKER = ".applied"
KEEP_BASES = 3
GIT_TIMEOUT_S = 120
# Tried in order when origin/HEAD does not say which branch is the default.
DEFAULT_BRANCHES = ("main", "master", "origin/main", "origin/master")


@dataclass(frozen=True)
class BaseState:
    """The applied base: which revision it is and the state file the head is planned against (None: the
    environment does not exist at the base, so the head is planned against an empty state)."""

    ref: str
    commit: str
    how: str
    state_file: Path | None

    def describe(self) -> str:
        return f"{self.ref} at {self.commit[:12]}"

    def as_dict(self) -> dict[str, str]:
        return {"ref": self.ref, "commit": self.commit, "how": self.how,
                "environment_at_base": "yes" if self.state_file is not None else "no"}


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # GIT_OPTIONAL_LOCKS=0: reading must never refresh (write) the index of the user's checkout.
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=GIT_TIMEOUT_S,
                              env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"})
    except FileNotFoundError:
        raise ToolkitError("git is not installed: `--against` reads the base revision from git") from None
    except subprocess.TimeoutExpired:
        raise ToolkitError(f"git {args[0]} took longer than {GIT_TIMEOUT_S} s in {root}") from None


def default_branch(root: Path) -> str:
    """The repository's default branch: origin/HEAD when the clone knows it, else main/master."""
    remote_head = _git(root, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
    if remote_head.returncode == 0 and remote_head.stdout.strip():
        return remote_head.stdout.strip()
    for candidate in DEFAULT_BRANCHES:
        if _git(root, "rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}").returncode == 0:
            return candidate
    raise ConfigError(f"cannot tell the default branch of {root} (no origin/HEAD, no main or master): "
                      "name the base with --against REF")


def resolve_base(root: Path, ref: str) -> tuple[str, str, str]:
    """(ref as shown, full commit id, how it was chosen) for `ref` ("" = merge base with the default branch)."""
    inside = _git(root, "rev-parse", "--is-inside-work-tree")
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        raise ConfigError(f"{root} is not a git checkout: --against plans a git revision as the base; "
                          "run it from a clone of the repository")
    if ref.startswith("-"):
        raise ConfigError(f"--against {ref!r} is not a git revision (it starts with '-')")
    if not ref:
        branch = default_branch(root)
        merge_base = _git(root, "merge-base", "HEAD", branch)
        if merge_base.returncode != 0 or not merge_base.stdout.strip():
            shallow = _git(root, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"
            hint = " (a shallow clone: `git fetch --unshallow`)" if shallow else ""
            raise ConfigError(f"HEAD and {branch} have no merge base in this clone{hint}: name the base with "
                              "--against REF")
        return branch, merge_base.stdout.strip(), f"the merge base of HEAD and {branch}"
    resolved = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if resolved.returncode != 0 or not resolved.stdout.strip():
        shallow = _git(root, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"
        hint = ("this is a shallow clone: fetch the history (`git fetch --unshallow`, in CI "
                "`actions/checkout` with `fetch-depth: 0`)" if shallow else f"fetch it (`git fetch origin {ref}`)")
        raise ConfigError(f"--against {ref}: no such commit, branch or tag in this clone; {hint}")
    return ref, resolved.stdout.strip(), ref


def base_state(project: Project, environment: str, resolved: tuple[str, str, str], *, binary: TerraformBinary,
               mirror: StubMirror, progress: Progress) -> BaseState:
    """The base revision (resolve_base's answer) of `environment`, applied to the stub (reused when applied)."""
    from toolkit.config import load_environment
    from toolkit.engine.render import render_environment
    from toolkit.engine.source import export_commit
    from toolkit.engine.stub_run import stub_terraform
    from toolkit.plans.saved import offline_data_dir
    from toolkit.project import Project

    label, commit, how = resolved
    folder = offline_data_dir(project, environment) / BASE_FOLDER
    progress.step(environment, f"offline base: {how} ({commit[:12]})")
    tree = Project(export_commit(project.root, commit, folder / "source"))
    if not (tree.envs_dir / f"{environment}.yaml").is_file():
        return BaseState(label, commit, how, None)
    try:
        config = load_environment(tree, environment)
        render = render_environment(tree, config)
    except ToolkitError as error:
        raise ConfigError(f"the base {label} ({commit[:12]}) cannot be rendered by this toolkit: {error}; "
                          "choose a newer base with --against REF") from None
    key = hashlib.sha256(f"{commit}\0{render.tfvars_sha256}\0{binary.flavor}\0{binary.version}\0"
                         f"{sorted(mirror.versions.items())}".encode()).hexdigest()[:16]
    run_dir = folder / key
    state_file = run_dir / "state" / "terraform.tfstate"
    marker = run_dir / APPLIED_MARKER
    run_dir.mkdir(parents=True, exist_ok=True)
    with (run_dir / ".run.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.is_file() and state_file.is_file():
            progress.step(environment, f"offline base: reusing the applied {label} ({commit[:12]})")
            os.utime(run_dir)
        else:
            terraform = stub_terraform(project, environment, render.root_dir, run_dir, binary=binary,
                                       mirror=mirror, progress=progress, tree=tree)
            shutil.rmtree(run_dir / "state", ignore_errors=True)
            progress.step(environment, f"offline base: apply {label} ({commit[:12]}) to the stub")
            terraform.run("apply", "-input=false", "-no-color", "-auto-approve", "-lock=false",
                          f"-var-file={render.tfvars_path}", stream=True,
                          what=f"terraform apply of the base {label} against the stub")
            marker.write_text(commit + "\n", encoding="utf-8")
    _prune(folder, keep=run_dir)
    return BaseState(label, commit, how, state_file)


def _prune(folder: Path, keep: Path) -> None:
    """Keep the few most recently used applied bases (and every commit export they need is cheap to redo)."""
    bases = sorted((entry for entry in folder.iterdir() if entry.is_dir() and entry.name != "source"
                    and (entry / APPLIED_MARKER).is_file()), key=lambda entry: entry.stat().st_mtime, reverse=True)
    for stale in bases[KEEP_BASES:]:
        if stale != keep:
            shutil.rmtree(stale, ignore_errors=True)
