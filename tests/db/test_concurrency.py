"""The advisory lock, two runners at once, a killed session and a server restart in the middle of a run."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from toolkit.db import runner as runner_module
from toolkit.db.runner import MigrationFailed, RunResult
from toolkit.errors import LockError

from .conftest import advisory_locks, history, make_runner, table_exists

SLOW = {
    "001_first.sql": "CREATE TABLE first (id int);",
    "002_slow.sql": "CREATE TABLE half (id int);\nSELECT pg_sleep(60);\nCREATE TABLE other (id int);",
    "003_third.sql": "CREATE TABLE third (id int);",
}


def wait_for(condition: Callable[[], object], what: str, timeout: float = 30.0) -> object:
    """Poll a condition on the server (the synchronisation point), failing after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def sleeping_runner_pid(database) -> int | None:
    rows = database.query("SELECT pid FROM pg_stat_activity WHERE application_name = 'toolkit-db' "
                          "AND query LIKE 'SELECT pg_sleep(60)%' AND state = 'active'")
    return rows[0][0] if rows else None


def test_held_lock_without_waiting_is_a_clear_error(postgres_database, make_folder) -> None:
    runner = make_runner(postgres_database, make_folder(SLOW), lock_timeout_seconds=0)
    holder = postgres_database.connect()
    try:
        key = runner.lock_key(holder)
        holder.run("SELECT pg_advisory_lock(:key)", key=key)
        pid = holder.run("SELECT pg_backend_pid()")[0][0]
        with pytest.raises(LockError) as caught:
            runner.migrate()
    finally:
        holder.close()
    message = re.sub(r"connected \S+ \S+ UTC", "connected <time> UTC", str(caught.value))
    assert message == (
        'another migration run holds the lock on "public"."toolkit_schema_history": session pid '
        f"{pid} (pytest from 127.0.0.1, connected <time> UTC); gave up and --lock-timeout is 0. "
        "Nothing was applied; retry when it finishes")
    assert history(postgres_database) == []


def test_lock_wait_times_out(postgres_database, make_folder) -> None:
    runner = make_runner(postgres_database, make_folder(SLOW), lock_timeout_seconds=0.5)
    holder = postgres_database.connect()
    try:
        holder.run("SELECT pg_advisory_lock(:key)", key=runner.lock_key(holder))
        started = time.monotonic()
        with pytest.raises(LockError) as caught:
            runner.migrate()
        waited = time.monotonic() - started
    finally:
        holder.close()
    assert "gave up after waiting 0.5s. Nothing was applied" in str(caught.value)
    assert waited >= 0.5
    assert history(postgres_database) == []


