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
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from toolkit.db.connection import ConnectionTarget, open_connection
from toolkit.db.files import Migration, MigrationSet, SqlScript, format_version
from toolkit.db.splitter import Statement
from toolkit.errors import LockError, MigrationError

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
BASELINE_DESCRIPTION = "<< baseline >>"
# SQLSTATEs meaning the session is gone: admin shutdown, crash, cannot connect now, connection class 08.
CONNECTION_LOST_CODES = ("57P01", "57P02", "57P03")
CONCURRENT_INDEX = re.compile(
    r"^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>\"[^\"]+\"|\w+)\s+"
    r"ON\s+(?:ONLY\s+)?(?:(?P<schema>\"[^\"]+\"|\w+)\.)?",
    re.IGNORECASE,
)


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

    @property
    def pending(self) -> tuple[StatusEntry, ...]:
        return tuple(entry for entry in self.entries if entry.state in (State.pending, State.out_of_order))

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "history_table": self.history_table,
            "current_version": self.current_version,
            "problems": list(self.problems),
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

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "pending": [asdict(item) for item in self.pending]}


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
    statement_timeout_ms: int = 0
    statement_lock_timeout_ms: int = 0
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
        return self._report(history)

    def verify(self) -> StatusReport:
        """Status that raises MigrationError when history and folder disagree."""
        report = self.status()
        self._raise_problems(report.problems)
        return report

    def plan(self, target_version: int | None = None) -> Plan:
        report = self.verify()
        by_version = self.migrations.by_version()
        return Plan(target=report.target, pending=tuple(
            PlannedMigration(version=entry.version, script=entry.script,
                             transactional=by_version[entry.version].up.transactional,
                             sql=by_version[entry.version].up.sql())
            for entry in report.pending if target_version is None or entry.version <= target_version
        ))

    # -- commands that change the database -----------------------------------------------------------

    def migrate(self, target_version: int | None = None) -> RunResult:
        started = time.monotonic()
        result = RunResult(action="migrate", target=self.target.describe())
        with self._session() as connection, self._locked(connection, result):
            self._ensure_history_table(connection)
            # Read history only now, under the lock: a runner that waited sees what the other applied.
            report = self._report(self._read_history(connection))
            self._raise_problems(report.problems)
            by_version = self.migrations.by_version()
            pending = [by_version[entry.version] for entry in report.pending
                       if target_version is None or entry.version <= target_version]
            self._apply_session_settings(connection)
            for migration in pending:
                result.applied.append(self._apply(connection, migration.up, migration, result, direction="up"))
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
        with self._session() as connection, self._locked(connection, result):
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
            self._apply_session_settings(connection)
            for migration in to_undo:
                assert migration.down is not None
                result.applied.append(self._apply(connection, migration.down, migration, result,
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
    def _locked(self, connection: Any, result: RunResult) -> Iterator[None]:
        import pg8000.native

        key = self.lock_key(connection)
        waited_from = time.monotonic()
        timeout_ms = int(self.options.lock_timeout_seconds * 1000)
        # Nothing else may cut the wait short: a role-level statement_timeout would otherwise apply.
        connection.run("SET statement_timeout = 0")
        if timeout_ms <= 0:
            acquired = connection.run("SELECT pg_try_advisory_lock(:key)", key=key)[0][0]
            if not acquired:
                raise LockError(self._lock_busy_message(connection, key, waited=False))
        else:
            connection.run(f"SET lock_timeout = {timeout_ms}")
            try:
                connection.run("SELECT pg_advisory_lock(:key)", key=key)
            except pg8000.native.DatabaseError as error:
                if _error_fields(error).get("C") != "55P03":
                    raise
                raise LockError(self._lock_busy_message(connection, key, waited=True)) from error
            connection.run("SET lock_timeout = 0")
        result.lock_wait_ms = int((time.monotonic() - waited_from) * 1000)
        try:
            yield
        finally:
            # A lost session has released its lock with it.
            with suppress(Exception):
                connection.run("SELECT pg_advisory_unlock(:key)", key=key)

    def _lock_busy_message(self, connection: Any, key: int, *, waited: bool) -> str:
        holder = connection.run(
            "SELECT a.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'local'), "
            "to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.classid::bigint = CAST(:high AS bigint) AND l.objid::bigint = CAST(:low AS bigint)",
            high=(key >> 32) & 0xFFFFFFFF, low=key & 0xFFFFFFFF,
        )
        who = (f"session pid {holder[0][0]} ({holder[0][1] or 'unnamed'} from {holder[0][2]}, "
               f"connected {holder[0][3]} UTC)" if holder else "another session")
        wait = (f"after waiting {self.options.lock_timeout_seconds:g}s" if waited
                else "and --lock-timeout is 0")
        return (f"another migration run holds the lock on {self.options.qualified_table}: {who}; "
                f"gave up {wait}. Nothing was applied; retry when it finishes")

    def _apply_session_settings(self, connection: Any) -> None:
        connection.run(f"SET statement_timeout = {int(self.options.statement_timeout_ms)}")
        connection.run(f"SET lock_timeout = {int(self.options.statement_lock_timeout_ms)}")

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
                    problems.append(f"{migration.script} is listed in the skip manifest "
                                    f"({migration.skip_reason}) but was applied on {row.applied_at}")
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

    def _apply(self, connection: Any, script: SqlScript, migration: Migration, result: RunResult, *,
               direction: str) -> AppliedMigration:
        connection.notices.clear()
        started = time.monotonic()
        if script.transactional:
            self._apply_in_transaction(connection, script, migration, result, direction, started)
        else:
            self._apply_without_transaction(connection, script, migration, result, direction, started)
        notices = tuple(notice.get(b"M", b"").decode("utf-8", "replace") for notice in connection.notices)
        return AppliedMigration(version=migration.version, script=script.script,
                                execution_ms=int((time.monotonic() - started) * 1000), direction=direction,
                                notices=notices)

    def _record(self, connection: Any, migration: Migration, direction: str, execution_ms: int) -> None:
        if direction == "down":
            connection.run(f"DELETE FROM {self.options.qualified_table} WHERE version = :version",
                           version=migration.version)
            return
        connection.run(
            f"INSERT INTO {self.options.qualified_table} "
            "(version, description, kind, script, checksum, applied_by, applied_at, execution_ms, success) "
            "VALUES (:version, :description, 'SQL', :script, :checksum, current_user, clock_timestamp(), "
            ":execution_ms, true)",
            version=migration.version, description=migration.description, script=migration.script,
            checksum=migration.up.checksum, execution_ms=execution_ms,
        )

    def _apply_in_transaction(self, connection: Any, script: SqlScript, migration: Migration, result: RunResult,
                              direction: str, started: float) -> None:
        import pg8000.native

        statement: Statement | None = None
        try:
            connection.run("BEGIN")
            for statement in script.statements:
                connection.run(statement.sql)
            statement = None
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
            raise MigrationFailed(self._failure_text(failure, outcome), failure, result) from error

    def _apply_without_transaction(self, connection: Any, script: SqlScript, migration: Migration,
                                   result: RunResult, direction: str, started: float) -> None:
        import pg8000.native

        for index, statement in enumerate(script.statements):
            try:
                connection.run(statement.sql)
            except (pg8000.native.DatabaseError, pg8000.native.InterfaceError, OSError) as error:
                failure = self._failure(script, statement, error)
                failure = Failure(**(asdict(failure) | {"recovery": _recovery_for_non_transactional(script, index)}))
                outcome = (f"{script.script} declares '-- toolkit:no-transaction', so it ran outside a "
                           f"transaction and is not recorded in history. Recovery: {failure.recovery}")
                raise MigrationFailed(self._failure_text(failure, outcome), failure, result) from error
        try:
            self._record(connection, migration, direction, int((time.monotonic() - started) * 1000))
        except (pg8000.native.DatabaseError, pg8000.native.InterfaceError, OSError) as error:
            failure = Failure(script=script.script, line=None, code=_describe_error(error)[0],
                              message=_describe_error(error)[1], statement="(history row)",
                              recovery="record it with baseline or make the file idempotent and migrate again")
            outcome = (f"{script.script} ran completely outside a transaction but its history row could not be "
                       "written; a new run would execute it again: make it idempotent before re-running")
            raise MigrationFailed(self._failure_text(failure, outcome), failure, result) from error

    @staticmethod
    def _failure(script: SqlScript, statement: Statement | None, error: BaseException) -> Failure:
        code, message, detail, position = _describe_error(error)
        if statement is None:
            return Failure(script=script.script, line=None, code=code, message=message, statement="COMMIT",
                           detail=detail)
        line = statement.line_of(position) if position else statement.line
        return Failure(script=script.script, line=line, code=code, message=message,
                       statement=statement.first_line, detail=detail)

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
