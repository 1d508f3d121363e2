"""`toolkit drift`: a refresh-only plan per environment and a report of what changed outside Terraform."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from toolkit.cli.options import (
    Environments,
    LockTimeout,
    OutputFormat,
    Quiet,
    ReportFormat,
    lock_timeout_or_default,
)


class PostTarget(StrEnum):
    github = "github"


def register(app: typer.Typer) -> None:
    app.command("drift")(drift)


def drift(
    environments: Environments = None,
    check_all: bool = typer.Option(False, "--all", help="Check every environment in envs/."),
    output_format: ReportFormat = OutputFormat.text,
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report to this file instead of stdout.", show_default=False
    ),
    post: PostTarget | None = typer.Option(
        None, "--post",
        help="github: open or update one issue per drifted environment (label drift), close it once drift is "
             "gone. Needs GITHUB_TOKEN and GITHUB_REPOSITORY (or --repo); GITHUB_API_URL for GitHub Enterprise.",
        show_default=False,
    ),
    repository: str | None = typer.Option(
        None, "--repo", metavar="OWNER/NAME", help="Repository to post to (default: $GITHUB_REPOSITORY).",
        show_default=False,
    ),
    lock_timeout: LockTimeout = None,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Stream terraform's own output to stderr."),
    quiet: Quiet = False,
) -> None:
    """Check whether the real infrastructure still matches the Terraform state (refresh-only plan).

    Exits 0 when nothing drifted, 2 when something did (terraform's -detailed-exitcode), 1 on errors.
    Nothing is applied and the state is not written.

    Example: toolkit drift prod --post github
    """
    from toolkit.drift import render_run, run_drift
    from toolkit.engine.progress import SilentProgress, StreamProgress
    from toolkit.project import Project

    settings = None
    if post is PostTarget.github:
        from toolkit.github import GitHubSettings

        settings = GitHubSettings.from_environment(repository=repository, need_pull_request=False)
    project = Project.discover()
    progress = SilentProgress() if quiet else StreamProgress(show_terraform_output=verbose)
    run = run_drift(project, environments, check_all=check_all, post_github=settings,
                    lock_timeout=lock_timeout_or_default(lock_timeout), progress=progress)
    text = render_run(run, output_format.value)
    if output is not None:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"Wrote {output}", err=True)
    else:
        typer.echo(text, nl=False)
    for result in run.results:
        message = getattr(result, "message", None)
        posted = getattr(result, "posted", None)
        if posted is not None and output_format is not OutputFormat.text:
            typer.echo(f"{result.environment}: GitHub: {posted.message}", err=True)
        elif message is not None and not hasattr(result, "drifted"):
            typer.echo(f"Error: {result.environment}: {message}", err=True)
    if run.exit_code:
        raise typer.Exit(run.exit_code)
