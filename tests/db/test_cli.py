"""`toolkit db …` through the CLI: output, exit codes, exact errors, nothing written on bad input."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import quote

import boto3
import pytest
from typer.testing import CliRunner

from tests.support.postgres import SUPERUSER_PASSWORD
from toolkit.cli import app
from toolkit.cli.db import DSN_ON_COMMAND_LINE_WARNING

from .conftest import AWKWARD_PASSWORD, REPOSITORY, assert_no_password_piece, history, table_exists

cli = CliRunner()
DSN_WARNING = DSN_ON_COMMAND_LINE_WARNING + "\n"
BASIC = {
    "001_empresas.sql": "CREATE TABLE empresas (id int PRIMARY KEY);",
    "002_seed.sql": "INSERT INTO empresas VALUES (1);",
    "002_seed.down.sql": "DELETE FROM empresas;",
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of envs/ whose dev environment reads migrations from escola_db/ and $ESCOLA_DB_URL."""
    root = tmp_path / "project"
    shutil.copytree(REPOSITORY / "envs", root / "envs")
    with (root / "envs" / "dev.yaml").open("a") as file:
        file.write("migrations:\n  directory: escola_db\n  dsn_env: ESCOLA_DB_URL\n  history_table: escola_history\n"
                   "  lock_timeout_seconds: 5\n")
    (root / "escola_db").mkdir()
    for name, text in BASIC.items():
        (root / "escola_db" / name).write_text(text)
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(root))
    monkeypatch.chdir(root)
    monkeypatch.delenv("TOOLKIT_DATABASE_URL", raising=False)
    monkeypatch.delenv("ESCOLA_DB_URL", raising=False)
    return root


def invoke(*arguments: str):
    result = cli.invoke(app, ["db", *arguments])
    assert SUPERUSER_PASSWORD not in result.output, "the password was printed"
    return result


def masked(database) -> str:
    return f"postgresql://postgres:***@127.0.0.1:{database.server.port}/{database.name}?sslmode=disable"


def test_migrate_status_and_plan_from_the_environment_settings(project, postgres_database, monkeypatch) -> None:
    monkeypatch.setenv("ESCOLA_DB_URL", postgres_database.dsn)
    result = invoke("plan", "dev", "--no-lint")
    assert result.exit_code == 0, result.output
    assert result.output == (f"Database: {masked(postgres_database)}\n"
                             "2 migration(s) would be applied, in this order:\n\n"
                             "-- 001_empresas.sql (in a transaction)\nCREATE TABLE empresas (id int PRIMARY KEY);\n\n"
                             "-- 002_seed.sql (in a transaction)\nINSERT INTO empresas VALUES (1);\n")
    # With the lint (the default): the pending files' findings follow the SQL, with file:line and the rule.
    linted = invoke("plan", "dev")
    assert linted.exit_code == 0, linted.output
    assert "001_empresas.sql:1: prefer-bigint-over-int (squawk)" in linted.output
    assert "Lint of the pending migrations: 2 file(s), 1 finding(s)" in linted.output
    assert not table_exists(postgres_database, "escola_history")

    result = invoke("migrate", "dev")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"Database: {masked(postgres_database)}"
    assert re.fullmatch(r"applied 001_empresas.sql \(\d+ ms\)", lines[1])
    assert re.fullmatch(r"applied 002_seed.sql \(\d+ ms\)", lines[2])
    assert re.fullmatch(r"Applied 2 migration\(s\); current version 002 \(\d+ ms\)\.", lines[3])
    assert [row[0] for row in history(postgres_database, "public.escola_history")] == [1, 2]

    result = invoke("status", "dev")
    assert result.exit_code == 0, result.output
    assert re.sub(r"\S+Z  postgres  \d+$", "<at>  postgres  <ms>", result.output, flags=re.MULTILINE).splitlines() == [
        f"Database: {masked(postgres_database)}",
        'History:  "public"."escola_history" (current version 002)',
        "VERSION  STATE    SCRIPT            APPLIED AT            BY        MS  NOTE",
        "001      applied  001_empresas.sql  <at>  postgres  <ms>",
        "002      applied  002_seed.sql      <at>  postgres  <ms>",
        "0 pending, 0 skipped.",
    ]
    result = invoke("verify", "dev")
    assert (result.exit_code, result.output) == (0, "OK: 2 applied migration(s) match their files; 0 pending.\n")


