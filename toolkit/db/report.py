"""Plain-text renderings of runner results for the CLI (JSON output uses the results' to_dict)."""

from __future__ import annotations

from typing import Any

from toolkit.db.files import format_version
from toolkit.db.runner import Plan, RunResult, State, StatusReport
from toolkit.text import plain


def _version(value: int | None) -> str:
    return "none" if value is None else format_version(value)


def format_status(report: StatusReport) -> str:
    lines = [f"Database: {report.target}",
             f"History:  {report.history_table} (current version {_version(report.current_version)})"]
    rows = [("VERSION", "STATE", "SCRIPT", "APPLIED AT", "BY", "MS", "NOTE")]
    for entry in report.entries:
        note = entry.note
        if not entry.transactional:
            note = (note + "; " if note else "") + "no-transaction"
        rows.append((format_version(entry.version), entry.state.value, entry.script, entry.applied_at or "",
                     entry.applied_by or "", "" if entry.execution_ms is None else str(entry.execution_ms), note))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
              for row in rows]
    pending = len(report.pending)
    skipped = sum(1 for entry in report.entries if entry.state is State.skipped)
    lines.append(f"{pending} pending, {skipped} skipped.")
    if report.problems:
        lines.append("Problems:")
        lines += [f"- {problem}" for problem in report.problems]
    if report.invalid_indexes:
        lines.append("Invalid indexes:")
        lines += [f"- {problem}" for problem in report.invalid_indexes]
    return "\n".join(lines)


def format_plan(plan: Plan) -> str:
    if not plan.pending:
        return f"Database: {plan.target}\nNothing to apply: the database is up to date."
    lines = [f"Database: {plan.target}", f"{len(plan.pending)} migration(s) would be applied, in this order:"]
    for item in plan.pending:
        mode = "outside a transaction (-- toolkit:no-transaction)" if not item.transactional else "in a transaction"
        lines += ["", f"-- {item.script} ({mode})", item.sql.rstrip()]
    return "\n".join(lines)


def format_run(result: RunResult) -> str:
    lines = [f"Database: {result.target}"]
    if result.lock_wait_ms >= 1000:
        lines.append(f"Waited {result.lock_wait_ms / 1000:.1f}s for the migration lock.")
    for item in result.applied:
        verb = "rolled back" if item.direction == "down" else "applied"
        lines.append(f"{verb} {item.script} ({item.execution_ms} ms)")
        lines += [f"  notice: {notice}" for notice in item.notices]
    lines.append(f"{result.message[:1].upper()}{result.message[1:]}; current version "
                 f"{_version(result.current_version)} ({result.duration_ms} ms).")
    return "\n".join(lines)


def format_remote(function_name: str, payload: dict[str, Any]) -> str:
    lines = [f"Runner: {function_name}", f"Database: {payload.get('target', '?')}"]
    for item in payload.get("applied", []):
        lines.append(f"applied {item.get('script')} ({item.get('execution_ms')} ms)")
    if payload.get("ok"):
        lines.append(f"{payload.get('message', 'done')}; current version "
                     f"{_version(payload.get('current_version'))} ({payload.get('duration_ms')} ms).")
    return "\n".join(lines)


def format_rehearsal(rehearsal: Any) -> str:
    lines = [f"Database: {rehearsal.target}", "Rehearsal: the pending migrations in one transaction, then ROLLBACK."]
    for item in rehearsal.files:
        if item.status != "rehearsed":
            reason = {"not rehearsable": "-- toolkit:no-transaction: cannot run inside a transaction; the files "
                                         "after it ran without it",
                      "not reached": "after the failing file"}.get(item.status, "")
            lines.append(f"{item.status:<15} {item.script}" + (f" ({item.execution_ms} ms)" if item.execution_ms
                                                               else "") + (f": {reason}" if reason else ""))
            continue
        lines.append(f"rehearsed       {item.script} ({item.execution_ms} ms, {item.rows} row(s) touched)")
        for relation, mode in item.locks:
            blocking = ("  <- blocks reads and writes" if mode == "AccessExclusiveLock"
                        else "  <- blocks writes" if mode in ("ShareLock", "ShareRowExclusiveLock", "ExclusiveLock")
                        else "")
            lines.append(f"    lock {mode} on {plain(relation)}{blocking}")
    if rehearsal.failure is not None:
        lines.append(rehearsal.failure_text)
    else:
        lines.append(f"Rolled back: nothing was applied, history is untouched ({rehearsal.duration_ms} ms).")
    return "\n".join(lines)
