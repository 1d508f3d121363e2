"""The rollback runbook: tiers of steps, dry run or execution, journal, failure report and resume.

`run_rollback` is the one library call behind `toolkit rollback`: it validates the request, loads the
environment and the checkpoint, then plans (dry run) or plans-and-executes each step in order, streaming
what it does through `echo`. A failure stops the runbook; the error says what was done, what was not,
and the command that resumes from the failed step.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from toolkit.aws import ClientFactory, resolve_endpoint
from toolkit.clock import EXAMPLE_ID, RECORD_ID, new_record_id
from toolkit.config.sources import EnvironmentFacts
from toolkit.errors import GuardError, ToolkitError, UsageError
from toolkit.processes import current_actor, signals_interrupt
from toolkit.project import Project
from toolkit.records.checkpoints import Checkpoint
from toolkit.records.journal import Journal, JournalEntry
from toolkit.records.places import local_only
from toolkit.rollback.autoscaling import AutoscalingStep
from toolkit.rollback.base import RunContext, Step, StepCannotWork, StepOutcome
from toolkit.rollback.commits import COMMIT_ID, commits_to_revert, configuration_paths
from toolkit.rollback.database import DbCutoverStep, DbParameterGroupStep, DbRestoreStep, restore_time_arguments
from toolkit.rollback.ecs import CacheDisableStep, EcsTaskDefinitionStep, revision_label, split_revision
from toolkit.rollback.full import FullStep
from toolkit.rollback.journaled import journal_error, text_field
from toolkit.rollback.render import JsonReporter, Reporter, make_reporter
from toolkit.rollback.request import (
    EnvironmentRecords,
    RollbackRequest,
    RollbackResult,
    checkpoint_store,
    environment_records,
)
from toolkit.rollback.state import TerraformStateStep, undo_target
from toolkit.rollback.triage import (
    SKIPPABLE,
    Undone,
    recommend,
    skip_reason,
    triage_document,
    triage_lines,
    undone_applies,
)
from toolkit.text import md_fence, plain

TIERS: dict[str, tuple[str, float]] = {
    "immediate": ("< 5 minutes", 300.0),
    "short": ("< 30 minutes", 1800.0),
    "long": ("< 2 hours", 7200.0),
}
STEPS: tuple[Step, ...] = (EcsTaskDefinitionStep(), AutoscalingStep(), TerraformStateStep(), DbParameterGroupStep(),
                           CacheDisableStep(), DbRestoreStep(), DbCutoverStep(), FullStep())
STEP_BY_NAME = {step.name: step for step in STEPS}
# A line of triage shows a field from a record at most this long (an edited record must not flood the screen).
LINE_SHOWN = 400


def tier_steps(tier: str) -> list[Step]:
    return [step for step in STEPS if step.tier == tier and step.in_tier]


def validate_request(request: RollbackRequest) -> None:
    """Errors in the arguments themselves, before anything is loaded or called."""
    if request.undo_run is not None:
        if request.tier or request.step or request.resume_from or request.checkpoint_id or request.options.also_undo:
            raise UsageError("--undo RUN_ID stands alone: leave out --tier, --step, --resume-from, --to and "
                             "--also-undo")
        if not RECORD_ID.match(request.undo_run):
            raise UsageError(f"--undo {request.undo_run!r}: give a rollback run id (e.g. {EXAMPLE_ID}; "
                             "`toolkit rollback ENV --journal` lists them)")
        return
    if request.tier and request.step:
        raise UsageError("--tier and --step cannot be used together: choose one")
    if is_triage(request) and request.execute:
        raise UsageError("--yes needs --tier immediate|short|long or --step NAME: `toolkit rollback ENV` without "
                         "them (and without --yes) says what the last apply changed and which to run")
    unknown = [name for name in request.options.include if name not in SKIPPABLE]
    if unknown:
        raise UsageError(f"--include {', '.join(unknown)}: give a step a tier may skip ({', '.join(SKIPPABLE)})")
    if request.options.include and not request.tier:
        raise UsageError("--include goes with --tier (a single --step always runs)")
    if request.tier and request.tier not in TIERS:
        raise UsageError(f"unknown tier {request.tier!r}: choose one of {', '.join(TIERS)}")
    if request.tier:
        # Forcing a step the tier does not hold would run nothing and read as done.
        names = [step.name for step in tier_steps(request.tier)]
        outside = [name for name in request.options.include if name not in names]
        if outside:
            raise UsageError(f"--include {', '.join(outside)}: not a step of tier {request.tier} ({', '.join(names)}); "
                             f"run it with --step {outside[0]}")
    if request.step and request.step not in STEP_BY_NAME:
        raise UsageError(f"unknown step {request.step!r}: choose one of {', '.join(STEP_BY_NAME)}")
    if request.options.also_undo and (request.step not in (None, "terraform-state", "full")
                                      or request.tier == "immediate"):
        raise UsageError("--also-undo goes with the steps that change the state (terraform-state, full) or the "
                         "tiers that hold them (short, long)")
    if request.options.resume_scaling and request.step != "autoscaling":
        raise UsageError("--resume goes with --step autoscaling (it turns scaling back on)")
    other = (request.step or request.tier) and request.step != "full" and request.tier != "long"
    if request.options.allow_destroy and other:
        raise UsageError("--allow-destroy goes with --step full or --tier long (it is passed to the apply guard)")
    if request.resume_from and request.step:
        raise UsageError("--resume-from goes with --tier (a single --step is simply run again)")
    if request.options.restore_time is not None:
        restore_time_arguments(request.options.restore_time, "instance")
    if request.options.revision is not None and not (request.options.revision.isdigit()
                                                     or request.options.revision == "previous"):
        raise UsageError(f"--revision {request.options.revision!r}: give a revision number or 'previous'")


def is_triage(request: RollbackRequest) -> bool:
    """A bare `toolkit rollback ENV`: no tier, step, resume run or undo."""
    return not (request.tier or request.step or request.undo_run
                or (request.resume_from and RECORD_ID.match(request.resume_from)))


def resolve_resume(request: RollbackRequest, journal: Journal) -> None:
    """`--resume-from RUN_ID`: take the tier, checkpoint and failed step from that run's journal entries."""
    if not request.resume_from or not RECORD_ID.match(request.resume_from):
        return
    entries = journal.read(request.resume_from)
    start = next((entry for entry in entries if entry.event == "run-start"), None)
    if start is None:
        raise UsageError(f"run {request.resume_from!r} not found in {journal.location}")
    end = next((entry for entry in entries if entry.event == "run-end"), None)
    run_id = request.resume_from
    # The journal is editable: the tier, step and checkpoint it names are checked before they are used or shown.
    failed, field = (_details(run_id, end).get("failed_step") if end else None), "failed_step"
    if not failed:
        failed, field = next((entry.step for entry in entries if entry.event == "step" and entry.result == "failed"),
                             None), "the step of a failed step entry"
    if failed is None:
        raise UsageError(f"run {run_id} did not fail: nothing to resume")
    failed = text_field(run_id, {field: failed}, field, choices=STEP_BY_NAME)
    tier = text_field(run_id, _details(run_id, start), "tier", required=False, choices=TIERS)
    if not tier:
        raise UsageError(f"run {run_id} ran the single step {failed}: run it again with --step {failed}")
    if request.tier and request.tier != tier:
        raise UsageError(f"run {run_id} ran tier {tier}, not {request.tier}")
    request.tier = tier
    request.checkpoint_id = request.checkpoint_id or (
        text_field(run_id, {"checkpoint": start.checkpoint}, "checkpoint", required=False) or None)
    request.resume_from = failed