def test_waiting_runner_proceeds_when_the_lock_is_released(postgres_database, make_folder) -> None:
    runner = make_runner(postgres_database, make_folder({"001_a.sql": "CREATE TABLE a (id int);"}),
                         lock_timeout_seconds=30)
    holder = postgres_database.connect()
    try:
        key = runner.lock_key(holder)
        holder.run("SELECT pg_advisory_lock(:key)", key=key)
        with ThreadPoolExecutor(1) as pool:
            future = pool.submit(runner.migrate)
            wait_for(lambda: postgres_database.query(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")[0][0],
                "the runner to wait for the lock")
            holder.run("SELECT pg_advisory_unlock(:key)", key=key)
            result = future.result(timeout=30)
    finally:
        holder.close()
    assert [item.version for item in result.applied] == [1]
    assert result.lock_wait_ms > 0


def test_two_runners_at_once_apply_each_migration_exactly_once(postgres_database, make_folder) -> None:
    # Not idempotent on purpose: a second application would fail on CREATE TABLE / the primary key.
    folder = make_folder({
        "001_a.sql": "CREATE TABLE a (id int PRIMARY KEY);\nSELECT pg_sleep(0.3);",
        "002_b.sql": "INSERT INTO a VALUES (1);",
        "003_c.sql": "CREATE TABLE c (id int);",
    })
    barrier = threading.Barrier(2)

    def run() -> RunResult:
        runner = make_runner(postgres_database, folder, lock_timeout_seconds=30)
        barrier.wait()
        return runner.migrate()

    with ThreadPoolExecutor(2) as pool:
        results = [future.result(timeout=60) for future in [pool.submit(run), pool.submit(run)]]
    assert sorted(len(result.applied) for result in results) == [0, 3]
    assert [row[0] for row in history(postgres_database)] == [1, 2, 3]
    assert postgres_database.query("SELECT count(*) FROM a") == [[1]]
    assert advisory_locks(postgres_database) == 0


def run_and_interrupt(database, folder, interrupt: Callable[[int], None]) -> MigrationFailed:
    runner = make_runner(database, folder)
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(runner.migrate)
        pid = wait_for(lambda: sleeping_runner_pid(database), "002_slow.sql to reach pg_sleep")
        interrupt(int(pid))  # type: ignore[arg-type]
        with pytest.raises(MigrationFailed) as caught:
            future.result(timeout=60)
    return caught.value


def assert_consistent_and_resumable(database, folder) -> None:
    assert history(database) == [[1, "001_first.sql", "SQL", True]]
    assert table_exists(database, "first")
    assert not table_exists(database, "half"), "002 was half-applied"
    wait_for(lambda: advisory_locks(database) == 0, "the lost session's lock to be released")
    (folder / "002_slow.sql").write_text("CREATE TABLE half (id int);\nCREATE TABLE other (id int);")
    result = make_runner(database, folder).migrate()
    assert [item.version for item in result.applied] == [2, 3]
    assert [row[0] for row in history(database)] == [1, 2, 3]


def test_connection_killed_in_the_middle_of_a_migration(postgres_database, make_folder) -> None:
    folder = make_folder(SLOW)

    def terminate(pid: int) -> None:
        assert postgres_database.query("SELECT pg_terminate_backend(:pid)", pid=pid) == [[True]]

    failure = run_and_interrupt(postgres_database, folder, terminate)
    assert str(failure) == (
        "002_slow.sql, line 2: the connection to the server was lost (network error)\n"
        "  statement: SELECT pg_sleep(60)\n"
        "the connection was lost: the server rolled back 002_slow.sql's transaction, nothing of it was applied "
        "and its lock was released; run migrate again\n"
        "Completed before this failure (kept): 001_first.sql")
    assert_consistent_and_resumable(postgres_database, folder)


def test_server_restarted_in_the_middle_of_a_run(postgres_server, postgres_database, make_folder) -> None:
    folder = make_folder(SLOW)
    failure = run_and_interrupt(postgres_database, folder, lambda pid: postgres_server.restart())
    assert str(failure).splitlines()[:3] == [
        "002_slow.sql, line 2: the connection to the server was lost (network error)",
        "  statement: SELECT pg_sleep(60)",
        "the connection was lost: the server rolled back 002_slow.sql's transaction, nothing of it was applied "
        "and its lock was released; run migrate again"]
    assert_consistent_and_resumable(postgres_database, folder)


@pytest.mark.parametrize("lock_timeout", [0, 600])
def test_lock_held_by_a_session_whose_client_is_gone_says_so_and_gives_the_step(postgres_database, make_folder,
                                                                                monkeypatch, lock_timeout) -> None:
    # A client that vanished without closing its connection (frozen Lambda, lost network) leaves an idle
    # session holding the lock; a live run never sits idle while holding it. No point waiting for it either:
    # with a 600 s lock timeout the answer still comes at once.
    monkeypatch.setattr(runner_module, "DEAD_CLIENT_IDLE_SECONDS", 0.5)
    folder = make_folder({"001_a.sql": "CREATE TABLE a (id int);"})
    runner = make_runner(postgres_database, folder, lock_timeout_seconds=lock_timeout)
    holder = postgres_database.connect()
    try:
        holder.run("SELECT pg_advisory_lock(:key)", key=runner.lock_key(holder))
        pid = holder.run("SELECT pg_backend_pid()")[0][0]
        wait_for(lambda: postgres_database.query(
            "SELECT clock_timestamp() - state_change > interval '0.6 seconds' FROM pg_stat_activity "
            "WHERE pid = :pid", pid=pid)[0][0], "the holder to sit idle")
        started = time.monotonic()
        with pytest.raises(LockError) as caught:
            runner.migrate()
        assert time.monotonic() - started < 300, "waited for a lock whose holder is gone"
        message = re.sub(r"connected \S+ \S+ UTC", "connected <time> UTC", str(caught.value))
        message = re.sub(r"idle for \d+s", "idle for <n>s", message)
        assert message == (
            f'the lock on "public"."toolkit_schema_history" is held by session pid {pid} (pytest from 127.0.0.1, '
            "connected <time> UTC), which has been idle for <n>s: its client is gone (a killed or frozen run, or a "
            "lost network; a live run never sits idle holding the lock), and the server keeps the session until "
            "TCP gives up on it. Nothing was applied. End that session (its open transaction, if any, rolls back), "
            f"then migrate again: SELECT pg_terminate_backend({pid});")
        assert history(postgres_database) == []
        # The step works.
        assert postgres_database.query(f"SELECT pg_terminate_backend({pid})") == [[True]]
        wait_for(lambda: advisory_locks(postgres_database) == 0, "the terminated session's lock to go")
        assert [item.version for item in runner.migrate().applied] == [1]
    finally:
        with contextlib.suppress(Exception):
            holder.close()


def test_a_killed_run_releases_its_lock_within_seconds(postgres_database, make_folder) -> None:
    folder = make_folder({"001_first.sql": "CREATE TABLE first (id int);",
                          "002_slow.sql": "CREATE TABLE half (id int);\nSELECT pg_sleep(300);"})
    process = subprocess.Popen([sys.executable, "-c", "import sys; from toolkit.db.runner import migrate_directory; "
                                "migrate_directory(sys.argv[1], sys.argv[2])", postgres_database.dsn, str(folder)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: postgres_database.query(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'toolkit-db' "
            "AND query = 'SELECT pg_sleep(300)' AND state = 'active'")[0][0], "the run to reach pg_sleep",
            timeout=90)
    finally:
        process.kill()  # kill -9: no cleanup of any kind in the runner
        process.wait()
    # Without client_connection_check_interval the server would keep sleeping for 300 s, holding the lock.
    (folder / "002_slow.sql").write_text("CREATE TABLE half (id int);")
    result = make_runner(postgres_database, folder, lock_timeout_seconds=30).migrate()
    assert [item.version for item in result.applied] == [2]
    assert [row[0] for row in history(postgres_database)] == [1, 2]


def test_verify_does_not_report_an_index_being_built_right_now(postgres_database, make_folder) -> None:
    folder = make_folder({"001_t.sql": "CREATE TABLE t (a int);\nINSERT INTO t VALUES (1), (2);"})
    runner = make_runner(postgres_database, folder)
    runner.migrate()
    # An open snapshot makes another operator's CREATE INDEX CONCURRENTLY wait, its index still invalid.
    snapshot = postgres_database.connect()
    builder = postgres_database.connect()
    try:
        snapshot.run("BEGIN ISOLATION LEVEL REPEATABLE READ")
        snapshot.run("SELECT count(*) FROM t")
        with ThreadPoolExecutor(1) as pool:
            build = pool.submit(builder.run, "CREATE INDEX CONCURRENTLY t_a_idx ON t (a)")
            try:
                wait_for(lambda: postgres_database.query(
                    "SELECT count(*) FROM pg_index WHERE indexrelid = to_regclass('public.t_a_idx') "
                    "AND NOT indisvalid")[0][0], "the concurrent build to create its invalid index")
                report = runner.status()
            finally:
                snapshot.run("COMMIT")  # whatever happened, let the build finish
            build.result(timeout=30)
        assert report.invalid_indexes == ()
    finally:
        snapshot.close()
        builder.close()
    assert postgres_database.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'public.t_a_idx'::regclass") == [
        [True]]


def test_run_killed_during_a_concurrent_index_build_leaves_a_clear_next_step(postgres_database, make_folder) -> None:
    folder = make_folder({
        "001_t.sql": "CREATE TABLE t (a int);\nCREATE TABLE side_effects (note text);",
        "002_index.sql": "-- toolkit:no-transaction\nINSERT INTO side_effects VALUES ('002');\n"
                         "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_a_idx ON t (a);",
    })
    make_runner(postgres_database, folder).migrate(target_version=1)
    snapshot = postgres_database.connect()  # an open snapshot keeps the build waiting, its index invalid
    try:
        snapshot.run("BEGIN ISOLATION LEVEL REPEATABLE READ")
        snapshot.run("SELECT count(*) FROM t")
        process = subprocess.Popen([sys.executable, "-c", "import sys; from toolkit.db.runner import "
                                    "migrate_directory; migrate_directory(sys.argv[1], sys.argv[2])",
                                    postgres_database.dsn, str(folder)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: postgres_database.query(
                "SELECT count(*) FROM pg_index WHERE indexrelid = to_regclass('public.t_a_idx')")[0][0],
                "the build to start", timeout=90)
        finally:
            process.kill()
            process.wait()
        # The server notices the client is gone (client_connection_check_interval) and cancels the build.
        wait_for(lambda: advisory_locks(postgres_database) == 0, "the killed run's session to end")
    finally:
        snapshot.run("COMMIT")
        snapshot.close()
    with pytest.raises(MigrationFailed) as caught:
        make_runner(postgres_database, folder).migrate()
    assert str(caught.value).splitlines()[-1] == (
        "002_index.sql was not started: nothing of it ran and it is not recorded in history. Recovery: run "
        "'DROP INDEX CONCURRENTLY IF EXISTS public.t_a_idx;'; then run migrate again")
    assert postgres_database.query("SELECT count(*) FROM side_effects") == [[1]]
    postgres_database.query("DROP INDEX CONCURRENTLY IF EXISTS public.t_a_idx")
    assert [item.version for item in make_runner(postgres_database, folder).migrate().applied] == [2]
    assert postgres_database.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'public.t_a_idx'::regclass") == [
        [True]]
