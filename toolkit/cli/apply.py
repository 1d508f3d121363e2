"""`toolkit apply ENV`: apply the saved, reviewed plan after the safety guards and a checkpoint."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from toolkit.cli import options
from toolkit.cli.options import (
    Approve,
    Environment,
    JsonAlias,
    LockTimeout,
    Quiet,
    TextOrJson,
    TextOrJsonFormat,
    duration_option,
    lock_timeout_or_default,
    wants_json,
)
from toolkit.duration import Duration


def register(app: typer.Typer) -> None:
    app.command("apply")(apply_command)


def apply_command(
    environment: Environment,
    auto: bool = typer.Option(False, "--auto", help="Plan and apply in one go (dev and sandbox only)."),
    approve: Approve = None,
    allow_destroy: list[str] = typer.Option(
        [], "--allow-destroy", metavar="ADDRESS",
        help="Allow destroying or replacing this stateful resource (repeat for each).", show_default=False),
    lock_timeout: LockTimeout = None,
    expect_plan: str = typer.Option(
        None, "--expect-plan", metavar="SHA256", show_default=False,
        help="Refuse unless the saved binary plan's sha256 is this one (the review comment's `binary plan sha256`; "
             "the apply-on-merge workflow passes it)."),
    no_wait: bool = typer.Option(
        False, "--no-wait", help="Do not wait for the ECS services and parameter groups the plan changed (by default "
        "a rolled-back, failed or stuck deployment or a pending-reboot parameter group fails the apply, exit 4)."),
    wait_timeout: Annotated[Duration | None, duration_option(
        "--wait-timeout", "How long to wait for the deployments after terraform applied: 10m (default), 30m.")] = None,
    quiet: Quiet = False,
    output_format: TextOrJsonFormat = TextOrJson.text,
    json_alias: JsonAlias = False,
) -> None:
    """Apply the latest saved plan of ENV (from `toolkit plan ENV`), after checking it is not stale or changed.

    Protected environments need --approve ENV or the name typed at the prompt; destroying or replacing a
    stateful resource (database, bucket, key, ...) needs --allow-destroy ADDRESS. A checkpoint for
    `toolkit rollback` is saved before anything changes. After terraform succeeds it waits (--wait-timeout, with
    progress lines) for each ECS service the plan changed to be steady on its new task definition and for changed
    parameter groups; a rollback, a failed or stuck deployment or a pending-reboot exits 4 with the step to take.

    Example: toolkit apply prod --approve prod
    """
    from toolkit.engine import SilentProgress, StreamProgress, apply_environment
    from toolkit.plans.binding import normalize_sha256
    from toolkit.project import Project

    timeout = lock_timeout_or_default(lock_timeout)
    expected = normalize_sha256(expect_plan) if expect_plan is not None else None
    from toolkit.deployments import DEFAULT_TIMEOUT_S, WaitSettings

    wait = None if no_wait else WaitSettings(timeout_s=wait_timeout.seconds if wait_timeout else DEFAULT_TIMEOUT_S)
    as_json = wants_json(output_format, json_alias)
    project = Project.discover()
    progress = SilentProgress() if quiet or as_json else StreamProgress()
    from toolkit.cli.plan import warn_about_interrupted_apply

    warn_about_interrupted_apply(project, environment, offline=False)
    from toolkit.db.schema_version import version_for_checkpoint
    from toolkit.engine.terraform import APPLY_RECORDED, FinishedBeforeStop
    from toolkit.processes import signals_interrupt

    try:
        # SIGTERM/SIGHUP (a CI cancel, a dropped session) stop the apply as Ctrl-C does: terraform is told to stop
        # gracefully and the checkpoint is marked, instead of the toolkit dying with terraform still applying.
        with signals_interrupt():
            outcome = apply_environment(project, environment, auto=auto, approve=approve,
                                        allow_destroy=allow_destroy, lock_timeout=timeout,
                                        prompt=_prompt if options.stdin_is_terminal() else None, progress=progress,
                                        expect_plan=expected, wait=wait, schema_version=version_for_checkpoint)
    except FinishedBeforeStop as interrupt:
        if interrupt.finished == APPLY_RECORDED:
            typer.echo(f"Error: {environment}: applied, then interrupted ({interrupt.args[0]}): the plan is applied "
                       "and its checkpoint records it as applied; the wait for the deployments was stopped, so they "
                       "are not checked (the checkpoint says so). Look at the ECS services and parameter groups it "
                       f"changed in the console; `toolkit checkpoints {environment}` shows the run", err=True)
        else:
            typer.echo(f"Error: {environment}: interrupted ({interrupt.args[0]}): the apply had finished, and its "
                       f"checkpoint records it as applied; nothing more ran. `toolkit checkpoints {environment}` shows "
                       "the run", err=True)
        raise typer.Exit(130) from None
    except KeyboardInterrupt as interrupt:
        how = f" ({interrupt.args[0]})" if interrupt.args else ""
        # Said once, in words, instead of a bare exit after terraform's halted operations (a newcomer's finding).
        typer.echo(f"Error: {environment}: the apply was interrupted{how}; its checkpoint records it as cancelled. "
                   f"What terraform created before it stopped is in the state (a resource left half-created is tainted "
                   f"and the next plan replaces it): `toolkit plan {environment}` shows what is left, `toolkit "
                   f"checkpoints {environment}` the run", err=True)
        raise typer.Exit(130) from None
    if as_json:
        typer.echo(json.dumps(outcome.as_dict(), indent=2))
    elif not outcome.applied:
        typer.echo(f"{environment}: the plan {outcome.plan_id} has no changes; nothing applied")
    else:
        typer.echo(f"{environment}: applied {outcome.plan_id} ({outcome.summary.text()}) in "
                   f"{outcome.duration_seconds:.0f}s; checkpoint {outcome.checkpoint_id} "
                   f"(toolkit rollback {environment} uses it)")


def _prompt(text: str) -> str | None:
    return typer.prompt(text, default="", show_default=False)