def _details(run_id: str, entry: JournalEntry) -> dict[str, Any]:
    if not isinstance(entry.details, dict):
        raise journal_error(run_id, f"the {entry.event} details", entry.details, "an object")
    return entry.details


def select_steps(request: RollbackRequest) -> list[Step]:
    if request.step:
        return [STEP_BY_NAME[request.step]]
    assert request.tier is not None
    steps = tier_steps(request.tier)
    if request.resume_from:
        names = [step.name for step in steps]
        if request.resume_from not in names:
            raise UsageError(f"--resume-from {request.resume_from!r}: not a step of tier {request.tier} "
                             f"({', '.join(names)})")
        steps = steps[names.index(request.resume_from):]
    return steps


def load_checkpoint(project: Project, records: EnvironmentRecords, checkpoint_id: str | None) -> Checkpoint:
    store, place, environment = records.store, records.place, records.facts.name
    if checkpoint_id:
        try:
            return store.load(checkpoint_id)
        except UsageError as error:
            hint = local_only(project, place) if place else ""
            raise UsageError(f"{error}; {hint}" if hint else str(error)) from None
    # The checkpoint before the last apply that changed the state (one beaten by another apply wrote nothing).
    latest = store.newest_state_change()
    if latest is None:
        where = f" in {store.location}" if place else ""
        hint = local_only(project, place, []) if place else ""
        raise ToolkitError(f"no checkpoint for {environment}{where} yet: `toolkit apply {environment}` records one "
                           f"before each apply" + (f"; {hint}" if hint else ""))
    return latest


