"""Options shared by several commands, defined once."""

from __future__ import annotations

from enum import StrEnum

import typer

EnvironmentArgument = typer.Argument(..., help="Environment name: a file envs/NAME.yaml.", show_default=False)
QuietOption = typer.Option(False, "--quiet", "-q", help="Print only errors and the final result.")
JsonOption = typer.Option(False, "--json", help="Print the result as JSON (for CI).")


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    md = "md"