def test_dsn_and_dir_flags_override_everything(project, postgres_database, make_folder) -> None:
    folder = make_folder({"001_only.sql": "CREATE TABLE only_this (id int);"})
    result = invoke("migrate", "dev", "--dsn", postgres_database.dsn, "--dir", str(folder), "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert (payload["ok"], [item["script"] for item in payload["applied"]], payload["errors"]) == (
        True, ["001_only.sql"], [])
    assert payload["target"] == masked(postgres_database)
    assert table_exists(postgres_database, "only_this")


def test_no_database_configured(project) -> None:
    result = invoke("status", "dev")
    assert result.exit_code == 1, result.output
    assert result.stderr == ("Error: no database to connect to: pass --dsn, set ESCOLA_DB_URL, or pass --secret-id "
                             "(or set migrations.secret_id)\n")


def test_bad_folder_is_reported_before_connecting(project, postgres_database) -> None:
    (project / "escola_db" / "002_duplicate.sql").write_text("SELECT 1;")
    result = invoke("migrate", "dev", "--dsn", postgres_database.dsn)
    assert result.exit_code == 1, result.output
    assert result.stderr == (f"{DSN_WARNING}Error: {project}/escola_db/002_seed.sql: duplicate version 002: "
                             "002_duplicate.sql has the same version\n")
    assert not table_exists(postgres_database, "escola_history")


def test_failing_migration_exits_non_zero_and_writes_no_history_row(project, postgres_database) -> None:
    (project / "escola_db" / "003_bad.sql").write_text("CREATE TABLE ok (id int);\nALTER TABLE nope ADD x int;\n")
    result = invoke("migrate", "dev", "--dsn", postgres_database.dsn)
    assert result.exit_code == 1, result.output
    assert result.stderr == DSN_WARNING + (
        "Error: 003_bad.sql, line 2: 42P01 relation \"nope\" does not exist\n"
        "  statement: ALTER TABLE nope ADD x int\n"
        "the transaction was rolled back: nothing of 003_bad.sql was applied; the lock was released\n"
        "Completed before this failure (kept): 001_empresas.sql, 002_seed.sql\n")
    assert [row[0] for row in history(postgres_database, "public.escola_history")] == [1, 2]
    assert not table_exists(postgres_database, "ok")


def test_verify_fails_on_a_changed_file(project, postgres_database) -> None:
    assert invoke("migrate", "dev", "--dsn", postgres_database.dsn).exit_code == 0
    (project / "escola_db" / "001_empresas.sql").write_text("CREATE TABLE empresas (id bigint PRIMARY KEY);")
    result = invoke("verify", "dev", "--dsn", postgres_database.dsn)
    assert result.exit_code == 1
    assert re.fullmatch(re.escape(DSN_WARNING) + r"Error: 001_empresas.sql was changed after it was applied: "
                        r"checksum [0-9a-f]{64} in history, [0-9a-f]{64} on disk. Nothing was applied\n",
                        result.stderr), result.stderr


def test_baseline_and_rollback(project, postgres_database) -> None:
    postgres_database.query("CREATE TABLE empresas (id int PRIMARY KEY)")
    result = invoke("baseline", "dev", "1", "--dsn", postgres_database.dsn)
    assert result.exit_code == 0, result.output
    assert "Baselined at 001; current version 001" in result.output
    assert invoke("migrate", "dev", "--dsn", postgres_database.dsn).exit_code == 0
    result = invoke("rollback", "dev", "--to", "1", "--dsn", postgres_database.dsn)
    assert result.exit_code == 0, result.output
    assert re.search(r"^rolled back 002_seed.down.sql \(\d+ ms\)$", result.output, re.MULTILINE)
    assert history(postgres_database, "public.escola_history") == [[1, "<< baseline >>", "BASELINE", True]]
    result = invoke("rollback", "dev", "--to", "0", "--dsn", postgres_database.dsn)
    assert (result.exit_code, result.stderr) == (1, f"{DSN_WARNING}Error: cannot roll back below the baseline 001\n")


