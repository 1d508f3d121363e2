"""`toolkit review ENV --post github` through the CLI, against the fake GitHub server."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.fake_github import FakeGitHub
from toolkit.cli import app
from toolkit.github import review_marker

REPO = Path(__file__).resolve().parents[2]
PLAN_FIXTURE = REPO / "tests" / "fixtures" / "plans" / "current_format.json"
CANARY_TOKEN = "ghs_CANARY_review_cli_51f0e2d8aa"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose staging environment has a saved plan (the review's fixture plan)."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "envs", root / "envs")
    latest = root / ".toolkit" / "envs" / "staging" / "plans" / "latest"
    latest.mkdir(parents=True)
    shutil.copy(PLAN_FIXTURE, latest / "plan.json")
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(root))
    for key in ("GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_EVENT_PATH", "GITHUB_API_URL"):
        monkeypatch.delenv(key, raising=False)
    return root


def actions_environment(fake: FakeGitHub, tmp_path: Path, pull: int) -> dict[str, str]:
    """What GitHub Actions sets for a pull_request workflow."""
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "number": pull, "pull_request": {"number": pull}}))
    return {"GITHUB_REPOSITORY": fake.repository, "GITHUB_EVENT_PATH": str(event), "GITHUB_TOKEN": CANARY_TOKEN,
            "GITHUB_API_URL": fake.url}


def review(env: dict[str, str], *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["review", "staging", "--post", "github", *args], env=env)


def test_first_run_creates_second_run_edits(project: Path, fake_github: FakeGitHub, tmp_path: Path) -> None:
    fake_github.state.token = CANARY_TOKEN
    pull = fake_github.add_pull()
    fake_github.add_comments(pull, [f"chatter {i}" for i in range(130)])
    env = actions_environment(fake_github, tmp_path, pull)

    first = review(env)
    assert first.exit_code == 0, first.output
    comment = next(c for c in fake_github.comments_on(pull) if review_marker("staging") in c["body"])
    assert first.output == f"created the staging review on pull request #{pull}: {comment['html_url']}\n"

    # Someone edits the comment by hand: the next run puts the review back in the same comment.
    comment["body"] = f"{review_marker('staging')}\nstale"
    second = review(env)
    assert second.exit_code == 0, second.output
    assert second.output.startswith(f"updated the staging review on pull request #{pull}: ")
    marked = [c for c in fake_github.comments_on(pull) if review_marker("staging") in c["body"]]
    assert len(marked) == 1
    assert "## Terraform plan review: `staging`" in marked[0]["body"]
    assert fake_github.label_names(pull) == ["destroy"]
    assert CANARY_TOKEN not in first.output + second.output


def test_flags_instead_of_the_event_file(project: Path, fake_github: FakeGitHub) -> None:
    fake_github.state.token = CANARY_TOKEN
    pull = fake_github.add_pull()
    env = {"GITHUB_TOKEN": CANARY_TOKEN, "GITHUB_API_URL": fake_github.url}

    result = review(env, "--repo", fake_github.repository, "--pr", str(pull))

    assert result.exit_code == 0, result.output
    assert len(fake_github.comments_on(pull)) == 1


def test_closed_pull_request_exits_0_without_posting(project: Path, fake_github: FakeGitHub, tmp_path: Path) -> None:
    fake_github.state.token = CANARY_TOKEN
    pull = fake_github.add_pull(state="closed", merged=True)

    result = review(actions_environment(fake_github, tmp_path, pull))

    assert result.exit_code == 0, result.output
    assert result.output == f"not posted: pull request #{pull} is merged\n"
    assert fake_github.comments_on(pull) == []
    assert fake_github.label_names(pull) == []


def test_rate_limit_is_waited_out(project: Path, fake_github: FakeGitHub, tmp_path: Path) -> None:
    fake_github.state.token = CANARY_TOKEN
    pull = fake_github.add_pull()
    fake_github.fail_next("POST", rf"/repos/acme/infra/issues/{pull}/comments", 429, {"retry-after": "1"})

    result = review(actions_environment(fake_github, tmp_path, pull))

    assert result.exit_code == 0, result.output
    posts = [r for r in fake_github.requests if r.method == "POST" and r.path.endswith("/comments")]
    assert len(posts) == 2
    assert len(fake_github.comments_on(pull)) == 1


def test_bad_token_error_is_masked(project: Path, fake_github: FakeGitHub, tmp_path: Path) -> None:
    pull = fake_github.add_pull()  # the server expects another token: it answers 401 and echoes ours

    result = review(actions_environment(fake_github, tmp_path, pull))

    assert result.exit_code == 1, result.output
    assert CANARY_TOKEN not in result.output
    assert result.output.strip() == (
        f"Error: GitHub API GET {fake_github.url}/repos/acme/infra/pulls/{pull} failed: HTTP 401 "
        "(Bad credentials (got 'Bearer ***')); check that GITHUB_TOKEN is valid"
    )


def test_missing_token(project: Path, fake_github: FakeGitHub, tmp_path: Path) -> None:
    env = actions_environment(fake_github, tmp_path, 1)
    env["GITHUB_TOKEN"] = ""

    result = review(env)

    assert result.exit_code == 1, result.output
    assert result.output.strip() == (
        "Error: GITHUB_TOKEN is not set: export a token with issues and pull-requests write access")
    assert fake_github.requests == []