def resume_command(request: RollbackRequest, checkpoint: Checkpoint, step: str) -> str:
    if request.undo_run:
        return f"toolkit rollback {request.environment} --undo {request.undo_run} --yes"
    parts = ["toolkit rollback", request.environment]
    parts += [f"--tier {request.tier} --resume-from {step}"] if request.tier else [f"--step {step}"]
    parts.append(f"--to {checkpoint.id}")
    options = request.options
    for flag, value in (("--revision", options.revision), ("--snapshot", options.snapshot),
                        ("--restore-time", options.restore_time), ("--region", request.region),
                        ("--endpoint-url", request.endpoint_url)):
        if value:
            parts.append(f"{flag} {value}")
    parts += [f"--also-undo {name}" for name in options.also_undo]
    parts += [f"--allow-destroy '{address}'" for address in options.allow_destroy]
    if options.reboot:
        parts.append("--reboot")
    if options.resume_scaling:
        parts.append("--resume")
    parts.append("--yes")
    return " ".join(parts)


def run_rollback(request: RollbackRequest, *, echo: Callable[[str], None],
                 confirm: Callable[[str], str] | None = None, project: Project | None = None) -> RollbackResult:
    """Plan (dry run) or execute a rollback tier or step; see the module docstring. With the json format one
    document is printed however the run ends, its `error` saying why it stopped (the error is raised as well)."""
    if is_triage(request):
        validate_request(request)
        return run_triage(request, echo=echo, project=project)
    if request.output_format != "json":
        return _run_rollback(request, echo=echo, confirm=confirm, project=project)
    reporter = JsonReporter(echo)
    reporter.document["environment"] = request.environment
    try:
        return _run_rollback(request, echo=echo, confirm=confirm, project=project, reporter=reporter)
    except ToolkitError as error:
        reporter.flush(str(error))
        raise


