"""The `toolkit` command: a thin Typer layer over the library.

Each command module registers itself on `app`; library imports happen inside the commands so that
`toolkit --help` stays fast. Library errors (ToolkitError) become `Error: …` on stderr and a
non-zero exit code here, in one place.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperGroup

from toolkit.errors import ToolkitError


class ToolkitGroup(TyperGroup):
    """Root group: turns a library error raised by any sub-command into `Error: …` and its exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ToolkitError as error:
            typer.echo(f"Error: {error}", err=True)
            raise typer.Exit(error.exit_code) from None


app = typer.Typer(
    cls=ToolkitGroup,
    name="toolkit",
    help="Per-environment Terraform for AWS: render, check, plan, review, apply, rollback, db migrations.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Command modules, each exposing `register(app)`. Listed here so the help shows them in this order.
COMMAND_MODULES = [
    "envs",
    "render",
    "doctor",
    "check",
    "plan",
    "review",
    "apply",
    "rollback",
    "unlock",
    "drift",
    "db",
]

for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(f"toolkit.cli.{_name}")
    except ModuleNotFoundError as missing:
        if missing.name != f"toolkit.cli.{_name}":
            raise
        continue
    _module.register(app)


def main() -> None:
    """Console entry point."""
    app()
