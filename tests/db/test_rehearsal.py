"""`toolkit db migrate ENV --rehearse`: the pending SQL runs for real in one transaction and nothing stays."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.db.rehearsal import rehearse

from .conftest import history, make_runner, table_exists

cli = CliRunner()
FILES = {
    "001_alunos.sql": "CREATE TABLE alunos (id bigint PRIMARY KEY, nome text);\n"
                      "INSERT INTO alunos SELECT n, 'a' || n FROM generate_series(1, 40) AS n;",
    "002_index.sql": "-- toolkit:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS alunos_nome ON alunos (nome);",
    "003_apelido.sql": "ALTER TABLE alunos ADD COLUMN apelido text;\nUPDATE alunos SET apelido = nome WHERE id <= 10;",
}


def test_rehearsal_measures_each_file_and_keeps_nothing(postgres_database, make_folder) -> None:
    folder = make_folder(FILES)
    result = rehearse(make_runner(postgres_database, folder))
    assert result.ok, result.failure_text
    by_script = {item.script: item for item in result.files}
    assert [(item.script, item.status) for item in result.files] == [
        ("001_alunos.sql", "rehearsed"), ("002_index.sql", "not rehearsable"), ("003_apelido.sql", "rehearsed")]
    assert by_script["001_alunos.sql"].rows == 40
    assert by_script["003_apelido.sql"].rows == 10
    # Nothing stays: no table, no history table (it did not exist and was not created).
    assert not table_exists(postgres_database, "alunos")
    assert not table_exists(postgres_database, "public.toolkit_schema_history")


def test_rehearsal_reports_the_locks_a_file_takes_on_an_existing_table(postgres_database, make_folder) -> None:
    folder = make_folder({"001_alunos.sql": FILES["001_alunos.sql"]})
    make_runner(postgres_database, folder).migrate()
    (folder / "002_apelido.sql").write_text(FILES["003_apelido.sql"])
    (folder / "003_index.sql").write_text("CREATE INDEX alunos_apelido ON alunos (apelido);")
    result = rehearse(make_runner(postgres_database, folder))
    assert result.ok, result.failure_text
    by_script = {item.script: item for item in result.files}
    assert ("alunos", "AccessExclusiveLock") in by_script["002_apelido.sql"].locks
    assert by_script["002_apelido.sql"].blocking_locks
    assert table_exists(postgres_database, "alunos")
    assert postgres_database.query("SELECT count(*) FROM information_schema.columns WHERE column_name = 'apelido'") \
        == [[0]]


def test_history_is_untouched_and_a_failing_file_is_named_with_its_line(postgres_database, make_folder) -> None:
    folder = make_folder({"001_alunos.sql": FILES["001_alunos.sql"]})
    make_runner(postgres_database, folder).migrate()
    before = postgres_database.query("SELECT * FROM toolkit_schema_history ORDER BY version")
    (folder / "002_ok.sql").write_text("ALTER TABLE alunos ADD COLUMN email text;")
    (folder / "003_bad.sql").write_text("UPDATE alunos SET email = 'x' WHERE id = 1;\n\nSELECT 1/0;")
    (folder / "004_later.sql").write_text("SELECT 1;")
    result = rehearse(make_runner(postgres_database, folder))
    assert not result.ok
    assert (result.failure.script, result.failure.line, result.failure.code) == ("003_bad.sql", 3, "22012")
    assert result.failure_text.startswith("003_bad.sql, line 3: 22012 division by zero")
    assert [(item.script, item.status) for item in result.files] == [
        ("002_ok.sql", "rehearsed"), ("003_bad.sql", "failed"), ("004_later.sql", "not reached")]
    assert postgres_database.query("SELECT * FROM toolkit_schema_history ORDER BY version") == before
    assert [row[0] for row in history(postgres_database)] == [1]
    columns = postgres_database.query("SELECT column_name FROM information_schema.columns "
                                      "WHERE table_name = 'alunos' ORDER BY 1")
    assert columns == [["id"], ["nome"]]
    assert postgres_database.query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == [[0]]


def test_cli_rehearse_text_json_and_exit_code(postgres_database, make_folder) -> None:
    folder = make_folder(FILES)
    arguments = ["db", "migrate", "dev", "--dsn", postgres_database.dsn, "--dir", str(folder), "--rehearse"]
    result = cli.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    assert "rehearsed       001_alunos.sql (" in result.stdout and "40 row(s) touched" in result.stdout
    assert "not rehearsable 002_index.sql" in result.stdout
    assert "Rolled back: nothing was applied, history is untouched" in result.stdout
    data = json.loads(cli.invoke(app, [*arguments, "--json"]).stdout)
    assert data["ok"] is True and data["rolled_back"] is True
    (folder / "004_bad.sql").write_text("SELECT nope;")
    failed = cli.invoke(app, arguments)
    assert failed.exit_code != 0
    assert "004_bad.sql, line 1: 42703" in failed.output
    assert not table_exists(postgres_database, "alunos")


def test_a_migration_cannot_commit_its_way_out_of_the_rehearsal(postgres_database, make_folder) -> None:
    folder = make_folder({
        "001_t.sql": "CREATE TABLE kept_by_mistake (id bigint);",
        "002_commit.sql": "DO $$ BEGIN COMMIT; END $$;",
    })
    result = rehearse(make_runner(postgres_database, folder))
    assert not result.ok and result.failure.script == "002_commit.sql"
    assert result.failure.code == "2D000"  # invalid transaction termination
    assert not table_exists(postgres_database, "kept_by_mistake")


def test_a_migration_that_ends_its_own_session_leaves_nothing(postgres_database, make_folder) -> None:
    folder = make_folder({
        "001_t.sql": "CREATE TABLE kept_by_mistake (id bigint);",
        "002_kill.sql": "SELECT pg_terminate_backend(pg_backend_pid());",
    })
    result = rehearse(make_runner(postgres_database, folder))
    assert not result.ok and result.failure.script == "002_kill.sql"
    assert not table_exists(postgres_database, "kept_by_mistake")
    assert history(postgres_database) == []


def test_hostile_relation_names_are_printed_escaped(postgres_database, make_folder) -> None:
    postgres_database.query('CREATE TABLE "evil\x1b[2J" (id bigint)')
    folder = make_folder({"001_t.sql": 'ALTER TABLE "evil\x1b[2J" ADD COLUMN a text;'})
    result = cli.invoke(app, ["db", "migrate", "dev", "--dsn", postgres_database.dsn, "--dir", str(folder),
                              "--rehearse"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "evil\\x1b[2J" in result.stdout
