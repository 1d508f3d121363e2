"""Safe defaults: every migration runs with a lock_timeout and a statement_timeout (envs, overridable per
file), so a lock wait fails fast with a clear message instead of queueing every query behind it."""

from __future__ import annotations

import threading

import pytest

from toolkit.db.runner import MigrationFailed

from .conftest import history, make_runner


def settings_seen(database, table: str) -> list[list[object]]:
    return database.query(f"SELECT lock_timeout, statement_timeout FROM {table}")


def test_the_runner_sets_both_timeouts_and_a_file_overrides_them(postgres_database, make_folder) -> None:
    folder = make_folder({
        "001_default.sql": "CREATE TABLE seen_default AS SELECT current_setting('lock_timeout') AS lock_timeout, "
                           "current_setting('statement_timeout') AS statement_timeout;",
        "002_own.sql": "-- toolkit:lock-timeout 250ms\n-- toolkit:statement-timeout 2h\n"
                       "CREATE TABLE seen_own AS SELECT current_setting('lock_timeout') AS lock_timeout, "
                       "current_setting('statement_timeout') AS statement_timeout;",
        "003_back.sql": "CREATE TABLE seen_back AS SELECT current_setting('lock_timeout') AS lock_timeout, "
                        "current_setting('statement_timeout') AS statement_timeout;",
    })
    make_runner(postgres_database, folder).migrate()
    assert settings_seen(postgres_database, "seen_default") == [["5s", "15min"]]
    assert settings_seen(postgres_database, "seen_own") == [["250ms", "2h"]]
    # The next file is back to the environment's values.
    assert settings_seen(postgres_database, "seen_back") == [["5s", "15min"]]
    other = make_folder({"001_default.sql": "CREATE TABLE seen_env AS SELECT current_setting('lock_timeout') AS "
                                            "lock_timeout, current_setting('statement_timeout') AS statement_timeout;"})
    make_runner(postgres_database, other, history_table="other_history", statement_lock_timeout_ms=1000,
                statement_timeout_ms=0).migrate()
    assert settings_seen(postgres_database, "seen_env") == [["1s", "0"]]


@pytest.mark.timeout(60)
def test_a_lock_wait_fails_fast_with_a_clear_message(postgres_database, make_folder) -> None:
    postgres_database.query("CREATE TABLE alunos (id bigint PRIMARY KEY)")
    folder = make_folder({"001_add.sql": "-- toolkit:lock-timeout 300ms\nALTER TABLE alunos ADD COLUMN apelido text;"})
    holder = postgres_database.connect()
    holder.run("BEGIN")
    holder.run("SELECT * FROM alunos")  # an open transaction holding ACCESS SHARE, as a long report would
    finished = threading.Event()
    try:
        with pytest.raises(MigrationFailed) as caught:
            make_runner(postgres_database, folder).migrate()
        finished.set()
    finally:
        holder.run("ROLLBACK")
        holder.close()
    text = str(caught.value)
    assert text.startswith("001_add.sql, line 2: 55P03 canceling statement due to lock timeout")
    assert "it waited 300 ms for a table lock (lock_timeout)" in text
    assert "'-- toolkit:lock-timeout 30s'" in text
    assert history(postgres_database) == []


def test_a_statement_timeout_says_which_limit_and_how_to_raise_it(postgres_database, make_folder) -> None:
    folder = make_folder({"001_slow.sql": "-- toolkit:statement-timeout 200ms\nSELECT pg_sleep(2);"})
    with pytest.raises(MigrationFailed) as caught:
        make_runner(postgres_database, folder).migrate()
    assert "57014 canceling statement due to statement timeout" in str(caught.value)
    assert "longer than statement_timeout (200 ms)" in str(caught.value)
