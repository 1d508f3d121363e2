"""`toolkit review`: what a reviewer reads in the pull request about a saved plan."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from toolkit.cli.options import ReportFormat


class PostTarget(StrEnum):
    github = "github"


def register(app: typer.Typer) -> None:
    app.command("review")(review)


def review(
    target: str = typer.Argument(
        ...,
        metavar="ENV|PLAN.json",
        help="Environment name (reads its latest `toolkit plan`) or a `terraform show -json` plan file.",
        show_default=False,
    ),
    # Default: text (colored) on a terminal, md (one GitHub comment) otherwise, or from --output's suffix.
    output_format: ReportFormat = None,
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write to this file instead of stdout (format from its suffix).",
        show_default=False,
    ),
    no_color: bool = typer.Option(False, "--no-color", help="No ANSI colors in text output (also: NO_COLOR=1)."),
    environment: str | None = typer.Option(
        None, "--environment", "-e", help="Environment name to show for a PLAN.json file.", show_default=False
    ),
    offline: bool = typer.Option(
        False, "--offline", help="Review the environment's newest offline plan (`toolkit plan ENV --offline`)."),
    # --post github (toolkit/github.py): one comment per environment on the pull request, edited in place.
    post: PostTarget | None = typer.Option(
        None, "--post",
        help="github: create or update this environment's comment on the pull request and set its label "
             "(no-changes, changes, destroy). Needs GITHUB_TOKEN; GITHUB_REPOSITORY and GITHUB_EVENT_PATH "
             "(or --repo, --pr); GITHUB_API_URL for GitHub Enterprise.",
        show_default=False,
    ),
    repository: str | None = typer.Option(
        None, "--repo", metavar="OWNER/NAME", help="Repository to post to (default: $GITHUB_REPOSITORY).",
        show_default=False,
    ),
    pull_request: int | None = typer.Option(
        None, "--pr", metavar="NUMBER", help="Pull request to post to (default: from $GITHUB_EVENT_PATH).",
        show_default=False,
    ),
    migrations_base: str | None = typer.Option(
        None, "--migrations-base", metavar="GIT_REF",
        help="Add a migrations section: the ENV's migration files changed since GIT_REF (the pull request's "
             "base), their `toolkit db lint` findings and edits to merged files.", show_default=False,
    ),
) -> None:
    """Review a Terraform plan: summary, data-at-risk warnings, changes by module, drift, outputs, checks.

    An environment name reads its newest plan: the latest `toolkit plan ENV`, or a newer offline plan
    (`toolkit plan ENV --offline`), which the review marks as offline.

    Without --format: the suffix of --output, else text (colored) on a terminal, else md (one GitHub comment).

    Example: toolkit review staging --format md --output review.md   (in CI: toolkit review staging --post github)
    """
    section = _migrations_section(target, environment, migrations_base, output_format, output, post)
    if post is PostTarget.github:
        from toolkit.github import GitHubSettings, post_plan_review

        settings = GitHubSettings.from_environment(repository=repository, pull_request=pull_request)
        typer.echo(post_plan_review(target, settings, environment=environment, extra=section).message)
        return
    from toolkit.review.service import review_plan

    written = review_plan(
        target,
        output_format=output_format.value if output_format else None,
        output=output,
        no_color=no_color,
        environment=environment,
        offline=offline,
    )
    if section and written is not None:
        with written.open("a", encoding="utf-8") as handle:
            handle.write(section)
    elif section:
        typer.echo(section, nl=False)
    if written is not None:
        typer.echo(f"Wrote {written}", err=True)


def _migrations_section(target: str, environment: str | None, base: str | None, output_format: object,
                        output: Path | None, post: PostTarget | None) -> str:
    """The migrations section (toolkit/db/review_section.py) in the review's format; "" without --migrations-base."""
    if base is None:
        return ""
    from toolkit.db.review_section import review_section
    from toolkit.errors import UsageError
    from toolkit.review.service import default_format

    name = environment or target
    if name.endswith(".json"):
        raise UsageError("--migrations-base needs the environment: pass ENV, or --environment with a PLAN.json")
    chosen = getattr(output_format, "value", None) or ("md" if post else default_format(output, output is None
                                                                                        and sys.stdout.isatty()))
    if chosen == "json":
        raise UsageError("--migrations-base adds a section to the md or text review (for JSON: toolkit db lint "
                         "--format json)")
    return review_section(name, base, markdown=chosen == "md")
