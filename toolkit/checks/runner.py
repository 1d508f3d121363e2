"""Run the selected checks over a project's modules/ and terraform/ and summarise them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from toolkit.checks.findings import FAILED, PASSED, CheckResult, Finding
from toolkit.errors import ToolkitError, UsageError

CHECK_NAMES = ("fmt", "tflint", "schema", "validate", "tests", "examples", "rules", "contract", "checkov", "floor")
# Run only when selected: the floor needs two more engines and takes minutes (toolkit/checks/floor.py).
OPT_IN = frozenset({"floor"})
ERROR = "error"


class ChecksFailed(ToolkitError):
    """At least one check failed (the report has already been printed)."""


@dataclass(frozen=True)
class CheckTargets:
    """Where the Terraform code lives inside a project."""

    root: Path
    cache_dir: Path

    @property
    def modules_dir(self) -> Path:
        return self.root / "modules"

    @property
    def root_module(self) -> Path:
        return self.root / "terraform"

    @property
    def directories(self) -> list[Path]:
        return [directory for directory in (self.modules_dir, self.root_module) if directory.is_dir()]


def _runners(targets: CheckTargets, write_docs: bool, selected: set[str]) -> dict[str, Callable[[], CheckResult]]:
    # Imported here so that selecting one check does not import the others' dependencies.
    def fmt() -> CheckResult:
        from toolkit.checks.fmt import run_fmt_check

        return run_fmt_check(targets.root, targets.directories)

    def tflint() -> CheckResult:
        from toolkit.checks.tflint import run_tflint_check

        # Asked for by name, a missing tflint is an error; in a full run it is skipped with how to get it.
        return run_tflint_check(targets.root, required="tflint" in selected)

    def schema() -> CheckResult:
        from toolkit.checks.schema import run_schema_check

        return run_schema_check(targets.root, targets.directories)

    def validate() -> CheckResult:
        from toolkit.checks.validate import run_validate_check

        return run_validate_check(targets.root)

    def tests() -> CheckResult:
        from toolkit.checks.module_tests import run_tests_check

        return run_tests_check(targets.root)

    def examples() -> CheckResult:
        from toolkit.checks.example_plans import run_examples_check

        return run_examples_check(targets.root)

    def rules() -> CheckResult:
        from toolkit.checks.aws_rules import run_rules_check

        return run_rules_check(targets.root)

    def contract() -> CheckResult:
        from toolkit.checks.contract import run_contract_check

        return run_contract_check(targets.root, targets.modules_dir, targets.root_module, write_docs=write_docs)

    def checkov() -> CheckResult:
        from toolkit.checks.checkov import run_checkov_check

        return run_checkov_check(targets.root, targets.directories)

    def floor() -> CheckResult:
        from toolkit.checks.floor import run_floor_check

        return run_floor_check(targets.root)

    return {"fmt": fmt, "tflint": tflint, "schema": schema, "validate": validate, "tests": tests,
            "examples": examples, "rules": rules, "contract": contract, "checkov": checkov, "floor": floor}


def run_checks(targets: CheckTargets, selected: Iterable[str] = (), *, write_docs: bool = False) -> list[CheckResult]:
    """Run the selected checks (when none is selected, all but the opt-in ones), in a fixed order; a check that
    cannot run (missing binary, unreadable schema) is reported as status "error" and the others still run."""
    explicit = set(selected)
    chosen = explicit or set(CHECK_NAMES) - OPT_IN
    unknown = chosen - set(CHECK_NAMES)
    if unknown:
        raise UsageError(f"unknown check {', '.join(sorted(unknown))}: choose from {', '.join(CHECK_NAMES)}")
    if write_docs and "contract" not in chosen:
        raise UsageError("--write rewrites README tables: use it with --docs (or with no check selected)")
    runners = _runners(targets, write_docs, explicit)
    results: list[CheckResult] = []
    for name in CHECK_NAMES:
        if name not in chosen:
            continue
        started = time.perf_counter()
        try:
            result = runners[name]()
        except ToolkitError as error:
            result = CheckResult(name=name, status=ERROR, findings=[Finding("", 0, "", str(error))])
            result.seconds = time.perf_counter() - started
        results.append(result)
    return results


def overall_status(results: list[CheckResult]) -> str:
    return FAILED if any(result.status in (FAILED, ERROR) for result in results) else PASSED


def failure(results: list[CheckResult]) -> ChecksFailed | None:
    """The error to exit with, or None when every check passed or was skipped."""
    failed = [result.name for result in results if result.status in (FAILED, ERROR)]
    if not failed:
        return None
    return ChecksFailed(f"{len(failed)} of {len(results)} checks failed: {', '.join(failed)}")


def _counts_text(counts: dict[str, int]) -> str:
    return " ".join(f"{key}={value}" for key, value in counts.items())


def format_text(results: list[CheckResult], *, verbose: bool = False) -> str:
    """Findings per check (errors, then warnings), notes, then the summary table."""
    lines: list[str] = []
    for result in results:
        errors = result.errors
        warnings = [finding for finding in result.findings if finding.severity != "error"]
        notes = result.notes if verbose else [note for note in result.notes if note.startswith("skipped ")]
        if not (errors or warnings or notes):
            continue
        lines.append(f"== {result.name}")
        lines.extend(str(finding) for finding in errors)
        lines.extend(str(finding) for finding in warnings)
        lines.extend(notes)
        lines.append("")
    rows = [("check", "status", "counts", "time")]
    rows += [(result.name, result.status, _counts_text(result.counts), f"{result.seconds:.1f}s") for result in results]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    for row in rows:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    lines.append(f"result: {overall_status(results)}")
    return "\n".join(lines)


def format_json(results: list[CheckResult]) -> str:
    return json.dumps({"status": overall_status(results), "checks": [result.to_json() for result in results]}, indent=2)