def test_lock_held_elsewhere_with_lock_timeout_zero(project, postgres_database) -> None:
    from toolkit.db.runner import advisory_lock_key

    holder = postgres_database.connect()
    try:
        holder.run("SELECT pg_advisory_lock(:key)",
                   key=advisory_lock_key(postgres_database.name, "public", "escola_history"))
        result = invoke("migrate", "dev", "--dsn", postgres_database.dsn, "--lock-timeout", "0")
    finally:
        holder.close()
    assert result.exit_code == 1
    assert result.stderr.startswith(DSN_WARNING + 'Error: another migration run holds the lock on '
                                    '"public"."escola_history": session pid ')
    assert not table_exists(postgres_database, "empresas")


def test_secret_from_secrets_manager(project, postgres_database, aws_environment) -> None:
    from toolkit.config import load_environment
    from toolkit.project import Project

    region = load_environment(Project.discover(), "dev").settings.aws_region
    secret_name = f"escola/{postgres_database.name}"
    boto3.client("secretsmanager", region_name=region).create_secret(Name=secret_name, SecretString=json.dumps(
        {"username": "postgres", "password": SUPERUSER_PASSWORD}))
    result = invoke("migrate", "dev", "--secret-id", secret_name, "--host", "127.0.0.1", "--port",
                    str(postgres_database.server.port), "--dbname", postgres_database.name,
                    "--endpoint-url", aws_environment)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"Database: {masked(postgres_database)}"
    assert [row[0] for row in history(postgres_database, "public.escola_history")] == [1, 2]


def test_unknown_environment(project) -> None:
    result = invoke("status", "qa")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: unknown environment 'qa'")


def test_secret_host_and_database_from_the_environment_file(project, postgres_database, aws_environment) -> None:
    from toolkit.config import load_environment
    from toolkit.project import Project

    region = load_environment(Project.discover(), "dev").settings.aws_region
    secret = boto3.client("secretsmanager", region_name=region).create_secret(
        Name=f"configured/{postgres_database.name}",
        SecretString=json.dumps({"username": "postgres", "password": SUPERUSER_PASSWORD}))
    with (project / "envs" / "dev.yaml").open("a") as file:
        file.write(f"  secret_id: {secret['ARN']}\n  host: 127.0.0.1\n  port: {postgres_database.server.port}\n"
                   f"  database_name: {postgres_database.name}\n")
    result = invoke("migrate", "dev", "--endpoint-url", aws_environment)
    assert result.exit_code == 0, result.output
    assert [row[0] for row in history(postgres_database, "public.escola_history")] == [1, 2]


def test_via_lambda_needs_a_function(project) -> None:
    result = invoke("migrate", "dev", "--via", "lambda")
    assert (result.exit_code, result.stderr) == (
        1, "Error: no runner function: pass --function or set migrations.lambda_function\n")


def test_package_writes_into_the_build_folder(project) -> None:
    result = invoke("package", "dev")
    assert result.exit_code == 0, result.output
    zip_path = project / "build" / "dev" / "migrations-runner.zip"
    assert result.output.splitlines()[0].startswith(f"Wrote {zip_path} (")
    assert "handler toolkit.db.lambda_handler.handler" in result.output
    first = zip_path.read_bytes()
    assert invoke("package", "dev").exit_code == 0
    assert zip_path.read_bytes() == first


def test_dsn_with_a_password_on_the_command_line_is_warned_about(project, postgres_database, monkeypatch) -> None:
    result = invoke("status", "dev", "--dsn", postgres_database.dsn)
    assert result.exit_code == 0, result.output
    assert result.stderr == DSN_WARNING
    monkeypatch.setenv("ESCOLA_DB_URL", postgres_database.dsn)
    result = invoke("status", "dev")
    assert (result.exit_code, result.stderr) == (0, ""), result.output


