"""`toolkit check --rules`: the AWS apply-time rules on the offline plan of every real environment."""

from __future__ import annotations

import time
from pathlib import Path

from toolkit.checks.findings import FAILED, PASSED, SKIPPED, CheckResult, Finding


def run_rules_check(root: Path) -> CheckResult:
    """Plan every environment offline (emulator-only ones are skipped) and run the rules on each plan."""
    from toolkit.awsrules.render import grouped
    from toolkit.config.sources import list_environments
    from toolkit.engine.plan import PlanOutcome
    from toolkit.engine.plan_all import PlanFailure, PlanSkipped, plan_all
    from toolkit.project import Project

    started = time.perf_counter()
    result = CheckResult(name="rules")
    if not (root / "envs").is_dir() or not list_environments(Project(root)):
        result.status = SKIPPED
        result.notes.append("skipped rules: no environments in envs/ to plan offline")
        return result
    outcome = plan_all(Project(root), offline=True)
    counts = {"environments": 0, "resources": 0, "errors": 0, "waived": 0, "warnings": 0}
    for planned in outcome.results:
        if isinstance(planned, PlanSkipped):
            result.notes.append(f"skipped {planned.environment}: {planned.reason}")
            continue
        if isinstance(planned, PlanFailure):
            result.findings.append(Finding(planned.environment, 0, "", f"offline plan failed: {planned.message}"))
            continue
        assert isinstance(planned, PlanOutcome) and planned.rules is not None
        report = planned.rules
        counts["environments"] += 1
        counts["resources"] += report.checked
        counts["errors"] += len(report.blocking)
        counts["waived"] += sum(1 for finding in report.findings if finding.waived_because)
        counts["warnings"] += len(report.warnings)
        for group in grouped(report.findings):
            severity = "error" if group.severity == "error" and not group.waived_because else "warning"
            waived = f" (waived: {group.waived_because})" if group.waived_because else ""
            for address in group.addresses:
                result.findings.append(Finding(planned.environment, 0, address,
                                               f"[{group.rule_id}] {group.message}{waived}", severity))
        result.notes.extend(f"{planned.environment}: waiver {waiver} matched nothing"
                            for waiver in report.unused_waivers)
    result.counts = counts
    result.status = FAILED if result.errors else PASSED
    result.seconds = time.perf_counter() - started
    return result