def _run_rollback(request: RollbackRequest, *, echo: Callable[[str], None], confirm: Callable[[str], str] | None,
                  project: Project | None, reporter: Reporter | None = None) -> RollbackResult:
    validate_request(request)
    project = project or Project.discover()
    records = environment_records(project, request.environment, one_listing=True)
    config, journal, store = records.facts, records.journal, records.store
    resolve_resume(request, journal)
    if request.undo_run:
        checkpoint_id, undo = undo_target(request.undo_run, journal.read(request.undo_run))
        request.step, request.checkpoint_id = TerraformStateStep.name, checkpoint_id
        steps: list[Step] = [TerraformStateStep(undo)]
    else:
        steps = select_steps(request)
    checkpoint = load_checkpoint(project, records, request.checkpoint_id)
    clients = ClientFactory(region=request.region or config.aws_region,
                            endpoint_url=resolve_endpoint(request.endpoint_url))
    run = RunContext(project=project, facts=config, checkpoint=checkpoint, clients=clients, journal=journal,
                     run_id=new_record_id(after=records.run_ids()), who=current_actor(), options=request.options,
                     execute=request.execute, echo=echo, approve=request.approve, confirm=confirm,
                     store=store, heartbeat=_heartbeat(request.output_format, echo))
    if request.execute and config.protected and request.approve is not None and request.approve != config.name:
        raise GuardError(f"--approve {request.approve} does not match the environment {config.name}: "
                         "nothing was changed")
    label, budget = TIERS[request.tier or STEP_BY_NAME[request.step or ""].tier]
    reporter = reporter or make_reporter(request.output_format, echo)
    if isinstance(reporter, JsonReporter) and request.execute and config.protected and request.approve is None:
        raise GuardError(f"{config.name} is protected: with --format json add --approve {config.name} (machine "
                         "output asks for no typed confirmation; nothing was changed)")
    if request.execute:
        # A protected environment is approved first (after seeing the plan): the "EXECUTING" header only
        # follows once the run really starts.
        _approve(config, request, run, steps, reporter, confirm)
    reporter.header(run, request, steps, label)
    for line in store.skipped_lines():  # passed over while choosing the checkpoint
        reporter.note(f"warning: {line}")
    started = time.monotonic()
    outcomes = _execute(run, request, steps, reporter) if request.execute else _dry_run(run, request, steps, reporter)
    result = RollbackResult(run.run_id, config.name, checkpoint.id, request.execute, outcomes, len(clients.recorder),
                            len(clients.recorder.mutating_calls), time.monotonic() - started, budget)
    reporter.summary(run, result, label)
    reporter.still_to_do(still_to_do(run, request, outcomes))
    return result


def _heartbeat(output_format: str, echo: Callable[[str], None]) -> Callable[[str], None]:
    """Heartbeats go with the run's lines; with json they go to stderr, so stdout stays one document."""
    if output_format == "json":
        import sys

        return lambda line: print(line, file=sys.stderr, flush=True)
    return lambda line: echo(f"    … {line}")


def run_triage(request: RollbackRequest, *, echo: Callable[[str], None],
               project: Project | None = None) -> RollbackResult:
    """A bare `toolkit rollback ENV`: what the applies a rollback to the default checkpoint undoes changed, and the
    steps that undo exactly that (toolkit.rollback.triage). Reads the checkpoints only."""
    import json

    project = project or Project.discover()
    records = environment_records(project, request.environment)
    config, store = records.facts, records.store
    checkpoint = load_checkpoint(project, records, request.checkpoint_id)
    notes = list(store.skipped_lines())
    newest = store.latest()
    if newest is not None and newest.rollback_of is not None and request.checkpoint_id is None:
        notes.append(f"the newest checkpoint {newest.id} was taken by a rollback (`--step full` to the "
                     f"configuration of checkpoint {newest.rollback_of}): it is never the default target")
    undone = undone_applies(store, checkpoint)
    advice = recommend(config.name, undone)
    if request.output_format == "json":
        echo(json.dumps(triage_document(config.name, undone, advice, notes), indent=2, default=str))
    else:
        # Addresses, images and names come from records anyone with the bucket can edit: printed escaped.
        lines = [_cut(plain(line)) for line in triage_lines(config.name, undone, advice, notes)]
        if request.output_format == "md":
            # A fence longer than any backtick run in the lines (from editable records) so none closes it.
            fence = md_fence(lines)
            lines = [fence, *lines, fence]
        for line in lines:
            echo(line)
    return RollbackResult("", config.name, checkpoint.id, False, [], 0, 0, 0.0, 0.0)


def _cut(line: str) -> str:
    return line if len(line) <= LINE_SHOWN else f"{line[:LINE_SHOWN]}… ({len(line) - LINE_SHOWN} more characters)"


