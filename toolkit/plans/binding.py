"""What binds a pull request's review to the plan it reviewed: both plan files' sha256 and the commit.

The review comment carries them (a hidden line for machines, a visible one for people); the apply-on-merge
workflow reads the hidden line back and runs `toolkit apply ENV --expect-plan SHA`, which refuses any other
binary plan. Someone able to rewrite plan.json, the binary plan and metadata.json together, consistently,
after the review is caught: the guards that compare those files with each other cannot be.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from toolkit.plans.saved import PLAN_FILE, sha256_file

_SHA256 = re.compile(r"[0-9a-f]{64}")
_COMMIT = re.compile(r"[0-9a-f]{7,64}")
# One line, attribute=value pairs; the workflow's sed reads `plan_sha256=` from it (tests/github/).
_HIDDEN_LINE = re.compile(r"<!-- toolkit-reviewed-plan (?P<fields>[^>]*) -->")


@dataclass(frozen=True)
class PlanBinding:
    plan_json_sha256: str
    plan_sha256: str | None      # None: a plan JSON reviewed without its binary plan (nothing to apply)
    commit: str | None

    def hidden_line(self) -> str:
        fields = {"plan_sha256": self.plan_sha256 or "none", "plan_json_sha256": self.plan_json_sha256,
                  "commit": self.commit or "none"}
        return "<!-- toolkit-reviewed-plan " + " ".join(f"{key}={value}" for key, value in fields.items()) + " -->"

    def visible_line(self) -> str:
        binary = f"binary plan sha256 `{self.plan_sha256}`" if self.plan_sha256 else "no binary plan"
        commit = f"commit `{self.commit}`" if self.commit else "no commit"
        return f"<sub>Reviewed plan: {binary}, plan JSON sha256 `{self.plan_json_sha256}`, {commit}.</sub>"


def binding_of(plan_json: Path, commit: str | None) -> PlanBinding:
    """The binding of a plan JSON file and the binary plan saved beside it (as `toolkit plan` writes them)."""
    binary = plan_json.parent / PLAN_FILE
    clean_commit = commit if isinstance(commit, str) and _COMMIT.fullmatch(commit) else None
    return PlanBinding(sha256_file(plan_json), sha256_file(binary) if binary.is_file() else None, clean_commit)


def parse_binding(body: str) -> PlanBinding | None:
    """The binding a review comment carries (its first hidden line), or None."""
    match = _HIDDEN_LINE.search(body)
    if not match:
        return None
    fields = dict(part.split("=", 1) for part in match["fields"].split() if "=" in part)
    json_sha = fields.get("plan_json_sha256", "")
    if not _SHA256.fullmatch(json_sha):
        return None
    plan_sha = fields.get("plan_sha256", "")
    commit = fields.get("commit", "")
    return PlanBinding(json_sha, plan_sha if _SHA256.fullmatch(plan_sha) else None,
                       commit if _COMMIT.fullmatch(commit) else None)


def normalize_sha256(value: str, option: str = "--expect-plan") -> str:
    """A sha256 as given on the command line (`sha256:` prefix and case allowed); anything else is refused."""
    from toolkit.errors import UsageError

    text = value.strip().lower().removeprefix("sha256:")
    if not _SHA256.fullmatch(text):
        raise UsageError(f"{option} {value!r}: give the 64 hex characters of the reviewed plan's sha256 (the "
                         "review comment's `binary plan sha256`)")
    return text
