"""`terraform fmt -check -recursive -diff` over the Terraform directories, with the project's binary."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

from toolkit.binaries import require_terraform
from toolkit.checks.findings import FAILED, SKIPPED, CheckResult, Finding, relative
from toolkit.errors import TerraformError

FMT_TIMEOUT_SECONDS = 120


def run_fmt_check(root: Path, directories: Iterable[Path]) -> CheckResult:
    """Fail for every file `terraform fmt` would rewrite (the diff goes into the notes) or cannot parse."""
    started = time.perf_counter()
    result = CheckResult(name="fmt")
    terraform = require_terraform(root)
    checked = 0
    for directory in directories:
        if not directory.is_dir():
            continue
        checked += sum(1 for path in directory.rglob("*.tf") if ".terraform" not in path.parts)
        command = [str(terraform), "fmt", "-check", "-recursive", "-diff", "-no-color", relative(directory, root)]
        try:
            completed = subprocess.run(
                command, cwd=root, capture_output=True, text=True, timeout=FMT_TIMEOUT_SECONDS, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise TerraformError(f"{' '.join(command)}: {error}") from error
        if completed.returncode == 0:
            continue
        unformatted = [
            line
            for line in completed.stdout.splitlines()
            if line.endswith(".tf") and not line.startswith(("---", "+++", " ", "-", "+", "@@"))
        ]
        for path in unformatted:
            result.findings.append(Finding(path, 0, "", "not formatted: run `terraform fmt -recursive`"))
        if completed.stdout.strip():
            result.notes.append(completed.stdout.rstrip())
        if completed.returncode not in (0, 3) or not unformatted:
            message = completed.stderr.strip() or f"terraform fmt exited with {completed.returncode}"
            result.findings.append(Finding(relative(directory, root), 0, "", f"terraform fmt failed: {message}"))
    result.counts = {"files": checked, "unformatted": sum(1 for f in result.findings if "not formatted" in f.message)}
    result.notes.insert(0, f"terraform: {terraform}")
    if result.findings:
        result.status = FAILED
    elif checked == 0:
        result.status = SKIPPED
    result.seconds = time.perf_counter() - started
    return result
