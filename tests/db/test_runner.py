"""The runner against a real PostgreSQL 15: history, atomicity, validation, skips, baseline, rollback."""

from __future__ import annotations

import pytest

from toolkit.db.runner import MigrationFailed, State
from toolkit.errors import MigrationError

from .conftest import advisory_locks, history, make_runner, table_exists

BASIC = {
    "001_create_empresas.sql": "CREATE TABLE empresas (id int PRIMARY KEY, nome text NOT NULL);",
    "002_seed.sql": "INSERT INTO empresas VALUES (1, 'Escola Alfa');\nINSERT INTO empresas VALUES (2, 'Beta');",
    "005_escolas.sql": "CREATE TABLE escolas (id int PRIMARY KEY, empresa_id int REFERENCES empresas);",
}


def test_migrate_applies_in_order_and_records_history(postgres_database, make_folder) -> None:
    runner = make_runner(postgres_database, make_folder(BASIC))
    result = runner.migrate()
    assert [item.script for item in result.applied] == ["001_create_empresas.sql", "002_seed.sql",
                                                        "005_escolas.sql"]
    assert result.current_version == 5
    rows = postgres_database.query(
        "SELECT version, description, script, checksum, applied_by, applied_at IS NOT NULL, execution_ms >= 0, "
        "success FROM toolkit_schema_history ORDER BY installed_rank")
    files = runner.migrations.by_version()
    assert rows == [
        [1, "create_empresas", "001_create_empresas.sql", files[1].up.checksum, "postgres", True, True, True],
        [2, "seed", "002_seed.sql", files[2].up.checksum, "postgres", True, True, True],
        [5, "escolas", "005_escolas.sql", files[5].up.checksum, "postgres", True, True, True],
    ]
    assert postgres_database.query("SELECT count(*) FROM empresas") == [[2]]
    assert advisory_locks(postgres_database) == 0


def test_second_run_applies_nothing(postgres_database, make_folder) -> None:
    runner = make_runner(postgres_database, make_folder(BASIC))
    runner.migrate()
    again = runner.migrate()
    assert again.applied == [] and again.message == "database is up to date"
    assert postgres_database.query("SELECT count(*) FROM empresas") == [[2]]


def test_target_stops_at_version(postgres_database, make_folder) -> None:
    runner = make_runner(postgres_database, make_folder(BASIC))
    assert [item.version for item in runner.migrate(target_version=2).applied] == [1, 2]
    assert [entry.state for entry in runner.status().entries] == [State.applied, State.applied, State.pending]


def test_configurable_schema_and_table(postgres_database, make_folder) -> None:
    runner = make_runner(postgres_database, make_folder(BASIC), schema="ops", history_table="migrations_log")
    runner.migrate()
    assert [row[0] for row in history(postgres_database, "ops.migrations_log")] == [1, 2, 5]
    assert not table_exists(postgres_database, "public.toolkit_schema_history")


def test_failing_migration_rolls_back_entirely_and_names_file_line_and_code(postgres_database,
                                                                           make_folder) -> None:
    folder = make_folder({
        "001_ok.sql": "CREATE TABLE a (id int);",
        "002_broken.sql": "CREATE TABLE b (id int);\n\n-- the next statement fails at run time\n"
                          "INSERT INTO b\nVALUES (1 / 0);\nCREATE TABLE c (id int);",
        "003_never.sql": "CREATE TABLE d (id int);",
    })
    with pytest.raises(MigrationFailed) as caught:
        make_runner(postgres_database, folder).migrate()
    assert str(caught.value) == (
        "002_broken.sql, line 4: 22012 division by zero\n"
        "  statement: INSERT INTO b\n"
        "the transaction was rolled back: nothing of 002_broken.sql was applied; the lock was released\n"
        "Completed before this failure (kept): 001_ok.sql")
    failure = caught.value.failure
    assert (failure.script, failure.line, failure.code) == ("002_broken.sql", 4, "22012")
    assert history(postgres_database) == [[1, "001_ok.sql", "SQL", True]]
    assert table_exists(postgres_database, "a")
    assert not table_exists(postgres_database, "b")
    assert advisory_locks(postgres_database) == 0


def test_syntax_error_line_uses_the_server_position(postgres_database, make_folder) -> None:
    folder = make_folder({"001_typo.sql": "SELECT 1;\nCREATE TABLE t (\n  id int,\n  name txet\n);"})
    with pytest.raises(MigrationFailed) as caught:
        make_runner(postgres_database, folder).migrate()
    assert str(caught.value).splitlines()[:2] == [
        "001_typo.sql, line 4: 42704 type \"txet\" does not exist", "  statement: CREATE TABLE t ("]
    assert history(postgres_database) == []


