"""`toolkit rollback` (runbooks for incident responders) and `toolkit checkpoints` (what can be rolled back to)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer

from toolkit.cli import options
from toolkit.cli.options import (
    Approve,
    EndpointUrl,
    Environment,
    JsonAlias,
    TextOrJson,
    TextOrJsonFormat,
    Yes,
    duration_option,
    wants_json,
)
from toolkit.duration import Duration


class RunbookFormat(StrEnum):
    text = "text"
    md = "md"
    json = "json"


def rollback(
    environment: Environment,
    tier: str = typer.Option(None, "--tier", help="immediate (< 5 min) | short (< 30 min) | long (< 2 h).",
                             show_default=False),
    step: str = typer.Option(None, "--step", help="One step: ecs-task-definition, autoscaling, terraform-state, "
                             "db-parameter-group, cache-disable, db-restore, db-cutover, full.", show_default=False),
    to: str = typer.Option(None, "--to", help="Checkpoint id (default: the one taken before the last apply that "
                           "changed the state).", show_default=False),
    yes: Yes = False,
    approve: Approve = None,
    output_format: RunbookFormat = typer.Option(RunbookFormat.text, "--format", "-f",
                                                help="text, md (Markdown for the incident channel) or json (one "
                                                "document for scripts, also when the run stops)."),
    endpoint_url: EndpointUrl = None,
    region: str = typer.Option(None, "--region", help="AWS region; default the environment's aws_region.",
                               show_default=False),
    resume_from: str = typer.Option(None, "--resume-from", help="Continue a tier from this step, or from the failed "
                                    "step of a run id.", show_default=False),
    revision: str = typer.Option(None, "--revision", help="ecs-task-definition: revision number N, or 'previous' "
                                 "(default: the checkpoint's).", show_default=False),
    resume_scaling: bool = typer.Option(False, "--resume", help="autoscaling: resume scaling instead of suspending."),
    reboot: bool = typer.Option(False, "--reboot", help="db-parameter-group: reboot instances with pending static "
                                "parameters."),
    snapshot: str = typer.Option(None, "--snapshot", help="db-restore/db-cutover: this snapshot instead of the "
                                 "checkpoint's.", show_default=False),
    restore_time: str = typer.Option(None, "--restore-time", help="db-restore/db-cutover: point-in-time restore "
                                     "(ISO 8601 UTC, or 'latest').", show_default=False),
    wait_timeout: Annotated[Duration | None, duration_option(
        "--wait-timeout", "How long each wait may take: 10m, 1h (a bare number is seconds; default per step: "
        "ECS 10m, RDS 1h).")] = None,
    poll_interval: Annotated[Duration | None, duration_option(
        "--poll-interval", "Time between status polls: 5s (a bare number is seconds; default per step: ECS 5s, "
        "RDS 15s).", positive=True)] = None,
    allow_destroy: list[str] = typer.Option(
        [], "--allow-destroy", metavar="ADDRESS", show_default=False,
        help="full: allow the apply to destroy or replace this stateful resource (repeat for each)."),
    also_undo: list[str] = typer.Option(
        [], "--also-undo", metavar="CHECKPOINT", show_default=False,
        help="terraform-state/full: a later apply (its checkpoint id, or 'unrecorded') the step may undo too; repeat "
        "for each. Without it a step that would undo more than the checkpoint's own apply refuses and lists them."),
    include: list[str] = typer.Option(
        [], "--include", metavar="STEP", show_default=False,
        help="With --tier: run this step although no undone apply touched its part (db-parameter-group, "
        "cache-disable, db-restore are skipped then); repeat for each."),
    undo: str = typer.Option(None, "--undo", metavar="RUN_ID", show_default=False,
                             help="Put back the state a terraform-state run replaced, under the state lock; only if "
                             "the state is still what that run wrote."),
    journal: bool = typer.Option(False, "--journal", help="Show the journal of rollback actions instead."),
    run: str = typer.Option(None, "--run", help="With --journal: only this run id.", show_default=False),
) -> None:
    """Roll an environment back to a checkpoint, tier by tier or one step at a time.

    Bare (no --tier or --step): triage. What the last apply changed (resources by action, images before → after,
    database and cache touched or not) and the steps that undo exactly that, each as a command.

    Without --yes it is a dry run: every step with its API action and current → target values
    (--yes executes: it is the only way anything changes).
    Each step checks, acts, verifies; re-running a finished step changes nothing.

    Example: toolkit rollback prod --tier immediate --yes --approve prod
    """
    from toolkit.errors import UsageError
    from toolkit.rollback import RollbackOptions, RollbackRequest, read_journal, run_rollback

    if journal:
        if tier or step or yes or undo:
            raise UsageError("--journal only shows the journal: leave out --tier, --step and --yes")
        skipped: list[str] = []
        entries = read_journal(environment, run_id=run, skipped=skipped)
        if output_format == RunbookFormat.json:
            from dataclasses import asdict

            typer.echo(json.dumps([asdict(entry) for entry in entries], indent=2, default=str))
        else:
            for line in format_journal(entries):
                typer.echo(line)
        for line in skipped:
            typer.echo(f"Warning: {line}", err=True)
        return
    request = RollbackRequest(
        environment=environment, tier=tier, step=step, checkpoint_id=to, execute=yes, approve=approve,
        output_format=output_format.value, region=region,
        endpoint_url=endpoint_url, resume_from=resume_from,
        undo_run=undo,
        options=RollbackOptions(revision=revision, resume_scaling=resume_scaling, reboot=reboot, snapshot=snapshot,
                                restore_time=restore_time,
                                wait_timeout_s=wait_timeout.seconds if wait_timeout else None,
                                poll_interval_s=poll_interval.seconds if poll_interval else None,
                                allow_destroy=tuple(allow_destroy), also_undo=list(also_undo),
                                include=list(include)))
    # Like apply: the typed name comes from a person at a terminal, never from piped input.
    confirm = (lambda question: _confirm(question, environment)) if options.stdin_is_terminal() else None
    run_rollback(request, echo=typer.echo, confirm=confirm)


def _confirm(question: str, environment: str) -> str:
    """The typed answer; no terminal or closed input (an Abort from the prompt) is no confirmation, said as an error."""
    from click.exceptions import Abort as ClickAbort

    from toolkit.errors import GuardError

    try:
        return typer.prompt(question, default="", show_default=False)
    except (typer.Abort, ClickAbort):
        raise GuardError(f"{environment} is protected: add --approve {environment} (nothing was changed)") from None


def format_journal(entries: list) -> list[str]:
    from toolkit.text import plain

    if not entries:
        return ["(the journal is empty: no rollback has been executed)"]
    lines = []
    for entry in entries:
        what = entry.action or entry.event
        duration = f" {entry.duration_s:.2f}s" if isinstance(entry.duration_s, int | float) else ""
        request = " ".join(f"{key}={json.dumps(value) if not isinstance(value, str) else value}"
                           for key, value in entry.request.items()) if isinstance(entry.request, dict) \
            else json.dumps(entry.request, default=str)
        message = str(entry.message).replace("\n", " | ")
        # Every field comes from the journal anyone with the bucket can edit: one escaped line per entry.
        lines.append(plain("  ".join(str(part) for part in (entry.time, entry.run_id, entry.who, entry.step or "-",
                                                             what, f"{entry.result}{duration}", request, message)
                               if part)))
    return lines


def checkpoints(environment: Environment, output_format: TextOrJsonFormat = TextOrJson.text,
                json_alias: JsonAlias = False,
                upload_local: bool = typer.Option(False, "--upload-local", help="Copy the checkpoints and journal "
                                                  "this checkout keeps locally to the shared store beside the "
                                                  "S3 state (safe to repeat).")) -> None:
    """List an environment's checkpoints (taken by `toolkit apply`), oldest first.

    Each row: who, commit, result, what the apply after it changed (+create ~update -delete ±replace), the images
    it moved (before → after), and marks: the default rollback target, a checkpoint taken by a rollback.

    With an S3 backend they live beside the state (s3://BUCKET/<state key folder>/toolkit/), written by every
    apply wherever it ran.

    Example: toolkit checkpoints prod
    """
    from dataclasses import asdict

    from toolkit.rollback import list_checkpoints

    as_json = wants_json(output_format, json_alias)
    if upload_local:
        _upload_local(environment, as_json)
        return
    skipped: list[str] = []
    found, hint, default = list_checkpoints(environment, skipped=skipped)
    for line in skipped:  # one unreadable record never hides the others: named, and the list goes on
        typer.echo(f"Warning: {line}", err=True)
    if as_json:
        typer.echo(json.dumps([asdict(item) for item in found], indent=2))
        if hint:
            typer.echo(f"Warning: {hint}", err=True)
        return
    if not found and skipped:
        typer.echo(f"no readable checkpoints for {environment}: {len(skipped)} skipped (named above)")
    elif not found:
        typer.echo(f"no checkpoints for {environment} yet: `toolkit apply {environment}` records one before each apply")
    else:
        rows = [("ID", "TIME (UTC)", "WHO", "COMMIT", "RESULT", "CHANGED (+~-±)", "IMAGES", "NOTE")]
        rows += [(item.id, cell(item.created_at), cell(item.created_by), cell((item.git_commit or "-")[:12]),
                  item.result, *(cell(value) for value in checkpoint_columns(item, default)))
                 for item in found]
        widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
        for row in rows:
            typer.echo("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip())
    if hint:
        typer.echo(f"Warning: {hint}", err=True)


CELL_SHOWN = 160  # a record anyone with the bucket can edit must not widen every row of the table


def cell(value: object) -> str:
    """A table cell from a record: escaped, and cut."""
    from toolkit.text import cut, plain

    return cut(plain(value), CELL_SHOWN)


def checkpoint_columns(item, default: str | None) -> tuple[str, str, str]:
    """What the apply after the checkpoint changed, its images (before → after) and what marks the checkpoint."""
    record = item.apply
    changes = record.changes if record else None
    changed = changes.text() if changes else "-" if record is None else "?"
    images = "; ".join(f"{image.container}: {image.before or '(none)'} → {image.after or '(removed)'}"
                       for image in (changes.images if changes else [])) or "-"
    notes = []
    if item.rollback_of:
        notes.append(f"taken by a rollback (--step full to {item.rollback_of}'s configuration)")
    if item.id == default:
        notes.append("default rollback target")
    return changed, images, "; ".join(notes)


def _upload_local(environment: str, as_json: bool) -> None:
    from dataclasses import asdict

    from toolkit.config import load_environment
    from toolkit.project import Project
    from toolkit.records.places import upload_local

    project = Project.discover()
    report = upload_local(project, load_environment(project, environment))
    if as_json:
        typer.echo(json.dumps(asdict(report), indent=2))
        return
    typer.echo(f"{report.destination}: uploaded {len(report.uploaded)} checkpoint(s), {len(report.already)} already "
               f"there, {len(report.journal_runs)} journal run(s)")
    for checkpoint_id in report.uploaded:
        typer.echo(f"  uploaded {checkpoint_id}")
    for checkpoint_id in report.conflicting:
        typer.echo(f"  kept the shared copy of {checkpoint_id} (the local one differs)")


def register(app: typer.Typer) -> None:
    app.command("rollback")(rollback)
    app.command("checkpoints")(checkpoints)
