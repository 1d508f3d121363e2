"""`toolkit db migrate ENV --rehearse`: run the pending SQL for real, inside one transaction, and keep nothing.

PostgreSQL's DDL is transactional, so the rehearsal runs every pending transactional migration, in order,
inside one transaction on the target (under the migration lock, with each file's lock_timeout and
statement_timeout), measures each file (time, the locks it took from pg_locks, rows its statements
touched) and rolls everything back. The history table is never written. What a rollback cannot undo:
sequence values drawn (nextval), and anything a migration does through another connection (dblink).
No-transaction files cannot run inside a transaction: they are listed as not rehearsable, and the files
after them run without their effect.
"""

from __future__ import annotations

import re
import time
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from typing import Any

from toolkit.db.runner import Failure, MigrationRunner, RunResult
from toolkit.db.splitter import code_only

# Locks that block writes (SHARE and stronger) or reads too (ACCESS EXCLUSIVE) of the relation.
BLOCKS_WRITES = frozenset({"ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"})
_READS_ONLY = re.compile(r"^\s*(?:SELECT|SHOW|VALUES|TABLE|EXPLAIN|SET|RESET)\b", re.IGNORECASE)
_LOCKS = ("SELECT coalesce(c.oid::regclass::text, l.locktype), l.mode FROM pg_locks l "
          "LEFT JOIN pg_class c ON l.locktype = 'relation' AND c.oid = l.relation "
          "WHERE l.pid = pg_backend_pid() AND l.granted AND l.locktype IN ('relation', 'object') "
          "AND (c.oid IS NULL OR c.relnamespace <> 'pg_catalog'::regnamespace) ORDER BY 1, 2")


@dataclass(frozen=True)
class RehearsedFile:
    version: int
    script: str
    status: str  # rehearsed | failed | not rehearsable | not reached
    execution_ms: int = 0
    rows: int = 0
    locks: tuple[tuple[str, str], ...] = ()  # (relation, mode) taken by this file

    @property
    def blocking_locks(self) -> list[tuple[str, str]]:
        return [lock for lock in self.locks if lock[1] in BLOCKS_WRITES]


@dataclass
class Rehearsal:
    target: str
    files: list[RehearsedFile] = field(default_factory=list)
    failure: Failure | None = None
    failure_text: str = ""
    duration_ms: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failure is None

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "action": "rehearse", "target": self.target, "rolled_back": True,
                "files": [asdict(item) | {"locks": [{"relation": relation, "mode": mode}
                                                    for relation, mode in item.locks]} for item in self.files],
                "duration_ms": self.duration_ms, "warnings": list(self.warnings),
                "errors": [asdict(self.failure) | {"text": self.failure_text}] if self.failure else []}


def rehearse(runner: MigrationRunner, target_version: int | None = None) -> Rehearsal:
    import pg8000.native

    started = time.monotonic()
    rehearsal = Rehearsal(target=runner.target.describe())

    with runner._session() as connection, runner._locked(connection, RunResult("rehearse", rehearsal.target)):
        # Read-only up to here: history is read, never created or written.
        report = runner._report(runner._read_history(connection))
        runner._raise_problems(report.problems)
        by_version = runner.migrations.by_version()
        pending = [by_version[entry.version] for entry in report.pending
                   if target_version is None or entry.version <= target_version]
        rehearsal.warnings = [warning for migration in pending for warning in migration.up.warnings]
        connection.run("BEGIN")
        try:
            for position, migration in enumerate(pending):
                script = migration.up
                if not script.transactional:
                    rehearsal.files.append(RehearsedFile(migration.version, script.script, "not rehearsable"))
                    continue
                before = {tuple(row) for row in connection.run(_LOCKS)}
                file_started = time.monotonic()
                # Each file as the runner would start it (fresh settings, its own timeouts), inside the one
                # transaction (SET LOCAL: gone at the rollback).
                connection.run("RESET ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ROLE; "
                               f"SET LOCAL statement_timeout = {runner.statement_timeout_ms(script)}; "
                               f"SET LOCAL lock_timeout = {runner.lock_timeout_ms(script)}")
                rows = 0
                statement = None
                try:
                    for statement in script.statements:
                        connection.run(statement.sql)
                        count = getattr(connection, "row_count", -1)
                        if isinstance(count, int) and count > 0 and not _READS_ONLY.match(code_only(statement.sql)):
                            rows += count
                except (pg8000.native.DatabaseError, pg8000.native.InterfaceError, OSError) as error:
                    failure = runner._failure(script, statement, error)
                    rehearsal.failure = failure
                    rehearsal.failure_text = runner._failure_text(
                        failure, f"the rehearsal stopped at {script.script} and rolled everything back: nothing "
                                 "was applied, history is untouched" + runner._timeout_hint(script, failure))
                    rehearsal.files.append(RehearsedFile(migration.version, script.script, "failed",
                                                         int((time.monotonic() - file_started) * 1000), rows))
                    rehearsal.files.extend(RehearsedFile(later.version, later.up.script, "not reached")
                                           for later in pending[position + 1:])
                    break
                elapsed = int((time.monotonic() - file_started) * 1000)
                after = {tuple(row) for row in connection.run(_LOCKS)}
                locks = tuple(sorted((str(relation), str(mode)) for relation, mode in after - before))
                rehearsal.files.append(RehearsedFile(migration.version, script.script, "rehearsed", elapsed, rows,
                                                     locks))
        finally:
            # The point of it all: nothing stays. A lost connection rolls back on the server as well.
            with suppress(pg8000.native.DatabaseError, pg8000.native.InterfaceError, OSError):
                connection.run("ROLLBACK")
    rehearsal.duration_ms = int((time.monotonic() - started) * 1000)
    return rehearsal