def test_raw_password_in_an_unparsable_dsn_is_never_printed(project, awkward_role, postgres_database) -> None:
    port = postgres_database.server.port
    for dsn in (f"postgresql://{awkward_role}:{AWKWARD_PASSWORD}@127.0.0.1:{port}/{postgres_database.name}",
                f"postgresql://{awkward_role}@127.0.0.1:{port}/{postgres_database.name}?password={AWKWARD_PASSWORD}"):
        for command in ("migrate", "status", "verify"):
            result = invoke(command, "dev", "--dsn", dsn, "--json") if command != "verify" else invoke(
                command, "dev", "--dsn", dsn)
            assert result.exit_code == 1, result.output  # an input error, never 2 ("changes present")
            assert_no_password_piece(result.output)
            assert result.stderr.startswith(DSN_WARNING + "Error: invalid DSN postgresql://"), result.stderr
    assert not table_exists(postgres_database, "escola_history")


def test_password_parameter_form_in_json_output_and_connection_errors(project, awkward_role, postgres_database,
                                                                     monkeypatch) -> None:
    base = f"postgresql://{awkward_role}@127.0.0.1:{postgres_database.server.port}/{postgres_database.name}"
    masked_target = (f"postgresql://{awkward_role}:***@127.0.0.1:{postgres_database.server.port}/"
                     f"{postgres_database.name}?sslmode=disable")
    monkeypatch.setenv("ESCOLA_DB_URL", f"{base}?password={quote(AWKWARD_PASSWORD, safe='')}")
    result = invoke("migrate", "dev", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["target"] == masked_target
    assert_no_password_piece(result.output)
    assert [row[0] for row in history(postgres_database, "public.escola_history")] == [1, 2]
    monkeypatch.setenv("ESCOLA_DB_URL", f"{base}?password={quote(AWKWARD_PASSWORD[::-1], safe='')}")
    result = invoke("status", "dev", "--json")
    assert result.exit_code == 1, result.output
    assert result.stderr == (f"Error: cannot connect to {masked_target}: 28P01 password authentication failed for "
                             f"user \"{awkward_role}\"\n")
    assert_no_password_piece(result.output, AWKWARD_PASSWORD[::-1])


def test_verify_fails_on_an_invalid_index_and_status_shows_it(project, postgres_database, monkeypatch) -> None:
    monkeypatch.setenv("ESCOLA_DB_URL", postgres_database.dsn)
    assert invoke("migrate", "dev").exit_code == 0
    postgres_database.query("INSERT INTO empresas VALUES (2)")
    postgres_database.query("CREATE TABLE dup (a int)")
    postgres_database.query("INSERT INTO dup VALUES (1), (1)")
    with pytest.raises(Exception, match="could not create unique index"):
        postgres_database.query("CREATE UNIQUE INDEX CONCURRENTLY dup_a_key ON dup (a)")
    result = invoke("verify", "dev")
    problem = ("index public.dup_a_key on public.dup is INVALID (a failed CREATE INDEX CONCURRENTLY or REINDEX "
               "CONCURRENTLY left it): queries do not use it, a unique one enforces nothing, and writes still "
               "maintain it. Run 'DROP INDEX CONCURRENTLY IF EXISTS public.dup_a_key;', then its CREATE INDEX "
               "CONCURRENTLY again")
    assert (result.exit_code, result.stderr) == (1, f"Error: {problem}. Nothing was applied\n"), result.output
    result = invoke("status", "dev")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-2:] == ["Invalid indexes:", f"- {problem}"]
    assert json.loads(invoke("status", "dev", "--json").stdout)["invalid_indexes"] == [problem]


def test_session_wide_set_warning_is_printed(project, postgres_database, monkeypatch) -> None:
    monkeypatch.setenv("ESCOLA_DB_URL", postgres_database.dsn)
    (project / "escola_db" / "003_path.sql").write_text("SET search_path = public;\nCREATE TABLE pathed (id int);")
    result = invoke("migrate", "dev")
    assert result.exit_code == 0, result.output
    assert result.stderr == ("Warning: 003_path.sql, line 1: 'SET search_path = public' changes the whole session, "
                             "not just this migration: the runner resets the session before the next file, so it "
                             "ends with this one; write SET LOCAL to scope it to this migration's transaction\n")


