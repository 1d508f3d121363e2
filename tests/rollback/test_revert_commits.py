"""What "still to do" tells the responder to revert: the commits that changed the environment's configuration since
what was live at the checkpoint, never a merge (git reverts one only with -m) nor an unrelated commit that happened
to be HEAD when the bad apply ran (a newcomer's `git revert` of a merge commit failed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.git_repo import commit_all, git, init_repository
from toolkit.rollback.commits import commits_to_revert


def _write(root: Path, name: str, text: str) -> None:
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(text, encoding="utf-8")


@pytest.fixture
def history(tmp_path: Path) -> dict[str, str]:
    root = tmp_path / "project"
    for name in ("envs/defaults.yaml", "envs/local.yaml", "envs/prod.yaml", "terraform/main.tf", "README.md"):
        _write(root, name, "# v1\n")
    commits = {"root": str(tmp_path / "project"), "live": init_repository(root)}
    branch = git(root, "rev-parse", "--abbrev-ref", "HEAD").strip()
    git(root, "checkout", "-q", "-b", "feature")
    _write(root, "envs/local.yaml", "compute:\n  container_image: app:broken\n")
    commits["image"] = commit_all(root, "the broken image")
    _write(root, "terraform/main.tf", "# v2\n")
    commits["root_module"] = commit_all(root, "a root module change")
    git(root, "checkout", "-q", branch)
    _write(root, "README.md", "# docs only\n")
    commits["docs"] = commit_all(root, "docs")
    _write(root, "envs/prod.yaml", "# prod only\n")
    commits["prod"] = commit_all(root, "another environment")
    git(root, "merge", "-q", "--no-edit", "--no-ff", "feature")
    commits["merge"] = git(root, "rev-parse", "HEAD").strip()
    return commits


def test_the_configuration_commits_since_the_live_one_not_the_merge_nor_unrelated_ones(history: dict[str, str]) -> None:
    found = commits_to_revert(Path(history["root"]), "local", history["live"], [history["merge"]])
    assert found == [history["root_module"], history["image"]]  # newest first, as git revert wants them


def test_git_unable_to_tell_falls_back(history: dict[str, str], tmp_path: Path) -> None:
    root = Path(history["root"])
    assert commits_to_revert(root, "local", None, [history["merge"]]) is None  # no live commit recorded
    assert commits_to_revert(root, "local", "0" * 40, [history["merge"]]) is None  # not in this clone
    assert commits_to_revert(tmp_path / "not-a-repository", "local", history["live"], [history["merge"]]) is None


def test_an_edited_record_never_reaches_git(history: dict[str, str]) -> None:
    root = Path(history["root"])
    for hostile in ("--output=/tmp/owned", "HEAD", "abc; rm -rf /", "a" * 65):
        assert commits_to_revert(root, "local", hostile, [history["merge"]]) is None
        assert commits_to_revert(root, "local", history["live"], [hostile]) is None
    assert not Path("/tmp/owned").exists()


def test_an_apply_that_changed_no_configuration_has_nothing_to_revert(history: dict[str, str]) -> None:
    root = Path(history["root"])
    assert commits_to_revert(root, "local", history["image"], [history["image"]]) == []


def test_a_live_commit_that_is_not_an_ancestor_names_nothing_to_revert(history: dict[str, str]) -> None:
    """A rebased branch: `live..HEAD` would list the rebased copy of what was live, and reverting it undoes the good
    configuration (a review's finding): git cannot tell, so the applied commits are named instead."""
    root = Path(history["root"])
    git(root, "checkout", "-q", "-b", "rebased", history["live"])
    _write(root, "envs/local.yaml", "# live, on a branch later rebased\n")
    live = commit_all(root, "live on a side branch")
    git(root, "checkout", "-q", "-")
    assert commits_to_revert(root, "local", live, [history["merge"]]) is None


def test_the_environments_own_root_module_counts(tmp_path: Path) -> None:
    root = tmp_path / "project"
    for name in ("envs/defaults.yaml", "envs/sandbox.yaml", "examples/sandbox/main.tf"):
        _write(root, name, "# v1\n")
    live = init_repository(root)
    _write(root, "examples/sandbox/main.tf", "# broken\n")
    broken = commit_all(root, "the sandbox root changed")
    assert commits_to_revert(root, "sandbox", live, [broken]) == []  # terraform/ only: not this root
    assert commits_to_revert(root, "sandbox", live, [broken], ["examples/sandbox"]) == [broken]


def _still_to_do(root: Path, live: str, applied: list[str], terraform_root: str | None = None) -> list[tuple[str, str]]:
    """still_to_do of an executed run whose checkpoint recorded `live` and whose undone applies ran on `applied`."""
    from types import SimpleNamespace

    from toolkit.rollback.runbook import still_to_do

    run = SimpleNamespace(environment="local", execute=True, checkpoint=SimpleNamespace(autoscaling={}, id="cp"),
                          loaded={"undone": SimpleNamespace(commits=lambda: applied)},
                          store=SimpleNamespace(live_configuration=lambda checkpoint: SimpleNamespace(
                              git_commit=live, terraform_root=terraform_root)),
                          project=SimpleNamespace(root=root), facts=SimpleNamespace(values={}))
    request = SimpleNamespace(undo_run=False, options=SimpleNamespace(resume_scaling=False), region=None,
                              endpoint_url=None)
    return still_to_do(run, request, [])  # type: ignore[arg-type]


def test_an_apply_on_the_live_commit_itself_was_an_uncommitted_edit(history: dict[str, str]) -> None:
    """The demo's case: the bad image was an edit in the working tree, applied on the commit that was live. "Nothing
    to revert" with `git log X..X` (empty) told the responder nothing; the diff against the live commit shows it."""
    live = history["image"]
    [(why, command), _] = _still_to_do(Path(history["root"]), live, [live])
    assert "never committed" in why and live[:12] in why
    assert command == f"git diff {live[:12]} -- envs/defaults.yaml envs/local.yaml terraform modules"


def test_later_commits_that_changed_nothing_of_the_environment_point_at_the_log(history: dict[str, str]) -> None:
    live, applied = history["docs"], history["prod"]  # only another environment's file changed in between
    [(why, command), _] = _still_to_do(Path(history["root"]), live, [applied])
    assert "nothing to revert" in why
    assert command.startswith(f"git log {live[:12]}..{applied[:12]} -- envs/defaults.yaml envs/local.yaml")


@pytest.mark.parametrize("hostile", ["terraform $(touch /tmp/pwned)", "terraform; rm -rf ~", "../../etc", "-p",
                                     "terraform `id`", "a b", ".git", "terraform\nrm -rf /"])
def test_an_edited_root_folder_never_reaches_the_pasted_command(history: dict[str, str], hostile: str) -> None:
    """The checkpoint's terraform_root comes from a record anyone with the bucket can edit, and the hint is pasted
    into a shell (a review's finding): only a plain relative folder is named; anything else is left out."""
    live = history["image"]
    [(_, command), _] = _still_to_do(Path(history["root"]), live, [live], terraform_root=hostile)
    assert command == f"git diff {live[:12]} -- envs/defaults.yaml envs/local.yaml terraform modules"


def test_a_plain_root_folder_is_named(history: dict[str, str]) -> None:
    live = history["image"]
    [(_, command), _] = _still_to_do(Path(history["root"]), live, [live], terraform_root="examples/sandbox/")
    assert command.endswith("envs/local.yaml examples/sandbox modules")
