"""The in-VPC runner: the handler called directly (Secrets Manager served by moto), the deterministic
package (and the handler run from the unpacked zip alone), and the invoke path (botocore Stubber: the
emulator can create Lambdas but not run them)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import quote

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber
from typer.testing import CliRunner

from tests.support.postgres import SUPERUSER_PASSWORD
from toolkit.cli import app
from toolkit.db.lambda_handler import handler
from toolkit.db.package import FIXED_TIMESTAMP, build_package
from toolkit.db.remote import invoke_runner
from toolkit.errors import MigrationError

from .conftest import AWKWARD_PASSWORD, EXAMPLES, assert_no_password_piece, history

FILES = {
    "001_empresas.sql": "CREATE TABLE empresas (id int PRIMARY KEY);",
    "002_seed.sql": "INSERT INTO empresas VALUES (1);",
}


class FakeContext:
    """The two attributes of the Lambda context object the handler reads."""

    function_name = "escola-dev-migrations"

    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def lambda_environment(aws_environment, postgres_database, make_folder, monkeypatch):
    """The function's environment as modules/migrations-runner sets it, with the secret in moto."""
    secret = boto3.client("secretsmanager").create_secret(
        Name=f"rds!db-{postgres_database.name}",
        SecretString=json.dumps({"username": "postgres", "password": SUPERUSER_PASSWORD}))
    folder = make_folder(FILES)
    monkeypatch.setenv("TOOLKIT_DB_SECRET_ID", secret["ARN"])
    monkeypatch.setenv("TOOLKIT_DB_HOST", "127.0.0.1")
    monkeypatch.setenv("TOOLKIT_DB_PORT", str(postgres_database.server.port))
    monkeypatch.setenv("TOOLKIT_DB_NAME", postgres_database.name)
    monkeypatch.setenv("TOOLKIT_MIGRATIONS_DIR", str(folder))
    monkeypatch.delenv("TOOLKIT_DATABASE_URL", raising=False)
    return folder


def test_handler_migrates_and_reports_structured_json(lambda_environment, postgres_database, capsys) -> None:
    result = handler({"action": "migrate"}, FakeContext(300_000))
    assert result["ok"] is True, result
    assert [(item["version"], item["script"]) for item in result["applied"]] == [(1, "001_empresas.sql"),
                                                                               (2, "002_seed.sql")]
    assert all(isinstance(item["execution_ms"], int) for item in result["applied"])
    assert result["errors"] == [] and result["current_version"] == 2
    assert result["target"] == (f"postgresql://postgres:***@127.0.0.1:{postgres_database.server.port}/"
                                f"{postgres_database.name}?sslmode=disable")
    logged = capsys.readouterr().out
    assert json.loads(logged)["applied"][0]["script"] == "001_empresas.sql"
    assert SUPERUSER_PASSWORD not in logged
    assert [row[0] for row in history(postgres_database)] == [1, 2]
    status = handler({"action": "status"}, None)
    assert [entry["state"] for entry in status["entries"]] == ["applied", "applied"]


def test_handler_reports_a_failure_without_raising(lambda_environment, postgres_database) -> None:
    (lambda_environment / "003_bad.sql").write_text("CREATE TABLE x (id int);\nSELECT 1/0;")
    result = handler({"action": "migrate"}, None)
    assert result["ok"] is False
    assert [item["version"] for item in result["applied"]] == [1, 2]
    error = result["errors"][0]
    assert {key: error[key] for key in ("script", "line", "code", "message", "statement")} == {
        "script": "003_bad.sql", "line": 2, "code": "22012", "message": "division by zero",
        "statement": "SELECT 1/0"}
    assert error["text"].startswith("003_bad.sql, line 2: 22012 division by zero")
    assert [row[0] for row in history(postgres_database)] == [1, 2]


def test_handler_plan_rollback_and_bad_events(lambda_environment, postgres_database) -> None:
    plan = handler({"action": "plan", "target": 1}, None)
    assert [(item["script"], item["sql"]) for item in plan["pending"]] == [("001_empresas.sql",
                                                                            FILES["001_empresas.sql"])]
    assert handler({"action": "drop-everything"}, None)["errors"] == [
        {"message": "unknown action 'drop-everything': choose one of migrate, status, plan, verify, baseline, "
                    "rollback"}]
    assert handler({"action": "rollback"}, None)["errors"] == [
        {"message": "rollback needs the event field 'to' (the version to keep)"}]
    assert handler({"action": "migrate", "target": "1; DROP"}, None)["errors"] == [
        {"message": "event field 'target' must be a version number, got '1; DROP'"}]
    assert history(postgres_database) == []