def _undone(run: RunContext) -> Undone:
    """What the run undoes (read once per run)."""
    if "undone" not in run.loaded:
        store = run.store or checkpoint_store(run.project, run.environment)
        run.loaded["undone"] = undone_applies(store, run.checkpoint)
    return run.loaded["undone"]


def _skip(run: RunContext, request: RollbackRequest, step: Step) -> str | None:
    """Why a tier run leaves `step` out, in words with the flag that forces it (None: run it)."""
    if not request.tier or step.name not in SKIPPABLE or step.name in request.options.include:
        return None
    reason = skip_reason(step.name, _undone(run))
    return f"skipped: {reason}; add --include {step.name} to run it anyway" if reason else None


def still_to_do(run: RunContext, request: RollbackRequest, outcomes: list[StepOutcome],
                next_command: tuple[str, str] | None = None) -> list[tuple[str, str]]:
    """What is left once the run ends, each (why, command): the next rollback command when the run stopped or was a
    dry run, scaling to resume, the commit to revert, the plan to re-run."""
    env = run.environment
    items: list[tuple[str, str]] = []
    if next_command is not None:
        items.append(next_command)
    elif not run.execute and any(outcome.result == "planned" for outcome in outcomes):
        # A dry run with nothing to do offers no command to execute it (a newcomer's finding).
        items.append(("execute this plan", command_for(request, run.checkpoint)))
    results = {outcome.step: outcome.result for outcome in outcomes}
    suspends = results.get("autoscaling") in ("done", "nothing-to-do", "planned") and \
        not request.options.resume_scaling and bool(run.checkpoint.autoscaling)
    if suspends:
        items.append(("resume autoscaling once the service is healthy (the rollback suspended it)",
                      f"toolkit rollback {env} --step autoscaling --resume{_where(request)} --yes"))
    if results.get("cache-disable") in ("done", "planned"):
        replaced = sorted({split_revision(arn)[1] for arn in run.loaded.get("cache_replaced", {}).values()})
        if len(replaced) == 1:
            items.append((f"switch the cache back on once Redis is healthy (revision {replaced[0]}, the one "
                          "cache-disable replaced)", f"toolkit rollback {env} --step ecs-task-definition --revision "
                          f"{replaced[0]}{_where(request)} --yes"))
        else:
            where = ", ".join(f"{resource}: {revision_label(arn)}" for resource, arn in
                              sorted(run.loaded.get("cache_replaced", {}).items())) or "see the journal"
            items.append((f"switch the cache back on once Redis is healthy: give each service the revision "
                          f"cache-disable replaced ({where}), not `--revision previous` (the broken one)",
                          f"toolkit rollback {env} --journal"))
    if results.get("db-restore") in ("done", "planned") and "db-cutover" not in results:
        items.append(("cut the application over to the restored database",
                      f"toolkit rollback {env} --step db-cutover --to {run.checkpoint.id}{_where(request)} --yes"))
    commits = [] if request.undo_run else _undone(run).commits()
    # From records anyone with the bucket can edit: only a commit id goes into a command to paste.
    forged = [commit for commit in commits if not COMMIT_ID.fullmatch(commit)]
    commits = [commit for commit in commits if commit not in forged]
    if forged:
        items.append(("the undone apply's checkpoint records a commit that is not a commit id (an edited record?): "
                      "find its commit by hand", f"git log -- envs/{env}.yaml"))
    live = run.store.live_configuration(run.checkpoint) if run.store is not None and commits else None
    roots = [root for root in (live.terraform_root if live else None, _terraform_root(run)) if root]
    changed = commits_to_revert(run.project.root, env, live.git_commit if live else None, commits, roots)
    if request.undo_run:
        pass  # an undo puts a newer state back: nothing of the checkpoint's apply is undone, no commit to revert
    elif changed is not None and commits and not changed and all(commit == live.git_commit for commit in commits):
        # Applied on the very commit that was live: the change was an uncommitted edit (or a value typed on the
        # command line); no commit holds it, and `git log X..X` would show nothing (the demo's case).
        items.append((f"the undone apply ran on the commit that was live at the checkpoint ({live.git_commit[:12]}): "
                      "its change was never committed; undo the edit in the working tree (the diff shows it while "
                      "it is still there)",
                      f"git diff {live.git_commit[:12]} -- " + " ".join(configuration_paths(env, roots))))
    elif changed is not None and commits and not changed:
        items.append((f"no commit since the configuration live at the checkpoint ({live.git_commit[:12]}) changed "
                      f"{env}'s configuration: nothing to revert; check what was applied by hand",
                      f"git log {live.git_commit[:12]}..{commits[0][:12]} -- "
                      + " ".join(configuration_paths(env, roots))))
    elif commits:
        # The commits that changed this environment's configuration since what was live, merges left out (git can
        # revert a merge only with -m); git unable to tell: the applied commits themselves.
        shown = changed if changed else commits
        items.append(("revert what the undone apply applied, so the next apply does not bring it back",
                      "git revert --no-edit " + " ".join(commit[:12] for commit in shown)))
    elif not forged:
        items.append(("the undone apply recorded no commit: undo its change in the configuration by hand",
                      f"git log -- envs/{env}.yaml"))
    items.append(("re-plan: the plan must not propose the broken change again", f"toolkit plan {env}"))
    return items


