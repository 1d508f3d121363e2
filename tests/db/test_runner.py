"""The runner against a real PostgreSQL 15: history, atomicity, validation, skips, baseline, rollback."""

from __future__ import annotations

import re

import pytest

from toolkit.db.files import checksum_of
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
    assert re.fullmatch(
        r"002_u\.sql is listed in the skip manifest \(not wanted\) but was applied on \S+: to keep it, remove the "
        rf"line for 002 from {re.escape(str(folder))}/skip\.txt; to undo it, roll it back first \(rollback --to 001, "
        r"which also undoes every later version\) and keep it listed\. Nothing was applied", str(caught.value))


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


# --- concurrent indexes that failed: never recorded, always reported ----------------------------------

def unique_index_folder(make_folder, index_sql: str = "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_a_key "
                                                      "ON t (a);"):
    # The file: a side effect, then the index, with the IF NOT EXISTS our docs used to recommend.
    return make_folder({
        "001_t.sql": "CREATE TABLE t (a int);\nCREATE TABLE side_effects (note text);\nINSERT INTO t VALUES (1), (1);",
        "002_unique.sql": "-- toolkit:no-transaction\nINSERT INTO side_effects VALUES ('002 ran');\n" + index_sql,
    })


def index_state(database, name: str) -> list[list[object]]:
    return database.query("SELECT indisvalid, indisready FROM pg_index WHERE indexrelid = to_regclass(:name)",
                          name=name)


def test_rerun_over_an_invalid_concurrent_index_fails_before_running_and_records_nothing(postgres_database,
                                                                                        make_folder) -> None:
    folder = unique_index_folder(make_folder)
    with pytest.raises(MigrationFailed) as first:
        make_runner(postgres_database, folder).migrate()
    assert first.value.failure.code == "23505"
    assert index_state(postgres_database, "public.t_a_key") == [[False, False]]
    # Re-run without the DROP: IF NOT EXISTS would skip the invalid index and PostgreSQL would report success.
    with pytest.raises(MigrationFailed) as caught:
        make_runner(postgres_database, folder).migrate()
    assert str(caught.value) == (
        "002_unique.sql, line 3: index public.t_a_key is INVALID (indisvalid = false, indisready = false): an "
        "earlier failed CREATE "
        "INDEX CONCURRENTLY left it and 'IF NOT EXISTS' skipped building it\n"
        "  statement: CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_a_key ON t (a)\n"
        "002_unique.sql was not started: nothing of it ran and it is not recorded in history. Recovery: run "
        "'DROP INDEX CONCURRENTLY IF EXISTS public.t_a_key;'; then run migrate again")
    assert history(postgres_database) == [[1, "001_t.sql", "SQL", True]]
    # The file's other statement ran once (the failed first run), not again.
    assert postgres_database.query("SELECT count(*) FROM side_effects") == [[1]]
    assert advisory_locks(postgres_database) == 0
    # The recovery step is the right one: after it (and the data fixed) the file applies and the index is valid.
    postgres_database.query("DROP INDEX CONCURRENTLY IF EXISTS public.t_a_key")
    postgres_database.query("DELETE FROM t")
    result = make_runner(postgres_database, folder).migrate()
    assert [item.version for item in result.applied] == [2]
    assert index_state(postgres_database, "public.t_a_key") == [[True, True]]


def test_index_made_invalid_while_the_file_ran_is_not_recorded(postgres_database, make_folder) -> None:
    # What a skipped IF NOT EXISTS or a concurrent session can leave: the index exists but is not valid when
    # the file ends. (Flipping indisvalid by hand is how PostgreSQL's own tests simulate it.)
    folder = unique_index_folder(make_folder, "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_a_idx ON public.t (a);\n"
                                              "UPDATE pg_index SET indisvalid = false "
                                              "WHERE indexrelid = 'public.t_a_idx'::regclass;")
    with pytest.raises(MigrationFailed) as caught:
        make_runner(postgres_database, folder).migrate()
    assert str(caught.value) == (
        "002_unique.sql, line 3: index public.t_a_idx is INVALID (indisvalid = false): an earlier failed CREATE "
        "INDEX CONCURRENTLY left it and 'IF NOT EXISTS' skipped building it\n"
        "  statement: CREATE INDEX CONCURRENTLY IF NOT EXISTS t_a_idx ON public.t (a)\n"
        "002_unique.sql ran outside a transaction (-- toolkit:no-transaction) and is NOT recorded in history. "
        "Recovery: its other statement(s) (line 2, 4) were committed: undo them or make them idempotent; run "
        "'DROP INDEX CONCURRENTLY IF EXISTS public.t_a_idx;'; then run migrate again\n"
        "Completed before this failure (kept): 001_t.sql")
    assert history(postgres_database) == [[1, "001_t.sql", "SQL", True]]


