"""`toolkit emulator up|down|status`: the local AWS emulator that the emulator environments run against."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    emulator = typer.Typer(help="Start, stop or show the local AWS emulator (moto) for the emulator environments.",
                           no_args_is_help=True, add_completion=False, rich_markup_mode=None)
    emulator.command("up")(up_command)
    emulator.command("down")(down_command)
    emulator.command("status")(status_command)
    app.add_typer(emulator, name="emulator")


def up_command(
    environment: str = typer.Argument("local", metavar="ENV", show_default=True,
                                      help="The emulator environment whose state bucket to create (envs/NAME.yaml)."),
) -> None:
    """Start moto_server on 127.0.0.1 (a free port), record it under .toolkit/emulator/ and create the
    environment's state bucket. Nothing is exported: the environment's runs find the server themselves.

    Example: toolkit emulator up && toolkit plan local && toolkit apply local --auto
    """
    from toolkit.emulator_server import start
    from toolkit.engine.emulator_env import prepare_emulator_environment
    from toolkit.project import Project

    project = Project.discover()
    server, started = start(project)
    typer.echo(f"emulator {'started' if started else 'already running'}: {server.endpoint_url} (pid {server.pid})")
    typer.echo(prepare_emulator_environment(project, environment, server))
    typer.echo(f"next: toolkit plan {environment}   (stop it with: toolkit emulator down)")


def down_command() -> None:
    """Stop the emulator that `toolkit emulator up` started (its state is gone with it).

    Example: toolkit emulator down
    """
    from toolkit.emulator_server import stop
    from toolkit.project import Project

    stopped = stop(Project.discover())
    typer.echo(f"emulator stopped (pid {stopped.pid}, port {stopped.port})" if stopped else "no emulator was running")


def status_command() -> None:
    """Say whether the recorded emulator runs and answers.

    Example: toolkit emulator status
    """
    from toolkit.emulator_server import running
    from toolkit.project import Project

    server = running(Project.discover())
    if server is None:
        typer.echo("no emulator running (start one: toolkit emulator up)")
        raise typer.Exit(1)
    typer.echo(f"emulator running: {server.endpoint_url} (pid {server.pid})")