def _terraform_root(run: RunContext) -> str | None:
    """The environment's root module folder as its merged values name it (terraform.root), without the schema."""
    terraform = run.facts.values.get("terraform")
    root = terraform.get("root") if isinstance(terraform, dict) else None
    return root if isinstance(root, str) else None


def _where(request: RollbackRequest) -> str:
    return "".join(f" {flag} {value}" for flag, value in (("--region", request.region),
                                                          ("--endpoint-url", request.endpoint_url)) if value)


def command_for(request: RollbackRequest, checkpoint: Checkpoint, *, step: str | None = None) -> str:
    """The command that runs this request (or one `step` of it) with --yes against the same checkpoint."""
    parts = ["toolkit rollback", request.environment]
    parts.append(f"--step {step}" if step else (f"--tier {request.tier}" if request.tier else f"--step {request.step}"))
    parts.append(f"--to {checkpoint.id}")
    if not step:
        parts += [f"--include {name}" for name in request.options.include]
        for flag, value in (("--revision", request.options.revision), ("--snapshot", request.options.snapshot),
                            ("--restore-time", request.options.restore_time)):
            if value:
                parts.append(f"{flag} {value}")
        if request.options.reboot:
            parts.append("--reboot")
        if request.options.resume_scaling:
            parts.append("--resume")
    parts += [f"--also-undo {name}" for name in request.options.also_undo]
    parts += [f"--allow-destroy '{address}'" for address in request.options.allow_destroy]
    return " ".join(parts) + _where(request) + " --yes"


def _dry_run(run: RunContext, request: RollbackRequest, steps: list[Step],
             reporter: Reporter) -> list[StepOutcome]:
    outcomes: list[StepOutcome] = []
    problems: list[str] = []
    for index, step in enumerate(steps, start=1):
        reporter.step_start(index, len(steps), step)
        skipped = _skip(run, request, step)
        if skipped:
            reporter.step_skipped(step, skipped)
            outcomes.append(StepOutcome(step.name, "skipped", [skipped]))
            continue
        try:
            plan = step.plan(run)
        except ToolkitError as error:
            if isinstance(error, StepCannotWork) and step.name != "full":
                error = ToolkitError(f"{error}; the step that can work: toolkit rollback {run.environment} --step "
                                     f"full --to {run.checkpoint.id}")
            reporter.step_problem(step, str(error))
            problems.append(f"{step.name}: {error}")
            outcomes.append(StepOutcome(step.name, "failed", [str(error)]))
            continue
        reporter.step_plan(step, plan)
        if plan.refusal and not plan.nothing_to_do:
            reporter.step_problem(step, plan.refusal)
            problems.append(f"{step.name}: {plan.refusal}")
            outcomes.append(StepOutcome(step.name, "failed", [plan.refusal]))
            continue
        outcomes.append(StepOutcome(step.name, "nothing-to-do" if plan.nothing_to_do else "planned"))
    if problems:
        raise ToolkitError(f"{len(problems)} step{'s' if len(problems) > 1 else ''} cannot run as planned "
                           "(nothing was changed):\n  " + "\n  ".join(problems))
    return outcomes


