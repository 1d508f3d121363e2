"""How a runbook is shown while it runs: plain text for the terminal, Markdown for the incident channel."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from toolkit.rollback.base import RunContext, Step, StepOutcome, StepPlan
from toolkit.rollback.request import RollbackRequest, RollbackResult
from toolkit.text import md_cell, plain

Echo = Callable[[str], None]
RESULT_WORDS = {"done": "done", "nothing-to-do": "nothing to do", "manual": "MANUAL: run by hand",
                "failed": "FAILED", "planned": "planned"}


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
        for warning in run.checkpoint.warnings:
            self.echo(f"  checkpoint warning: {warning}")

    def step_start(self, index: int, total: int, step: Step) -> None:
        self.echo("")
        self.echo(f"[{index}/{total}] {step.name}: {step.title}")

    def step_plan(self, step: Step, plan: StepPlan) -> None:
        for change in plan.changes:
            self.echo(f"    {change.action}  {change.resource}: {change.current} → {change.target}")
        for command in plan.manual:
            self.echo(f"    by hand: {command}")
        for title, lines in plan.sections:
            self.echo(f"    {title}:")
            for line in lines:
                self.echo(f"      - {line}")
        for note in plan.notes:
            self.echo(f"    note: {note}")
        for line in plan.already:
            self.echo(f"    {line}")

    def step_problem(self, step: Step, message: str) -> None:
        self.echo(f"    CANNOT RUN: {message}")

    def step_outcome(self, step: Step, outcome: StepOutcome) -> None:
        fresh = [line for line in outcome.lines if "nothing to do" not in line] if outcome.result == "done" \
            else outcome.lines
        if outcome.result == "nothing-to-do":
            self.echo(f"  → nothing to do ({outcome.duration_s:.1f} s)")
            return
        self.echo(f"  → {RESULT_WORDS[outcome.result]} in {outcome.duration_s:.1f} s")
        for line in fresh:
            self.echo(f"    {line}")

    def step_failed(self, step: Step, message: str) -> None:
        self.echo(f"  → FAILED: {message}")

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
        self.echo(f"- **Checkpoint** `{run.checkpoint.id}`: {checkpoint_line(run)}")
        if run.execute:
            self.echo(f"- **Mode**: executing, run `{run.run_id}` (journal `{run.journal.location}`)")
        else:
            self.echo("- **Mode**: dry run, nothing is changed (execute with `--yes`)")
        self.echo("- **Steps**: " + ", ".join(f"`{step.name}`" for step in steps))
        for warning in run.checkpoint.warnings:
            self.echo(f"- checkpoint warning: {warning}")

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
            self.echo("Run by hand:")
            self.echo("```")
            for command in plan.manual:
                self.echo(command)
            self.echo("```")
        for title, lines in plan.sections:
            self.echo(f"**{title}**")
            self.echo("")
            for line in lines:
                self.echo(f"- `{line}`" if "`" not in line else f"- {line}")
            self.echo("")
        for note in plan.notes:
            self.echo(f"- {note}")
        for line in plan.already:
            self.echo(f"- ✅ {line}")

    def step_problem(self, step: Step, message: str) -> None:
        self.echo(f"- ❌ **cannot run**: {message}")

    def step_outcome(self, step: Step, outcome: StepOutcome) -> None:
        self.echo("")
        self.echo(f"**Result**: {RESULT_WORDS[outcome.result]} ({outcome.duration_s:.1f} s)")
        if outcome.result != "nothing-to-do":
            for line in outcome.lines:
                self.echo(f"- {line}")

    def step_failed(self, step: Step, message: str) -> None:
        self.echo("")
        self.echo(f"**Result**: ❌ FAILED: {message}")

    def note(self, text: str) -> None:
        self.echo(f"> {text}")

    def summary(self, run: RunContext, result: RollbackResult, label: str) -> None:
        self.echo("")
        self.echo("---")
        rows = ", ".join(f"`{outcome.step}` {RESULT_WORDS[outcome.result]}" for outcome in result.outcomes)
        self.echo(f"**Summary**: {rows}; {budget_text(result, label)}; {result.api_calls} AWS API calls "
                  f"({result.changing_calls} changing)")


def make_reporter(output_format: str, echo: Echo) -> Reporter:
    return MarkdownReporter(echo) if output_format == "md" else TextReporter(echo)
