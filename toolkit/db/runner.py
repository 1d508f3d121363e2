"""The migration runner: status, plan, verify, migrate, baseline and rollback on one pinned connection.

Guarantees (after Flyway and golang-migrate):
- one PostgreSQL advisory lock, held on the same connection for the whole run, so two runners never
  apply anything twice (the second waits up to the lock timeout, then reads history again);
- each migration runs in its own transaction together with its history row: it is applied entirely
  or not at all, so there is no "dirty" state to force;
- before anything runs, the folder is checked against history: changed checksums, applied files that
  disappeared, pending versions older than the newest applied (unless out-of-order is allowed).
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from toolkit.db.connection import ConnectionTarget, open_connection
from toolkit.db.files import SKIP_MANIFEST, Migration, MigrationSet, SqlScript, format_version
from toolkit.db.masking import mask_sql
from toolkit.db.splitter import Statement
from toolkit.errors import LockError, MigrationError

IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}\Z")
BASELINE_DESCRIPTION = "<< baseline >>"
# SQLSTATEs meaning the session is gone: admin shutdown, crash, cannot connect now, connection class 08.
CONNECTION_LOST_CODES = ("57P01", "57P02", "57P03")
_IDENTIFIER = r"(?:\"(?:[^\"]|\"\")+\"|[^\s.(\"]+)"
CONCURRENT_INDEX = re.compile(
    r"^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>" + _IDENTIFIER + r")\s+"
    r"ON\s+(?:ONLY\s+)?(?P<table>(?:(?P<schema>" + _IDENTIFIER + r")\.)?" + _IDENTIFIER + r")",
    re.IGNORECASE,
)
# Safe defaults for every migration (envs: migrations.statement_lock_timeout_ms / statement_timeout_ms; a file
# overrides them with `-- toolkit:lock-timeout 10s` / `-- toolkit:statement-timeout 1h`): a statement waiting for
# a table lock gives up after 5 s instead of queueing every query on that table behind it; none runs past 15 min.
DEFAULT_STATEMENT_LOCK_TIMEOUT_MS = 5_000
DEFAULT_STATEMENT_TIMEOUT_MS = 15 * 60 * 1000
# A run never sits idle while it holds the lock: a holder idle this long has a client that is gone or frozen.
DEAD_CLIENT_IDLE_SECONDS = 10.0
# PostgreSQL 14+ checks this often whether the client of a running statement is still connected, so a
# killed run's session (and its lock) ends within seconds instead of when its statement finishes.
CLIENT_CONNECTION_CHECK_INTERVAL = "5s"


# ---------------------------------------------------------------------------------------------------
# Results


class State(StrEnum):
    applied = "applied"
    pending = "pending"
    skipped = "skipped"
    baseline = "baseline"
    below_baseline = "below baseline"
    changed = "changed"
    missing = "missing"
    out_of_order = "pending (out of order)"
    applied_but_skipped = "applied but listed in skip manifest"


@dataclass(frozen=True)
class HistoryRow:
    version: int
    description: str
    kind: str
    script: str
    checksum: str | None
    applied_by: str
    applied_at: str
    execution_ms: int
    success: bool


@dataclass(frozen=True)
class StatusEntry:
    version: int
    script: str
    state: State
    note: str = ""
    applied_at: str | None = None
    applied_by: str | None = None
    execution_ms: int | None = None
    transactional: bool = True
    has_down: bool = False


@dataclass(frozen=True)
class StatusReport:
    target: str
    history_table: str
    entries: tuple[StatusEntry, ...]
    problems: tuple[str, ...]
    current_version: int | None
    # Indexes PostgreSQL keeps but does not use (a failed concurrent build): `verify` fails on them.
    invalid_indexes: tuple[str, ...] = ()

    @property
    def pending(self) -> tuple[StatusEntry, ...]:
        return tuple(entry for entry in self.entries if entry.state in (State.pending, State.out_of_order))

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "history_table": self.history_table,
            "current_version": self.current_version,
            "problems": list(self.problems),
            "invalid_indexes": list(self.invalid_indexes),
            "entries": [{**asdict(entry), "state": entry.state.value} for entry in self.entries],
        }


@dataclass(frozen=True)
class PlannedMigration:
    version: int
    script: str
    transactional: bool
    sql: str


@dataclass(frozen=True)
class Plan:
    """The dry run: what `migrate` would apply, in order, with the SQL."""

    target: str
    pending: tuple[PlannedMigration, ...]
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "pending": [asdict(item) for item in self.pending],
                "warnings": list(self.warnings)}


@dataclass(frozen=True)
class AppliedMigration:
    version: int
    script: str
    execution_ms: int
    direction: str = "up"
    notices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Failure:
    """Where and why a migration failed, as PostgreSQL reported it."""

    script: str
    line: int | None
    code: str
    message: str
    statement: str
    detail: str = ""
    recovery: str = ""


@dataclass
class RunResult:
    action: str
    target: str
    applied: list[AppliedMigration] = field(default_factory=list)
    lock_wait_ms: int = 0
    duration_ms: int = 0
    current_version: int | None = None
    message: str = ""
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": True,
            "action": self.action,
            "target": self.target,
            "applied": [asdict(item) | {"notices": list(item.notices)} for item in self.applied],
            "lock_wait_ms": self.lock_wait_ms,
            "duration_ms": self.duration_ms,
            "current_version": self.current_version,
            "message": self.message,
            "warnings": list(self.warnings),
            "errors": [],
        }


class MigrationFailed(MigrationError):
    """A migration failed; `.failure` says where, `.result` holds what was applied before it."""

    def __init__(self, message: str, failure: Failure, result: RunResult) -> None:
        if result.applied:
            done = ", ".join(item.script for item in result.applied)
            message += f"\nCompleted before this failure (kept): {done}"
        super().__init__(message)
        self.failure = failure
        self.result = result

    def to_dict(self) -> dict[str, Any]:
        return self.result.to_dict() | {"ok": False, "errors": [asdict(self.failure) | {"text": str(self)}]}


# ---------------------------------------------------------------------------------------------------
# Options and helpers


@dataclass(frozen=True)
class RunnerOptions:
    schema: str = "public"
    history_table: str = "toolkit_schema_history"
    lock_timeout_seconds: float = 60.0
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS
    statement_lock_timeout_ms: int = DEFAULT_STATEMENT_LOCK_TIMEOUT_MS
    out_of_order: bool = False

    def __post_init__(self) -> None:
        for label, value in (("schema", self.schema), ("history table", self.history_table)):
            if not IDENTIFIER.match(value):
                raise MigrationError(f"invalid {label} name {value!r}: lower-case letters, digits and _")

    @property
    def qualified_table(self) -> str:
        return f'"{self.schema}"."{self.history_table}"'


def advisory_lock_key(database: str, schema: str, table: str) -> int:
    """A stable signed 64-bit key: the first 8 bytes of SHA-256 over database, schema and table."""
    digest = hashlib.sha256(f"{database}\x00{schema}\x00{table}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _error_fields(error: BaseException) -> dict[str, str]:
    if error.args and isinstance(error.args[0], dict):
        return {str(key): str(value) for key, value in error.args[0].items()}
    return {}


def _is_connection_lost(error: BaseException) -> bool:
    import pg8000.native

    if isinstance(error, pg8000.native.InterfaceError | OSError):
        return True
    code = _error_fields(error).get("C", "")
    return code in CONNECTION_LOST_CODES or code.startswith("08")


def _describe_error(error: BaseException) -> tuple[str, str, str, int | None]:
    """(code, message, detail/hint, position) of a driver error."""
    fields = _error_fields(error)
    if not fields:
        cause = f" ({error})" if str(error) else ""
        return "", f"the connection to the server was lost{cause}", "", None
    extra = "; ".join(part for part in (fields.get("D", ""), f"HINT: {fields['H']}" if fields.get("H") else "")
                      if part)
    position = int(fields["P"]) if fields.get("P", "").isdigit() else None
    return fields.get("C", ""), fields.get("M", ""), extra, position


def _recovery_for_non_transactional(script: SqlScript, failed_index: int) -> str:
    done = script.statements[:failed_index]
    failed = script.statements[failed_index]
    steps: list[str] = []
    if done:
        lines = ", ".join(str(statement.line) for statement in done)
        steps.append(f"statement(s) before it (line {lines}) were committed and are NOT recorded in history: "
                     "undo them or make them idempotent (IF NOT EXISTS)")
    index_match = CONCURRENT_INDEX.match(failed.sql)
    if index_match:
        name = index_match.group("name")
        qualified = f"{index_match.group('schema')}.{name}" if index_match.group("schema") else name
        steps.append(f"a failed CREATE INDEX CONCURRENTLY leaves an INVALID index behind: "
                     f"run 'DROP INDEX CONCURRENTLY IF EXISTS {qualified};'")
    if not steps:
        steps.append("nothing of it was committed")
    return "; ".join(steps) + "; then run migrate again"


@dataclass(frozen=True)
class ConcurrentIndex:
    """An index a no-transaction file builds with CREATE [UNIQUE] INDEX CONCURRENTLY, and where."""

    name: str  # as PostgreSQL stores it (unquoted names fold to lower case)
    table: str  # as written in the file (to_regclass resolves it the way the statement did)
    statement: Statement


def _identifier(written: str) -> str:
    if written.startswith('"'):
        return written[1:-1].replace('""', '"')
    return written.lower()


def concurrent_indexes(script: SqlScript) -> list[ConcurrentIndex]:
    found = []
    for statement in script.statements:
        match = CONCURRENT_INDEX.match(statement.sql)
        if match:
            found.append(ConcurrentIndex(_identifier(match.group("name")), match.group("table"), statement))
    return found


# ---------------------------------------------------------------------------------------------------
# The runner


ConnectionFactory = Callable[[ConnectionTarget], Any]


class MigrationRunner:
    """Runs one folder of migrations against one database."""

    def __init__(self, target: ConnectionTarget, migrations: MigrationSet, options: RunnerOptions | None = None,
                 *, connection_factory: ConnectionFactory = open_connection) -> None:
        self.target = target
        self.migrations = migrations
        self.options = options or RunnerOptions()
        self._connect = connection_factory

    # -- read-only commands --------------------------------------------------------------------------

    def status(self) -> StatusReport:
        with self._session() as connection:
            history = self._read_history(connection)
            invalid_indexes = self._invalid_indexes(connection)
        return replace(self._report(history), invalid_indexes=tuple(invalid_indexes))

    def verify(self) -> StatusReport:
        """Status that raises MigrationError when history and folder disagree or an index is invalid."""
        report = self.status()
        self._raise_problems(report.problems + report.invalid_indexes)
        return report

    def plan(self, target_version: int | None = None) -> Plan:
        report = self.status()
        self._raise_problems(report.problems)
        by_version = self.migrations.by_version()
        pending = [by_version[entry.version] for entry in report.pending
                   if target_version is None or entry.version <= target_version]
        return Plan(target=report.target, pending=tuple(
            PlannedMigration(version=migration.version, script=migration.script,
                             transactional=migration.up.transactional, sql=mask_sql(migration.up.sql()))
            for migration in pending
        ), warnings=tuple(warning for migration in pending for warning in migration.up.warnings))

    # -- commands that change the database -----------------------------------------------------------

    def migrate(self, target_version: int | None = None) -> RunResult:
        started = time.monotonic()
        result = RunResult(action="migrate", target=self.target.describe())
        with self._session() as connection, self._locked(connection, result) as lock_key:
            self._ensure_history_table(connection)
            # Read history only now, under the lock: a runner that waited sees what the other applied.
            report = self._report(self._read_history(connection))
            self._raise_problems(report.problems)
            by_version = self.migrations.by_version()
            pending = [by_version[entry.version] for entry in report.pending
                       if target_version is None or entry.version <= target_version]
            result.warnings = [warning for migration in pending for warning in migration.up.warnings]
            for migration in pending:
                result.applied.append(self._apply(connection, lock_key, migration.up, migration, result,
                                                  direction="up"))
            result.current_version = self._current_version(connection)
        result.duration_ms = int((time.monotonic() - started) * 1000)
        result.message = (f"applied {len(result.applied)} migration(s)" if result.applied
                          else "database is up to date")
        return result

    def baseline(self, version: int) -> RunResult:
        """Record that the database already holds everything up to `version` (history must be empty)."""
        result = RunResult(action="baseline", target=self.target.describe())
        with self._session() as connection, self._locked(connection, result):
            self._ensure_history_table(connection)
            rows = self._read_history(connection)
            if rows:
                raise MigrationError(f"cannot baseline: {self.options.qualified_table} already holds "
                                     f"{len(rows)} row(s) (newest {format_version(max(rows))})")
            connection.run(
                f"INSERT INTO {self.options.qualified_table} "
                "(version, description, kind, script, checksum, applied_by, applied_at, execution_ms, success) "
                "VALUES (:version, :description, 'BASELINE', :description, NULL, current_user, clock_timestamp(), "
                "0, true)",
                version=version, description=BASELINE_DESCRIPTION,
            )
            result.current_version = version
        result.message = f"baselined at {format_version(version)}"
        return result

    def rollback(self, to_version: int) -> RunResult:
        """Run down migrations, newest first, until only versions <= to_version remain applied."""
        started = time.monotonic()
        result = RunResult(action="rollback", target=self.target.describe())
        with self._session() as connection, self._locked(connection, result) as lock_key:
            self._ensure_history_table(connection)
            history = self._read_history(connection)
            report = self._report(history)
            self._raise_problems([problem for problem in report.problems if "--out-of-order" not in problem])
            baseline = self._baseline_version(history)
            if baseline is not None and to_version < baseline:
                raise MigrationError(f"cannot roll back below the baseline {format_version(baseline)}")
            by_version = self.migrations.by_version()
            to_undo = [by_version[version] for version, row in sorted(history.items(), reverse=True)
                       if version > to_version and row.kind == "SQL"]
            without_down = [migration.script for migration in to_undo if migration.down is None]
            if without_down:
                raise MigrationError(f"cannot roll back to {format_version(to_version)}: no down migration for "
                                     f"{', '.join(without_down)} (add NNN_description.down.sql)")
            downs = [migration.down for migration in to_undo if migration.down is not None]
            result.warnings = [warning for down in downs for warning in down.warnings]
            for migration in to_undo:
                assert migration.down is not None
                result.applied.append(self._apply(connection, lock_key, migration.down, migration, result,
                                                  direction="down"))
            result.current_version = self._current_version(connection)
        result.duration_ms = int((time.monotonic() - started) * 1000)
        result.message = (f"rolled back {len(result.applied)} migration(s)" if result.applied
                          else f"nothing to roll back: no applied version above {format_version(to_version)}")
        return result

    # -- connection, lock, history -------------------------------------------------------------------

    @contextmanager
    def _session(self) -> Iterator[Any]:
        import pg8000.native

        connection = self._connect(self.target)
        try:
            yield connection
        except (pg8000.native.DatabaseError, pg8000.native.InterfaceError, OSError) as error:
            # Outside a migration (lock, history table): still a clean, complete message.
            code, message, detail, _ = _describe_error(error)
            text = f"{self.target.describe()}: {code + ' ' if code else ''}{message}"
            raise MigrationError(text + (f" ({detail})" if detail else "") + ". Nothing was applied") from error
        finally:
            # The session may already be gone; the server then cleaned up (rollback, lock release).
            with suppress(Exception):
                connection.close()

    def lock_key(self, connection: Any) -> int:
        database = connection.run("SELECT current_database()")[0][0]
        return advisory_lock_key(database, self.options.schema, self.options.history_table)

    @contextmanager
    def _locked(self, connection: Any, result: RunResult) -> Iterator[int]:
        import pg8000.native

        key = self.lock_key(connection)
        waited_from = time.monotonic()
        timeout_ms = int(self.options.lock_timeout_seconds * 1000)
        # Nothing else may cut the wait short: a role-level statement_timeout would otherwise apply.
        connection.run("SET statement_timeout = 0")
        if not connection.run("SELECT pg_try_advisory_lock(:key)", key=key)[0][0]:
            holder = self._lock_holder(connection, key)
            # Waiting for a holder whose client is gone is pointless: say so at once.
            if timeout_ms <= 0 or self._client_gone(holder):
                raise LockError(self._lock_busy_message(holder, waited=False))
            connection.run(f"SET lock_timeout = {timeout_ms}")
            try:
                connection.run("SELECT pg_advisory_lock(:key)", key=key)
            except pg8000.native.DatabaseError as error:
                if _error_fields(error).get("C") != "55P03":
                    raise
                raise LockError(self._lock_busy_message(self._lock_holder(connection, key), waited=True)) from error
            connection.run("SET lock_timeout = 0")
        result.lock_wait_ms = int((time.monotonic() - waited_from) * 1000)
        try:
            yield key
        finally:
            # A lost session has released its lock with it.
            with suppress(Exception):
                connection.run("SELECT pg_advisory_unlock(:key)", key=key)

    @staticmethod
    def _lock_holder(connection: Any, key: int) -> list[Any] | None:
        """(pid, application, client, connected, state, seconds in that state) of the session holding the lock."""
        rows = connection.run(
            "SELECT a.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'local'), "
            "to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), a.state, "
            "extract(epoch FROM clock_timestamp() - a.state_change)::float8 "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.classid::bigint = CAST(:high AS bigint) AND l.objid::bigint = CAST(:low AS bigint)",
            high=(key >> 32) & 0xFFFFFFFF, low=key & 0xFFFFFFFF,
        )
        return rows[0] if rows else None

    @staticmethod
    def _client_gone(holder: list[Any] | None) -> bool:
        # A live run always has a statement in flight; an idle holder is a client that went away without
        # closing its connection (killed or frozen process, lost network, Lambda timeout).
        return (holder is not None and str(holder[4] or "").startswith("idle")
                and (holder[5] or 0) >= DEAD_CLIENT_IDLE_SECONDS)

    def _lock_busy_message(self, holder: list[Any] | None, *, waited: bool) -> str:
        wait = (f"after waiting {self.options.lock_timeout_seconds:g}s" if waited
                else "and --lock-timeout is 0")
        if holder is None:
            return (f"another migration run holds the lock on {self.options.qualified_table}: another session; "
                    f"gave up {wait}. Nothing was applied; retry when it finishes")
        pid, application, client, connected, state, idle_seconds = holder
        who = f"session pid {pid} ({application or 'unnamed'} from {client}, connected {connected} UTC)"
        if self._client_gone(holder):
            return (f"the lock on {self.options.qualified_table} is held by {who}, which has been {state} for "
                    f"{idle_seconds:.0f}s: its client is gone (a killed or frozen run, or a lost network; a live "
                    "run never sits idle holding the lock), and the server keeps the session until TCP gives up "
                    f"on it. Nothing was applied. End that session (its open transaction, if any, rolls back), "
                    f"then migrate again: SELECT pg_terminate_backend({pid});")
        return (f"another migration run holds the lock on {self.options.qualified_table}: {who}; "
                f"gave up {wait}. Nothing was applied; retry when it finishes")

    def _clean_session(self, connection: Any, lock_key: int, script: SqlScript) -> bool:
        """Start a migration from the session a fresh connection would have, plus the runner's own settings;
        True when this session still holds the migration lock.

        A migration's SET search_path, SET ROLE or temp table must not reach the next file: otherwise the
        result would depend on whether the two files ran in one call or two. (Not DISCARD ALL: it would
        release the advisory lock.) One round trip: this runs before every file.
        """
        rows = connection.run(
            "SET SESSION AUTHORIZATION DEFAULT; RESET ROLE; RESET ALL; DISCARD TEMP; "
            f"SET statement_timeout = {self.statement_timeout_ms(script)}; "
            f"SET lock_timeout = {self.lock_timeout_ms(script)}; "
            # PostgreSQL 14+ only; on older servers the setting does not exist and nothing is set.
            f"SELECT set_config(name, '{CLIENT_CONNECTION_CHECK_INTERVAL}', false) FROM pg_settings "
            "WHERE name = 'client_connection_check_interval'; "
            + self._holds_lock_query(lock_key))
        return bool(rows[-1][0])

    def _timeout_hint(self, script: SqlScript, failure: Failure) -> str:
        """What a lock_timeout (55P03) or statement_timeout (57014) cancellation means and how to change it."""
        if failure.code == "55P03":
            return (f"; it waited {self.lock_timeout_ms(script)} ms for a table lock (lock_timeout) that another "
                    "session holds, so it gave up instead of blocking every query behind it: retry when that "
                    "session is done (pg_stat_activity, pg_locks), or raise the limit for this file with "
                    "'-- toolkit:lock-timeout 30s' (envs: migrations.statement_lock_timeout_ms)")
        if failure.code == "57014" and "statement timeout" in failure.message:
            return (f"; it ran longer than statement_timeout ({self.statement_timeout_ms(script)} ms): batch the "
                    "work, or raise the limit for this file with '-- toolkit:statement-timeout 1h' "
                    "(envs: migrations.statement_timeout_ms)")
        return ""

    def lock_timeout_ms(self, script: SqlScript) -> int:
        """The file's `-- toolkit:lock-timeout`, else the environment's migrations.statement_lock_timeout_ms."""
        own = script.lock_timeout_ms
        return int(own if own is not None else self.options.statement_lock_timeout_ms)

    def statement_timeout_ms(self, script: SqlScript) -> int:
        own = script.statement_timeout_ms
        return int(own if own is not None else self.options.statement_timeout_ms)

    def _restore_identity(self, connection: Any, lock_key: int) -> bool:
        """Write the history row as the runner's own user, whatever role the migration switched to (inside
        its transaction: a SET LOCAL ROLE has done its work by now); True when the lock is still held."""
        rows = connection.run("SET SESSION AUTHORIZATION DEFAULT; RESET ROLE; " + self._holds_lock_query(lock_key))
        return bool(rows[-1][0])

    @staticmethod
    def _holds_lock_query(key: int) -> str:
        # Literals, not parameters: the query shares a multi-statement round trip; `key` is our own integer.
        return ("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
                f"AND granted AND objsubid = 1 AND classid::bigint = {(int(key) >> 32) & 0xFFFFFFFF} "
                f"AND objid::bigint = {int(key) & 0xFFFFFFFF})")

    def _invalid_indexes(self, connection: Any) -> list[str]:
        """Every index PostgreSQL keeps but does not use, as problems with the step that fixes each."""
        rows = connection.run(
            "SELECT format('%I.%I', n.nspname, c.relname), format('%I.%I', tn.nspname, t.relname), c.relkind::text "
            "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace "
            "WHERE (NOT i.indisvalid OR NOT i.indisready) "
            # An index being built right now (by anyone) is invalid until its build ends: not a problem.
            "AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = i.indexrelid) "
            "ORDER BY 1"
        )
        problems = []
        for index, table, kind in rows:
            if kind == "I":
                problems.append(f"partitioned index {index} on {table} is not valid: an index of every partition "
                                f"must be attached (ALTER INDEX {index} ATTACH PARTITION …), or drop it")
            else:
                problems.append(f"index {index} on {table} is INVALID (a failed CREATE INDEX CONCURRENTLY or "
                                "REINDEX CONCURRENTLY left it): queries do not use it, a unique one enforces "
                                f"nothing, and writes still maintain it. Run 'DROP INDEX CONCURRENTLY IF EXISTS "
                                f"{index};', then its CREATE INDEX CONCURRENTLY again")
        return problems

    def _ensure_history_table(self, connection: Any) -> None:
        connection.run(f'CREATE SCHEMA IF NOT EXISTS "{self.options.schema}"')
        connection.run(
            f"CREATE TABLE IF NOT EXISTS {self.options.qualified_table} ("
            " installed_rank bigint GENERATED ALWAYS AS IDENTITY UNIQUE,"
            " version bigint PRIMARY KEY,"
            " description text NOT NULL,"
            " kind text NOT NULL DEFAULT 'SQL' CHECK (kind IN ('SQL', 'BASELINE')),"
            " script text NOT NULL,"
            " checksum text,"
            " applied_by text NOT NULL DEFAULT current_user,"
            " applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
            " execution_ms integer NOT NULL,"
            " success boolean NOT NULL)"
        )

    def _read_history(self, connection: Any) -> dict[int, HistoryRow]:
        exists = connection.run("SELECT to_regclass(:name) IS NOT NULL",
                                name=self.options.qualified_table)[0][0]
        if not exists:
            return {}
        rows = connection.run(
            "SELECT version, description, kind, script, checksum, applied_by, "
            "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), execution_ms, success "
            f"FROM {self.options.qualified_table} ORDER BY version"
        )
        return {int(row[0]): HistoryRow(int(row[0]), row[1], row[2], row[3], row[4], row[5], row[6], int(row[7]),
                                        bool(row[8])) for row in rows}

    def _current_version(self, connection: Any) -> int | None:
        return connection.run(f"SELECT max(version) FROM {self.options.qualified_table}")[0][0]

    @staticmethod
    def _baseline_version(history: dict[int, HistoryRow]) -> int | None:
        baselines = [version for version, row in history.items() if row.kind == "BASELINE"]
        return max(baselines) if baselines else None

    # -- validation ----------------------------------------------------------------------------------

    def _report(self, history: dict[int, HistoryRow]) -> StatusReport:
        problems: list[str] = []
        entries: list[StatusEntry] = []
        files = self.migrations.by_version()
        baseline = self._baseline_version(history)
        applied_versions = [version for version, row in history.items() if row.kind == "SQL" and row.success]
        newest_applied = max(applied_versions, default=None)
        directory = self.migrations.directory
        for version in sorted(set(files) | set(history)):
            migration, row = files.get(version), history.get(version)
            applied_fields: dict[str, Any] = {}
            if row is not None:
                applied_fields = {"applied_at": row.applied_at, "applied_by": row.applied_by,
                                  "execution_ms": row.execution_ms}
            shape: dict[str, Any] = {}
            if migration is not None:
                shape = {"transactional": migration.up.transactional, "has_down": migration.down is not None}
            if row is not None and row.kind == "BASELINE":
                entries.append(StatusEntry(version, migration.script if migration else row.script, State.baseline,
                                           **applied_fields, **shape))
                continue
            if migration is None:
                assert row is not None
                problems.append(f"{row.script} (version {format_version(version)}) was applied on "
                                f"{row.applied_at} but is missing from {directory}")
                entries.append(StatusEntry(version, row.script, State.missing, **applied_fields))
                continue
            if row is not None:
                if migration.skip_reason is not None:
                    below = [applied for applied in applied_versions if applied < version]
                    rollback_to = format_version(max(below)) if below else "0"
                    problems.append(f"{migration.script} is listed in the skip manifest "
                                    f"({migration.skip_reason}) but was applied on {row.applied_at}: to keep it, "
                                    f"remove the line for {format_version(version)} from {directory / SKIP_MANIFEST}; "
                                    f"to undo it, roll it back first (rollback --to {rollback_to}, which also "
                                    "undoes every later version) and keep it listed")
                    entries.append(StatusEntry(version, migration.script, State.applied_but_skipped,
                                               migration.skip_reason, **applied_fields, **shape))
                elif row.checksum != migration.up.checksum:
                    problems.append(f"{migration.script} was changed after it was applied: checksum "
                                    f"{row.checksum} in history, {migration.up.checksum} on disk")
                    entries.append(StatusEntry(version, migration.script, State.changed, **applied_fields,
                                               **shape))
                else:
                    entries.append(StatusEntry(version, migration.script, State.applied, **applied_fields,
                                               **shape))
                continue
            if migration.skip_reason is not None:
                entries.append(StatusEntry(version, migration.script, State.skipped, migration.skip_reason,
                                           **shape))
            elif baseline is not None and version <= baseline:
                entries.append(StatusEntry(version, migration.script, State.below_baseline, **shape))
            elif newest_applied is not None and version < newest_applied:
                if not self.options.out_of_order:
                    problems.append(f"{migration.script} is pending but older than the newest applied migration "
                                    f"{history[newest_applied].script}: apply it with --out-of-order, or "
                                    f"renumber it above {format_version(newest_applied)}")
                entries.append(StatusEntry(version, migration.script, State.out_of_order, **shape))
            else:
                entries.append(StatusEntry(version, migration.script, State.pending, **shape))
        return StatusReport(target=self.target.describe(), history_table=self.options.qualified_table,
                            entries=tuple(entries), problems=tuple(problems),
                            current_version=max(history, default=None))

    @staticmethod
    def _raise_problems(problems: list[str] | tuple[str, ...]) -> None:
        if len(problems) == 1:
            raise MigrationError(f"{problems[0]}. Nothing was applied")
        if problems:
            raise MigrationError(f"{len(problems)} problems, nothing was applied:\n"
                                 + "\n".join(f"- {problem}" for problem in problems))

    # -- applying one script -------------------------------------------------------------------------

    def _apply(self, connection: Any, lock_key: int, script: SqlScript, migration: Migration, result: RunResult,
               *, direction: str) -> AppliedMigration:
        previous = result.applied[-1].script if result.applied else None
        if not self._clean_session(connection, lock_key, script):
            self._lock_lost(script, result, f"stopped before {script.script}: nothing of it was applied",
                            culprit=previous)
        connection.notices.clear()
        started = time.monotonic()
        if script.transactional:
            self._apply_in_transaction(connection, lock_key, script, migration, result, direction, started)
        else:
            self._apply_without_transaction(connection, lock_key, script, migration, result, direction, started)
        notices = tuple(notice.get(b"M", b"").decode("utf-8", "replace") for notice in connection.notices)
        return AppliedMigration(version=migration.version, script=script.script,
                                execution_ms=int((time.monotonic() - started) * 1000), direction=direction,
                                notices=notices)

    def _lock_lost(self, script: SqlScript, result: RunResult, outcome: str, *, culprit: str | None) -> None:
        """Stop: without the lock another run may already be applying the same migrations."""
        released_by = (f"{culprit} released it (pg_advisory_unlock_all() or pg_advisory_unlock() in a migration "
                       "ends the runner's own lock)" if culprit else "it was released")
        failure = Failure(script=script.script, line=None, code="", statement="(migration lock check)",
                          message=f"this run no longer holds the migration lock on {self.options.qualified_table}: "
                                  f"{released_by}, so another run could start applying migrations",
                          recovery="remove the unlock from the migration, make sure no other run is in progress, "
                                   "then run migrate again")
        raise MigrationFailed(self._failure_text(failure, f"{outcome}. {failure.recovery[:1].upper()}"
                                                          f"{failure.recovery[1:]}"), failure, result)

    def _record(self, connection: Any, migration: Migration, direction: str, execution_ms: int) -> None:
        if direction == "down":
            connection.run(f"DELETE FROM {self.options.qualified_table} WHERE version = :version",
                           version=migration.version)
            return
        connection.run(
            f"INSERT INTO {self.options.qualified_table} "
            "(version, description, kind, script, checksum, applied_by, applied_at, execution_ms, success) "
            "VALUES (:version, :description, 'SQL', :script, :checksum, current_user, pg_catalog.clock_timestamp(), "
            ":execution_ms, true)",
            version=migration.version, description=migration.description, script=migration.script,
            checksum=migration.up.checksum, execution_ms=execution_ms,
        )

    def _apply_in_transaction(self, connection: Any, lock_key: int, script: SqlScript, migration: Migration,
                              result: RunResult, direction: str, started: float) -> None:
        import pg8000.native

        statement: Statement | None = None
        try:
            connection.run("BEGIN")
            for statement in script.statements:
                connection.run(statement.sql)
            statement = None
            if not self._restore_identity(connection, lock_key):
                connection.run("ROLLBACK")
                self._lock_lost(script, result, f"{script.script}'s transaction was rolled back: nothing of it "
                                "was applied", culprit=script.script)
            self._record(connection, migration, direction, int((time.monotonic() - started) * 1000))
            connection.run("COMMIT")
        except (pg8000.native.DatabaseError, pg8000.native.InterfaceError, OSError) as error:
            lost = _is_connection_lost(error)
            if not lost:
                try:
                    connection.run("ROLLBACK")
                except Exception:  # the server rolls back on disconnect; reported below
                    lost = True
            failure = self._failure(script, statement, error)
            if lost and statement is None:
                outcome = (f"the connection was lost while committing {script.script}: it is either fully "
                           "applied or not at all; run status to see which, then migrate again")
            elif lost:
                outcome = (f"the connection was lost: the server rolled back {script.script}'s transaction, "
                           "nothing of it was applied and its lock was released; run migrate again")
            else:
                outcome = (f"the transaction was rolled back: nothing of {script.script} was applied; "
                           "the lock was released")
            if failure.code == "25001":
                outcome += ("; this statement cannot run inside a transaction: declare "
                            "'-- toolkit:no-transaction' in the file")
            outcome += self._timeout_hint(script, failure)
            raise MigrationFailed(self._failure_text(failure, outcome), failure, result) from error

    def _apply_without_transaction(self, connection: Any, lock_key: int, script: SqlScript, migration: Migration,
                                   result: RunResult, direction: str, started: float) -> None:
        import pg8000.native

        indexes = concurrent_indexes(script)
        # Before anything runs: an INVALID index left by an earlier failed build would make
        # `CREATE INDEX CONCURRENTLY IF NOT EXISTS` skip and the file's other statements run again.
        self._check_indexes(connection, script, indexes, result, executed=None)
        for index, statement in enumerate(script.statements):
            try:
                connection.run(statement.sql)
            except (pg8000.native.DatabaseError, pg8000.native.InterfaceError, OSError) as error:
                failure = self._failure(script, statement, error)
                failure = Failure(**(asdict(failure) | {"recovery": _recovery_for_non_transactional(script, index)}))
                outcome = (f"{script.script} declares '-- toolkit:no-transaction', so it ran outside a "
                           f"transaction and is not recorded in history. Recovery: {failure.recovery}")
                outcome += self._timeout_hint(script, failure)
                raise MigrationFailed(self._failure_text(failure, outcome), failure, result) from error
            # Right after the statement, while its index must exist under that name (a later statement may
            # rename it: the build-then-swap pattern), and before anything else of the file runs.
            built = [item for item in indexes if item.statement is statement]
            self._check_indexes(connection, script, built, result, executed=script.statements[:index + 1],
                                must_exist=True)
        try:
            self._refuse_open_transaction(connection, script, result)
            holds_lock = self._restore_identity(connection, lock_key)
            self._check_indexes(connection, script, indexes, result, executed=script.statements)
            if not holds_lock:
                self._lock_lost(script, result, f"{script.script} ran outside a transaction (-- toolkit:no-"
                                "transaction) and is NOT recorded in history", culprit=script.script)
            self._record(connection, migration, direction, int((time.monotonic() - started) * 1000))
        except (pg8000.native.DatabaseError, pg8000.native.InterfaceError, OSError) as error:
            failure = Failure(script=script.script, line=None, code=_describe_error(error)[0],
                              message=_describe_error(error)[1], statement="(history row)",
                              recovery="record it with baseline or make the file idempotent and migrate again")
            outcome = (f"{script.script} ran completely outside a transaction but its history row could not be "
                       "written; a new run would execute it again: make it idempotent before re-running")
            raise MigrationFailed(self._failure_text(failure, outcome), failure, result) from error

    def _refuse_open_transaction(self, connection: Any, script: SqlScript, result: RunResult) -> None:
        """A no-transaction file that BEGINs without COMMIT would take its history row into that transaction,
        and lose both when the connection closes, after the run reported success."""
        # Equal only in the first statement of a transaction, i.e. when no transaction block is open.
        if not connection.run("SELECT pg_catalog.statement_timestamp() <> pg_catalog.transaction_timestamp()")[0][0]:
            return
        connection.run("ROLLBACK")
        failure = Failure(script=script.script, line=None, code="", statement="(end of file)",
                          message="the file left a transaction open (BEGIN without COMMIT)",
                          recovery="end the file's transaction with COMMIT, then run migrate again")
        outcome = (f"that transaction was rolled back (what ran after its BEGIN is undone; statements before it "
                   f"were committed) and {script.script} is NOT recorded in history. Recovery: {failure.recovery}")
        raise MigrationFailed(self._failure_text(failure, outcome), failure, result)

    def _check_indexes(self, connection: Any, script: SqlScript, indexes: list[ConcurrentIndex],
                       result: RunResult, *, executed: tuple[Statement, ...] | None, must_exist: bool = False) -> None:
        """Each CREATE INDEX CONCURRENTLY of the file must leave a valid, ready index on its table.

        `IF NOT EXISTS` skips when any relation of that name exists, valid or not and on any table, and
        PostgreSQL reports success: this check is what makes the pattern safe. `executed`: the statements
        that already ran (None: the file has not started).
        """
        for index in indexes:
            rows = connection.run(
                "SELECT format('%I.%I', n.nspname, c.relname), i.indrelid = to_regclass(:table), i.indisvalid, "
                "i.indisready, (SELECT format('%I.%I', tn.nspname, t.relname) FROM pg_class t "
                "JOIN pg_namespace tn ON tn.oid = t.relnamespace WHERE t.oid = i.indrelid), c.relkind::text "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "LEFT JOIN pg_index i ON i.indexrelid = c.oid "
                "WHERE c.relname = :name "
                "AND c.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = to_regclass(:table))",
                name=index.name, table=index.table,
            )
            if not rows:
                if must_exist:
                    self._index_failure(script, index, result, executed, f"index {index.name} does not exist on "
                                        f"{index.table} after its CREATE INDEX CONCURRENTLY", drop=None)
                continue
            qualified, on_table, valid, ready, other_table, kind = rows[0]
            if kind not in ("i", "I"):
                self._index_failure(script, index, result, executed, f"{qualified} is not an index but a relation of "
                                    "another kind with the same name: the index was not built", drop=None)
            elif not on_table:
                self._index_failure(script, index, result, executed, f"index {qualified} exists on {other_table}, not "
                                    f"on {index.table}: 'IF NOT EXISTS' skipped building it", drop=None)
            elif not valid or not ready:
                state = ", ".join(part for part, ok in (("indisvalid = false", valid), ("indisready = false", ready))
                                  if not ok)
                self._index_failure(script, index, result, executed, f"index {qualified} is INVALID ({state}): an "
                                    "earlier failed CREATE INDEX CONCURRENTLY left it and 'IF NOT EXISTS' skipped "
                                    "building it", drop=qualified)

    def _index_failure(self, script: SqlScript, index: ConcurrentIndex, result: RunResult,
                       executed: tuple[Statement, ...] | None, message: str, *, drop: str | None) -> None:
        steps = [f"run 'DROP INDEX CONCURRENTLY IF EXISTS {drop};'" if drop else "rename one of the two"]
        if executed is not None:
            earlier = [statement for statement in executed if statement is not index.statement]
            if earlier:
                lines = ", ".join(str(statement.line) for statement in earlier)
                steps.insert(0, f"its other statement(s) (line {lines}) were committed: undo them or make them "
                             "idempotent")
            outcome = (f"{script.script} ran outside a transaction (-- toolkit:no-transaction) and is NOT recorded "
                       "in history")
        else:
            outcome = f"{script.script} was not started: nothing of it ran and it is not recorded in history"
        recovery = "; ".join(steps) + "; then run migrate again"
        failure = Failure(script=script.script, line=index.statement.line, code="", message=message,
                          statement=mask_sql(index.statement.first_line), recovery=recovery)
        raise MigrationFailed(self._failure_text(failure, f"{outcome}. Recovery: {recovery}"), failure, result)

    @staticmethod
    def _failure(script: SqlScript, statement: Statement | None, error: BaseException) -> Failure:
        code, message, detail, position = _describe_error(error)
        # PostgreSQL's message and detail can quote the SQL (a syntax error near "…"): masked like the statement.
        message, detail = mask_sql(message), mask_sql(detail)
        if statement is None:
            return Failure(script=script.script, line=None, code=code, message=message, statement="COMMIT",
                           detail=detail)
        line = statement.line_of(position) if position else statement.line
        return Failure(script=script.script, line=line, code=code, message=message,
                       statement=mask_sql(statement.first_line), detail=detail)

    @staticmethod
    def _failure_text(failure: Failure, outcome: str) -> str:
        where = f"{failure.script}, line {failure.line}" if failure.line else failure.script
        code = f"{failure.code} " if failure.code else ""
        text = f"{where}: {code}{failure.message}\n  statement: {failure.statement}"
        if failure.detail:
            text += f"\n  {failure.detail}"
        return f"{text}\n{outcome}"


def migrate_directory(dsn: str, directory: str | os.PathLike[str], *, target_version: int | None = None,
                      connection_factory: ConnectionFactory = open_connection, **options: Any) -> RunResult:
    """Library entry point (benchmarks, scripts): migrate `directory` into the database at `dsn`.

    One pinned connection for the whole run; `options` are RunnerOptions fields.
    """
    from pathlib import Path

    from toolkit.db.connection import parse_dsn
    from toolkit.db.files import load_migrations

    runner = MigrationRunner(parse_dsn(dsn), load_migrations(Path(directory)), RunnerOptions(**options),
                             connection_factory=connection_factory)
    return runner.migrate(target_version)
