"""Canary secrets never reach a toolkit artifact or output.

Canaries: a sensitive root variable given as TF_VAR_db_password (the sandbox root's own sensitive variable),
a sensitive output echoing it (added to this test's copy of the root), a database password in Secrets
Manager (the emulator) read by `toolkit db --secret-id`, and a GitHub token. The whole life cycle runs —
render, plan, review in every format, apply, a second apply with its checkpoint, rollback (dry run, executed,
journal), checkpoints, drift, db, review --post github — and every captured output and every file under the
project's build/ and .toolkit/ is searched. Terraform's own state and binary plan files are left out: Terraform
stores sensitive values in them by design (see docs/SECURITY.md: state is encrypted at rest); the last test
proves that it does, so the exclusion is not hiding a toolkit leak.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.reliability.conftest import (
    EmulatorProject,
    Result,
    bootstrap_backend,
    make_emulator_project,
    run_cli,
    sandbox_environment,
)
from tests.support.fake_github import FAKE_TOKEN, FakeGitHub
from tests.support.moto_server import MotoServer
from tests.support.postgres import PostgresDatabase

pytestmark = pytest.mark.slow
PROJECT = "rel-secret"
ENV = "sandbox"
VARIABLE_CANARY = "CANARY-tfvar-7c1d9e4b"
SECRETS_MANAGER_CANARY = "CANARY-sm-password-52af0c"
WRONG_PASSWORD_CANARY = "CANARY-sm-wrong-9d1e77"
GITHUB_CANARY = "ghs_CANARYtokenNotTheRealOne0042"
CANARIES = (VARIABLE_CANARY, SECRETS_MANAGER_CANARY, WRONG_PASSWORD_CANARY, GITHUB_CANARY)
SENSITIVE_OUTPUT = """\
# Test only: a sensitive output carrying the sensitive variable, so the canary reaches outputs too.
output "db_password_echo" {
  description = "The database password (test canary)."
  value       = var.db_password
  sensitive   = true
}
"""
# Files where Terraform itself keeps sensitive values (state, binary plan) and the provider binaries.
TERRAFORM_OWN = (".tfstate", ".tfstate.backup", ".tfplan")

captured: list[tuple[str, str]] = []


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, emulator_variables: pytest.MonkeyPatch) -> EmulatorProject:
    created = make_emulator_project(tmp_path_factory.mktemp("secrets"), PROJECT, {ENV: sandbox_environment(PROJECT)})
    (created.root / "examples" / "sandbox" / "canary_outputs.tf").write_text(SENSITIVE_OUTPUT, encoding="utf-8")
    emulator_variables.setenv("TOOLKIT_PROJECT_DIR", str(created.root))
    emulator_variables.setenv("TF_VAR_db_password", VARIABLE_CANARY)
    emulator_variables.chdir(created.root)
    bootstrap_backend(created, ENV)
    return created


def run(*arguments: str) -> Result:
    """Run the CLI and keep its output for the final search."""
    result = run_cli(*arguments)
    captured.append((" ".join(arguments), result.output))
    return result


def leaks(text: str) -> list[str]:
    return [canary for canary in CANARIES if canary in text]


def artifacts(root: Path) -> list[Path]:
    """Every toolkit-written file under build/ and .toolkit/ (not Terraform's own state and plan files)."""
    found = []
    for top in (root / "build", root / ".toolkit"):
        for path in top.rglob("*"):
            if not path.is_file() or path.is_symlink() or "providers" in path.parts:
                continue
            if path.name.endswith(TERRAFORM_OWN):
                continue
            found.append(path)
    return found


def test_life_cycle_with_canaries(project: EmulatorProject, moto_server: MotoServer) -> None:
    reviews = project.root / "build" / "reviews"
    reviews.mkdir(parents=True)
    steps = [
        ("render", ENV), ("envs", "show", ENV), ("plan", ENV),
        ("review", ENV, "--format", "md"), ("review", ENV, "--format", "json"),
        ("review", ENV, "--format", "text", "--no-color"),
        ("review", ENV, "--output", str(reviews / "review.md")),
        ("review", ENV, "--output", str(reviews / "review.json")),
        ("review", ENV, "--output", str(reviews / "review.txt")),
        ("apply", ENV),
    ]
    for arguments in steps:
        result = run(*arguments)
        assert result.exit_code in (0, 2), result.output
    project.set_max_tasks(ENV, 5)
    for arguments in [("plan", ENV, "--json"), ("apply", ENV, "--json"), ("checkpoints", ENV, "--json"),
                      ("rollback", ENV, "--tier", "short"), ("rollback", ENV, "--tier", "immediate", "--format", "md"),
                      ("rollback", ENV, "--step", "terraform-state", "--yes"), ("rollback", ENV, "--journal"),
                      ("drift", ENV, "--format", "md", "--output", str(reviews / "drift.md")), ("unlock", ENV)]:
        result = run(*arguments)
        assert result.exit_code in (0, 2), result.output
    assert project.checkpoints(ENV)[-1]["apply"]["result"] == "success"
    assert (reviews / "review.md").is_file() and (reviews / "drift.md").is_file()


def test_secrets_manager_password_is_never_printed(project: EmulatorProject, moto_server: MotoServer,
                                                   postgres_database: PostgresDatabase, tmp_path: Path) -> None:
    role = "canary_owner"
    postgres_database.query(f"DROP ROLE IF EXISTS {role}")
    postgres_database.query(f"CREATE ROLE {role} LOGIN PASSWORD '{SECRETS_MANAGER_CANARY}'")
    postgres_database.query(f'ALTER DATABASE "{postgres_database.name}" OWNER TO {role}')
    secrets = moto_server.client("secretsmanager")
    for name, password in (("rel/db/right", SECRETS_MANAGER_CANARY), ("rel/db/wrong", WRONG_PASSWORD_CANARY)):
        secrets.create_secret(Name=name, SecretString=json.dumps({"username": role, "password": password}))
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "001_canary.sql").write_text("CREATE TABLE canary (id int);", encoding="utf-8")
    where = ["--host", "127.0.0.1", "--port", str(postgres_database.server.port), "--dbname",
             postgres_database.name, "--dir", str(folder)]
    try:
        for command in ("plan", "migrate", "status", "verify"):
            result = run("db", command, ENV, "--secret-id", "rel/db/right", *where)
            assert result.exit_code == 0, result.output
            if command != "verify":
                assert f"postgresql://{role}:***@127.0.0.1" in result.output
        refused = run("db", "status", ENV, "--secret-id", "rel/db/wrong", *where)
        assert refused.exit_code == 1, refused.output
        assert "Traceback" not in refused.output and f"{role}:***@" in refused.stderr
    finally:
        postgres_database.query(f'ALTER DATABASE "{postgres_database.name}" OWNER TO postgres')
        postgres_database.query(f"DROP OWNED BY {role} CASCADE")
        postgres_database.query(f"DROP ROLE {role}")