def test_if_not_exists_skipping_an_index_of_another_table_is_not_recorded(postgres_database, make_folder) -> None:
    folder = make_folder({
        "001_t.sql": "CREATE TABLE t (a int);\nCREATE TABLE other (a int);\n"
                     "CREATE INDEX same_name_idx ON other (a);",
        "002_index.sql": "-- toolkit:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS same_name_idx ON t (a);",
    })
    with pytest.raises(MigrationFailed) as caught:
        make_runner(postgres_database, folder).migrate()
    assert str(caught.value).splitlines()[0] == (
        "002_index.sql, line 2: index public.same_name_idx exists on public.other, not on t: 'IF NOT EXISTS' skipped "
        "building it")
    assert [row[0] for row in history(postgres_database)] == [1]


def test_verify_reports_invalid_indexes_and_status_lists_them(postgres_database, make_folder) -> None:
    folder = make_folder({"001_t.sql": "CREATE TABLE t (a int);\nINSERT INTO t VALUES (1), (1);"})
    runner = make_runner(postgres_database, folder)
    runner.migrate()
    # What an older toolkit (or a hand-run statement) left: an invalid index, its file recorded as applied.
    with pytest.raises(Exception, match="could not create unique index"):
        postgres_database.query('CREATE UNIQUE INDEX CONCURRENTLY "T key" ON t (a)')
    problem = ('index public."T key" on public.t is INVALID (a failed CREATE INDEX CONCURRENTLY or REINDEX '
               "CONCURRENTLY left it): queries do not use it, a unique one enforces nothing, and writes still "
               "maintain it. Run 'DROP INDEX CONCURRENTLY IF EXISTS public.\"T key\";', then its CREATE INDEX "
               "CONCURRENTLY again")
    with pytest.raises(MigrationError) as caught:
        runner.verify()
    assert str(caught.value) == f"{problem}. Nothing was applied"
    assert runner.status().invalid_indexes == (problem,)
    # plan and migrate are not blocked by an index no pending file builds.
    assert runner.plan().pending == ()
    postgres_database.query('DROP INDEX CONCURRENTLY public."T key"')
    assert runner.verify().invalid_indexes == ()


# --- a clean session for every migration ------------------------------------------------------------

def drop_role(database, role: str) -> None:
    """Roles are cluster-wide: drop what a test created (the database itself is dropped by the fixture)."""
    if database.query("SELECT count(*) FROM pg_roles WHERE rolname = :role", role=role) == [[1]]:
        database.query(f"DROP OWNED BY {role}")
        database.query(f"DROP ROLE {role}")


def test_session_settings_do_not_leak_into_the_next_migration(postgres_database, make_folder) -> None:
    role = f"leak_{postgres_database.name}"
    folder = make_folder({
        "001_other.sql": f"CREATE SCHEMA other;\nCREATE ROLE {role};\nGRANT ALL ON SCHEMA public, other TO {role};\n"
                         "SET search_path = other;\n"
                         f"SET ROLE {role};\nSET statement_timeout = 1;",
        "002_table.sql": "CREATE TABLE placed (id int);\nSELECT pg_sleep(0.05);",
    })
    try:
        result = make_runner(postgres_database, folder).migrate()
        # One call gives what two calls would: the table in public, owned by the runner's own user,
        # and the file's statement_timeout of 1 ms gone.
        assert [item.version for item in result.applied] == [1, 2]
        assert postgres_database.query(
            "SELECT n.nspname, pg_get_userbyid(c.relowner) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'placed'") == [["public", "postgres"]]
        assert postgres_database.query("SELECT applied_by FROM toolkit_schema_history WHERE version = 2") == [
            ["postgres"]]
    finally:
        drop_role(postgres_database, role)


def test_session_authorization_is_reset_too(postgres_database, make_folder) -> None:
    role = f"auth_{postgres_database.name}"
    folder = make_folder({
        "001_auth.sql": f"CREATE ROLE {role};\nGRANT ALL ON SCHEMA public TO {role};\n"
                        f"SET SESSION AUTHORIZATION {role};",
        "002_table.sql": "CREATE TABLE owned (id int);",
    })
    try:
        result = make_runner(postgres_database, folder).migrate()
        assert [item.version for item in result.applied] == [1, 2]
        assert postgres_database.query("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'owned'") == [
            ["postgres"]]
    finally:
        drop_role(postgres_database, role)


