"""`toolkit unlock ENV [LOCK_ID]`: show who holds the state lock and release it when confirmed."""

from __future__ import annotations

import typer

from toolkit.cli import options
from toolkit.cli.options import Environment, Yes


def register(app: typer.Typer) -> None:
    app.command("unlock")(unlock_command)


def unlock_command(
    environment: Environment,
    lock_id: str | None = typer.Argument(None, help="The lock ID to release (as shown by the lock error).",
                                         show_default=False),
    yes: Yes = False,
    force: bool = typer.Option(False, "--force", help="Release even when a live run on this machine may hold it."),
) -> None:
    """Explain who holds ENV's state lock (S3 lock file, DynamoDB item or both, as the environment pins) and
    release it after confirmation.

    Only release a lock whose run is dead: releasing a live apply's lock can corrupt the state. A lock that a
    run still alive on this machine may hold is refused unless --force.

    Example: toolkit unlock staging 6f1c2d7e-0b1a-4c55-9e0e-1f2a3b4c5d6e --yes
    """
    from toolkit.engine import unlock_environment
    from toolkit.project import Project

    outcome = unlock_environment(Project.discover(), environment, lock_id, yes=yes, force=force,
                                 confirm=_confirm if options.stdin_is_terminal() else None,
                                 warn=lambda message: typer.echo(f"Warning: {message}", err=True))
    typer.echo(outcome.message())


def _confirm(text: str) -> bool:
    return typer.confirm(text, default=False)