def test_github_token_is_never_printed(project: EmulatorProject, fake_github: FakeGitHub,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    number = fake_github.add_pull()
    monkeypatch.setenv("GITHUB_API_URL", fake_github.url)
    monkeypatch.setenv("GITHUB_REPOSITORY", fake_github.repository)
    monkeypatch.setenv("GITHUB_TOKEN", GITHUB_CANARY)
    refused = run("review", ENV, "--post", "github", "--pr", str(number))
    assert refused.exit_code == 1, refused.output
    assert "Traceback" not in refused.output and "401" in refused.stderr
    monkeypatch.setenv("GITHUB_TOKEN", FAKE_TOKEN)
    posted = run("review", ENV, "--post", "github", "--pr", str(number))
    assert posted.exit_code == 0, posted.output
    bodies = " ".join(comment["body"] for comment in fake_github.comments_on(number))
    assert leaks(bodies) == [] and FAKE_TOKEN not in bodies and FAKE_TOKEN not in posted.output


def test_no_canary_in_any_output() -> None:
    assert len(captured) >= 24, "the life cycle above ran"
    leaked = {command: leaks(output) for command, output in captured if leaks(output)}
    assert leaked == {}


def test_no_canary_in_any_artifact(project: EmulatorProject, moto_server: MotoServer) -> None:
    files = artifacts(project.root)
    names = {path.name for path in files}
    assert {"terraform.tfvars", "metadata.json", "review.md", "review.json", "review.txt", "drift.md",
            "journal.jsonl"} <= names | {"journal.jsonl"}, sorted(names)
    leaked = {str(path.relative_to(project.root)): leaks(path.read_text(encoding="utf-8", errors="replace"))
              for path in files if path.name != "plan.json"}
    # The checkpoints (and any rollback journal) live beside the S3 state: every record there is searched too.
    s3 = moto_server.client("s3")
    bucket = project.read_environment(ENV)["backend"]["bucket"]
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []) if "/toolkit/" in item["Key"]]
    assert any("/toolkit/checkpoints/" in key for key in keys), keys
    for key in keys:
        leaked[f"s3://{bucket}/{key}"] = leaks(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode())
    assert {path: found for path, found in leaked.items() if found} == {}


def test_saved_plan_json_holds_no_sensitive_value(project: EmulatorProject) -> None:
    """plan.json of `toolkit plan` and of `toolkit drift` (terraform show -json) are saved redacted."""
    plan_files = [path for path in artifacts(project.root) if path.name == "plan.json"]
    assert {path.parent.parent.name for path in plan_files} == {"plans", "sandbox"}, plan_files
    leaked = [str(path) for path in plan_files if leaks(path.read_text(encoding="utf-8"))]
    assert leaked == []


def test_terraform_itself_keeps_the_secret_in_state_and_plan(project: EmulatorProject,
                                                             moto_server: MotoServer) -> None:
    """Why docs/SECURITY.md requires encrypted state: the exclusion above is Terraform's, not a toolkit leak."""
    state = project.state(moto_server, ENV)
    assert state["outputs"]["db_password_echo"] == {"value": VARIABLE_CANARY, "type": "string", "sensitive": True}
    plan_files = list((project.data_dir(ENV) / "plans").glob("*/plan.tfplan"))
    assert plan_files and all(path.stat().st_mode & 0o077 == 0 or path.parent.stat().st_mode & 0o077 == 0
                              for path in plan_files), "plans sit in folders only their owner can read"
