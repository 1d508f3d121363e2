"""`toolkit check --tests`: Terraform's own `terraform test` for every module (`modules/*/tests/*.tftest.hcl`) and
the root (`terraform/tests/`), against the offline stub providers (toolkit.stub_mirror), the way `--validate`
runs: a staged copy per job under .toolkit/stub/tests/ (the lock file and .terraform stay there), the stub's CLI
config, its own TF_DATA_DIR, and a time limit per terraform command.

A root test file named after an environment (`terraform/tests/prod.tftest.hcl`) is run with that environment's
rendered tfvars (`toolkit render prod` → build/prod/terraform.tfvars, passed with -var-file), so the sizes it
asserts come from envs/*.yaml and are never typed into a test file. Failures are reported at the test file's
line with the run's name and the assertion's error_message.
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
from toolkit.checks.validate import WORKERS, _findings, _json_lines, _one_line, _project_relative, _run
from toolkit.config import list_environments, load_environment
from toolkit.engine.render import render_environment
from toolkit.engine.terraform import error_excerpt
from toolkit.engine.workspace import stage_root_module
from toolkit.errors import ToolkitError
from toolkit.project import Project
from toolkit.stub_mirror import StubMirror, prepare_mirror, timeout_seconds

TIMEOUT_VARIABLE = "TOOLKIT_TEST_TIMEOUT"
DEFAULT_TIMEOUT_SECONDS = 600
TEST_FILE_SUFFIX = ".tftest.hcl"
SUMMARY_KEYS = ("passed", "failed", "errored", "skipped")
DEFAULT_ROOT = "terraform"  # terraform.root when an environment file does not say (toolkit/config/model.py)
SECONDS_FILE = "seconds"  # the job's last duration, to start the longest jobs first


@dataclass(frozen=True)
class SuiteJob:
    """One `terraform test` invocation: a module folder, the test files it runs and, for a file named after an
    environment, that environment (its rendered tfvars are passed with -var-file)."""

    target: Path
    files: tuple[str, ...]
    environment: str | None = None

    def label(self, root: Path) -> str:
        name = _project_relative(root, self.target)
        return f"{name} ({self.environment})" if self.environment else name


@dataclass
class JobOutcome:
    label: str
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def suite_targets(root: Path) -> list[Path]:
    """terraform/ and every modules/* folder with tests/*.tftest.hcl, root first (its plans are the longest)."""
    candidates = [root / "terraform", *sorted((root / "modules").glob("*"))]
    return [path for path in candidates if path.is_dir() and any((path / "tests").glob(f"*{TEST_FILE_SUFFIX}"))]


def suite_jobs(root: Path, targets: list[Path]) -> list[SuiteJob]:
    """One job per environment-named test file of that environment's root module (run with its tfvars) and one
    per target for the rest; a module's own `prod.tftest.hcl` is an ordinary test file."""
    jobs = []
    environment_roots = _environment_roots(root)
    for target in targets:
        files = sorted(f"tests/{path.name}" for path in (target / "tests").glob(f"*{TEST_FILE_SUFFIX}"))
        plain = []
        for file in files:
            stem = Path(file).name.removesuffix(TEST_FILE_SUFFIX)
            if environment_roots.get(stem) == target.resolve():
                jobs.append(SuiteJob(target, (file,), stem))
            else:
                plain.append(file)
        if plain:
            jobs.append(SuiteJob(target, tuple(plain)))
    return jobs


def _environment_roots(root: Path) -> dict[str, Path]:
    """Each environment's root module folder; terraform/ where the environment file does not load (its test file
    there is then run, and fails with the reason)."""
    if not (root / "envs").is_dir():
        return {}
    project = Project(root)
    roots: dict[str, Path] = {}
    for name in list_environments(project):
        try:
            roots[name] = (root / load_environment(project, name).settings.terraform.root).resolve()
        except ToolkitError:
            roots[name] = (root / DEFAULT_ROOT).resolve()
    return roots


def run_tests_check(root: Path, *, targets: list[Path] | None = None, mirror: StubMirror | None = None,
                    timeout: float | None = None, terraform: Path | None = None,
                    workspace: str = "stub") -> CheckResult:
    """`terraform test` of each target with `terraform` (default: the project's engine, toolkit.binaries), staged
    under .toolkit/<workspace>/tests/ (another engine version gets a workspace of its own)."""
    started = time.perf_counter()
    result = CheckResult(name="tests")
    chosen = suite_targets(root) if targets is None else targets
    jobs = suite_jobs(root, chosen)
    if not jobs:
        result.status = SKIPPED
        result.notes.append("skipped tests: no terraform/tests/ or modules/*/tests/ with *.tftest.hcl files")
        return result
    limit = timeout_seconds(TIMEOUT_VARIABLE, DEFAULT_TIMEOUT_SECONDS) if timeout is None else timeout
    terraform = terraform or require_terraform(root)
    mirror = mirror or prepare_mirror(root)
    # Longest first (by the previous run's time; new jobs first of all) so two workers finish together;
    # the report keeps the stable order.
    work_base = root / ".toolkit" / workspace / "tests"
    order = sorted(range(len(jobs)), key=lambda index: -_previous_seconds(root, work_base, jobs[index]))
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(jobs))) as pool:
        finished = dict(zip(order, pool.map(lambda index: _run_job(root, work_base, terraform, mirror, jobs[index],
                                                                          limit),
                                            order), strict=True))
    outcomes = [finished[index] for index in range(len(jobs))]
    counts = dict.fromkeys(SUMMARY_KEYS, 0)
    for outcome in outcomes:
        result.findings.extend(outcome.findings)
        for key in SUMMARY_KEYS:
            counts[key] += outcome.counts.get(key, 0)
        summary = " ".join(f"{key}={outcome.counts.get(key, 0)}" for key in SUMMARY_KEYS)
        result.notes.append(f"{outcome.label}: {summary} in {outcome.seconds:.1f}s")
    result.notes.insert(0, f"terraform: {terraform}; providers: stub {mirror.versions} from {mirror.mirror_dir}")
    result.counts = {"targets": len(chosen), "runs": sum(counts.values()), **counts}
    if result.errors:
        result.status = FAILED
    result.seconds = time.perf_counter() - started
    return result


