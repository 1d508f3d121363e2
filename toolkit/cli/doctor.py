"""`toolkit doctor`: check the machine for everything the toolkit drives."""

from __future__ import annotations

import json

import typer

from toolkit.cli.options import JsonAlias, TextOrJson, TextOrJsonFormat, wants_json


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor_command)


def doctor_command(output_format: TextOrJsonFormat = TextOrJson.text, json_alias: JsonAlias = False) -> None:
    """Report terraform, provider mirror, checkov, schema, emulator, PostgreSQL and AWS credentials.

    Exits 1 when something required is missing; optional parts only warn.

    Example: toolkit doctor
    """
    from dataclasses import asdict

    from toolkit.doctor import diagnose
    from toolkit.project import Project

    findings = diagnose(Project.discover())
    if wants_json(output_format, json_alias):
        typer.echo(json.dumps([asdict(finding) for finding in findings], indent=2))
    else:
        width = max(len(finding.component) for finding in findings)
        for finding in findings:
            status = "ok" if finding.ok else ("MISSING" if finding.required else "missing")
            line = f"{finding.component:<{width}}  {status:<7}  {finding.detail}"
            if not finding.ok and finding.fix:
                line += f"  -> {finding.fix}"
            typer.echo(line)
    if any(finding.required and not finding.ok for finding in findings):
        raise typer.Exit(1)
