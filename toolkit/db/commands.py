"""One library function per `toolkit db` command: resolve the environment's settings, then run.

Resolution order for the connection: --dsn, then --secret-id, then the environment variable named by
`migrations.dsn_env` (default TOOLKIT_DATABASE_URL), then `migrations.secret_id`. `--dsn` and `--dir`
override the environment's settings, so they work even outside a project checkout.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.db.connection import ConnectionTarget, parse_dsn, target_from_secret, with_overrides
from toolkit.db.files import load_migrations
from toolkit.db.package import PackageResult, build_package
from toolkit.db.runner import (
    DEFAULT_STATEMENT_LOCK_TIMEOUT_MS,
    DEFAULT_STATEMENT_TIMEOUT_MS,
    MigrationRunner,
    Plan,
    RunnerOptions,
    RunResult,
    StatusReport,
)
from toolkit.errors import ConfigError, UsageError

DEFAULT_DIRECTORY = "db/migrations"
DEFAULT_DSN_ENV = "TOOLKIT_DATABASE_URL"
PACKAGE_NAME = "migrations-runner.zip"


@dataclass(frozen=True)
class DbRequest:
    """What the command line said; None means "use the environment's setting"."""

    environment: str
    dsn: str | None = None
    directory: Path | None = None
    secret_id: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    endpoint_url: str | None = None
    lock_timeout_seconds: float | None = None
    out_of_order: bool = False


@dataclass(frozen=True)
class Resolved:
    """The environment's migration settings with the command line's overrides applied."""

    directory: Path
    options: RunnerOptions
    dsn_env: str
    secret_id: str | None
    host: str | None
    port: int | None
    database: str | None
    region: str | None
    lambda_function: str | None
    build_dir: Path | None
    pg_version: str = "15"  # major version of the environment's engine (the lint's --pg-version)
    protected: bool = False


def resolve(request: DbRequest) -> Resolved:
    from toolkit.config import load_environment
    from toolkit.project import Project

    standalone = request.directory is not None and (request.dsn is not None or request.secret_id is not None)
    try:
        project = Project.discover()
    except ConfigError:
        if not standalone:
            raise
        project = None
    settings = load_environment(project, request.environment).settings if project else None
    migrations = settings.migrations if settings else None
    if request.directory is not None:
        directory = request.directory
    else:
        assert project is not None and migrations is not None
        directory = project.root / migrations.directory
    options = RunnerOptions(
        schema=migrations.schema_name if migrations else "public",
        history_table=migrations.history_table if migrations else "toolkit_schema_history",
        lock_timeout_seconds=(request.lock_timeout_seconds if request.lock_timeout_seconds is not None
                              else migrations.lock_timeout_seconds if migrations else 60),
        statement_timeout_ms=migrations.statement_timeout_ms if migrations else DEFAULT_STATEMENT_TIMEOUT_MS,
        statement_lock_timeout_ms=(migrations.statement_lock_timeout_ms if migrations
                                   else DEFAULT_STATEMENT_LOCK_TIMEOUT_MS),
        out_of_order=request.out_of_order,
    )
    return Resolved(
        directory=directory,
        options=options,
        dsn_env=migrations.dsn_env if migrations else DEFAULT_DSN_ENV,
        secret_id=migrations.secret_id if migrations else None,
        host=migrations.host if migrations else None,
        port=migrations.port if migrations else None,
        database=migrations.database_name if migrations else None,
        region=settings.aws_region if settings else os.environ.get("AWS_REGION"),
        lambda_function=migrations.lambda_function if migrations else None,
        build_dir=project.build_dir(request.environment) if project else None,
        pg_version=settings.database.engine_version.split(".")[0] if settings else "15",
        protected=bool(settings and settings.protected),
    )


def connection_target(request: DbRequest, resolved: Resolved) -> ConnectionTarget:
    overrides = {"host": request.host, "port": request.port, "database": request.database}
    if request.dsn:
        return with_overrides(parse_dsn(request.dsn), **overrides)
    from_environment = os.environ.get(resolved.dsn_env)
    secret_id = request.secret_id or (None if from_environment else resolved.secret_id)
    if secret_id:
        return target_from_secret(secret_id, host=request.host or resolved.host,
                                  port=request.port or resolved.port,
                                  database=request.database or resolved.database,
                                  region=resolved.region, endpoint_url=request.endpoint_url)
    if from_environment:
        return with_overrides(parse_dsn(from_environment), **overrides)
    raise UsageError(f"no database to connect to: pass --dsn, set {resolved.dsn_env}, "
                     "or pass --secret-id (or set migrations.secret_id)")


def runner_for(request: DbRequest) -> MigrationRunner:
    """Validate the folder first (no connection for a bad folder), then resolve the connection."""
    resolved = resolve(request)
    migrations = load_migrations(resolved.directory)
    return MigrationRunner(connection_target(request, resolved), migrations, resolved.options)


def status(request: DbRequest) -> StatusReport:
    return runner_for(request).status()


def verify(request: DbRequest) -> StatusReport:
    return runner_for(request).verify()


def plan(request: DbRequest, target_version: int | None = None) -> Plan:
    return runner_for(request).plan(target_version)


def migrate(request: DbRequest, target_version: int | None = None) -> RunResult:
    return runner_for(request).migrate(target_version)


def baseline(request: DbRequest, version: int) -> RunResult:
    return runner_for(request).baseline(version)


def rollback(request: DbRequest, to_version: int) -> RunResult:
    return runner_for(request).rollback(to_version)


def migrate_via_lambda(request: DbRequest, target_version: int | None = None, function: str | None = None,
                       *, client: Any = None) -> dict[str, Any]:
    """Invoke the in-VPC runner; returns its result dict (`ok` False when a migration failed)."""
    from toolkit.db.remote import invoke_runner

    resolved = resolve(request)
    function_name = function or resolved.lambda_function
    if not function_name:
        raise UsageError("no runner function: pass --function or set migrations.lambda_function")
    event: dict[str, Any] = {"action": "migrate", "out_of_order": request.out_of_order}
    if target_version is not None:
        event["target"] = target_version
    return invoke_runner(function_name, event, region=resolved.region, endpoint_url=request.endpoint_url,
                         client=client)


def package(request: DbRequest, output: Path | None = None) -> PackageResult:
    resolved = resolve(request)
    if output is None:
        if resolved.build_dir is None:
            raise UsageError("pass --output: there is no project build folder here")
        output = resolved.build_dir / PACKAGE_NAME
    elif not output.parent.is_dir():
        # A typo in --output must not leave a new folder tree behind (the default build folder is ours to make).
        what = "is not a folder" if output.parent.exists() else "does not exist"
        raise UsageError(f"--output {output}: the folder {output.parent} {what}; create it first or pick another")
    return build_package(resolved.directory, output)


def lint_pending(request: DbRequest, plan_result: Plan) -> Any:
    """The lint of the files `db plan` would apply (nothing pending: an empty, clean report)."""
    from toolkit.db.lint import LintReport, LintSettings, lint_scripts

    resolved = resolve(request)
    migrations = load_migrations(resolved.directory)
    pending = {item.version for item in plan_result.pending}
    scripts = [migration.up for migration in migrations.migrations if migration.version in pending]
    settings = LintSettings(lock_timeout_ms=resolved.options.statement_lock_timeout_ms,
                            pg_version=resolved.pg_version)
    return lint_scripts(scripts, settings, LintReport(directory=str(resolved.directory)))


def rehearse(request: DbRequest, target_version: int | None = None) -> Any:
    from toolkit.db.rehearsal import rehearse as run_rehearsal

    rehearsal = run_rehearsal(runner_for(request), target_version)
    if resolve(request).protected:
        rehearsal.warnings.insert(0, f"{request.environment} is protected: the rehearsal held every file's locks "
                                     "until its final ROLLBACK; rehearse on a restored copy of it rather than on it")
    return rehearsal
