"""How a runbook is shown while it runs: plain text for the terminal, Markdown for the incident channel."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from toolkit.rollback.base import RunContext, Step, StepOutcome, StepPlan
from toolkit.rollback.request import RollbackRequest, RollbackResult
from toolkit.text import md_cell, md_fence, plain, printable_lines

Echo = Callable[[str], None]
RESULT_WORDS = {"done": "done", "nothing-to-do": "nothing to do", "manual": "MANUAL: run by hand",
                "failed": "FAILED", "planned": "planned", "skipped": "skipped"}


def checkpoint_line(run: RunContext) -> str:
    checkpoint = run.checkpoint
    commit = f", commit {checkpoint.git_commit[:12]}" if checkpoint.git_commit else ""
    return f"taken {plain(checkpoint.created_at)} by {plain(checkpoint.created_by)}{plain(commit)}, apply: " \
        f"{checkpoint.result}"


def budget_text(result: RollbackResult, label: str) -> str:
    budget = f"{result.budget_s / 3600:g} h" if result.budget_s >= 3600 else f"{result.budget_s / 60:g} min"
    over = " — OVER BUDGET" if result.elapsed_s > result.budget_s else ""
    return f"took {result.elapsed_s:.1f} s of the {budget} budget{over}"


class Reporter:
    def __init__(self, echo: Echo) -> None:
        self.echo = echo

    def header(self, run: RunContext, request: RollbackRequest, steps: Sequence[Step], label: str) -> None: ...
    def step_start(self, index: int, total: int, step: Step) -> None: ...
    def step_plan(self, step: Step, plan: StepPlan) -> None: ...
    def step_problem(self, step: Step, message: str) -> None: ...
    def step_outcome(self, step: Step, outcome: StepOutcome) -> None: ...
    def step_failed(self, step: Step, message: str) -> None: ...
    def note(self, text: str) -> None: ...
    def summary(self, run: RunContext, result: RollbackResult, label: str) -> None: ...
    def step_skipped(self, step: Step, text: str) -> None: ...
    def still_to_do(self, items: list[tuple[str, str]]) -> None: ...
    def stopped_still_to_do(self, items: list[tuple[str, str]]) -> None:
        """What is left when the run stops on an error (text and Markdown say it in the error itself)."""


def what(request: RollbackRequest) -> str:
    return f"tier {request.tier}" if request.tier else f"step {request.step}"


class TextReporter(Reporter):
    def header(self, run: RunContext, request: RollbackRequest, steps: Sequence[Step], label: str) -> None:
        self.echo(f"Rollback {run.environment}: {what(request)} (target {label}), checkpoint {run.checkpoint.id}")
        self.echo(f"  {checkpoint_line(run)}")
        if run.execute:
            self.echo(f"  EXECUTING run {run.run_id}: every action is journaled in {run.journal.location}")
        else:
            self.echo("  DRY RUN: nothing is changed. Add --yes to execute.")
        for warning in run.checkpoint.warnings:  # from the record: escaped
            self.echo(f"  checkpoint warning: {plain(warning)}")

    def step_start(self, index: int, total: int, step: Step) -> None:
        self.echo("")
        self.echo(f"[{index}/{total}] {step.name}: {step.title}")

    def step_plan(self, step: Step, plan: StepPlan) -> None:
        for change in plan.changes:
            self.echo(plain(f"    {change.action}  {change.resource}: {change.current} → {change.target}"))
        for command in plan.manual:
            self.echo(f"    by hand: {plain(command)}")
        for title, lines in plan.sections:
            self.echo(f"    {plain(title)}:")
            for line in lines:  # one line each: checkpoint ids, who and summaries come from editable records
                self.echo(f"      - {plain(line)}")
        for note in plan.notes:
            self.echo(f"    note: {plain(note)}")
        for line in plan.already:
            self.echo(f"    {plain(line)}")

    def step_problem(self, step: Step, message: str) -> None:
        self.echo(f"    CANNOT RUN: {printable_lines(message)}")

    def step_outcome(self, step: Step, outcome: StepOutcome) -> None:
        fresh = [line for line in outcome.lines if "nothing to do" not in line] if outcome.result == "done" \
            else outcome.lines
        if outcome.result == "nothing-to-do":
            self.echo(f"  → nothing to do ({outcome.duration_s:.1f} s)")
            return
        self.echo(f"  → {RESULT_WORDS[outcome.result]} in {outcome.duration_s:.1f} s")
        for line in fresh:
            self.echo(f"    {plain(line)}")

    def step_failed(self, step: Step, message: str) -> None:
        # An error may span lines (terraform's own): kept, but no terminal escape or override from a record.
        self.echo(f"  → FAILED: {printable_lines(message)}")

    def step_skipped(self, step: Step, text: str) -> None:
        self.echo(f"  → {text}")

    def still_to_do(self, items: list[tuple[str, str]]) -> None:
        self.echo("")
        self.echo("Still to do:")
        for index, (why, command) in enumerate(items, start=1):
            self.echo(f"  {index}. {why}:")
            self.echo(f"     {command}")

    def note(self, text: str) -> None:
        self.echo(text)

    def summary(self, run: RunContext, result: RollbackResult, label: str) -> None:
        counts: dict[str, int] = {}
        for outcome in result.outcomes:
            counts[outcome.result] = counts.get(outcome.result, 0) + 1
        parts = ", ".join(f"{count} {RESULT_WORDS[name]}" for name, count in counts.items())
        self.echo("")
        verb = "Executed" if result.executed else "Planned"
        self.echo(f"{verb} {len(result.outcomes)} step{'s' if len(result.outcomes) != 1 else ''}: {parts}; "
                  f"{budget_text(result, label)}; {result.api_calls} AWS API calls ({result.changing_calls} changing)")
        if result.executed:
            self.echo(f"Run {result.run_id}. Journal: toolkit rollback {run.environment} --journal")
            manual = [outcome for outcome in result.outcomes if outcome.result == "manual"]
            if manual:
                self.echo("ACTION NEEDED: " + ", ".join(item.step for item in manual) + " must be finished by hand "
                          "(commands above)")


class MarkdownReporter(Reporter):
    def header(self, run: RunContext, request: RollbackRequest, steps: Sequence[Step], label: str) -> None:
        self.echo(f"## Rollback `{run.environment}`: {what(request)} (target {label})")
        self.echo("")
        self.echo(f"- **Checkpoint** `{run.checkpoint.id}`: {md_cell(checkpoint_line(run))}")
        if run.execute:
            self.echo(f"- **Mode**: executing, run `{run.run_id}` (journal `{run.journal.location}`)")
        else:
            self.echo("- **Mode**: dry run, nothing is changed (execute with `--yes`)")
        self.echo("- **Steps**: " + ", ".join(f"`{step.name}`" for step in steps))
        for warning in run.checkpoint.warnings:  # from the record: no markup, mention or image of its own
            self.echo(f"- checkpoint warning: {md_cell(warning)}")

    def step_start(self, index: int, total: int, step: Step) -> None:
        self.echo("")
        self.echo(f"### {index}. `{step.name}`: {step.title}")
        self.echo("")

    def step_plan(self, step: Step, plan: StepPlan) -> None:
        if plan.changes:
            self.echo("| API action | Resource | Current | Target |")
            self.echo("|---|---|---|---|")
            for change in plan.changes:
                self.echo(f"| `{change.action}` | <code>{md_cell(change.resource)}</code> | "
                          f"{md_cell(change.current)} | {md_cell(change.target)} |")
            self.echo("")
        if plan.manual:
            # Shown as typed inside a fence no command's backticks can close (markup there is inert text).
            commands = [plain(command) for command in plan.manual]
            fence = md_fence(commands)
            self.echo("Run by hand:")
            self.echo(fence)
            for command in commands:
                self.echo(command)
            self.echo(fence)
        # Text from records (checkpoint ids, who, summaries, addresses) reaches every list below: each through the
        # Markdown escaper; section lines in <code>, their backticks as &#96; (no code span opens inside, where
        # entities would show as typed and the escaper's breaks would read as text).
        for title, lines in plan.sections:
            self.echo(f"**{md_cell(title)}**")
            self.echo("")
            for line in lines:
                self.echo(f"- <code>{md_cell(line).replace('`', '&#96;')}</code>")
            self.echo("")
        for note in plan.notes:
            self.echo(f"- {md_cell(note)}")
        for line in plan.already:
            self.echo(f"- ✅ {md_cell(line)}")

    def step_problem(self, step: Step, message: str) -> None:
        self.echo(f"- ❌ **cannot run**: {md_cell(message)}")

    def step_outcome(self, step: Step, outcome: StepOutcome) -> None:
        self.echo("")
        self.echo(f"**Result**: {RESULT_WORDS[outcome.result]} ({outcome.duration_s:.1f} s)")
        if outcome.result != "nothing-to-do":
            for line in outcome.lines:
                self.echo(f"- {md_cell(line)}")

    def step_failed(self, step: Step, message: str) -> None:
        self.echo("")
        self.echo(f"**Result**: ❌ FAILED: {md_cell(message)}")

    def step_skipped(self, step: Step, text: str) -> None:
        self.echo(f"**Result**: ⏭ {md_cell(text)}")

    def still_to_do(self, items: list[tuple[str, str]]) -> None:
        self.echo("")
        self.echo("**Still to do**")
        self.echo("")
        for index, (why, command) in enumerate(items, start=1):
            self.echo(f"{index}. {why}: `{command}`")

    def note(self, text: str) -> None:
        self.echo(f"> {md_cell(text)}")

    def summary(self, run: RunContext, result: RollbackResult, label: str) -> None:
        self.echo("")
        self.echo("---")
        rows = ", ".join(f"`{outcome.step}` {RESULT_WORDS[outcome.result]}" for outcome in result.outcomes)
        self.echo(f"**Summary**: {rows}; {budget_text(result, label)}; {result.api_calls} AWS API calls "
                  f"({result.changing_calls} changing)")


class JsonReporter(Reporter):
    """One JSON document on stdout once the run ends, whether it finished or stopped (`error` then says why): for
    scripts and incident bots. Keys: environment, mode, tier, step, checkpoint, run_id, journal, notes, steps (each
    with its planned changes, sections, notes, problem and outcome), summary, still_to_do (each why and command),
    error."""

    def __init__(self, echo: Echo) -> None:
        super().__init__(echo)
        self.document: dict[str, Any] = {"environment": None, "mode": None, "tier": None, "step": None,
                                         "checkpoint": None, "run_id": None, "journal": None, "notes": [],
                                         "steps": [], "summary": None, "still_to_do": [], "error": None}
        self.flushed = False

    def _current(self) -> dict[str, Any]:
        return self.document["steps"][-1]

    def header(self, run: RunContext, request: RollbackRequest, steps: Sequence[Step], label: str) -> None:
        checkpoint = run.checkpoint
        self.document.update(
            environment=run.environment, mode="execute" if run.execute else "dry-run", tier=request.tier,
            step=request.step, target=label, run_id=run.run_id, journal=run.journal.location,
            checkpoint={"id": checkpoint.id, "created_at": checkpoint.created_at, "created_by": checkpoint.created_by,
                        "git_commit": checkpoint.git_commit, "apply": checkpoint.result,
                        "warnings": list(checkpoint.warnings)},
            planned_steps=[step.name for step in steps])
        self.document["steps"] = []  # a protected run's preview is not the run

    def step_start(self, index: int, total: int, step: Step) -> None:
        self.document["steps"].append({"name": step.name, "title": step.title, "changes": [], "manual": [],
                                       "sections": [], "notes": [], "already": [], "problem": None,
                                       "outcome": None})

    def step_plan(self, step: Step, plan: StepPlan) -> None:
        current = self._current()
        current.update(changes=[{"action": change.action, "resource": change.resource, "current": change.current,
                                 "target": change.target} for change in plan.changes],
                       manual=list(plan.manual), notes=list(plan.notes), already=list(plan.already),
                       sections=[{"title": title, "lines": list(lines)} for title, lines in plan.sections])

    def step_problem(self, step: Step, message: str) -> None:
        self._current()["problem"] = message

    def step_outcome(self, step: Step, outcome: StepOutcome) -> None:
        self._current()["outcome"] = {"result": outcome.result, "lines": list(outcome.lines),
                                      "duration_s": round(outcome.duration_s, 3)}

    def step_failed(self, step: Step, message: str) -> None:
        self._current()["outcome"] = {"result": "failed", "lines": [message], "duration_s": None}

    def step_skipped(self, step: Step, text: str) -> None:
        self._current()["outcome"] = {"result": "skipped", "lines": [text], "duration_s": 0.0}

    def still_to_do(self, items: list[tuple[str, str]]) -> None:
        self.stopped_still_to_do(items)
        self.flush()

    def stopped_still_to_do(self, items: list[tuple[str, str]]) -> None:
        # Kept for the document the error flushes: a stopped run is when scripts need it most.
        self.document["still_to_do"] = [{"why": why, "command": command} for why, command in items]

    def note(self, text: str) -> None:
        self.document["notes"].append(text)

    def summary(self, run: RunContext, result: RollbackResult, label: str) -> None:
        self.document["summary"] = {
            "executed": result.executed, "outcomes": {item.step: item.result for item in result.outcomes},
            "api_calls": result.api_calls, "changing_calls": result.changing_calls,
            "elapsed_s": round(result.elapsed_s, 3), "budget_s": result.budget_s,
            "over_budget": result.elapsed_s > result.budget_s}

    def flush(self, error: str | None = None) -> None:
        """Print the document (once); `error` when the run stopped before its summary."""
        if self.flushed:
            return
        self.flushed = True
        if error is not None:
            self.document["error"] = error
        self.echo(json.dumps(self.document, indent=2, default=str))


def make_reporter(output_format: str, echo: Echo) -> Reporter:
    if output_format == "json":
        return JsonReporter(echo)
    return MarkdownReporter(echo) if output_format == "md" else TextReporter(echo)
