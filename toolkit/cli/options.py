"""Options shared by several commands, defined once as typed `Annotated` aliases (Typer's way).

A command declares a shared option by its type, with its default in the signature:

    def plan_command(environment: OptionalEnvironment = None, lock_timeout: LockTimeout = None,
                     output_format: TextOrJsonFormat = TextOrJson.text, as_json: JsonAlias = False) -> None:
        if wants_json(output_format, as_json): ...

One environment argument (ENV), one duration parser (toolkit.duration: 30s, 5m, 1h; a bare number is
seconds), one spelling for machine output (`--format json`; the older `--json` is a hidden alias).
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated, Any

import typer

from toolkit.duration import Duration, parse_duration

ENVIRONMENT_HELP = "Environment name: a file envs/NAME.yaml."

# The environment a command acts on.
Environment = Annotated[str, typer.Argument(metavar="ENV", help=ENVIRONMENT_HELP, show_default=False)]
# Commands that take ENV or --all (plan, render).
OptionalEnvironment = Annotated[str | None, typer.Argument(metavar="ENV", help=ENVIRONMENT_HELP + " Or --all.",
                                                           show_default=False)]
# Commands that take several environments (drift).
Environments = Annotated[list[str] | None, typer.Argument(metavar="ENV...", help="Environment names (envs/NAME.yaml).",
                                                          show_default=False)]

# Waiting for a lock another run holds; both spellings go through the one parser (toolkit.duration).
LockTimeout = Annotated[Duration | None, typer.Option(
    "--lock-timeout", metavar="DURATION", parser=parse_duration, show_default=False,
    help="How long to wait for another run's state lock: 30s, 5m, 1h (a bare number is seconds). Default 0s: "
         "fail at once.")]
MigrationLockTimeout = Annotated[Duration | None, typer.Option(
    "--lock-timeout", metavar="DURATION", parser=parse_duration, show_default=False,
    help="How long to wait for another run's migration lock: 30s, 5m (a bare number is seconds; 0 fails at "
         "once). Default: migrations.lock_timeout_seconds.")]



def duration_option(name: str, help: str, *, positive: bool = False) -> Any:
    """Another option holding a duration (rollback's waits), parsed by the same parser as --lock-timeout;
    `positive` refuses 0 (a poll interval of 0 would poll without a pause)."""
    return typer.Option(name, metavar="DURATION",
                        parser=lambda value: parse_duration(value, option=name, positive=positive),
                        show_default=False, help=help)


Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors and the final result.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Go ahead without asking.")]
Approve = Annotated[str | None, typer.Option(
    "--approve", metavar="ENV", show_default=False,
    help="Approve a protected environment without the typed confirmation (repeat its name).")]
EndpointUrl = Annotated[str | None, typer.Option(
    "--endpoint-url", metavar="URL", show_default=False,
    help="AWS endpoint (an emulator such as moto); default $AWS_ENDPOINT_URL.")]


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    md = "md"


class TextOrJson(StrEnum):
    text = "text"
    json = "json"


# Machine output: `--format json` everywhere. Commands with a Markdown form (review, drift) use ReportFormat.
TextOrJsonFormat = Annotated[TextOrJson, typer.Option("--format", "-f", help="text, or json (for CI and scripts).")]
ReportFormat = Annotated[OutputFormat, typer.Option(
    "--format", "-f", help="text, md (Markdown for GitHub) or json (for CI and scripts).")]
# The older spelling, kept working for existing scripts but no longer shown in help.
JsonAlias = Annotated[bool, typer.Option("--json", hidden=True, help="Same as --format json.")]


def wants_json(output_format: StrEnum | None, json_alias: bool = False) -> bool:
    """`--format json`, or the hidden `--json` alias."""
    return json_alias or (output_format is not None and output_format.value == "json")


def lock_timeout_or_default(value: Duration | None) -> str:
    """The terraform -lock-timeout for an engine command: 0s (fail at once) unless given."""
    return (value or Duration(0)).terraform


def stdin_is_terminal() -> bool:
    """Protected confirmations (apply's and rollback's typed name, unlock's yes/no) are answered by a person at a
    terminal, never read from a pipe or a file: without one they need their explicit flag (--approve, --yes)."""
    return sys.stdin.isatty()