def test_session_wide_set_in_a_transactional_file_gets_a_warning(postgres_database, make_folder) -> None:
    folder = make_folder({
        "001_set.sql": "CREATE SCHEMA other;\nSET search_path = other;\nSET LOCAL work_mem = '8MB';\n"
                       "CREATE TABLE in_other (id int);",
        "002_concurrently.sql": "-- toolkit:no-transaction\nSET maintenance_work_mem = '64MB';\n"
                                "CREATE INDEX CONCURRENTLY in_other_id ON other.in_other (id);",
    })
    runner = make_runner(postgres_database, folder)
    warning = ("001_set.sql, line 2: 'SET search_path = other' changes the whole session, not just this migration: "
               "the runner resets the session before the next file, so it ends with this one; write SET LOCAL to "
               "scope it to this migration's transaction")
    assert runner.plan().warnings == (warning,)
    result = runner.migrate()
    assert result.warnings == [warning]
    assert result.to_dict()["warnings"] == [warning]
    assert table_exists(postgres_database, "other.in_other")


# --- the advisory lock is checked before each file ----------------------------------------------------

def test_a_migration_releasing_the_lock_is_rolled_back_and_the_run_stops(postgres_database, make_folder) -> None:
    folder = make_folder({
        "001_first.sql": "CREATE TABLE first (id int);",
        "002_unlock.sql": "CREATE TABLE unlocked (id int);\nSELECT pg_advisory_unlock_all();",
        "003_third.sql": "CREATE TABLE third (id int);",
    })
    with pytest.raises(MigrationFailed) as caught:
        make_runner(postgres_database, folder).migrate()
    assert str(caught.value) == (
        '002_unlock.sql: this run no longer holds the migration lock on "public"."toolkit_schema_history": '
        "002_unlock.sql released it (pg_advisory_unlock_all() or pg_advisory_unlock() in a migration ends the "
        "runner's own lock), so another run could start applying migrations\n"
        "  statement: (migration lock check)\n"
        "002_unlock.sql's transaction was rolled back: nothing of it was applied. Remove the unlock from the "
        "migration, make sure no other run is in progress, then run migrate again\n"
        "Completed before this failure (kept): 001_first.sql")
    assert history(postgres_database) == [[1, "001_first.sql", "SQL", True]]
    assert not table_exists(postgres_database, "unlocked")
    assert not table_exists(postgres_database, "third")


@pytest.mark.parametrize("unlock", ["SELECT pg_advisory_unlock_all()", "DISCARD ALL"])
def test_a_no_transaction_migration_releasing_the_lock_is_not_recorded(postgres_database, make_folder,
                                                                        unlock: str) -> None:
    folder = make_folder({"001_unlock.sql": f"-- toolkit:no-transaction\n{unlock};",
                          "002_next.sql": "CREATE TABLE next (id int);"})
    with pytest.raises(MigrationFailed) as caught:
        make_runner(postgres_database, folder).migrate()
    assert str(caught.value).splitlines()[2] == (
        "001_unlock.sql ran outside a transaction (-- toolkit:no-transaction) and is NOT recorded in history. "
        "Remove the unlock from the migration, make sure no other run is in progress, then run migrate again")
    assert history(postgres_database) == []
    assert not table_exists(postgres_database, "next")


def test_lock_lost_between_files_stops_before_the_next_one(postgres_database, make_folder) -> None:
    from toolkit.db.connection import open_connection

    folder = make_folder({"001_a.sql": "CREATE TABLE a (id int);", "002_b.sql": "CREATE TABLE b (id int);"})

    class LosesLockAfterFirstCommit:
        """A real connection whose advisory locks vanish after the first migration commits (any cause)."""

        def __init__(self, target) -> None:
            self.connection = open_connection(target)
            self.commits = 0

        def __getattr__(self, name):
            return getattr(self.connection, name)

        def run(self, sql, **params):
            rows = self.connection.run(sql, **params)
            if sql == "COMMIT":
                self.commits += 1
                if self.commits == 1:
                    self.connection.run("SELECT pg_advisory_unlock_all()")
            return rows

    runner = make_runner(postgres_database, folder)
    runner._connect = LosesLockAfterFirstCommit
    with pytest.raises(MigrationFailed) as caught:
        runner.migrate()
    assert str(caught.value).splitlines()[0] == (
        '002_b.sql: this run no longer holds the migration lock on "public"."toolkit_schema_history": 001_a.sql '
        "released it (pg_advisory_unlock_all() or pg_advisory_unlock() in a migration ends the runner's own lock), "
        "so another run could start applying migrations")
    assert str(caught.value).splitlines()[2].startswith("stopped before 002_b.sql: nothing of it was applied. ")
    assert history(postgres_database) == [[1, "001_a.sql", "SQL", True]]
    assert not table_exists(postgres_database, "b")


# --- a byte-order mark, a big file --------------------------------------------------------------------