def test_handler_lock_wait_fits_in_the_remaining_time(lambda_environment, postgres_database) -> None:
    from toolkit.db.runner import advisory_lock_key

    holder = postgres_database.connect()
    try:
        holder.run("SELECT pg_advisory_lock(:key)",
                   key=advisory_lock_key(postgres_database.name, "public", "toolkit_schema_history"))
        # 30.2 s left: the handler keeps 30 s to report, so it waits only 0.2 s instead of 60.
        result = handler({"action": "migrate"}, FakeContext(30_200))
    finally:
        holder.close()
    assert result["ok"] is False
    assert "gave up after waiting 0.2s" in result["errors"][0]["message"]


def test_handler_without_database_configuration(monkeypatch, make_folder) -> None:
    for name in ("TOOLKIT_DB_SECRET_ID", "TOOLKIT_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TOOLKIT_MIGRATIONS_DIR", str(make_folder(FILES)))
    assert handler({}, None)["errors"] == [
        {"message": "the runner has no database: set TOOLKIT_DB_SECRET_ID (or TOOLKIT_DATABASE_URL)"}]


# --- package ------------------------------------------------------------------------------------------

def test_package_is_deterministic_and_complete(tmp_path: Path) -> None:
    first = build_package(EXAMPLES, tmp_path / "a" / "runner.zip")
    second = build_package(EXAMPLES, tmp_path / "b" / "runner.zip")
    assert first.sha256 == second.sha256
    assert (tmp_path / "a" / "runner.zip").read_bytes() == (tmp_path / "b" / "runner.zip").read_bytes()
    with zipfile.ZipFile(first.path) as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert {info.date_time for info in infos} == {FIXED_TIMESTAMP}
    assert {info.external_attr >> 16 for info in infos} == {0o100644}
    for required in ("toolkit/__init__.py", "toolkit/errors.py", "toolkit/db/lambda_handler.py",
                     "toolkit/db/runner.py", "pg8000/native.py", "scramp/core.py", "asn1crypto/x509.py",
                     "dateutil/parser/__init__.py", "six.py", "migrations/001_extensions.sql", "migrations/skip.txt",
                     "migrations/007_indice_alunos_nome.down.sql"):
        assert required in names, required
    assert not [name for name in names if "__pycache__" in name or name.endswith((".pyc", ".so"))]
    assert not [name for name in names if name.startswith(("boto3/", "botocore/", "toolkit/cli/", "typer/",
                                                           "pydantic/"))]
    assert sorted(first.distributions)[0].startswith("asn1crypto==")
    assert first.migrations == _migration_files()


def test_package_rejects_a_bad_folder(tmp_path: Path, make_folder) -> None:
    folder = make_folder({"001_a.sql": ""})
    with pytest.raises(MigrationError) as caught:
        build_package(folder, tmp_path / "out.zip")
    assert str(caught.value) == f"{folder}/001_a.sql: empty migration: the file holds no SQL statement"
    assert not (tmp_path / "out.zip").exists()


def test_unpacked_zip_runs_on_its_own(tmp_path: Path, make_folder, postgres_database) -> None:
    """The zip alone (no site-packages: python -S) applies the bundled migrations."""
    folder = make_folder(FILES)
    package = build_package(folder, tmp_path / "runner.zip")
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(package.path) as archive:
        archive.extractall(unpacked)
    script = ("import json, toolkit, pg8000; from toolkit.db.lambda_handler import handler; "
              "result = handler({'action': 'migrate'}, None); "
              "print('RESULT', json.dumps({'ok': result['ok'], 'applied': [a['version'] for a in result['applied']], "
              "'toolkit': toolkit.__file__, 'pg8000': pg8000.__file__}))")
    completed = subprocess.run([sys.executable, "-S", "-c", script], cwd=unpacked, capture_output=True, text=True,
                               env={"TOOLKIT_DATABASE_URL": postgres_database.dsn, "PATH": "/usr/bin:/bin"},
                               timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout.split("RESULT ", 1)[1])
    assert result["ok"] is True and result["applied"] == [1, 2]
    assert result["toolkit"].startswith(str(unpacked)) and result["pg8000"].startswith(str(unpacked))
    assert [row[0] for row in history(postgres_database)] == [1, 2]


