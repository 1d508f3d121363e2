"""Result types shared by every check: one Finding per problem, one CheckResult per check."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PASSED = "passed"
FAILED = "failed"
SKIPPED = "skipped"


@dataclass(frozen=True)
class Finding:
    """One problem, pointing at a file and line; `address` names the Terraform object (may be empty)."""

    path: str
    line: int
    address: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        location = f"{self.path}:{self.line}" if self.line else self.path
        parts = [part for part in (location, self.address) if part]
        prefix = "".join(f"{part}: " for part in parts)
        marker = "warning: " if self.severity == "warning" else ""
        return f"{prefix}{marker}{self.message}"


@dataclass
class CheckResult:
    """The outcome of one check: status, counts for the summary table, findings and extra notes."""

    name: str
    status: str = PASSED
    counts: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def errors(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.severity == "error"]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 2)
        data["findings"] = [{**asdict(finding), "text": str(finding)} for finding in self.findings]
        return data


def relative(path: Path, root: Path) -> str:
    """A path as the user should see it: relative to the project root when inside it."""
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)
