"""`toolkit check --validate`: `terraform init` + `terraform validate` of the root module and of every module
example, against the real AWS provider 6 built by `make setup` where it is present (its own validators run:
toolkit.checks.real_providers), else the offline stub providers (toolkit.stub_mirror), so Terraform's own
evaluator checks types, references, required arguments and module inputs without an AWS account.

Each target runs in its own staged copy under .toolkit/stub/targets/<target>/ (the lock file and .terraform
stay there) with a time limit: a provider that hangs or crashes becomes a finding, never a hang.
Diagnostics are reported with the real file and line (`modules/cache/main.tf:12`).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.checks.findings import FAILED, SKIPPED, CheckResult, Finding
from toolkit.checks.real_providers import RealMirror, prepare_validate_mirror
from toolkit.engine.terraform import TerraformBinary, discover_binary, error_excerpt
from toolkit.engine.workspace import stage_root_module
from toolkit.project import Project
from toolkit.stub_mirror import TIMEOUT_VARIABLE, StubMirror, timeout_seconds
from toolkit.text import cut

WORKERS = 2  # the machines have 2 cores; terraform and the stub share them
MESSAGE_LIMIT = 400
_WHITESPACE = re.compile(r"\s+")


@dataclass
class TargetOutcome:
    target: str
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0


NO_TESTS_DIRECTORY = ".toolkit-no-tests"


def example_targets(root: Path) -> list[Path]:
    """Every modules/*/examples/* folder holding .tf files, in a stable order (validated here, planned by
    toolkit.checks.example_plans)."""
    candidates = sorted((root / "modules").glob("*/examples/*"))
    return [path for path in candidates if path.is_dir() and any(path.glob("*.tf"))]


def validate_targets(root: Path) -> list[Path]:
    """terraform/ and every module example, in a stable order."""
    terraform = root / "terraform"
    return [*([terraform] if terraform.is_dir() and any(terraform.glob("*.tf")) else []), *example_targets(root)]


def run_validate_check(root: Path, *, targets: list[Path] | None = None, mirror: StubMirror | None = None,
                       timeout: float | None = None, binary: TerraformBinary | None = None,
                       workspace: str = "stub") -> CheckResult:
    """Validate each target with `binary` (default: the project's engine, toolkit.engine.terraform), staged under
    .toolkit/<workspace>/targets/ (another engine version gets a workspace of its own)."""
    started = time.perf_counter()
    result = CheckResult(name="validate")
    chosen = validate_targets(root) if targets is None else targets
    if not chosen:
        result.status = SKIPPED
        result.notes.append("skipped validate: no terraform/ and no modules/*/examples/*")
        return result
    limit = timeout_seconds() if timeout is None else timeout
    binary = binary or discover_binary(root)
    terraform = binary.path
    # The .tftest.hcl files use Terraform's test framework (override_during, instance keys in overrides,
    # `variable` blocks in runs: docs/ENGINE.md), which OpenTofu's validate refuses: tofu validates the
    # configuration only, and the module tests run on Terraform.
    # init reads the test files as well: point both at a test directory that does not exist.
    validate_options = (f"-test-directory={NO_TESTS_DIRECTORY}",) if binary.flavor == "tofu" else ()
    if validate_options:
        result.notes.append("tofu: test files not validated (they use Terraform's test features)")
    mirror = mirror or prepare_validate_mirror(root)
    work_base = root / ".toolkit" / workspace / "targets"
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(chosen))) as pool:
        outcomes = list(pool.map(lambda target: _validate(root, work_base, terraform, mirror, target, limit,
                                                          validate_options), chosen))
    for outcome in outcomes:
        # A module's mistake shows through every target that calls it: report it once.
        result.findings.extend(finding for finding in outcome.findings if finding not in result.findings)
        result.notes.append(f"{outcome.target}: {outcome.seconds:.1f}s")
    kind = "real (built from source)" if isinstance(mirror, RealMirror) else "stub"
    result.notes.insert(0, f"terraform: {terraform}; providers: {kind} {mirror.versions} from {mirror.mirror_dir}")
    errors = len(result.errors)
    result.counts = {"targets": len(chosen), "errors": errors, "warnings": len(result.findings) - errors}
    if errors:
        result.status = FAILED
    result.seconds = time.perf_counter() - started
    return result


def _project_relative(root: Path, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _validate(root: Path, work_base: Path, terraform: Path, mirror: StubMirror, target: Path, limit: float,
              validate_options: tuple[str, ...] = ()) -> TargetOutcome:
    started = time.perf_counter()
    name = _project_relative(root, target)
    outcome = TargetOutcome(name)
    work = work_base / name.replace(os.sep, "__")
    work.mkdir(parents=True, exist_ok=True)
    # Two checks of one checkout at once (two terminals, an editor hook) take turns per target.
    with open(work / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _validate_locked(root, terraform, mirror, target, limit, name, work, outcome, validate_options)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _validate_locked(root: Path, terraform: Path, mirror: StubMirror, target: Path, limit: float, name: str,
                     work: Path, outcome: TargetOutcome, validate_options: tuple[str, ...] = ()) -> None:
    stage = stage_root_module(Project(root), target, None, work / "stage", exclude=frozenset({".terraform.lock.hcl"}))
    # The staged lock file is the stub's own; a previous stub build's hashes would fail init.
    (stage / ".terraform.lock.hcl").unlink(missing_ok=True)
    if validate_options:
        (stage / NO_TESTS_DIRECTORY).mkdir(exist_ok=True)  # empty: tofu warns about a missing one
    environment = mirror.environment(work / "data")
    staged_relative = stage.relative_to(work / "stage")
    init = _run([str(terraform), "init", "-json", "-backend=false", "-input=false", "-no-color", *validate_options],
                stage, environment, limit)
    messages = [] if isinstance(init, str) else _json_lines(init.stdout)
    diagnostics = [message["diagnostic"] for message in messages if message.get("type") == "diagnostic"]
    if not isinstance(init, str) and init.returncode != 0 and not messages:
        # An engine without `init -json` (before Terraform 1.9, e.g. the 1.5 floor): plain init, its diagnostics
        # read from the text.
        init = _run([str(terraform), "init", "-backend=false", "-input=false", "-no-color"], stage, environment,
                    limit)
        if not isinstance(init, str):
            diagnostics = text_diagnostics(init.stderr + "\n" + init.stdout)
    if isinstance(init, str):
        outcome.findings.append(Finding(name, 0, "", init))
    elif init.returncode != 0:
        found = _findings(root, work / "stage", name, staged_relative, diagnostics, "terraform init failed: ")
        if not any(finding.severity == "error" for finding in found):
            text = error_excerpt(init.stderr or init.stdout).strip()
            found.append(Finding(name, 0, "", f"terraform init failed: {_one_line(text)}"))
        outcome.findings.extend(found)
    else:
        validate = _run([str(terraform), "validate", "-json", "-no-color", *validate_options], stage, environment,
                        limit)
        if isinstance(validate, str):
            outcome.findings.append(Finding(name, 0, "", validate))
        else:
            outcome.findings.extend(_validate_findings(root, work / "stage", name, staged_relative, validate))


def _run(command: list[str], cwd: Path, environment: dict[str, str], limit: float,
         limit_variable: str = TIMEOUT_VARIABLE) -> subprocess.CompletedProcess[str] | str:
    """Run terraform in its own process group; past the limit the group (terraform and its providers) is
    killed and the reason returned as text."""
    try:
        process = subprocess.Popen(command, cwd=cwd, env=environment, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                                   encoding="utf-8", errors="replace", start_new_session=True)
    except OSError as error:
        return f"cannot run {command[0]}: {error}"
    try:
        stdout, stderr = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return (f"terraform {command[1]} did not finish within {limit:g}s and was stopped: a provider plugin "
                f"(the offline stub) is not answering; raise {limit_variable} if the machine is just slow")
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _real_path(root: Path, stage_dir: Path, staged_relative: Path, filename: str) -> str:
    """A diagnostic's file as a project path: terraform names it relative to the staged target (or, for
    modules reached through the stage's symlinks, absolute in the project)."""
    path = Path(filename)
    if not path.is_absolute():
        return os.path.normpath(staged_relative / path)
    for base in (stage_dir, root.resolve(), root):
        try:
            return str(path.relative_to(base))
        except ValueError:
            continue
    return filename


def _json_lines(text: str) -> list[dict[str, object]]:
    messages = []
    for line in text.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict):
            messages.append(message)
    return messages


_TEXT_HEADING = re.compile(r"^(Error|Warning): (.*)$", re.MULTILINE)
_TEXT_PLACE = re.compile(r"^\s+on (\S+) line (\d+)")


def text_diagnostics(text: str) -> list[dict[str, object]]:
    """Terraform's plain-text diagnostics (`Error: summary`, `  on FILE line N, in ...:`, the source lines, then
    the detail) in the shape of its JSON ones."""
    headings = list(_TEXT_HEADING.finditer(text))
    diagnostics: list[dict[str, object]] = []
    for index, heading in enumerate(headings):
        end = headings[index + 1].start() if index + 1 < len(headings) else len(text)
        body = text[heading.end():end].strip("\n").splitlines()
        diagnostic: dict[str, object] = {"severity": heading.group(1).lower(), "summary": heading.group(2).strip()}
        place = next((_TEXT_PLACE.match(line) for line in body if _TEXT_PLACE.match(line)), None)
        if place:
            diagnostic["range"] = {"filename": place.group(1), "start": {"line": int(place.group(2))}}
        # The detail: what follows the indented location and source lines.
        detail = [line for line in body if line and not line.startswith("  ")]
        diagnostic["detail"] = " ".join(line.strip("│╵╷ ") for line in detail).strip()
        diagnostics.append(diagnostic)
    return diagnostics


def _validate_findings(root: Path, stage_dir: Path, name: str, staged_relative: Path,
                       completed: subprocess.CompletedProcess[str]) -> list[Finding]:
    try:
        report = json.loads(completed.stdout)
    except ValueError:
        report = None
    if not isinstance(report, dict):
        text = error_excerpt(completed.stderr or completed.stdout).strip()
        return [Finding(name, 0, "", f"terraform validate failed (exit {completed.returncode}): {_one_line(text)}")]
    findings = _findings(root, stage_dir, name, staged_relative, report.get("diagnostics") or [])
    if completed.returncode != 0 and not any(finding.severity == "error" for finding in findings):
        text = error_excerpt(completed.stderr or completed.stdout).strip()
        findings.append(Finding(name, 0, "", f"terraform validate failed (exit {completed.returncode}): "
                                              f"{_one_line(text)}"))
    return findings


def _findings(root: Path, stage_dir: Path, name: str, staged_relative: Path,
              diagnostics: list[dict[str, object]], unplaced_prefix: str = "") -> list[Finding]:
    """Terraform's JSON diagnostics as findings at the real file and line (`unplaced_prefix` starts the
    message of those with no file, which name the target instead)."""
    findings = []
    for diagnostic in diagnostics:
        where = diagnostic.get("range") or {}
        assert isinstance(where, dict)
        path, line = name, 0
        # Terraform names configuration it made itself (an implied provider block) "<empty>": no file to point at.
        if where.get("filename") and not str(where["filename"]).startswith("<"):
            path = _real_path(root, stage_dir, staged_relative, str(where["filename"]))
            line = int((where.get("start") or {}).get("line") or 0)
        message = ("" if line else unplaced_prefix) + str(diagnostic.get("summary", ""))
        detail = diagnostic.get("detail") or ""
        if detail:
            message = f"{message}: {detail}"
        severity = "warning" if diagnostic.get("severity") == "warning" else "error"
        findings.append(Finding(path, line, "", _one_line(message), severity))
    return findings


def _one_line(text: str) -> str:
    return cut(_WHITESPACE.sub(" ", text).strip(), MESSAGE_LIMIT)
