"""Waivers: the one way to let a plan through a rule it fails, written down and reviewed in git.

`aws-rules-waivers.yaml` at the project root (docs/CHECKS.md "AWS apply-time rules"):

    waivers:
      - rule: AWS-CW-001                       # required: a rule id
        address: module.monitoring.aws_cloudwatch_metric_alarm.custom["x"]   # required; `*` matches any run
        environments: [dev]                    # optional: every environment when left out
        reason: the metric is published by the app's own exporter    # required
        expires: 2027-03-31                    # optional: the waiver stops applying after this day

A waived finding is still printed, with its reason; it no longer fails `toolkit plan` or `toolkit check`.
"""

from __future__ import annotations

import datetime
import fnmatch
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from toolkit.awsrules.base import RuleFinding
from toolkit.awsrules.engine import RulesReport
from toolkit.awsrules.registry import all_rules
from toolkit.errors import UsageError

WAIVER_FILE = "aws-rules-waivers.yaml"
_KEYS = {"rule", "address", "environments", "reason", "expires"}


@dataclass(frozen=True)
class Waiver:
    rule: str
    address: str
    reason: str
    environments: tuple[str, ...] = ()
    expires: datetime.date | None = None

    def matches(self, finding: RuleFinding, environment: str | None, today: datetime.date) -> bool:
        if finding.rule_id != self.rule or not fnmatch.fnmatchcase(finding.address, self.address):
            return False
        if self.environments and environment not in self.environments:
            return False
        return self.expires is None or today <= self.expires

    def describe(self) -> str:
        scope = f" in {', '.join(self.environments)}" if self.environments else ""
        return f"{self.rule} {self.address}{scope}"


def load_waivers(project_root: Path | None) -> list[Waiver]:
    """The project's waivers ([] without a file); a malformed file is an error naming the entry and key."""
    if project_root is None:
        return []
    path = project_root / WAIVER_FILE
    if not path.is_file():
        return []
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise UsageError(f"{WAIVER_FILE}: not valid YAML: {error}") from None
    entries = document.get("waivers") if isinstance(document, dict) else None
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise UsageError(f"{WAIVER_FILE}: `waivers` must be a list of entries (rule, address, reason)")
    known = {rule.id for rule in all_rules()}
    return [_waiver(entry, position, known) for position, entry in enumerate(entries)]


def _waiver(entry: Any, position: int, known: set[str]) -> Waiver:
    where = f"{WAIVER_FILE}: waivers[{position}]"
    if not isinstance(entry, dict):
        raise UsageError(f"{where}: an entry is a mapping with rule, address and reason")
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise UsageError(f"{where}: unknown key {', '.join(map(str, unknown))} (allowed: {', '.join(sorted(_KEYS))})")
    for key in ("rule", "address", "reason"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise UsageError(f"{where}.{key}: required, a non-empty string")
    if entry["rule"] not in known:
        raise UsageError(f"{where}.rule: unknown rule {entry['rule']!r} (rules: {', '.join(sorted(known))})")
    environments = entry.get("environments") or []
    if not isinstance(environments, list) or not all(isinstance(name, str) for name in environments):
        raise UsageError(f"{where}.environments: a list of environment names")
    expires = entry.get("expires")
    if expires is not None and not isinstance(expires, datetime.date):
        raise UsageError(f"{where}.expires: a date (YYYY-MM-DD)")
    return Waiver(entry["rule"], entry["address"], entry["reason"].strip(), tuple(environments), expires)


def apply_waivers(report: RulesReport, waivers: list[Waiver], environment: str | None,
                  today: datetime.date | None = None) -> RulesReport:
    """The report with matching findings marked waived, and the waivers that matched nothing listed."""
    today = today or datetime.date.today()
    used: set[Waiver] = set()
    findings: list[RuleFinding] = []
    for finding in report.findings:
        waiver = next((waiver for waiver in waivers if waiver.matches(finding, environment, today)), None)
        if waiver is not None:
            used.add(waiver)
            finding = replace(finding, waived_because=waiver.reason)
        findings.append(finding)
    unused = [waiver.describe() + (" (expired)" if waiver.expires and today > waiver.expires else "")
              for waiver in waivers
              if waiver not in used and (not waiver.environments or environment in waiver.environments)]
    return RulesReport(findings, report.checked, report.rules, unused)
