"""The database's applied migration version, for checkpoints and rollback.

A checkpoint records the version applied when its apply ran (when the toolkit can read it: the environment's
DSN variable or secret is set and the database answers within seconds). A rollback that restores an older
configuration (the long tier's `full`, the short tier's state restore) compares that with the database now:
migrations applied since are ahead of the code being restored, and the warning names them and their down files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from toolkit.errors import ToolkitError

CONNECT_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class SchemaState:
    version: int | None
    applied: tuple[tuple[int, str], ...]  # (version, script) of every applied SQL migration, in order


def _request(environment: str) -> Any:
    from toolkit.db.commands import DbRequest

    return DbRequest(environment=environment)


def configured(environment: str) -> bool:
    """Whether this environment says how to reach its database (DSN variable or secret) at all."""
    from toolkit.db.commands import resolve

    try:
        resolved = resolve(_request(environment))
    except ToolkitError:
        return False
    return bool(os.environ.get(resolved.dsn_env) or resolved.secret_id)


def read_schema(environment: str) -> SchemaState:
    """The applied migrations of ENV's database; ToolkitError (with why) when it cannot be read."""
    from toolkit.db.commands import connection_target, resolve
    from toolkit.db.connection import open_connection

    request = _request(environment)
    resolved = resolve(request)
    connection = open_connection(connection_target(request, resolved), connect_timeout=CONNECT_TIMEOUT_SECONDS)
    try:
        table = resolved.options.qualified_table
        if not connection.run("SELECT to_regclass(:name) IS NOT NULL", name=table)[0][0]:
            return SchemaState(None, ())
        rows = connection.run(f"SELECT version, script, kind FROM {table} WHERE success ORDER BY version")
    finally:
        connection.close()
    applied = tuple((int(version), str(script)) for version, script, kind in rows if kind == "SQL")
    return SchemaState(max((int(row[0]) for row in rows), default=None), applied)


def version_for_checkpoint(environment: str) -> tuple[int | None, str | None]:
    """(version, None) when read; (None, why) when configured but unreadable; (None, None) when not configured."""
    if not configured(environment):
        return None, None
    try:
        return read_schema(environment).version, None
    except ToolkitError as error:
        return None, f"database schema version not recorded: {error}"
    except Exception as error:  # a checkpoint must never fail for this: it is information, not a guard
        return None, f"database schema version not recorded: {type(error).__name__}: {error}"


def schema_ahead_lines(environment: str, recorded: int | None, directory: Any | None = None) -> list[str]:
    """Lines for the rollback plan when the database is ahead of the restored configuration; [] when not."""
    if recorded is None or not configured(environment):
        return []
    try:
        state = read_schema(environment)
    except ToolkitError as error:
        return [f"the checkpoint's configuration ran with database schema version {recorded}; the database "
                f"cannot be read now ({error}): check `toolkit db status {environment}` before relying on old code"]
    ahead = [(version, script) for version, script in state.applied if version > recorded]
    if not ahead:
        return []
    downs = _down_files(environment, directory)
    lines = [f"the database's schema is newer than the configuration being restored (checkpoint recorded "
             f"version {recorded}, the database is at {state.version}); these migrations would be ahead of the "
             "restored code:"]
    for version, script in ahead:
        down = downs.get(version)
        lines.append(f"  {script}: " + (f"down migration {down} exists" if down else "no down migration"))
    missing = [script for version, script in ahead if version not in downs]
    if missing:
        lines.append(f"old code must work with the newer schema, or restore the database too (db-restore): "
                     f"{', '.join(missing)} cannot be undone by `toolkit db rollback`")
    else:
        lines.append(f"to undo them after the restore: toolkit db rollback {environment} --to {recorded}")
    return lines


def _down_files(environment: str, directory: Any | None) -> dict[int, str]:
    from toolkit.db.commands import resolve
    from toolkit.db.files import load_migrations

    try:
        folder = directory or resolve(_request(environment)).directory
        return {migration.version: migration.down.script for migration in load_migrations(folder).migrations
                if migration.down is not None}
    except ToolkitError:
        return {}