def _approve(config: EnvironmentFacts, request: RollbackRequest, run: RunContext, steps: list[Step],
             reporter: Reporter, confirm: Callable[[str], str] | None) -> None:
    """Protected environments: --approve NAME, or type the name after seeing the plan."""
    if not config.protected:
        return
    if request.approve is not None:
        return
    if confirm is None:
        raise GuardError(f"{config.name} is protected: add --approve {config.name} (nothing was changed)")
    reporter.note(f"{config.name} is protected. The plan first (nothing is changed yet):")
    preview = RunContext(**{**run.__dict__, "execute": False})
    _dry_run(preview, request, steps, reporter)
    typed = confirm(f"Type the environment name ({config.name}) to execute this rollback")
    if typed.strip() != config.name:
        raise GuardError(f"confirmation {typed.strip()!r} does not match {config.name}: nothing was changed")


def _execute(run: RunContext, request: RollbackRequest, steps: list[Step], reporter: Reporter) -> list[StepOutcome]:
    # Entries marked hold go out with the next write: before the next change or wait (RunContext.act and
    # wait_policy), with a failure, or with the run's end; fewer round trips, the same records.
    try:
        with signals_interrupt():
            return _execute_steps(run, request, steps, reporter)
    except BaseException:
        with contextlib.suppress(ToolkitError, OSError):
            run.journal.flush()  # an unexpected error: what is held is still written (the error is the news)
        raise


def _execute_steps(run: RunContext, request: RollbackRequest, steps: list[Step],
                   reporter: Reporter) -> list[StepOutcome]:
    run.record(hold=True, event="run-start", result="started",
               details={"tier": request.tier, "step": request.step, "resume_from": request.resume_from,
                        "options": {key: value for key, value in request.options.__dict__.items()
                                    if value not in (None, False, ())},
                        "region": run.clients.region, "endpoint_url": run.clients.endpoint_url})
    outcomes: list[StepOutcome] = []
    for index, step in enumerate(steps, start=1):
        reporter.step_start(index, len(steps), step)
        skipped = _skip(run, request, step)
        if skipped:
            reporter.step_skipped(step, skipped)
            outcomes.append(StepOutcome(step.name, "skipped", [skipped]))
            run.record(hold=True, step=step.name, event="step", result="skipped", message=skipped)
            continue
        started = time.monotonic()
        try:
            plan = step.plan(run)
            reporter.step_plan(step, plan)
            if plan.nothing_to_do:
                outcome = StepOutcome(step.name, "nothing-to-do", plan.already, time.monotonic() - started)
            elif plan.refusal:
                raise GuardError(plan.refusal)
            else:
                lines = step.execute(run, plan)
                result = "manual" if plan.manual else "done"
                outcome = StepOutcome(step.name, result, [*plan.already, *lines], time.monotonic() - started)
        except (ToolkitError, KeyboardInterrupt) as caught:
            # Ctrl-C (or SIGTERM/SIGHUP: toolkit.processes.signals_interrupt) is journaled like a failure, so the
            # journal and the resume command stay truthful.
            how = caught.args[0] if isinstance(caught, KeyboardInterrupt) and caught.args else "Ctrl-C"
            error = caught if isinstance(caught, ToolkitError) else ToolkitError(f"interrupted ({how})", exit_code=130)
            duration = time.monotonic() - started
            outcomes.append(StepOutcome(step.name, "failed", [str(error)], duration))
            run.record(step=step.name, event="step", result="failed", message=str(error), duration_s=duration)
            _fail(run, request, steps, outcomes, step, error, reporter)
        outcomes.append(outcome)
        run.record(hold=True, step=step.name, event="step", result=outcome.result, message="\n".join(outcome.lines),
                   duration_s=outcome.duration_s)
        reporter.step_outcome(step, outcome)
    run.record(event="run-end", result="finished", details={
        "done": [item.step for item in outcomes if item.result == "done"],
        "nothing_to_do": [item.step for item in outcomes if item.result == "nothing-to-do"],
        "manual": [item.step for item in outcomes if item.result == "manual"],
        "skipped": [item.step for item in outcomes if item.result == "skipped"],
        "api_calls": len(run.clients.recorder), "changing_calls": len(run.clients.recorder.mutating_calls)})
    return outcomes


