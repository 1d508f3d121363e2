"""checkov over the Terraform directories, offline; every failed check and every reasonless skip fails.

A check is either fixed in the Terraform code or skipped next to the resource with a one-line reason:
`#checkov:skip=CKV_AWS_18: access logs go to the central logging bucket`. checkov runs from its own
virtualenv (it pins a conflicting hcl2), as a subprocess with JSON output.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.binaries import require_checkov
from toolkit.checks.findings import FAILED, SKIPPED, CheckResult, Finding, relative
from toolkit.checks.schema import terraform_files_under
from toolkit.errors import ToolkitError

CHECKOV_TIMEOUT_SECONDS = 900
NO_REASON = "No comment provided"
# `#checkov:skip=CKV_AWS_18: reason` or `# checkov:skip=CKV2_AWS_6` (no reason) in # or // comments.
SKIP_COMMENT = re.compile(r"(?:#|//)\s*checkov:skip=([A-Za-z0-9_]+)\s*(?::\s*(.*))?$")


class CheckovError(ToolkitError):
    """checkov could not run or its output could not be read."""


@dataclass(frozen=True)
class SkipComment:
    path: str
    line: int
    check_id: str
    reason: str


def skip_comments(root: Path, directories: Iterable[Path]) -> list[SkipComment]:
    """Every `checkov:skip=` comment in the .tf files, with its reason ('' when none is given)."""
    found: list[SkipComment] = []
    for path in terraform_files_under(directories):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = SKIP_COMMENT.search(line)
            if match:
                reason = (match.group(2) or "").strip()
                found.append(SkipComment(relative(path, root), number, match.group(1), reason))
    return found


def _environment() -> dict[str, str]:
    """No platform key (so nothing is uploaded or fetched); skip the policy-mapping download."""
    environment = {key: value for key, value in os.environ.items() if key not in ("BC_API_KEY", "PRISMA_API_URL")}
    environment.update({"BC_SKIP_MAPPING": "TRUE", "CHECKOV_EXPERIMENTAL_IMAGE_REFERENCING": "False"})
    return environment


def run_checkov_json(checkov: Path, directory: Path, cwd: Path) -> list[dict[str, Any]]:
    """Run checkov over one directory; return its JSON reports.

    One run per directory: checkov 3.3 given several `-d` scans the first one repeatedly and never the others.
    """
    command = [
        str(checkov),
        "-d",
        str(directory),
        "--framework",
        "terraform",
        "-o",
        "json",
        "--skip-download",
        "--skip-results-upload",
        "--download-external-modules",
        "false",
    ]
    try:
        completed = subprocess.run(
            command,
            cwd=cwd,
            env=_environment(),
            capture_output=True,
            text=True,
            timeout=CHECKOV_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise CheckovError(f"checkov did not finish: {error}") from error
    # checkov exits 1 when a check fails; anything it could not run shows as unreadable output instead.
    try:
        documents = _json_documents(completed.stdout)
    except ValueError as error:
        last = (completed.stderr.strip().splitlines() or [f"exit code {completed.returncode}"])[-1]
        raise CheckovError(f"checkov produced no JSON report: {last}") from error
    reports: list[dict[str, Any]] = []
    for document in documents:
        reports.extend(document if isinstance(document, list) else [document])
    # With nothing to scan checkov prints an empty summary dict instead of a report.
    return [report for report in reports if "results" in report]


def _json_documents(text: str) -> list[Any]:
    """checkov prints one JSON document per scanned directory, one after the other."""
    decoder = json.JSONDecoder()
    documents: list[Any] = []
    position = 0
    text = text.strip()
    while position < len(text):
        document, end = decoder.raw_decode(text, position)
        documents.append(document)
        position = end
        while position < len(text) and text[position].isspace():
            position += 1
    if not documents:
        raise ValueError("empty output")
    return documents


def _check_key(check: dict[str, Any]) -> tuple[str, str, tuple[int, ...]]:
    """One resource is reported once per caller (module itself, each example): count it once."""
    return (check["check_id"], check.get("file_abs_path", ""), tuple(check.get("file_line_range") or ()))


def run_checkov_check(root: Path, directories: Iterable[Path]) -> CheckResult:
    """Run checkov; fail on any failed check, parsing error or skip comment without a reason."""
    started = time.perf_counter()
    result = CheckResult(name="checkov")
    existing = [directory for directory in directories if directory.is_dir()]
    if not existing:
        result.status = SKIPPED
        result.notes.append("no Terraform directories to scan")
        return result
    checkov = require_checkov(root)
    reports = [report for directory in existing for report in run_checkov_json(checkov, directory, root)]
    checks: dict[str, dict[tuple[str, str, tuple[int, ...]], dict[str, Any]]] = {
        "passed": {},
        "failed": {},
        "skipped": {},
    }
    parsing_errors: list[str] = []
    for report in reports:
        results = report["results"]
        for outcome in checks:
            for check in results.get(f"{outcome}_checks", []):
                key = _check_key(check)
                known = checks[outcome].get(key)
                # Prefer the address inside the module (`aws_x.this`) over a caller's `module.y.aws_x.this`.
                if known is None or len(check.get("resource", "")) < len(known.get("resource", "")):
                    checks[outcome][key] = check
        parsing_errors.extend(results.get("parsing_errors", []))
    for check in checks["failed"].values():
        path = relative(Path(check.get("file_abs_path", "")), root)
        line = (check.get("file_line_range") or [0])[0]
        result.findings.append(
            Finding(path, line, check.get("resource", ""), f"{check['check_id']}: {check['check_name']}")
        )
    for parsing_error in parsing_errors:
        result.findings.append(Finding(relative(Path(parsing_error), root), 0, "", "checkov could not parse this file"))
    comments = skip_comments(root, existing)
    for comment in comments:
        if not comment.reason:
            result.findings.append(
                Finding(
                    comment.path,
                    comment.line,
                    "",
                    f"checkov:skip={comment.check_id} has no reason: write `#checkov:skip={comment.check_id}: why`",
                )
            )
    # A skip comment is used when checkov skipped that check on the resource whose lines hold the comment.
    used = [
        (relative(Path(path), root), check_id, lines[0], lines[-1])
        for check_id, path, lines in checks["skipped"]
        if lines
    ]
    for comment in comments:
        if not any(
            path == comment.path and check_id == comment.check_id and first <= comment.line <= last
            for path, check_id, first, last in used
        ):
            result.findings.append(
                Finding(
                    comment.path,
                    comment.line,
                    "",
                    f"checkov:skip={comment.check_id} skips nothing (no such check on this resource): remove it",
                    severity="warning",
                )
            )
    for check in sorted(checks["skipped"].values(), key=lambda item: (item.get("file_abs_path", ""), item["check_id"])):
        reason = check["check_result"].get("suppress_comment", "").strip()
        path = relative(Path(check.get("file_abs_path", "")), root)
        result.notes.append(
            f"skipped {check['check_id']} on {check.get('resource', '')} ({path}): {reason or NO_REASON}"
        )
    result.counts = {
        "passed": len(checks["passed"]),
        "failed": len(checks["failed"]),
        "skipped": len(checks["skipped"]),
        "no_reason": sum(1 for comment in comments if not comment.reason),
    }
    result.notes.insert(0, f"checkov: {checkov}")
    if result.errors:
        result.status = FAILED
    result.seconds = time.perf_counter() - started
    return result
