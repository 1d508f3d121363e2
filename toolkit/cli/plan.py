"""`toolkit plan ENV|--all`: save a reviewed-able plan; exit 0 no changes, 2 changes, 1 error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from toolkit.cli.options import (
    JsonAlias,
    LockTimeout,
    OptionalEnvironment,
    Quiet,
    TextOrJson,
    TextOrJsonFormat,
    lock_timeout_or_default,
    wants_json,
)
from toolkit.errors import UsageError


def register(app: typer.Typer) -> None:
    app.command("plan")(plan_command)


def plan_command(
    environment: OptionalEnvironment = None,
    all_environments: bool = typer.Option(False, "--all", help="Plan every environment concurrently."),
    lock_timeout: LockTimeout = None,
    destroy: bool = typer.Option(False, "--destroy", help="Plan the destruction of everything in the environment."),
    offline: bool = typer.Option(
        False, "--offline",
        help="Plan the real root against the stub AWS provider 6 and an empty state (no AWS, no credentials); "
             "saved under .toolkit/envs/ENV/offline/, reviewable, never applied."),
    against: str | None = typer.Option(
        None, "--against", metavar="REF",
        help="With --offline: plan against git revision REF's configuration applied to the stub in a throw-away "
             "state, so the plan shows only what the working tree changes (updates, replacements, destroys). "
             "REF: a commit, branch or tag, or 'merge-base' (the merge base of HEAD with the default branch)."),
    quiet: Quiet = False,
    output_format: TextOrJsonFormat = TextOrJson.text,
    json_alias: JsonAlias = False,
) -> None:
    """Render, init and plan; save the plan, plan.json and its metadata under .toolkit/envs/ENV/plans/.

    Exit code as terraform's -detailed-exitcode: 0 no changes, 2 changes present, 1 error
    (--all: 1 if any failed, else 2 if any has changes). A plan AWS would reject (the AWS apply-time
    rules of docs/CHECKS.md) is saved, its findings printed, and the command exits 1; waive a rule for
    an address only in aws-rules-waivers.yaml, with a reason.

    Example: toolkit plan staging    (or: toolkit plan --all --format json; offline: toolkit plan prod --offline;
    a branch's changes only: toolkit plan prod --offline --against merge-base)
    """
    from toolkit.engine import PlanFailure, SilentProgress, StreamProgress, plan_all, plan_environment
    from toolkit.project import Project

    if all_environments == (environment is not None):
        raise UsageError("give an environment name or --all (not both)")
    if destroy and all_environments:
        raise UsageError("--destroy plans one environment at a time: give its name instead of --all")
    if destroy and offline:
        raise UsageError("--destroy cannot be planned offline: an offline plan starts from an empty state")
    if against is not None and not offline:
        raise UsageError("--against REF plans offline against a base revision: add --offline (a real plan is "
                         "already made against the environment's real state)")
    if against is not None and all_environments:
        raise UsageError("--against plans one environment at a time: give its name instead of --all")
    timeout = lock_timeout_or_default(lock_timeout)
    as_json = wants_json(output_format, json_alias)
    project = Project.discover()
    progress = SilentProgress() if quiet or as_json else StreamProgress()
    if environment is not None:
        warn_about_interrupted_apply(project, environment, offline)
        if offline:
            from toolkit.engine.offline import plan_offline

            base = None if against is None else ("" if against in ("", "merge-base") else against)
            outcome = plan_offline(project, environment, progress=progress, against=base)
        else:
            outcome = plan_environment(project, environment, lock_timeout=timeout, destroy=destroy,
                                       progress=progress)
        if as_json:
            typer.echo(json.dumps(outcome.as_dict(), indent=2))
        else:
            status = "changes" if outcome.has_changes else "no changes"
            typer.echo(f"{environment}: {status}: {outcome.summary.text()}"
                       + (f", {outcome.summary.outputs_changed} output(s) changed"
                          if outcome.summary.outputs_changed else ""))
            gaps = getattr(outcome, "emulator_gaps", None)
            if gaps is not None and gaps.known:
                typer.echo(gaps.text(environment))
            if offline:
                by_module = ", ".join(f"{module} {count}" for module, count in outcome.resources_by_module().items())
                typer.echo(f"  by module: {by_module or 'nothing'}")
            base_info = outcome.saved.metadata.offline_base
            if base_info:
                typer.echo(f"  against: {base_info['how']} ({base_info['commit'][:12]})"
                           + ("" if base_info.get("environment_at_base") == "yes"
                              else f"; {environment} does not exist there: planned against an empty state"))
            if not quiet and offline:
                typer.echo(f"Saved offline plan: {_relative(project.root, outcome.saved.plan_json)}  "
                           f"(next: toolkit review {environment} --offline; it cannot be applied)")
            elif not quiet:
                plan_json = outcome.saved.plan_json.parent.parent / "latest" / "plan.json"
                typer.echo(f"Saved: {_relative(project.root, plan_json)}  "
                           f"(next: toolkit review {environment}; toolkit apply {environment})")
            _print_rules(outcome)
        raise typer.Exit(outcome.exit_code)
    combined = plan_all(project, lock_timeout=timeout, progress=progress, offline=offline)
    if as_json:
        typer.echo(json.dumps({"exit_code": combined.exit_code,
                               "environments": [_result_dict(result) for result in combined.results]}, indent=2))
    else:
        typer.echo(_combined_table(combined.results))
        for result in combined.results:
            _print_rules(result, heading=True)
            for warning in getattr(result, "warnings", []):
                typer.echo(f"Warning: {result.environment}: {warning}", err=True)
            if isinstance(result, PlanFailure):
                typer.echo(f"Error: {result.environment}: {result.message}", err=True)
    raise typer.Exit(combined.exit_code)


def _print_rules(outcome: Any, *, heading: bool = False) -> None:
    """The AWS apply-time rules' findings after the plan (docs/CHECKS.md), and the error when they fail it."""
    from toolkit.awsrules.render import text_lines
    from toolkit.awsrules.service import failure_message

    report = getattr(outcome, "rules", None)
    if report is None or (not report.findings and not report.unused_waivers):
        return
    lines = text_lines(report)
    if heading:
        typer.echo(f"\n{outcome.environment}:")
    typer.echo("\n".join(lines))
    if report.blocking:
        typer.echo(f"Error: {failure_message(report, outcome.environment)}", err=True)


def warn_about_interrupted_apply(project: Any, environment: str, offline: bool) -> None:
    """Said first, so it shows even when the plan then fails (on the lock the interrupted run left, say)."""
    from toolkit.config import load_environment
    from toolkit.engine.pre_apply import interrupted_apply_warning
    from toolkit.records.places import checkpoint_store_for

    if offline:
        return
    warning = interrupted_apply_warning(checkpoint_store_for(project, load_environment(project, environment)),
                                        environment)
    if warning:
        typer.echo(f"Warning: {warning}", err=True)


def _result_dict(result: Any) -> dict[str, Any]:
    from toolkit.engine import PlanFailure, PlanSkipped

    if isinstance(result, PlanFailure):
        return {"environment": result.environment, "status": "failed", "exit_code": 1, "error": result.message}
    if isinstance(result, PlanSkipped):
        return {"environment": result.environment, "status": "skipped", "exit_code": 0, "reason": result.reason}
    return result.as_dict()


def _combined_table(results: list[Any]) -> str:
    from toolkit.engine import PlanFailure, PlanSkipped

    width = max(len("ENVIRONMENT"), *(len(result.environment) for result in results))
    lines = [f"{'ENVIRONMENT':<{width}}  {'RESULT':<10}  ADD  CHANGE  REPLACE  DESTROY"]
    for result in results:
        if isinstance(result, PlanFailure):
            lines.append(f"{result.environment:<{width}}  {'FAILED':<10}  (see the error below)")
        elif isinstance(result, PlanSkipped):
            lines.append(f"{result.environment:<{width}}  {'skipped':<10}  {result.reason}")
        else:
            summary = result.summary
            status = "REJECTED" if result.rejected_by_aws else "changes" if result.has_changes else "no changes"
            lines.append(f"{result.environment:<{width}}  {status:<10}  {summary.add:>3}  {summary.change:>6}  "
                         f"{summary.replace:>7}  {summary.destroy:>7}")
    offline = [result for result in results if getattr(result, "saved", None) and result.saved.metadata.offline]
    if offline:
        lines.append("\nOffline plans (stub AWS provider 6, empty state; reviewable, never applied), "
                     "resources by module:")
        for result in offline:
            by_module = ", ".join(f"{module} {count}" for module, count in result.resources_by_module().items())
            lines.append(f"  {result.environment:<{width}}  {by_module or 'nothing'}")
    return "\n".join(lines)


def _relative(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
