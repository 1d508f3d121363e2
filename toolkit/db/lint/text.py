"""A lint report as plain text for the terminal (JSON output uses LintReport.to_dict)."""

from __future__ import annotations

from toolkit.db.lint.findings import LintReport
from toolkit.text import plain


def format_lint(report: LintReport, *, title: str = "Lint") -> str:
    """A LintReport as text: each finding with file:line, rule, why and the safe pattern; then the waived ones."""
    lines: list[str] = []
    for finding in report.findings:
        risk = " [data at risk]" if finding.data_at_risk else ""
        # plain(): the file's own text (a quoted statement, a waiver's reason) cannot reach the terminal raw.
        lines.append(f"{plain(finding.where)}: {finding.rule} ({finding.source}){risk}: {plain(finding.message)}")
        if finding.safe_pattern:
            lines.append(f"    safe pattern: {plain(finding.safe_pattern)}")
    if report.waived:
        lines.append(f"Waived ({len(report.waived)}):")
        lines += [f"  {plain(finding.where)}: {finding.rule}{' [data at risk]' if finding.data_at_risk else ''} "
                  f"because {plain(finding.waived_because)}" for finding in report.waived]
    at_risk = sum(1 for finding in report.findings if finding.data_at_risk)
    risk_note = f", {at_risk} with data at risk" if at_risk else ""
    verdict = "clean" if report.ok else f"{len(report.findings)} finding(s){risk_note}"
    lines.append(f"{title}: {len(report.files)} file(s), {verdict}, {len(report.waived)} waived "
                 f"(squawk rules + toolkit rules; waive one with '-- toolkit:allow RULE because …').")
    return "\n".join(lines)