class RollbackFailed(ToolkitError):
    """A step failed: the message lists what was done, what was not, and how to resume."""


def _fail(run: RunContext, request: RollbackRequest, steps: list[Step], outcomes: list[StepOutcome], step: Step,
          error: ToolkitError, reporter: Reporter) -> None:
    finished = [item for item in outcomes if item.result != "failed"]
    remaining = [item.name for item in steps[len(outcomes):]]
    # A step that cannot work (no usable target) fails the same way on every resume: the step that can is `full`.
    permanent = isinstance(error, StepCannotWork) and step.name != "full"
    command = command_for(request, run.checkpoint, step="full") if permanent else \
        resume_command(request, run.checkpoint, step.name)
    run.record(step=step.name, event="run-end", result="failed", message=str(error), details={
        "failed_step": step.name, "done": [item.step for item in finished], "not_done": [step.name, *remaining],
        "resume": command, "api_calls": len(run.clients.recorder)})
    reporter.step_failed(step, str(error))
    lines = [f"step {step.name} failed: {error}"]
    lines.append("done: " + (", ".join(f"{item.step} ({item.result})" for item in finished) or "nothing"))
    lines.append("not done: " + ", ".join([step.name, *remaining]))
    if permanent:
        lines.append(f"running {step.name} again cannot work; the step that can: {command.removesuffix(' --yes')} "
                     "(dry run first), then add --yes")
    else:
        lines.append(f"resume with: {command}")
        if request.tier:
            lines.append(f"(or: toolkit rollback {run.environment} --resume-from {run.run_id} --yes)")
    lines.append(f"journal: toolkit rollback {run.environment} --journal --run {run.run_id}")
    why = "the step that can work (dry run first without --yes)" if permanent else "resume the rollback"
    items = still_to_do(run, request, outcomes, (why, command))
    reporter.stopped_still_to_do(items)
    lines.append("still to do:")
    lines += [f"  - {text}: {todo}" for text, todo in items]
    raise RollbackFailed("\n".join(lines), exit_code=error.exit_code) from None


def read_journal(environment: str, *, run_id: str | None = None, project: Project | None = None,
                 skipped: list[str] | None = None) -> list[JournalEntry]:
    """The journal's entries; unreadable lines or run objects are skipped and named in `skipped`."""
    project = project or Project.discover()
    journal = environment_records(project, environment).journal
    entries = journal.read(run_id)
    if skipped is not None:
        skipped += journal.skipped_lines()
    return entries


def list_checkpoints(environment: str, *, project: Project | None = None,
                     skipped: list[str] | None = None) -> tuple[list[Checkpoint], str, str | None]:
    """The environment's readable checkpoints, a hint when this checkout keeps some only locally (else "") and the
    id of the default rollback target (None: none); unreadable records are skipped and named in `skipped`."""
    project = project or Project.discover()
    records = environment_records(project, environment)
    store, place = records.store, records.place
    found = store.list()
    if skipped is not None:
        skipped += store.skipped_lines()
    known = [item.id for item in found] + [item for item in store.ids() if store.where(item) in store.skipped]
    default = store.newest_state_change()
    return found, local_only(project, place, known) if place else "", default.id if default else None
