"""The migration runner as an AWS Lambda handler, for databases reachable only inside the VPC.

Handler: `toolkit.db.lambda_handler.handler`. The zip built by `toolkit db package` holds this package,
its pure-Python dependencies and the migrations under `migrations/`. Configuration comes from the
function's environment (set by modules/migrations-runner); the event only picks the action:

    {"action": "migrate" | "status" | "plan" | "verify" | "baseline" | "rollback",
     "target": 12, "to": 5, "version": 3, "out_of_order": false}

Credentials never travel in the event: they come from Secrets Manager (TOOLKIT_DB_SECRET_ID) or, for
tests, TOOLKIT_DATABASE_URL. The result is JSON: ok, action, applied versions with durations, errors.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from toolkit.db.connection import ConnectionTarget, parse_dsn, target_from_secret
from toolkit.db.files import load_migrations
from toolkit.db.masking import mask_sql
from toolkit.db.runner import (
    DEFAULT_STATEMENT_LOCK_TIMEOUT_MS,
    DEFAULT_STATEMENT_TIMEOUT_MS,
    MigrationFailed,
    MigrationRunner,
    RunnerOptions,
)
from toolkit.errors import ToolkitError

ACTIONS = ("migrate", "status", "plan", "verify", "baseline", "rollback")
# Leave the function this much time after the lock wait to report back instead of being killed.
RESERVED_SECONDS = 30.0


def _environment_target() -> ConnectionTarget:
    secret_id = os.environ.get("TOOLKIT_DB_SECRET_ID")
    port = os.environ.get("TOOLKIT_DB_PORT")
    if secret_id:
        return target_from_secret(secret_id, host=os.environ.get("TOOLKIT_DB_HOST") or None,
                                  port=int(port) if port else None,
                                  database=os.environ.get("TOOLKIT_DB_NAME") or None,
                                  region=os.environ.get("AWS_REGION"))
    dsn = os.environ.get("TOOLKIT_DATABASE_URL")
    if dsn:
        return parse_dsn(dsn)
    raise ToolkitError("the runner has no database: set TOOLKIT_DB_SECRET_ID (or TOOLKIT_DATABASE_URL)")


def _options(event: dict[str, Any], context: Any) -> RunnerOptions:
    lock_seconds = float(os.environ.get("TOOLKIT_DB_LOCK_TIMEOUT_SECONDS", "60"))
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        lock_seconds = max(0.0, min(lock_seconds, remaining() / 1000 - RESERVED_SECONDS))
    return RunnerOptions(
        schema=os.environ.get("TOOLKIT_DB_SCHEMA", "public"),
        history_table=os.environ.get("TOOLKIT_DB_HISTORY_TABLE", "toolkit_schema_history"),
        lock_timeout_seconds=lock_seconds,
        statement_timeout_ms=int(os.environ.get("TOOLKIT_DB_STATEMENT_TIMEOUT_MS", DEFAULT_STATEMENT_TIMEOUT_MS)),
        statement_lock_timeout_ms=int(os.environ.get("TOOLKIT_DB_STATEMENT_LOCK_TIMEOUT_MS",
                                                     DEFAULT_STATEMENT_LOCK_TIMEOUT_MS)),
        out_of_order=bool(event.get("out_of_order", False)),
    )


def _migrations_directory() -> Path:
    configured = os.environ.get("TOOLKIT_MIGRATIONS_DIR")
    if configured:
        return Path(configured)
    # In the zip, migrations/ sits at the root next to the toolkit/ package.
    return Path(__file__).resolve().parent.parent.parent / "migrations"


def _optional_int(event: dict[str, Any], key: str) -> int | None:
    value = event.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise ToolkitError(f"event field {key!r} must be a version number, got {value!r}")
    return int(value)


def run(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Execute one action and return the structured result (never raises for migration problems)."""
    started = time.monotonic()
    action = str(event.get("action", "migrate"))
    try:
        if action not in ACTIONS:
            raise ToolkitError(f"unknown action {action!r}: choose one of {', '.join(ACTIONS)}")
        runner = MigrationRunner(_environment_target(), load_migrations(_migrations_directory()),
                                 _options(event, context))
        if action == "migrate":
            result = runner.migrate(_optional_int(event, "target")).to_dict()
        elif action == "rollback":
            to_version = _optional_int(event, "to")
            if to_version is None:
                raise ToolkitError("rollback needs the event field 'to' (the version to keep)")
            result = runner.rollback(to_version).to_dict()
        elif action == "baseline":
            version = _optional_int(event, "version")
            if version is None:
                raise ToolkitError("baseline needs the event field 'version'")
            result = runner.baseline(version).to_dict()
        elif action == "plan":
            result = {"ok": True, "action": action, "errors": []} | runner.plan(
                _optional_int(event, "target")).to_dict()
        else:
            report = runner.verify() if action == "verify" else runner.status()
            result = {"ok": True, "action": action, "errors": []} | report.to_dict()
    except MigrationFailed as failure:
        result = failure.to_dict()
    except ToolkitError as error:
        result = {"ok": False, "action": action, "applied": [], "errors": [{"message": str(error)}]}
    result["duration_ms"] = int((time.monotonic() - started) * 1000)
    return result


def handler(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    """AWS Lambda entry point."""
    result = run(event or {}, context)
    # One JSON line for CloudWatch Logs; it holds no credentials (the target is masked, and so is any PASSWORD
    # literal of a failing statement, here once more in case a message quoted one).
    print(mask_sql(json.dumps({key: value for key, value in result.items() if key != "pending"}, default=str)))
    return result