def _work_dir(root: Path, work_base: Path, job: SuiteJob) -> Path:
    suffix = f"@{job.environment}" if job.environment else ""
    return work_base / (_project_relative(root, job.target).replace(os.sep, "__") + suffix)


def _previous_seconds(root: Path, work_base: Path, job: SuiteJob) -> float:
    try:
        return float((_work_dir(root, work_base, job) / SECONDS_FILE).read_text())
    except (OSError, ValueError):
        return float("inf")


def _run_job(root: Path, work_base: Path, terraform: Path, mirror: StubMirror, job: SuiteJob,
             limit: float) -> JobOutcome:
    started = time.perf_counter()
    outcome = JobOutcome(job.label(root))
    name = _project_relative(root, job.target)
    work = _work_dir(root, work_base, job)
    work.mkdir(parents=True, exist_ok=True)
    # Two checks of one checkout at once (two terminals, an editor hook) take turns per job.
    with open(work / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _run_job_locked(root, terraform, mirror, job, limit, name, work, outcome)
        outcome.seconds = time.perf_counter() - started
        (work / SECONDS_FILE).write_text(f"{outcome.seconds:.1f}\n")
    return outcome


def _run_job_locked(root: Path, terraform: Path, mirror: StubMirror, job: SuiteJob, limit: float, name: str,
                    work: Path, outcome: JobOutcome) -> None:
    try:
        var_file = _rendered_tfvars(root, job) if job.environment else None
    except ToolkitError as error:  # a broken environment file is this job's finding only
        outcome.findings.append(Finding(f"{name}/{job.files[0]}", 0, "",
                                        f"cannot render environment {job.environment}: {_one_line(str(error))}"))
        return
    staged = init_staged(root, terraform, mirror, job.target, work, limit, TIMEOUT_VARIABLE)
    if isinstance(staged, str):
        outcome.findings.append(Finding(name, 0, "", staged))
        return
    stage, environment = staged
    staged_relative = stage.relative_to(work / "stage")
    command = [str(terraform), "test", "-json", "-no-color", *(f"-filter={file}" for file in job.files)]
    if var_file is not None:
        command.append(f"-var-file={var_file}")
    completed = _run(command, stage, environment, limit, TIMEOUT_VARIABLE)
    if isinstance(completed, str):
        outcome.findings.append(Finding(name, 0, "", completed))
    else:
        _read_test_output(root, work / "stage", name, staged_relative, completed, outcome)


def init_staged(root: Path, terraform: Path, mirror: StubMirror, target: Path, work: Path, limit: float,
                limit_variable: str) -> tuple[Path, dict[str, str]] | str:
    """Stage `target` under `work`/stage and `terraform init` it against the stub providers: (the staged
    folder, the environment to run terraform in), or why init failed. The module tests and the example plans
    (toolkit.checks.example_plans) both start here."""
    stage = stage_root_module(Project(root), target, None, work / "stage", exclude=frozenset({".terraform.lock.hcl"}))
    # The staged lock file is the stub's own; a previous stub build's hashes would fail init.
    (stage / ".terraform.lock.hcl").unlink(missing_ok=True)
    environment = mirror.environment(work / "data")
    init = _run([str(terraform), "init", "-backend=false", "-input=false", "-no-color"], stage, environment, limit,
                limit_variable)
    if isinstance(init, str) or init.returncode != 0:
        text = init if isinstance(init, str) else f"terraform init failed: {error_excerpt(init.stderr or init.stdout)}"
        return _one_line(text)
    return stage, environment


def _rendered_tfvars(root: Path, job: SuiteJob) -> Path:
    """Render the environment (as `toolkit render ENV` does) and return its tfvars."""
    project = Project(root)
    return render_environment(project, load_environment(project, job.environment or "")).tfvars_path.resolve()


def _read_test_output(root: Path, stage_dir: Path, name: str, staged_relative: Path,
                      completed: subprocess.CompletedProcess[str], outcome: JobOutcome) -> None:
    """Findings from `terraform test -json`: each error diagnostic at its file and line, named by its run."""
    messages = _json_lines(completed.stdout)
    failed_runs: list[str] = []
    for message in messages:
        if message.get("type") == "test_summary":
            summary = message.get("test_summary") or {}
            outcome.counts = {key: int(summary.get(key) or 0) for key in SUMMARY_KEYS}
        elif message.get("type") == "test_run":
            run = message.get("test_run") or {}
            if run.get("status") in ("fail", "error"):
                failed_runs.append(f'{run.get("path")} run "{run.get("run")}"')
        elif message.get("type") == "diagnostic":
            [finding] = _findings(root, stage_dir, name, staged_relative, [message.get("diagnostic") or {}])
            run_name = message.get("@testrun")
            if run_name:
                finding = Finding(finding.path, finding.line, f'run "{run_name}"', finding.message, finding.severity)
            if finding not in outcome.findings:
                outcome.findings.append(finding)
    if completed.returncode != 0 and not any(finding.severity == "error" for finding in outcome.findings):
        text = completed.stderr or completed.stdout
        reason = ("terraform crashed while reporting a failure (a Terraform bug; assert on outputs or lists rather "
                  "than on sets holding unknown values)") if "TERRAFORM CRASH" in text else (
            f"terraform test failed (exit {completed.returncode}): {error_excerpt(text).strip()}")
        where = f"; failed: {', '.join(failed_runs)}" if failed_runs else ""
        outcome.findings.append(Finding(name, 0, "", _one_line(reason + where)))
