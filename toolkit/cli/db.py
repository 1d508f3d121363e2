"""`toolkit db …`: database migrations (status, plan, lint, migrate, verify, baseline, rollback, package)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer

from toolkit.cli.options import (
    EndpointUrl,
    Environment,
    JsonAlias,
    MigrationLockTimeout,
    TextOrJson,
    TextOrJsonFormat,
    wants_json,
)
from toolkit.duration import Duration

DsnOption = typer.Option(None, "--dsn", help="postgresql://user:password@host:port/dbname (overrides the "
                         "environment; default: $TOOLKIT_DATABASE_URL or migrations.dsn_env). A password here is "
                         "visible in the process list: prefer the environment variable.",
                         show_default=False)
# Printed on stderr when --dsn carries a password (the variable is toolkit.db.commands.DEFAULT_DSN_ENV).
DSN_ON_COMMAND_LINE_WARNING = ("Warning: a password in --dsn is visible to every user of this machine in the process "
                               "list (ps, /proc/PID/cmdline) and lands in shell history: set TOOLKIT_DATABASE_URL "
                               "(or the variable named by migrations.dsn_env) instead")
DirOption = typer.Option(None, "--dir", help="Migrations folder (default: migrations.directory).",
                         show_default=False)
SecretOption = typer.Option(None, "--secret-id", help="Secrets Manager secret with username/password "
                            "(the RDS master secret).", show_default=False)
HostOption = typer.Option(None, "--host", help="Database host (when the secret holds none).", show_default=False)
PortOption = typer.Option(None, "--port", help="Database port.", show_default=False)
DbnameOption = typer.Option(None, "--dbname", help="Database name (when the secret holds none).",
                            show_default=False)
OutOfOrderOption = typer.Option(False, "--out-of-order",
                                help="Apply pending versions lower than the newest applied one.")
TargetOption = typer.Option(None, "--target", help="Apply pending migrations up to this version only.",
                            show_default=False)


class Via(StrEnum):
    direct = "direct"
    lambda_ = "lambda"


def _request(environment: str, dsn: str | None, directory: Path | None, secret_id: str | None, host: str | None,
             port: int | None, dbname: str | None, endpoint_url: str | None, lock_timeout: Duration | None = None,
             out_of_order: bool = False):
    from toolkit.db.commands import DbRequest
    from toolkit.db.connection import has_password

    if dsn and has_password(dsn):
        typer.echo(DSN_ON_COMMAND_LINE_WARNING, err=True)

    return DbRequest(environment=environment, dsn=dsn, directory=directory, secret_id=secret_id, host=host,
                     port=port, database=dbname, endpoint_url=endpoint_url,
                     lock_timeout_seconds=lock_timeout.seconds if lock_timeout is not None else None,
                     out_of_order=out_of_order)


def _print_json(data: object) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def _print_warnings(warnings: list[str] | tuple[str, ...]) -> None:
    for warning in warnings:
        typer.echo(f"Warning: {warning}", err=True)


def register(app: typer.Typer) -> None:
    db = typer.Typer(name="db", help="Database migrations: NNN_description.sql files applied once, in order.",
                     no_args_is_help=True, rich_markup_mode=None)

    @db.command("status")
    def status_command(environment: Environment, dsn: str | None = DsnOption,
                       directory: Path | None = DirOption, secret_id: str | None = SecretOption,
                       host: str | None = HostOption, port: int | None = PortOption,
                       dbname: str | None = DbnameOption, endpoint_url: EndpointUrl = None,
                       out_of_order: bool = OutOfOrderOption, output_format: TextOrJsonFormat = TextOrJson.text,
                       json_alias: JsonAlias = False) -> None:
        """Show every migration: applied (when, by whom), pending, skipped, changed or missing.

        Example: toolkit db status dev
        """
        from toolkit.db.commands import status
        from toolkit.db.report import format_status

        report = status(_request(environment, dsn, directory, secret_id, host, port, dbname, endpoint_url,
                                 out_of_order=out_of_order))
        if wants_json(output_format, json_alias):
            _print_json(report.to_dict())
        else:
            typer.echo(format_status(report))

    @db.command("plan")
    def plan_command(environment: Environment, target: int | None = TargetOption,
                     dsn: str | None = DsnOption, directory: Path | None = DirOption,
                     secret_id: str | None = SecretOption, host: str | None = HostOption,
                     port: int | None = PortOption, dbname: str | None = DbnameOption,
                     endpoint_url: EndpointUrl = None, out_of_order: bool = OutOfOrderOption,
                     lint: bool = typer.Option(True, "--lint/--no-lint", help="Lint the pending migrations "
                                               "(as toolkit db lint does)."),
                     output_format: TextOrJsonFormat = TextOrJson.text,
                     json_alias: JsonAlias = False) -> None:
        """Dry run: validate, list the pending migrations with their SQL, and lint them; changes nothing.

        Example: toolkit db plan staging --target 12
        """
        from toolkit.db.commands import lint_pending, plan
        from toolkit.db.lint.text import format_lint
        from toolkit.db.report import format_plan

        request = _request(environment, dsn, directory, secret_id, host, port, dbname, endpoint_url,
                           out_of_order=out_of_order)
        result = plan(request, target)
        _print_warnings(result.warnings)
        report = lint_pending(request, result) if lint else None
        if wants_json(output_format, json_alias):
            _print_json(result.to_dict() | ({"lint": report.to_dict()} if report else {}))
        else:
            typer.echo(format_plan(result))
            if report is not None and result.pending:
                typer.echo("")
                typer.echo(format_lint(report, title="Lint of the pending migrations"))

    @db.command("migrate")
    def migrate_command(environment: Environment, target: int | None = TargetOption,
                        via: Via = typer.Option(Via.direct, "--via", help="direct: connect from here; "
                                                "lambda: invoke the in-VPC runner function."),
                        function: str | None = typer.Option(None, "--function", help="Runner Lambda name "
                                                            "(default: migrations.lambda_function).",
                                                            show_default=False),
                        dsn: str | None = DsnOption, directory: Path | None = DirOption,
                        secret_id: str | None = SecretOption, host: str | None = HostOption,
                        port: int | None = PortOption, dbname: str | None = DbnameOption,
                        endpoint_url: EndpointUrl = None, lock_timeout: MigrationLockTimeout = None,
                        out_of_order: bool = OutOfOrderOption,
                        rehearse_only: bool = typer.Option(
                            False, "--rehearse", help="Run the pending transactional migrations in ONE transaction, "
                            "report each file's time, locks and rows, then roll everything back (history "
                            "untouched). It takes the real locks on the target: prefer a copy of the database."),
                        output_format: TextOrJsonFormat = TextOrJson.text,
                        json_alias: JsonAlias = False) -> None:
        """Apply pending migrations in version order, each in its own transaction, under the lock.

        Example: toolkit db migrate prod --via lambda
        Example: toolkit db migrate staging --rehearse
        """
        request = _request(environment, dsn, directory, secret_id, host, port, dbname, endpoint_url,
                           lock_timeout, out_of_order)
        if via is Via.lambda_:
            if rehearse_only:
                from toolkit.errors import UsageError

                raise UsageError("--rehearse runs from here (--via direct): the runner function only migrates")
            from toolkit.db.commands import migrate_via_lambda
            from toolkit.db.report import format_remote
            from toolkit.errors import MigrationError

            payload = migrate_via_lambda(request, target, function)
            if wants_json(output_format, json_alias):
                _print_json(payload)
            else:
                typer.echo(format_remote(function or "runner function", payload))
            if not payload.get("ok"):
                raise MigrationError("\n".join(str(error.get("text") or error.get("message"))
                                               for error in payload.get("errors", [])) or "the runner failed")
            return
        from toolkit.db.commands import migrate, rehearse
        from toolkit.db.report import format_rehearsal, format_run
        from toolkit.errors import MigrationError, ToolkitError

        as_json = wants_json(output_format, json_alias)
        if rehearse_only:
            rehearsal = rehearse(request, target)
            _print_warnings(rehearsal.warnings)
            if as_json:
                _print_json(rehearsal.to_dict())
            else:
                typer.echo(format_rehearsal(rehearsal))
            if not rehearsal.ok:
                raise MigrationError(rehearsal.failure_text)
            return
        try:
            result = migrate(request, target)
        except ToolkitError as error:
            if as_json:  # a script reading stdout gets the failure as JSON too (the message also goes to stderr)
                _print_json(error.to_dict() if hasattr(error, "to_dict") else
                            {"ok": False, "action": "migrate", "applied": [], "errors": [{"message": str(error)}]})
            raise
        _print_warnings(result.warnings)
        if as_json:
            _print_json(result.to_dict())
        else:
            typer.echo(format_run(result))

    @db.command("lint")
    def lint_command(target: str = typer.Argument(..., metavar="ENV|DIR", help="An environment (its "
                                                  "migrations folder and settings) or a migrations folder.",
                                                  show_default=False),
                     only: list[str] | None = typer.Option(None, "--only", help="Lint only this file of the folder "
                                                            "(repeatable; the PR review passes the changed ones).",
                                                            show_default=False),
                     output_format: TextOrJsonFormat = TextOrJson.text, json_alias: JsonAlias = False) -> None:
        """Check the up migrations with squawk's rules and the runner's own; no database needed.

        Findings name file:line, the rule, why it matters and the safe pattern. Waive one statement's
        finding with a comment above it: -- toolkit:allow RULE because REASON. Exit 1 on any finding.

        Example: toolkit db lint prod
        Example: toolkit db lint db/migrations --only 012_add_index.sql
        """
        from toolkit.db.lint.targets import lint
        from toolkit.db.lint.text import format_lint

        report = lint(target, only)
        if wants_json(output_format, json_alias):
            _print_json(report.to_dict())
        else:
            typer.echo(format_lint(report))
        if not report.ok:
            raise typer.Exit(1)

    @db.command("verify")
    def verify_command(environment: Environment, dsn: str | None = DsnOption,
                       directory: Path | None = DirOption, secret_id: str | None = SecretOption,
                       host: str | None = HostOption, port: int | None = PortOption,
                       dbname: str | None = DbnameOption, endpoint_url: EndpointUrl = None,
                       out_of_order: bool = OutOfOrderOption) -> None:
        """Check the folder against history (checksums, missing files, order) and that no index is INVALID.

        Non-zero on any problem.

        Example: toolkit db verify prod
        """
        from toolkit.db.commands import verify

        report = verify(_request(environment, dsn, directory, secret_id, host, port, dbname, endpoint_url,
                                 out_of_order=out_of_order))
        from toolkit.db.runner import State

        applied = sum(1 for entry in report.entries if entry.state is State.applied)
        typer.echo(f"OK: {applied} applied migration(s) match their files; {len(report.pending)} pending.")

    @db.command("baseline")
    def baseline_command(environment: Environment,
                         version: int = typer.Argument(..., help="Newest version the database already has."),
                         dsn: str | None = DsnOption,
                         directory: Path | None = DirOption, secret_id: str | None = SecretOption,
                         host: str | None = HostOption, port: int | None = PortOption,
                         dbname: str | None = DbnameOption, endpoint_url: EndpointUrl = None,
                         lock_timeout: MigrationLockTimeout = None) -> None:
        """Mark an existing database as migrated up to VERSION (history must be empty).

        Example: toolkit db baseline prod 8
        """
        from toolkit.db.commands import baseline
        from toolkit.db.report import format_run

        typer.echo(format_run(baseline(_request(environment, dsn, directory, secret_id, host, port, dbname,
                                                endpoint_url, lock_timeout), version)))

    @db.command("rollback")
    def rollback_command(environment: Environment,
                         to: int = typer.Option(..., "--to", help="Keep versions up to this one; undo the rest."),
                         dsn: str | None = DsnOption, directory: Path | None = DirOption,
                         secret_id: str | None = SecretOption, host: str | None = HostOption,
                         port: int | None = PortOption, dbname: str | None = DbnameOption,
                         endpoint_url: EndpointUrl = None,
                         lock_timeout: MigrationLockTimeout = None) -> None:
        """Run NNN_description.down.sql files, newest first, down to --to VERSION.

        Example: toolkit db rollback dev --to 5
        """
        from toolkit.db.commands import rollback
        from toolkit.db.report import format_run

        result = rollback(_request(environment, dsn, directory, secret_id, host, port, dbname, endpoint_url,
                                   lock_timeout), to)
        _print_warnings(result.warnings)
        typer.echo(format_run(result))

    @db.command("package")
    def package_command(environment: Environment, directory: Path | None = DirOption,
                        output: Path | None = typer.Option(None, "--output", "-o", help="Zip path (default: "
                                                           "build/ENV/migrations-runner.zip).", show_default=False),
                        output_format: TextOrJsonFormat = TextOrJson.text,
                        json_alias: JsonAlias = False) -> None:
        """Build the deterministic Lambda zip: runner, pure-Python dependencies and the migrations.

        Example: toolkit db package prod
        """
        from toolkit.db.commands import DbRequest, package

        result = package(DbRequest(environment=environment, directory=directory), output)
        data = {"path": str(result.path), "sha256": result.sha256, "source_code_hash": result.source_code_hash,
                "entries": result.entries, "size": result.size, "migrations": result.migrations,
                "handler": result.handler, "dependencies": list(result.distributions)}
        if wants_json(output_format, json_alias):
            _print_json(data)
        else:
            typer.echo(f"Wrote {result.path} ({result.size} bytes, {result.entries} files, "
                       f"{result.migrations} migrations)\nsha256 {result.sha256}\n"
                       f"source_code_hash {result.source_code_hash}\nhandler {result.handler}\n"
                       f"dependencies {', '.join(result.distributions)}")

    app.add_typer(db)