def test_statement_that_needs_no_transaction_gets_a_hint(postgres_database, make_folder) -> None:
    folder = make_folder({"001_t.sql": "CREATE TABLE t (a int);",
                          "002_i.sql": "CREATE INDEX CONCURRENTLY t_a ON t (a);"})
    with pytest.raises(MigrationFailed) as caught:
        make_runner(postgres_database, folder).migrate()
    assert str(caught.value).splitlines()[0] == (
        "002_i.sql, line 1: 25001 CREATE INDEX CONCURRENTLY cannot run inside a transaction block")
    assert "declare '-- toolkit:no-transaction' in the file" in str(caught.value)


def test_no_transaction_migration(postgres_database, make_folder) -> None:
    folder = make_folder({
        "001_t.sql": "CREATE TABLE t (a int);",
        "002_index.sql": "-- toolkit:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_a ON t (a);",
    })
    result = make_runner(postgres_database, folder).migrate()
    assert [item.version for item in result.applied] == [1, 2]
    assert postgres_database.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_a'::regclass") == [[True]]


def test_no_transaction_failure_gives_the_exact_recovery_step(postgres_database, make_folder) -> None:
    folder = make_folder({
        "001_t.sql": "CREATE TABLE t (a int);\nINSERT INTO t VALUES (1), (1);",
        "002_unique.sql": "-- toolkit:no-transaction\nCREATE TABLE IF NOT EXISTS side (x int);\n"
                          "CREATE UNIQUE INDEX CONCURRENTLY t_a_key ON public.t (a);",
    })
    with pytest.raises(MigrationFailed) as caught:
        make_runner(postgres_database, folder).migrate()
    assert str(caught.value) == (
        "002_unique.sql, line 3: 23505 could not create unique index \"t_a_key\"\n"
        "  statement: CREATE UNIQUE INDEX CONCURRENTLY t_a_key ON public.t (a)\n"
        "  Key (a)=(1) is duplicated.\n"
        "002_unique.sql declares '-- toolkit:no-transaction', so it ran outside a transaction and is not "
        "recorded in history. Recovery: statement(s) before it (line 2) were committed and are NOT recorded in "
        "history: undo them or make them idempotent (IF NOT EXISTS); a failed CREATE INDEX CONCURRENTLY "
        "leaves an INVALID index behind: run 'DROP INDEX CONCURRENTLY IF EXISTS public.t_a_key;'; then run "
        "migrate again\n"
        "Completed before this failure (kept): 001_t.sql")
    assert history(postgres_database) == [[1, "001_t.sql", "SQL", True]]
    # The recovery step is the right one: the invalid index exists until it is dropped.
    assert postgres_database.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_a_key'::regclass") == [
        [False]]
    assert advisory_locks(postgres_database) == 0


def test_changed_checksum_is_an_error_with_both_checksums(postgres_database, make_folder) -> None:
    folder = make_folder(BASIC)
    runner = make_runner(postgres_database, folder)
    runner.migrate()
    old = runner.migrations.by_version()[2].up.checksum
    (folder / "002_seed.sql").write_text("INSERT INTO empresas VALUES (3, 'Gama');")
    (folder / "006_more.sql").write_text("CREATE TABLE more (id int);")
    changed = make_runner(postgres_database, folder)
    new = changed.migrations.by_version()[2].up.checksum
    expected = (f"002_seed.sql was changed after it was applied: checksum {old} in history, {new} on disk. "
                "Nothing was applied")
    for action in (changed.migrate, changed.verify, changed.plan):
        with pytest.raises(MigrationError) as caught:
            action()
        assert str(caught.value) == expected
    assert not table_exists(postgres_database, "more")
    assert [entry.state for entry in changed.status().entries][1] is State.changed


def test_missing_applied_file_is_an_error(postgres_database, make_folder) -> None:
    folder = make_folder(BASIC)
    make_runner(postgres_database, folder).migrate()
    (folder / "002_seed.sql").unlink()
    runner = make_runner(postgres_database, folder)
    with pytest.raises(MigrationError) as caught:
        runner.verify()
    applied_at = postgres_database.query(
        "SELECT to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
        "FROM toolkit_schema_history WHERE version = 2")[0][0]
    assert str(caught.value) == (f"002_seed.sql (version 002) was applied on {applied_at} but is missing from "
                                 f"{folder}. Nothing was applied")