def test_package_command(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(Path(__file__).resolve().parents[2]))
    output = tmp_path / "runner.zip"
    result = CliRunner().invoke(app, ["db", "package", "dev", "--dir", str(EXAMPLES), "--output", str(output),
                                      "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["handler"] == "toolkit.db.lambda_handler.handler"
    assert payload["sha256"] == build_package(EXAMPLES, tmp_path / "again.zip").sha256
    assert payload["migrations"] == _migration_files()


# --- invoke path ----------------------------------------------------------------------------------------

def stubbed_lambda(response_payload: dict, *, function_error: str | None = None,
                   expected_event: dict | None = None):
    client = boto3.client("lambda", region_name="sa-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    raw = json.dumps(response_payload).encode()
    response = {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(raw), len(raw))}
    if function_error:
        response["FunctionError"] = function_error
    stubber.add_response("invoke", response, {
        "FunctionName": "escola-dev-migrations", "InvocationType": "RequestResponse",
        "Payload": json.dumps(expected_event or {"action": "migrate", "out_of_order": False}).encode()})
    stubber.activate()
    return client, stubber


def test_invoke_returns_the_handlers_result(lambda_environment, postgres_database) -> None:
    # The payload is what the real handler returned against the real database.
    handler_result = handler({"action": "migrate", "target": 1}, None)
    client, stubber = stubbed_lambda(handler_result, expected_event={"action": "migrate", "target": 1})
    payload = invoke_runner("escola-dev-migrations", {"action": "migrate", "target": 1}, client=client)
    stubber.assert_no_pending_responses()
    assert payload == json.loads(json.dumps(handler_result))
    assert [item["script"] for item in payload["applied"]] == ["001_empresas.sql"]


def test_invoke_unhandled_function_error(monkeypatch) -> None:
    client, _ = stubbed_lambda({"errorType": "Runtime.ImportModuleError",
                                "errorMessage": "Unable to import module 'toolkit.db.lambda_handler'"},
                               function_error="Unhandled", expected_event={"action": "status"})
    with pytest.raises(MigrationError) as caught:
        invoke_runner("escola-dev-migrations", {"action": "status"}, client=client)
    assert str(caught.value) == ("escola-dev-migrations failed: Runtime.ImportModuleError: Unable to import module "
                                 "'toolkit.db.lambda_handler'")


def test_cli_via_lambda_prints_the_structured_result(lambda_environment, postgres_database, monkeypatch) -> None:
    (lambda_environment / "003_bad.sql").write_text("SELECT 1/0;")
    handler_result = handler({"action": "migrate"}, None)
    client, stubber = stubbed_lambda(handler_result)
    monkeypatch.setattr(boto3, "client", lambda service, **kwargs: client if service == "lambda" else None)
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(Path(__file__).resolve().parents[2]))
    result = CliRunner().invoke(app, ["db", "migrate", "dev", "--via", "lambda", "--function",
                                      "escola-dev-migrations"])
    stubber.assert_no_pending_responses()
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[:2] == ["Runner: escola-dev-migrations",
                                              f"Database: {handler_result['target']}"]
    assert "applied 001_empresas.sql" in result.stdout
    assert result.stderr.startswith("Error: 003_bad.sql, line 1: 22012 division by zero\n")


def test_handler_never_logs_a_raw_password_from_the_dsn(awkward_role, postgres_database, make_folder, monkeypatch,
                                                        capsys) -> None:
    monkeypatch.delenv("TOOLKIT_DB_SECRET_ID", raising=False)
    monkeypatch.setenv("TOOLKIT_MIGRATIONS_DIR", str(make_folder(FILES)))
    base = f"postgresql://{awkward_role}:{{}}@127.0.0.1:{postgres_database.server.port}/{postgres_database.name}"
    # Typed raw (a parse error), then encoded but wrong (a connection error): both end in the logged JSON.
    for password in (AWKWARD_PASSWORD, quote(AWKWARD_PASSWORD[::-1], safe="")):
        monkeypatch.setenv("TOOLKIT_DATABASE_URL", base.format(password))
        result = handler({"action": "migrate"}, None)
        logged = capsys.readouterr().out
        assert result["ok"] is False and result["errors"], result
        assert_no_password_piece(logged)
        assert_no_password_piece(logged, AWKWARD_PASSWORD[::-1])
        assert f"postgresql://{awkward_role}:***@" in result["errors"][0]["message"]
    assert history(postgres_database) == []


def _migration_files() -> int:
    """The example's migrations (up files, the skipped duplicate included): what the package must carry."""
    return len([path for path in EXAMPLES.glob("[0-9]*.sql") if not path.name.endswith(".down.sql")])


def test_handler_log_line_masks_a_password_in_the_failing_statement(lambda_environment, postgres_database,
                                                                    capsys) -> None:
    (lambda_environment / "003_role.sql").write_text("ALTER ROLE no_such_role PASSWORD 'Lambda-Secret-9';")
    result = handler({"action": "migrate"}, None)
    assert result["ok"] is False
    logged = capsys.readouterr().out
    assert "Lambda-Secret-9" not in logged and "Lambda-Secret-9" not in json.dumps(result)
    assert "ALTER ROLE no_such_role PASSWORD '(sensitive)'" in json.loads(logged)["errors"][0]["statement"]