def test_skip_manifest_listing_an_applied_version_says_how_to_resolve_it(project, postgres_database,
                                                                         monkeypatch) -> None:
    monkeypatch.setenv("ESCOLA_DB_URL", postgres_database.dsn)
    assert invoke("migrate", "dev").exit_code == 0
    (project / "escola_db" / "skip.txt").write_text("2: seeded by hand in production\n")
    result = invoke("migrate", "dev")
    assert result.exit_code == 1, result.output
    assert re.fullmatch(
        r"Error: 002_seed\.sql is listed in the skip manifest \(seeded by hand in production\) but was applied on "
        rf"\S+: to keep it, remove the line for 002 from {re.escape(str(project))}/escola_db/skip\.txt; to undo it, "
        r"roll it back first \(rollback --to 001, which also undoes every later version\) and keep it listed\. "
        r"Nothing was applied\n", result.stderr), result.stderr


# -- statements echoed, JSON on failure, bad paths (issue 21) --------------------------------------------


def test_plan_and_a_failing_migrate_mask_passwords_written_in_the_sql(project, postgres_database,
                                                                       monkeypatch) -> None:
    monkeypatch.setenv("ESCOLA_DB_URL", postgres_database.dsn)
    (project / "escola_db" / "003_role.sql").write_text(
        "CREATE ROLE app_login LOGIN PASSWORD 'Plan-Secret-7';\nALTER ROLE no_such_role PASSWORD 'Migrate-Secret-8';")
    planned = invoke("plan", "dev")
    assert planned.exit_code == 0, planned.output
    assert "Plan-Secret-7" not in planned.output and "Migrate-Secret-8" not in planned.output
    assert "CREATE ROLE app_login LOGIN PASSWORD '(sensitive)'" in planned.output
    as_json = invoke("plan", "dev", "--json")
    assert "Plan-Secret-7" not in as_json.output
    failed = invoke("migrate", "dev")
    assert failed.exit_code != 0
    assert "Migrate-Secret-8" not in failed.output and "Plan-Secret-7" not in failed.output
    assert "statement: ALTER ROLE no_such_role PASSWORD '(sensitive)'" in failed.output
    postgres_database.query("DROP ROLE IF EXISTS app_login")


def test_migrate_json_prints_the_failure_on_stdout(project, postgres_database, monkeypatch) -> None:
    monkeypatch.setenv("ESCOLA_DB_URL", postgres_database.dsn)
    (project / "escola_db" / "003_bad.sql").write_text("SELECT 1;\nSELECT 1/0;")
    result = invoke("migrate", "dev", "--json")
    assert result.exit_code != 0
    data = json.loads(result.stdout)
    assert data["ok"] is False and [item["version"] for item in data["applied"]] == [1, 2]
    assert (data["errors"][0]["script"], data["errors"][0]["line"]) == ("003_bad.sql", 2)
    # A failure before any migration ran (a bad folder) is JSON too.
    (project / "escola_db" / "004_x.sql").write_text("")
    early = invoke("migrate", "dev", "--json")
    assert early.exit_code != 0
    assert json.loads(early.stdout)["errors"][0]["message"].endswith("empty migration: the file holds no SQL statement")


def test_status_dir_naming_a_file_says_it_is_not_a_folder(project, postgres_database) -> None:
    seed = project / "escola_db" / "002_seed.sql"
    result = invoke("status", "dev", "--dsn", postgres_database.dsn, "--dir", str(seed))
    assert result.exit_code != 0
    assert "is not a folder (it is a file)" in result.output and "does not exist" not in result.output


def test_package_refuses_an_output_folder_that_does_not_exist(project, tmp_path) -> None:
    target = tmp_path / "nonexistent" / "dir" / "x.zip"
    result = invoke("package", "dev", "--output", str(target))
    assert result.exit_code != 0
    assert f"the folder {target.parent} does not exist" in result.output
    assert not (tmp_path / "nonexistent").exists()