def test_byte_order_mark_is_stripped_before_anything_runs(postgres_database, make_folder) -> None:
    folder = make_folder({"001_t.sql": "CREATE TABLE t (a int);"})
    # Windows editors save "UTF-8 with BOM": the directive on the first line must still count.
    (folder / "002_index.sql").write_bytes(b"\xef\xbb\xbf-- toolkit:no-transaction\n"
                                           b"CREATE INDEX CONCURRENTLY t_a ON t (a);\n")
    (folder / "003_seed.sql").write_bytes(b"\xef\xbb\xbfINSERT INTO t VALUES (1);\r\n")
    (folder / "skip.txt").write_bytes(b"\xef\xbb\xbf# nothing skipped\n")
    runner = make_runner(postgres_database, folder)
    assert runner.migrations.by_version()[2].up.transactional is False
    assert [item.version for item in runner.migrate().applied] == [1, 2, 3]
    assert runner.migrations.by_version()[3].up.checksum == checksum_of(b"INSERT INTO t VALUES (1);\n")
    assert runner.plan().pending == ()
    assert postgres_database.query("SELECT count(*) FROM t") == [[1]]


def test_a_file_of_many_statements_names_the_right_line(postgres_database, make_folder) -> None:
    rows = "".join(f"INSERT INTO many VALUES ({number}, 'row {number}; with a semicolon');\n"
                   for number in range(1, 5001))
    folder = make_folder({"001_many.sql": "CREATE TABLE many (id int PRIMARY KEY, note text);\n" + rows
                          + "INSERT INTO many VALUES (1, 'duplicate');\n"})
    with pytest.raises(MigrationFailed) as caught:
        make_runner(postgres_database, folder).migrate()
    assert str(caught.value).splitlines()[0] == (
        '001_many.sql, line 5002: 23505 duplicate key value violates unique constraint "many_pkey"')


def test_a_no_transaction_file_leaving_a_transaction_open_is_not_recorded(postgres_database, make_folder) -> None:
    folder = make_folder({"001_open.sql": "-- toolkit:no-transaction\nCREATE TABLE before_begin (id int);\nBEGIN;\n"
                                          "CREATE TABLE inside (id int);"})
    with pytest.raises(MigrationFailed) as caught:
        make_runner(postgres_database, folder).migrate()
    assert str(caught.value) == (
        "001_open.sql: the file left a transaction open (BEGIN without COMMIT)\n"
        "  statement: (end of file)\n"
        "that transaction was rolled back (what ran after its BEGIN is undone; statements before it were committed) "
        "and 001_open.sql is NOT recorded in history. Recovery: end the file's transaction with COMMIT, then run "
        "migrate again")
    assert history(postgres_database) == []
    assert table_exists(postgres_database, "before_begin") and not table_exists(postgres_database, "inside")


def test_if_not_exists_skipping_because_a_table_has_the_name_is_not_recorded(postgres_database, make_folder) -> None:
    folder = make_folder({
        "001_t.sql": "CREATE TABLE t (a int);\nCREATE TABLE t_a_idx (note text);",
        "002_index.sql": "-- toolkit:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_a_idx ON t (a);",
    })
    with pytest.raises(MigrationFailed) as caught:
        make_runner(postgres_database, folder).migrate()
    assert str(caught.value).splitlines() == [
        "002_index.sql, line 2: public.t_a_idx is not an index but a relation of another kind with the same name: "
        "the index was not built",
        "  statement: CREATE INDEX CONCURRENTLY IF NOT EXISTS t_a_idx ON t (a)",
        "002_index.sql was not started: nothing of it ran and it is not recorded in history. Recovery: rename one "
        "of the two; then run migrate again",
        "Completed before this failure (kept): 001_t.sql"]
    assert [row[0] for row in history(postgres_database)] == [1]


def test_build_then_swap_pattern_is_recorded(postgres_database, make_folder) -> None:
    # Replacing an index without blocking writes: the checked name is gone by the end of the file.
    folder = make_folder({
        "001_t.sql": "CREATE TABLE t (a int, b int);\nCREATE INDEX t_a_idx ON t (a);",
        "002_swap.sql": "-- toolkit:no-transaction\n"
                        "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_a_idx_new ON t (a, b);\n"
                        "DROP INDEX CONCURRENTLY IF EXISTS t_a_idx;\n"
                        "ALTER INDEX t_a_idx_new RENAME TO t_a_idx;",
    })
    assert [item.version for item in make_runner(postgres_database, folder).migrate().applied] == [1, 2]
    assert index_state(postgres_database, "public.t_a_idx") == [[True, True]]
    assert postgres_database.query("SELECT indnatts FROM pg_index WHERE indexrelid = 'public.t_a_idx'::regclass") == [
        [2]]
