"""The `toolkit` command: a thin Typer layer over the library.

Commands load lazily: `toolkit --help` shows the table below without importing any command module,
and `toolkit plan …` imports only toolkit/cli/plan.py (whose `register(app)` adds the command).
Library errors (ToolkitError) become `Error: …` on stderr and a non-zero exit code here, in one place.
Exit codes mean one thing each: 0 ok, 2 only "changes present" / "drift found" (CI treats it as success),
1 every error, Click's own usage errors (unknown option, missing argument, bad choice) included.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

import typer
from typer.core import TyperGroup

from toolkit.errors import ToolkitError

# Typer 0.29 ships its own copy of Click: its usage errors (unknown option, missing argument, bad choice)
# derive from this class, which typer.BadParameter subclasses.
ClickUsageError: type[Exception] = next(base for base in typer.BadParameter.__mro__ if base.__name__ == "UsageError")

HELP_OPTION_NAMES = ["-h", "--help"]
# Command name -> (module under toolkit/cli, one-line help shown by `toolkit --help`), in help order.
# Keep each line in step with the command docstring; tests check that the table and the commands agree.
COMMANDS: dict[str, tuple[str, str]] = {
    "envs": ("envs", "List, show and compare environments."),
    "render": ("render", "Validate an environment and render its tfvars and backend."),
    "doctor": ("doctor", "Check what the toolkit needs on this machine."),
    "check": ("check", "fmt, provider schema, contracts and checkov over the code."),
    "plan": ("plan", "Render, init and plan; save the plan for review and apply."),
    "review": ("review", "Review a plan: summary, data-at-risk warnings, changes."),
    "cost": ("cost", "Monthly cost of a plan, its change, and the budget check."),
    "apply": ("apply", "Apply the reviewed saved plan, behind the guards."),
    "checkpoints": ("rollback", "List an environment's pre-apply checkpoints."),
    "rollback": ("rollback", "Roll back to a checkpoint, tier by tier (dry run first)."),
    "unlock": ("unlock", "Show who holds the state lock and release it safely."),
    "drift": ("drift", "Report drift between real infrastructure and state."),
    "db": ("db", "Database migrations: status, plan, migrate, rollback…"),
    "emulator": ("emulator", "Start or stop the local AWS emulator (moto)."),
}


class ToolkitGroup(TyperGroup):
    """Root group: loads commands on demand and turns library errors into `Error: …` and an exit code."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, name: str) -> Any:
        if name not in COMMANDS:
            return None
        return load_command(name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The command list from the static table, so help imports no command module."""
        rows = [(name, short_help) for name, (_, short_help) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        from toolkit.cli.coercion import use_plain_coercion

        use_plain_coercion(self, HELP_OPTION_NAMES)
        try:
            return super().make_context(info_name, args, parent, **extra)
        except ClickUsageError as error:
            raise _as_input_error(error) from None

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ClickUsageError as error:
            # Raised while a subcommand parses its arguments (it is parsed inside the group's invoke).
            raise _as_input_error(error) from None
        except ToolkitError as error:
            from toolkit.secrets import mask_text

            typer.echo(f"Error: {mask_text(str(error))}", err=True)
            raise typer.Exit(error.exit_code) from None


def _as_input_error(error: Any) -> Any:
    """Click exits 2 on usage errors; here 2 means "changes present", so a usage error exits 1. The message
    quotes the bad value, which may be a secret pasted into the wrong option."""
    from toolkit.secrets import mask_text

    error.exit_code = 1
    error.message = mask_text(error.message)
    return error


@functools.cache
def load_command(name: str) -> Any:
    """Import the command's module, let it register on a private Typer app, and return the click command."""
    module = importlib.import_module(f"toolkit.cli.{COMMANDS[name][0]}")
    commands = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)
    module.register(commands)
    converted = typer.main.get_command(commands)
    from toolkit.cli.coercion import use_plain_coercion

    use_plain_coercion(converted, HELP_OPTION_NAMES)
    nested = getattr(converted, "commands", None)
    return nested[name] if nested and name in nested else converted


app = typer.Typer(
    cls=ToolkitGroup,
    name="toolkit",
    help="Per-environment Terraform for AWS: render, check, plan, review, apply, rollback, db migrations.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": HELP_OPTION_NAMES},
)


@app.callback()
def _root() -> None:
    """Per-environment Terraform for AWS: render, check, plan, review, apply, rollback, db migrations."""


def main() -> None:
    """Console entry point."""
    app()
