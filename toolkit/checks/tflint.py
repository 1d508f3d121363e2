"""`toolkit check --tflint`: tflint over terraform/ and every module, with the project's `.tflint.hcl`.

tflint is built by `make setup` from the Go module proxy (toolkit/data/go_builds.json, name `tflint`); only the
terraform ruleset bundled in its binary runs: TFLINT_PLUGIN_DIR points at an empty folder, so a plugin installed
in ~/.tflint.d is never picked up and nothing is downloaded. Each folder is linted on its own (`--chdir`, module
calls not followed), so a module's finding is reported once, at its file and line. Every issue fails the check,
whatever severity tflint gives it: the anchors' CI fails on any tflint output.

Module examples (modules/*/examples/*) are linted too, each on its own like a module (`EXAMPLES`): they are
complete root modules (main.tf, variables.tf, versions.tf, outputs.tf). An example that takes no input keeps a
comment-only variables.tf (as terraform-aws-modules' examples do), which satisfies
terraform_standard_module_structure, and declares only the providers it uses itself
(terraform_unused_required_providers): the modules it calls declare theirs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from toolkit.checks.findings import FAILED, SKIPPED, CheckResult, Finding
from toolkit.checks.validate import WORKERS, _one_line, _project_relative
from toolkit.errors import ToolkitError
from toolkit.go_builds import go_build

TFLINT_VARIABLE = "TOOLKIT_TFLINT"
CONFIG_FILE = ".tflint.hcl"
TIMEOUT_SECONDS = 300
EXAMPLES = True
ISSUES_FOUND = 2  # tflint's exit code when it ran and found issues (1: it could not run)


class TflintMissing(ToolkitError):
    """No tflint binary or no .tflint.hcl: the message says how to get one."""


def find_tflint() -> Path | None:
    """$TOOLKIT_TFLINT, then set-up's build (intact: its checksum holds), then tflint on PATH."""
    configured = os.environ.get(TFLINT_VARIABLE, "").strip()
    if configured:
        path = Path(configured) if os.sep in configured else Path(shutil.which(configured) or configured)
        return path if path.is_file() and os.access(path, os.X_OK) else None
    build = go_build("tflint")
    if build.record() is not None:
        return build.path
    found = shutil.which("tflint")
    return Path(found) if found else None


def require_tflint() -> Path:
    found = find_tflint()
    if found is not None:
        return found
    configured = os.environ.get(TFLINT_VARIABLE, "").strip()
    if configured:
        raise TflintMissing(f"{TFLINT_VARIABLE}={configured}: not an executable file")
    build = go_build("tflint")
    raise TflintMissing(f"tflint not found: run `make setup` (builds tflint {build.release} from the Go module proxy "
                        f"into {build.folder}, about 2 minutes on 2 cores; needs go), set {TFLINT_VARIABLE}, "
                        "or put tflint on PATH")


def tflint_targets(root: Path) -> list[Path]:
    """terraform/ and every modules/* folder (and, with EXAMPLES, their examples) holding .tf files."""
    candidates = [root / "terraform", *sorted((root / "modules").glob("*"))]
    if EXAMPLES:
        candidates += sorted((root / "modules").glob("*/examples/*"))
    return [path for path in candidates if path.is_dir() and any(path.glob("*.tf"))]


def run_tflint_check(root: Path, *, targets: list[Path] | None = None, required: bool = True) -> CheckResult:
    """Lint each target; without a tflint binary or a .tflint.hcl an error when `required`, else skipped with
    how to get it."""
    started = time.perf_counter()
    result = CheckResult(name="tflint")
    config = root / CONFIG_FILE
    chosen = tflint_targets(root) if targets is None else targets
    if not chosen:
        result.status = SKIPPED
        result.notes.append("skipped tflint: no terraform/ and no modules/*")
        return result
    try:
        if not config.is_file():
            raise TflintMissing(f"no {CONFIG_FILE} at the project root ({root}): tflint's rules are set there")
        tflint = require_tflint()
    except TflintMissing as missing:
        if required:
            raise
        result.status = SKIPPED
        result.notes.append(f"skipped tflint: {missing}")
        return result
    plugins = root / ".toolkit" / "tflint" / "no-plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "TFLINT_PLUGIN_DIR": str(plugins)}
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(chosen))) as pool:
        outcomes = list(pool.map(lambda target: _lint(root, tflint, config, environment, target), chosen))
    for findings in outcomes:
        result.findings.extend(findings)
    result.counts = {"targets": len(chosen), "issues": len(result.findings)}
    result.notes.insert(0, f"tflint: {tflint}; config: {_project_relative(root, config)}")
    if result.findings:
        result.status = FAILED
    result.seconds = time.perf_counter() - started
    return result


def _lint(root: Path, tflint: Path, config: Path, environment: dict[str, str], target: Path) -> list[Finding]:
    name = _project_relative(root, target)
    command = [str(tflint), f"--chdir={name}", f"--config={config.resolve()}", "--format=json", "--no-color"]
    try:
        completed = subprocess.run(command, cwd=root, env=environment, capture_output=True, text=True,
                                   timeout=TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        return [Finding(name, 0, "", f"tflint did not finish within {TIMEOUT_SECONDS}s")]
    except OSError as error:
        raise ToolkitError(f"cannot run {tflint}: {error}") from error
    try:
        report = json.loads(completed.stdout)
    except ValueError:
        report = None
    if not isinstance(report, dict):
        text = (completed.stderr or completed.stdout).strip()
        return [Finding(name, 0, "", f"tflint failed (exit {completed.returncode}): {_one_line(text)}")]
    issues, errors = report.get("issues") or [], report.get("errors") or []
    findings = [_finding(name, item, f"({(item.get('rule') or {}).get('name', '?')})") for item in issues]
    findings += [_finding(name, item, "(tflint could not read the configuration)") for item in errors]
    if completed.returncode not in (0, ISSUES_FOUND) and not findings:
        text = (completed.stderr or completed.stdout).strip()
        findings.append(Finding(name, 0, "", f"tflint failed (exit {completed.returncode}): {_one_line(text)}"))
    return findings


def _finding(name: str, item: dict[str, object], suffix: str) -> Finding:
    where = item.get("range") or {}
    assert isinstance(where, dict)
    path = str(where.get("filename") or name)
    line = int((where.get("start") or {}).get("line") or 0)
    message = str(item.get("message") or "")
    if item.get("summary"):  # a configuration error: summary, then detail
        message = f"{item['summary']}: {message}" if message else str(item["summary"])
    return Finding(path, line, "", _one_line(f"{message} {suffix}"))
