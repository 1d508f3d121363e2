"""How the rules' findings read: grouped by rule and message (one tag mistake repeats on every resource), with
the addresses listed, in text (plan, check, review) and Markdown (the review's one comment)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from toolkit.awsrules.base import ERROR, RuleFinding
from toolkit.awsrules.engine import RulesReport
from toolkit.text import plain

TITLE = "Would be rejected by AWS"
WARNINGS_TITLE = "AWS rule warnings"


@dataclass
class FindingGroup:
    rule_id: str
    severity: str
    message: str
    waived_because: str
    addresses: list[str] = field(default_factory=list)


def grouped(findings: list[RuleFinding]) -> list[FindingGroup]:
    groups: dict[tuple[str, str, str, str], FindingGroup] = {}
    for finding in findings:
        key = (finding.rule_id, finding.severity, finding.message, finding.waived_because)
        group = groups.get(key)
        if group is None:
            group = groups[key] = FindingGroup(*key)
        group.addresses.append(finding.address)
    # Blocking first, then by rule id.
    return sorted(groups.values(), key=lambda group: (group.severity != ERROR, bool(group.waived_because),
                                                      group.rule_id, group.addresses[0]))


def text_lines(report: RulesReport, *, addresses_per_group: int = 8) -> list[str]:
    """The findings as lines for a terminal: errors under TITLE, then warnings; [] when there are none."""
    lines: list[str] = []
    errors = [finding for finding in report.findings if finding.severity == ERROR]
    warnings = [finding for finding in report.findings if finding.severity != ERROR]
    for title, findings in ((TITLE, errors), (WARNINGS_TITLE, warnings)):
        if not findings:
            continue
        waived = sum(1 for finding in findings if finding.waived_because)
        count = f"{len(findings)}" + (f", {waived} waived" if waived else "")
        lines.append(f"{title} ({count}):")
        for group in grouped(findings):
            shown = group.addresses[:addresses_per_group]
            more = len(group.addresses) - len(shown)
            waived = f" [waived: {group.waived_because}]" if group.waived_because else ""
            # Names and addresses come from the configuration: no escape, override or surrogate reaches a terminal.
            lines.append(plain(f"  [{group.rule_id}] {group.message}{waived}"))
            lines.append("      " + plain(", ".join(shown)) + (f" and {more} more" if more else ""))
    for waiver in report.unused_waivers:
        lines.append(plain(f"  note: waiver {waiver} matched nothing: delete it from the waiver file"))
    return lines


def _code(text: str) -> str:
    return "`" + plain(text).replace("`", "'") + "`"


def _plain(text: str) -> str:
    """A message as Markdown text: names and tag keys come from the configuration, so no HTML or emphasis
    they carry is rendered in the pull request."""
    escaped = html.escape(plain(text), quote=False)
    return "".join("\\" + character if character in "*_[]`|#" else character for character in escaped)


def markdown_section(report: RulesReport, limit: int) -> str:
    """The review's first section, at most `limit` characters (UTF-8 bytes): every group keeps its rule and
    message; addresses are cut before groups are."""
    errors = [finding for finding in report.findings if finding.severity == ERROR]
    warnings = [finding for finding in report.findings if finding.severity != ERROR]
    if not report.findings:
        return ""
    parts: list[str] = []
    for title, icon, findings in ((TITLE, "🛑", errors), (WARNINGS_TITLE, "⚠️", warnings)):
        if not findings:
            continue
        parts.append(f"\n### {icon} {title}: {len(findings)}\n\n")
        for group in grouped(findings):
            waived = f" *(waived: {_plain(group.waived_because)})*" if group.waived_because else ""
            parts.append(f"- **{group.rule_id}** {_plain(group.message)}{waived}\n"
                         f"  - {', '.join(_code(address) for address in group.addresses[:10])}"
                         f"{f' and {len(group.addresses) - 10} more' if len(group.addresses) > 10 else ''}\n")
    text = "".join(parts)
    if len(text.encode("utf-8")) <= limit:
        return text
    # Too long: one line per group, without addresses, as many as fit.
    lines = [f"\n### 🛑 {TITLE}: {len(errors)} (and {len(warnings)} warnings)\n\n"]
    used = len(lines[0].encode("utf-8"))
    closing = "- … more: run `toolkit review` in a terminal for every finding\n"
    for group in grouped(report.findings):
        line = f"- **{group.rule_id}** ({len(group.addresses)} resources) {_plain(group.message[:300])}\n"
        size = len(line.encode("utf-8"))
        if used + size + len(closing.encode("utf-8")) > limit:
            lines.append(closing)
            break
        lines.append(line)
        used += size
    return "".join(lines)
