"""The migrations section of `toolkit review ENV --migrations-base REF` (and of the posted PR comment)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.github import MAX_BODY_CHARACTERS, review_marker

from .conftest import REPOSITORY

PLAN_FIXTURE = REPOSITORY / "tests" / "fixtures" / "plans" / "current_format.json"
cli = CliRunner()


def git(root: Path, *arguments: str) -> str:
    return subprocess.run(["git", "-C", str(root), *arguments], check=True, capture_output=True, text=True,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
                               "GIT_COMMITTER_EMAIL": "t@example.com", "HOME": str(root),
                               "PATH": "/usr/bin:/bin"}).stdout.strip()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A git checkout: staging's saved plan, and db/migrations with 001 merged at the returned base commit."""
    root = tmp_path / "project"
    shutil.copytree(REPOSITORY / "envs", root / "envs")
    latest = root / ".toolkit" / "envs" / "staging" / "plans" / "latest"
    latest.mkdir(parents=True)
    shutil.copy(PLAN_FIXTURE, latest / "plan.json")
    migrations = root / "db" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "001_alunos.sql").write_text("CREATE TABLE alunos (id bigint PRIMARY KEY, nome text);\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "envs", "db")
    git(root, "commit", "-q", "-m", "base")
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(root))
    for key in ("GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_EVENT_PATH", "GITHUB_API_URL"):
        monkeypatch.delenv(key, raising=False)
    return root, git(root, "rev-parse", "HEAD")


def change(root: Path) -> None:
    migrations = root / "db" / "migrations"
    (migrations / "002_nome_longo.sql").write_text(
        "-- Longer names.\nALTER TABLE alunos ALTER COLUMN nome TYPE varchar(300);\n"
        "ALTER TABLE alunos DROP COLUMN cpf;\n")
    with (migrations / "001_alunos.sql").open("a") as handle:
        handle.write("-- edited after the merge\n")


def test_review_of_a_change_adding_a_blocking_alter_table_shows_the_finding(project) -> None:
    root, base = project
    change(root)
    result = cli.invoke(app, ["review", "staging", "--format", "md", "--migrations-base", base])
    assert result.exit_code == 0, result.output
    section = result.stdout[result.stdout.index("### Database migrations"):]
    assert "- **added:** `002_nome_longo.sql`" in section
    assert "- **edited:** `001_alunos.sql`" in section
    assert "**Changed after it was merged:** `001_alunos.sql`" in section
    assert "| `002_nome_longo.sql:2` | `changing-column-type` |" in section
    assert "**Data at risk:** `002_nome_longo.sql:3`" in section
    assert "## Terraform plan review: `staging`" in result.stdout  # the plan review is still there, first
    text = cli.invoke(app, ["review", "staging", "--format", "text", "--no-color", "--migrations-base", base])
    assert "002_nome_longo.sql:2: changing-column-type (squawk)" in text.stdout


def test_no_migration_change_no_section(project) -> None:
    _, base = project
    result = cli.invoke(app, ["review", "staging", "--format", "md", "--migrations-base", base])
    assert result.exit_code == 0 and "Database migrations" not in result.stdout
    bad = cli.invoke(app, ["review", "staging", "--format", "md", "--migrations-base", "no-such-ref"])
    assert bad.exit_code != 0 and "cannot compare migrations with 'no-such-ref'" in bad.output


def test_the_posted_comment_carries_the_section_within_one_comment(project, fake_github, tmp_path) -> None:
    root, base = project
    change(root)
    # Enough findings to need shortening: the comment must still fit.
    (root / "db" / "migrations" / "003_many.sql").write_text(
        "".join(f"ALTER TABLE alunos ALTER COLUMN c{n} TYPE varchar(300);\n" for n in range(600)))
    pull = fake_github.add_pull()
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"number": pull, "pull_request": {"number": pull}}))
    env = {"GITHUB_REPOSITORY": fake_github.repository, "GITHUB_EVENT_PATH": str(event),
           "GITHUB_TOKEN": fake_github.state.token or "ghs_test_token_0000000000000000000",
           "GITHUB_API_URL": fake_github.url}
    fake_github.state.token = env["GITHUB_TOKEN"]
    result = cli.invoke(app, ["review", "staging", "--post", "github", "--migrations-base", base], env=env)
    assert result.exit_code == 0, result.output
    body = next(c["body"] for c in fake_github.comments_on(pull) if review_marker("staging") in c["body"])
    assert len(body) <= MAX_BODY_CHARACTERS
    assert "`002_nome_longo.sql:2` | `changing-column-type`" in body
    assert "more finding(s) not shown: run `toolkit db lint` locally." in body