def test_out_of_order_pending_is_refused_unless_allowed(postgres_database, make_folder) -> None:
    folder = make_folder(BASIC)
    make_runner(postgres_database, folder).migrate()
    (folder / "003_late.sql").write_text("CREATE TABLE late (id int);")
    (folder / "004_later.sql").write_text("CREATE TABLE later (id int);")
    with pytest.raises(MigrationError) as caught:
        make_runner(postgres_database, folder).migrate()
    assert str(caught.value) == (
        "2 problems, nothing was applied:\n"
        "- 003_late.sql is pending but older than the newest applied migration 005_escolas.sql: apply it with "
        "--out-of-order, or renumber it above 005\n"
        "- 004_later.sql is pending but older than the newest applied migration 005_escolas.sql: apply it with "
        "--out-of-order, or renumber it above 005")
    assert not table_exists(postgres_database, "late")
    result = make_runner(postgres_database, folder, out_of_order=True).migrate()
    assert [item.version for item in result.applied] == [3, 4]
    assert [row[0] for row in history(postgres_database)] == [1, 2, 3, 4, 5]
    assert make_runner(postgres_database, folder).verify().problems == ()


def test_skip_manifest_skips_and_shows_in_status(postgres_database, make_folder) -> None:
    seed = "INSERT INTO empresas VALUES (7, 'Duplicada');"
    folder = make_folder({"001_t.sql": BASIC["001_create_empresas.sql"], "008_seed.sql": seed, "009_seed.sql": seed,
                          "010_after.sql": "CREATE TABLE after (id int);", "skip.txt": "009: duplicates 008\n"})
    runner = make_runner(postgres_database, folder)
    assert [item.version for item in runner.migrate().applied] == [1, 8, 10]
    entries = {entry.version: entry for entry in runner.status().entries}
    assert (entries[9].state, entries[9].note) == (State.skipped, "duplicates 008")
    assert runner.status().pending == ()


def test_skipping_an_applied_version_is_an_error(postgres_database, make_folder) -> None:
    folder = make_folder({"001_t.sql": "CREATE TABLE t (id int);", "002_u.sql": "CREATE TABLE u (id int);"})
    make_runner(postgres_database, folder).migrate()
    (folder / "skip.txt").write_text("002: not wanted\n")
    with pytest.raises(MigrationError) as caught:
        make_runner(postgres_database, folder).verify()
    assert str(caught.value).startswith("002_u.sql is listed in the skip manifest (not wanted) but was applied on ")


def test_baseline_marks_existing_database(postgres_database, make_folder) -> None:
    postgres_database.query("CREATE TABLE empresas (id int PRIMARY KEY, nome text NOT NULL)")
    folder = make_folder(BASIC)
    runner = make_runner(postgres_database, folder)
    runner.baseline(1)
    states = [entry.state for entry in runner.status().entries]
    assert states == [State.baseline, State.pending, State.pending]
    assert [item.version for item in runner.migrate().applied] == [2, 5]
    assert history(postgres_database) == [[1, "<< baseline >>", "BASELINE", True], [2, "002_seed.sql", "SQL", True],
                                          [5, "005_escolas.sql", "SQL", True]]
    with pytest.raises(MigrationError) as caught:
        runner.baseline(3)
    assert str(caught.value) == ('cannot baseline: "public"."toolkit_schema_history" already holds 3 row(s) '
                                 "(newest 005)")


def test_rollback_with_down_migrations(postgres_database, make_folder) -> None:
    folder = make_folder({
        **BASIC,
        "002_seed.down.sql": "DELETE FROM empresas WHERE id IN (1, 2);",
        "005_escolas.down.sql": "DROP TABLE escolas;",
    })
    runner = make_runner(postgres_database, folder)
    runner.migrate()
    result = runner.rollback(1)
    assert [(item.script, item.direction) for item in result.applied] == [
        ("005_escolas.down.sql", "down"), ("002_seed.down.sql", "down")]
    assert result.current_version == 1
    assert history(postgres_database) == [[1, "001_create_empresas.sql", "SQL", True]]
    assert not table_exists(postgres_database, "escolas")
    assert postgres_database.query("SELECT count(*) FROM empresas") == [[0]]
    assert [item.version for item in runner.migrate().applied] == [2, 5]


def test_rollback_refuses_when_a_down_file_is_missing_and_changes_nothing(postgres_database,
                                                                          make_folder) -> None:
    folder = make_folder({**BASIC, "005_escolas.down.sql": "DROP TABLE escolas;"})
    runner = make_runner(postgres_database, folder)
    runner.migrate()
    with pytest.raises(MigrationError) as caught:
        runner.rollback(0)
    assert str(caught.value) == ("cannot roll back to 000: no down migration for 002_seed.sql, "
                                 "001_create_empresas.sql (add NNN_description.down.sql)")
    assert [row[0] for row in history(postgres_database)] == [1, 2, 5]
    assert table_exists(postgres_database, "escolas")


