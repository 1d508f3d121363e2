"""Run the rules over a plan: fed entry by entry (the review's streaming reader) or from a whole document."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from toolkit.awsrules.base import ERROR, WARNING, Resource, Rule, RuleFinding
from toolkit.awsrules.plan_view import PlanView
from toolkit.awsrules.registry import all_rules


@dataclass
class RulesReport:
    """The findings of one plan, sorted by address then rule; `checked` counts the resources looked at."""

    findings: list[RuleFinding] = field(default_factory=list)
    checked: int = 0
    rules: int = 0
    # Waivers in the waiver file that matched nothing (stale): listed so they can be deleted.
    unused_waivers: list[str] = field(default_factory=list)

    @property
    def blocking(self) -> list[RuleFinding]:
        return [finding for finding in self.findings if finding.blocking]

    @property
    def errors(self) -> list[RuleFinding]:
        return [finding for finding in self.findings if finding.severity == ERROR]

    @property
    def warnings(self) -> list[RuleFinding]:
        return [finding for finding in self.findings if finding.severity == WARNING]

    def as_dict(self) -> dict[str, Any]:
        return {"checked_resources": self.checked, "rules": self.rules,
                "blocking": len(self.blocking), "findings": [finding.as_dict() for finding in self.findings],
                "unused_waivers": self.unused_waivers}


class RulesEngine:
    def __init__(self, rules: Iterable[Rule] | None = None) -> None:
        self.rules = tuple(all_rules() if rules is None else rules)
        self._immediate = [rule for rule in self.rules if not rule.deferred]
        self._deferred = [rule for rule in self.rules if rule.deferred]
        kept: set[str] = set()
        for rule in self._deferred:
            kept.update(rule.resource_types)
            kept.update(rule.reads_types)
        self.view = PlanView(kept)
        self._findings: list[RuleFinding] = []
        self._by_type: dict[tuple[bool, str], list[Rule]] = {}

    def add_change(self, entry: dict[str, Any]) -> None:
        """One `resource_changes` entry: the per-resource rules run now, so nothing else of it is kept."""
        resource = self.view.add_change(entry)
        if resource is not None:
            self._run(False, resource)

    def set_configuration(self, configuration: Any) -> None:
        self.view.set_configuration(configuration)

    def finish(self) -> RulesReport:
        for resource in self.view.resources:
            self._run(True, resource)
        findings = sorted(set(self._findings), key=lambda finding: (finding.address, finding.rule_id,
                                                                     finding.message))
        return RulesReport(findings, self.view.resource_count, len(self.rules))

    def _run(self, deferred: bool, resource: Resource) -> None:
        key = (deferred, resource.type)
        rules = self._by_type.get(key)
        if rules is None:
            pool = self._deferred if deferred else self._immediate
            rules = self._by_type[key] = [rule for rule in pool if rule.applies_to(resource.type)]
        for rule in rules:
            for problem in rule.check(resource, self.view):
                self._findings.append(RuleFinding(rule.id, resource.address, problem.message, problem.severity))


def evaluate_plan(plan: dict[str, Any], rules: Iterable[Rule] | None = None) -> RulesReport:
    """The rules over a whole plan document (`terraform show -json`)."""
    engine = RulesEngine(rules)
    for entry in plan.get("resource_changes") or []:
        engine.add_change(entry)
    engine.set_configuration(plan.get("configuration"))
    return engine.finish()
