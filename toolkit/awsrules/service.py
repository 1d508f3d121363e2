"""The rules for `toolkit plan`, `toolkit review` and `toolkit check`: one plan in, one waived report out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from toolkit.awsrules.engine import RulesEngine, RulesReport, evaluate_plan
from toolkit.awsrules.waivers import apply_waivers, load_waivers
from toolkit.errors import ToolkitError


class RulesFailed(ToolkitError):
    """A plan AWS would reject: at least one unwaived error finding."""


EMULATOR_REASON = "an emulator environment: reported, not enforced (the emulator is not AWS and accepts these)"


def check_plan(plan: dict[str, Any], environment: str | None, project_root: Path | None, *,
               not_enforced_because: str = "") -> RulesReport:
    """Every rule over a plan document, with the project's waivers applied; `not_enforced_because` reports every
    finding without failing (an emulator environment), saying why."""
    report = apply_waivers(evaluate_plan(plan), load_waivers(project_root), environment)
    if not_enforced_because:
        report.findings = [finding if finding.waived_because else replace(finding, waived_because=not_enforced_because)
                           for finding in report.findings]
    return report


def not_enforced_because(config: Any) -> str:
    """Why the rules only report for this environment ("" when they are enforced): one on the emulator (its
    `emulator` settings, or a backend endpoint from the environment as the sandbox has)."""
    settings = getattr(config, "settings", None)
    if settings is None:
        return ""
    if getattr(settings, "emulator", None) is not None:
        return EMULATOR_REASON
    # The sandbox pattern (its state in the emulator); a protected environment is held to the rules all the same.
    if getattr(settings.backend, "endpoint_from_env", None) and not getattr(settings, "protected", False):
        return EMULATOR_REASON
    return ""


def failure_message(report: RulesReport, environment: str) -> str:
    blocking = report.blocking
    rules = sorted({finding.rule_id for finding in blocking})
    return (f"{environment}: {len(blocking)} change(s) AWS would reject ({', '.join(rules)}): fix them (each "
            f"message says how), or waive a rule for an address in aws-rules-waivers.yaml with a reason "
            f"(docs/CHECKS.md)")


EntryHook = Callable[[str, dict[str, Any], Any], None]


class RulesCollector:
    """read_plan `on_entry` hook for the review: runs the per-resource rules while the plan is read."""

    def __init__(self, then: EntryHook | None = None) -> None:
        self.engine = RulesEngine()
        self.then = then

    def __call__(self, key: str, entry: dict[str, Any], record: Any) -> None:
        if self.then is not None:
            self.then(key, entry, record)
        if key == "resource_changes":
            self.engine.add_change(entry)

    def finish(self, configuration: Any, environment: str | None, project_root: Path | None) -> RulesReport:
        self.engine.set_configuration(configuration)
        return apply_waivers(self.engine.finish(), load_waivers(project_root), environment)