def test_failing_down_migration_keeps_its_history_row(postgres_database, make_folder) -> None:
    folder = make_folder({**BASIC, "005_escolas.down.sql": "DROP TABLE escolas;\nDROP TABLE nao_existe;"})
    runner = make_runner(postgres_database, folder)
    runner.migrate()
    with pytest.raises(MigrationFailed) as caught:
        runner.rollback(2)
    assert str(caught.value).splitlines()[0] == (
        "005_escolas.down.sql, line 2: 42P01 table \"nao_existe\" does not exist")
    assert [row[0] for row in history(postgres_database)] == [1, 2, 5]
    assert table_exists(postgres_database, "escolas")


def test_plan_lists_pending_with_sql_and_changes_nothing(postgres_database, make_folder) -> None:
    folder = make_folder(BASIC)
    runner = make_runner(postgres_database, folder)
    runner.migrate(target_version=1)
    plan = runner.plan()
    assert [(item.script, item.sql) for item in plan.pending] == [
        ("002_seed.sql", BASIC["002_seed.sql"]), ("005_escolas.sql", BASIC["005_escolas.sql"])]
    assert [item.script for item in runner.plan(target_version=2).pending] == ["002_seed.sql"]
    assert [row[0] for row in history(postgres_database)] == [1]


def test_status_on_an_empty_database_creates_nothing(postgres_database, make_folder) -> None:
    folder = make_folder(BASIC)
    report = make_runner(postgres_database, folder).status()
    assert [entry.state for entry in report.entries] == [State.pending] * 3
    assert report.current_version is None
    assert not table_exists(postgres_database, "public.toolkit_schema_history")
    # A history schema that does not exist yet is not an error either.
    assert len(make_runner(postgres_database, folder, schema="ops").status().pending) == 3
    assert postgres_database.query("SELECT count(*) FROM pg_namespace WHERE nspname = 'ops'") == [[0]]


def test_statement_timeout_applies_to_migrations(postgres_database, make_folder) -> None:
    folder = make_folder({"001_slow.sql": "CREATE TABLE s (id int);\nSELECT pg_sleep(5);"})
    with pytest.raises(MigrationFailed) as caught:
        make_runner(postgres_database, folder, statement_timeout_ms=200).migrate()
    assert str(caught.value).splitlines()[0] == (
        "001_slow.sql, line 2: 57014 canceling statement due to statement timeout")
    assert not table_exists(postgres_database, "s")


def test_notices_are_reported(postgres_database, make_folder) -> None:
    folder = make_folder({"001_n.sql": "DO $$ BEGIN RAISE NOTICE 'hello from %', 'plpgsql'; END $$;"})
    result = make_runner(postgres_database, folder).migrate()
    assert result.applied[0].notices == ("hello from plpgsql",)


def test_error_at_commit_is_reported_and_rolled_back(postgres_database, make_folder) -> None:
    folder = make_folder({
        "001_parent.sql": "CREATE TABLE parent (id int PRIMARY KEY);\n"
                          "CREATE TABLE child (parent_id int REFERENCES parent DEFERRABLE INITIALLY DEFERRED);",
        "002_orphan.sql": "INSERT INTO child VALUES (42);",
    })
    with pytest.raises(MigrationFailed) as caught:
        make_runner(postgres_database, folder).migrate()
    assert str(caught.value).splitlines()[:3] == [
        '002_orphan.sql: 23503 insert or update on table "child" violates foreign key constraint '
        '"child_parent_id_fkey"',
        "  statement: COMMIT",
        '  Key (parent_id)=(42) is not present in table "parent".']
    assert [row[0] for row in history(postgres_database)] == [1]
    assert postgres_database.query("SELECT count(*) FROM child") == [[0]]


def test_database_errors_outside_a_migration_are_clean(postgres_database, make_folder) -> None:
    runner = make_runner(postgres_database, make_folder(BASIC), schema="pg_toast")
    with pytest.raises(MigrationError) as caught:
        runner.migrate()
    assert str(caught.value) == (
        f"{runner.target.describe()}: 42939 unacceptable schema name \"pg_toast\" "
        "(The prefix \"pg_\" is reserved for system schemas.). Nothing was applied")
    assert advisory_locks(postgres_database) == 0
