"""What `toolkit db lint` reports: one finding per rule and statement, with where, why and the safe pattern."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Finding:
    script: str  # file name, as the runner and history name it
    line: int  # 1-based line in the file
    rule: str
    source: str  # "squawk" or "toolkit"
    message: str  # what is wrong and why it matters
    safe_pattern: str = ""
    data_at_risk: bool = False
    # The waiver's reason when a `-- toolkit:allow RULE because …` covers this finding.
    waived_because: str | None = None

    @property
    def where(self) -> str:
        return f"{self.script}:{self.line}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LintReport:
    directory: str
    files: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # active: each one fails the lint
    waived: list[Finding] = field(default_factory=list)
    squawk_version: str = ""

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def data_at_risk(self) -> list[Finding]:
        return [finding for finding in self.findings + self.waived if finding.data_at_risk]

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "directory": self.directory, "files": list(self.files),
                "squawk_version": self.squawk_version,
                "findings": [finding.to_dict() for finding in self.findings],
                "waived": [finding.to_dict() for finding in self.waived]}
