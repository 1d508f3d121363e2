"""`toolkit check --examples`: an offline `terraform plan` of every module example (modules/*/examples/*), so an
example is known to plan as it stands: it builds what it needs (its own network, names from `path.cwd`) and
the module's variable validations, preconditions, counts and for_each keys hold for its values.

Each example is staged and initialised against the offline stub providers exactly as the module tests are
(toolkit.checks.module_tests.init_staged), under .toolkit/stub/examples/<example>/, and planned against an
empty state (an example has no backend: terraform's default local state in the staged folder, never
written by a plan). `--validate` runs the same folders with the real AWS provider; this check adds what only a
plan evaluates. A failed plan is a finding naming the example and terraform's error.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.binaries import require_terraform
from toolkit.checks.findings import FAILED, SKIPPED, CheckResult, Finding
from toolkit.checks.module_tests import init_staged
from toolkit.checks.validate import (
    WORKERS,
    _findings,
    _json_lines,
    _one_line,
    _project_relative,
    _run,
    example_targets,
)
from toolkit.engine.terraform import error_excerpt
from toolkit.stub_mirror import TIMEOUT_VARIABLE, StubMirror, prepare_mirror, timeout_seconds

CHANGE_KEYS = ("add", "change", "remove")


@dataclass
class ExamplePlan:
    example: str
    findings: list[Finding] = field(default_factory=list)
    changes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def planned(self) -> bool:
        return bool(self.changes) and not any(finding.severity == "error" for finding in self.findings)


def run_examples_check(root: Path, *, targets: list[Path] | None = None, mirror: StubMirror | None = None,
                       timeout: float | None = None) -> CheckResult:
    started = time.perf_counter()
    result = CheckResult(name="examples")
    chosen = example_targets(root) if targets is None else targets
    if not chosen:
        result.status = SKIPPED
        result.notes.append("skipped examples: no modules/*/examples/* with .tf files")
        return result
    limit = timeout_seconds() if timeout is None else timeout
    terraform = require_terraform(root)
    mirror = mirror or prepare_mirror(root)
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(chosen))) as pool:
        plans = list(pool.map(lambda target: _plan(root, terraform, mirror, target, limit), chosen))
    for plan in plans:
        result.findings.extend(plan.findings)
        if plan.planned:
            summary = ", ".join(f"{plan.changes.get(key, 0)} to {key}" for key in CHANGE_KEYS)
            result.notes.append(f"{plan.example}: {summary} in {plan.seconds:.1f}s")
        else:
            result.notes.append(f"{plan.example}: plan failed in {plan.seconds:.1f}s")
    result.notes.insert(0, f"terraform: {terraform}; providers: stub {mirror.versions} from {mirror.mirror_dir}")
    planned = sum(1 for plan in plans if plan.planned)
    result.counts = {"examples": len(chosen), "planned": planned, "failed": len(chosen) - planned,
                     "resources": sum(plan.changes.get("add", 0) for plan in plans if plan.planned)}
    if result.errors:
        result.status = FAILED
    result.seconds = time.perf_counter() - started
    return result


def _plan(root: Path, terraform: Path, mirror: StubMirror, target: Path, limit: float) -> ExamplePlan:
    started = time.perf_counter()
    name = _project_relative(root, target)
    plan = ExamplePlan(name)
    work = root / ".toolkit" / "stub" / "examples" / name.replace(os.sep, "__")
    work.mkdir(parents=True, exist_ok=True)
    # Two checks of one checkout at once (two terminals, an editor hook) take turns per example.
    with open(work / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _plan_locked(root, terraform, mirror, target, limit, work, plan)
    plan.seconds = time.perf_counter() - started
    return plan


def _plan_locked(root: Path, terraform: Path, mirror: StubMirror, target: Path, limit: float, work: Path,
                 plan: ExamplePlan) -> None:
    name = plan.example
    staged = init_staged(root, terraform, mirror, target, work, limit, TIMEOUT_VARIABLE)
    if isinstance(staged, str):
        plan.findings.append(Finding(name, 0, "", f"offline plan of {name} failed: {staged}"))
        return
    stage, environment = staged
    # No saved plan file, no lock, no refresh: the state is empty and nobody's.
    completed = _run([str(terraform), "plan", "-json", "-input=false", "-lock=false", "-no-color"], stage,
                     environment, limit)
    if isinstance(completed, str):
        plan.findings.append(Finding(name, 0, "", f"offline plan of {name} failed: {completed}"))
        return
    _read_plan_output(root, stage, work / "stage", name, completed, plan)


def _read_plan_output(root: Path, stage: Path, stage_dir: Path, name: str,
                      completed: subprocess.CompletedProcess[str], plan: ExamplePlan) -> None:
    """Findings from `terraform plan -json`: each diagnostic at its real file and line; one outside the example
    (in the module it calls) says which example's plan it came from."""
    staged_relative = stage.relative_to(stage_dir)
    for message in _json_lines(completed.stdout):
        if message.get("type") == "diagnostic":
            [finding] = _findings(root, stage_dir, name, staged_relative, [message.get("diagnostic") or {}])
            if not (finding.path == name or finding.path.startswith(name + os.sep)):
                finding = Finding(finding.path, finding.line, finding.address,
                                  f"offline plan of {name}: {finding.message}", finding.severity)
            if finding not in plan.findings:
                plan.findings.append(finding)
        elif message.get("type") == "change_summary":
            changes = message.get("changes") or {}
            assert isinstance(changes, dict)
            plan.changes = {key: int(changes.get(key) or 0) for key in CHANGE_KEYS}
    if completed.returncode != 0:
        plan.changes = {}
        if not any(finding.severity == "error" for finding in plan.findings):
            text = error_excerpt(completed.stderr or completed.stdout).strip()
            plan.findings.append(Finding(name, 0, "", f"offline plan of {name} failed (exit {completed.returncode}): "
                                                      f"{_one_line(text)}"))
