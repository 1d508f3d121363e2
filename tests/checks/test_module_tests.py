"""`toolkit check --tests`: `terraform test` of every module and of the root per environment against the stub;
the real repository passes every run, and planted failures are reported at the test file's line with the run's
name and the assertion's message. The fast tests pin the shape of the suites (every validation has a failing
run, one root file per environment, no sizes typed into the root's files)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.checks.module_tests import run_tests_check, suite_jobs
from toolkit.cli import app
from toolkit.stub_mirror import prepare_mirror

from .conftest import PROJECT_ROOT, write_files
from .test_validate import ENGINE, FIXTURE_SCHEMAS, GOOD

MODULES = sorted(path for path in (PROJECT_ROOT / "modules").iterdir() if (path / "variables.tf").is_file())
ENVIRONMENTS = ("dev", "staging", "prod")
VARIABLE_BLOCK = re.compile(r'^variable "([^"]+)" \{(.*?)^\}', re.MULTILINE | re.DOTALL)
EXPECTED_VARIABLE = re.compile(r"expect_failures\s*=\s*\[var\.(\w+)\]")
RUN_BLOCK = re.compile(r'^run "[^"]+" \{', re.MULTILINE)


def check_tests(*extra: str):
    return CliRunner().invoke(app, ["check", "--tests", *extra])


def run_blocks(folder: Path) -> int:
    return sum(len(RUN_BLOCK.findall(path.read_text())) for path in folder.glob("*/tests/*.tftest.hcl"))


# The shape of the suites (fast)

@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_every_validation_block_has_its_own_failing_run(module: Path) -> None:
    validations = {name: body.count("validation {") for name, body in VARIABLE_BLOCK.findall(
        (module / "variables.tf").read_text())}
    validations = {name: count for name, count in validations.items() if count}
    suite = module / "tests" / "validations.tftest.hcl"
    runs: dict[str, int] = {}
    for name in EXPECTED_VARIABLE.findall(suite.read_text() if suite.is_file() else ""):
        runs[name] = runs.get(name, 0) + 1
    missing = {name: (count, runs.get(name, 0)) for name, count in validations.items() if runs.get(name, 0) < count}
    assert not missing, f"{module.name}: variable: (validation blocks, failing runs) {missing}"
    assert set(runs) <= set(validations), f"{module.name}: runs expect failures of unvalidated variables"


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_every_module_keeps_tests_beside_examples(module: Path) -> None:
    suites = sorted((module / "tests").glob("*.tftest.hcl"))
    assert (module / "examples").is_dir() and suites, f"{module.name}: no tests/*.tftest.hcl beside examples/"


def test_the_root_has_one_file_per_environment_with_no_sizes_typed_in() -> None:
    suites = {path.name for path in (PROJECT_ROOT / "terraform" / "tests").glob("*.tftest.hcl")}
    # One file per environment; other files there pin one feature each (edge, budget, …) with their own inputs.
    assert {f"{name}.tftest.hcl" for name in ENVIRONMENTS} <= suites
    for name in ENVIRONMENTS:
        conditions = re.findall(r"condition\s*=(.*?)\n\s*error_message", (
            PROJECT_ROOT / "terraform" / "tests" / f"{name}.tftest.hcl").read_text(), re.DOTALL)
        numbers = {int(number) for text in conditions for number in re.findall(r"(?<![\w.])\d+(?![\w.])", text)}
        # 0 and 1 count things; 1000 converts milliseconds: every size comes from var.* (the rendered tfvars).
        assert numbers <= {0, 1, 1000}, f"{name}.tftest.hcl types sizes: {sorted(numbers)}"


# Runs against the stub (slow)

@pytest.fixture
def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A one-module project (tests/checks/test_validate.py's) with a test file of two runs and a validation."""
    write_files(tmp_path, GOOD)
    write_files(tmp_path, {
        "modules/box/tests/defaults.tftest.hcl": (
            'provider "aws" {\n  region = "sa-east-1"\n}\n\n'
            'variables {\n  cidr = "10.0.0.0/16"\n}\n\n'
            'run "public_subnet" {\n  command = plan\n\n  assert {\n'
            '    condition     = length(aws_subnet.public) == 1\n'
            '    error_message = "one public subnet by default (module contract)"\n  }\n}\n\n'
            'run "cidr" {\n  command = plan\n\n  assert {\n'
            '    condition     = aws_vpc.this.cidr_block == "10.0.0.0/16"\n'
            '    error_message = "the VPC has the given CIDR (module contract)"\n  }\n}\n'),
        "modules/box/tests/validations.tftest.hcl": (
            'provider "aws" {\n  region = "sa-east-1"\n}\n\n'
            'run "cidr_too_large" {\n  command         = plan\n'
            '  variables {\n    cidr = "10.0.0.0/8"\n  }\n  expect_failures = [var.cidr]\n}\n'),
    })
    path = tmp_path / "modules/box/variables.tf"
    path.write_text(path.read_text().replace(
        '  type        = string\n}',
        '  type        = string\n\n  validation {\n    condition     = tonumber(split("/", var.cidr)[1]) >= 16\n'
        '    error_message = "cidr must be /16 or smaller."\n  }\n}', 1))
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(tmp_path))
    monkeypatch.setenv("TOOLKIT_TERRAFORM", str(ENGINE))
    monkeypatch.setenv("TOOLKIT_STUB_SCHEMA_DIR", str(FIXTURE_SCHEMAS))
    return tmp_path


@pytest.mark.slow
def test_a_passing_module_suite_counts_its_runs_and_writes_nothing_into_the_module(box: Path) -> None:
    result = check_tests("--json")
    assert result.exit_code == 0, result.output
    [check] = json.loads(result.output)["checks"]
    assert check["counts"] == {"targets": 1, "runs": 3, "passed": 3, "failed": 0, "errored": 0, "skipped": 0}
    assert not (box / "modules/box/.terraform").exists()
    assert not (box / "modules/box/.terraform.lock.hcl").exists()


@pytest.mark.slow
def test_a_planted_failing_assertion_is_reported_at_its_line_with_its_message(box: Path) -> None:
    suite = box / "modules/box/tests/defaults.tftest.hcl"
    suite.write_text(suite.read_text().replace('cidr_block == "10.0.0.0/16"', 'cidr_block == "10.9.0.0/16"'))
    result = check_tests()
    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[:2] == [
        "== tests",
        'modules/box/tests/defaults.tftest.hcl:22: run "cidr": Test assertion failed: the VPC has the given CIDR '
        "(module contract)",
    ]
    [summary] = [line.split()[:8] for line in result.output.splitlines() if line.startswith("tests ")]
    assert summary == ["tests", "failed", "targets=1", "runs=3", "passed=2", "failed=1", "errored=0", "skipped=0"]
    assert result.output.rstrip().endswith("Error: 1 of 1 checks failed: tests")


@pytest.mark.slow
def test_a_validation_that_stops_rejecting_fails_its_run(box: Path) -> None:
    path = box / "modules/box/variables.tf"
    path.write_text(path.read_text().replace(">= 16", ">= 8"))
    result = check_tests()
    assert result.exit_code == 1, result.output
    [finding] = [line for line in result.output.splitlines() if line.startswith("modules/box/")]
    assert finding == ('modules/box/tests/validations.tftest.hcl:10: run "cidr_too_large": Missing expected '
                       "failure: The checkable object, var.cidr, was expected to report an error but did not.")


@pytest.mark.slow
def test_a_hanging_stub_is_stopped_within_the_limit(box: Path) -> None:
    mirror = prepare_mirror(box, schema_dir=FIXTURE_SCHEMAS, command=["/bin/sh", "-c", "exec sleep 619"])
    started = time.monotonic()
    result = run_tests_check(box, mirror=mirror, timeout=8)
    assert time.monotonic() - started < 40
    [finding] = result.errors
    assert (finding.path, finding.message) == ("modules/box", (
        "terraform test did not finish within 8s and was stopped: a provider plugin (the offline stub) is not "
        "answering; raise TOOLKIT_TEST_TIMEOUT if the machine is just slow"))
    assert subprocess.run(["pgrep", "-f", "sleep 619"], capture_output=True).returncode == 1


@pytest.mark.slow
def test_an_environment_file_plans_with_its_rendered_tfvars_and_catches_a_wiring_mistake(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real root and modules with prod's file only; the root passes the minimum as the maximum."""
    for folder in ("envs", "terraform", "modules"):
        shutil.copytree(PROJECT_ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns(
            ".terraform", ".terraform.lock.hcl", "*.tfstate*"))
    for suite in tmp_path.glob("modules/*/tests"):
        shutil.rmtree(suite)
    for name in ("dev", "staging"):
        (tmp_path / "terraform/tests" / f"{name}.tftest.hcl").unlink()
    main = tmp_path / "terraform/main.tf"
    wiring = re.compile(r"(max_tasks\s*=\s*)var\.compute\.max_tasks")
    assert wiring.search(main.read_text())
    main.write_text(wiring.sub(r"\1var.compute.min_tasks", main.read_text()))
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(tmp_path))
    monkeypatch.setenv("TOOLKIT_TERRAFORM", str(ENGINE))
    monkeypatch.delenv("TOOLKIT_STUB_SCHEMA_DIR", raising=False)
    result = check_tests()
    assert result.exit_code == 1, result.output
    suite = (tmp_path / "terraform/tests/prod.tftest.hcl").read_text().splitlines()
    line = next(number for number, text in enumerate(suite, 1) if "module.compute.sizing.min_capacity" in text)
    assert result.output.splitlines()[1] == (
        f'terraform/tests/prod.tftest.hcl:{line}: run "prod_sizes": Test assertion failed: prod service scales '
        "between the environment's minimum and maximum tasks (sizing plan, production)")
    # The sizes came from prod's own file, rendered as `toolkit render prod` does.
    # Aligned as `terraform fmt` aligns (the width follows the longest compute key).
    assert re.search(r"compute = \{\n  cpu +=  ?2048\n", (tmp_path / "build/prod/terraform.tfvars").read_text())


@pytest.mark.slow
def test_the_real_repository_passes_every_module_and_environment_test(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(PROJECT_ROOT))
    monkeypatch.setenv("TOOLKIT_TERRAFORM", str(ENGINE))
    monkeypatch.delenv("TOOLKIT_STUB_SCHEMA_DIR", raising=False)
    result = check_tests("--json")
    assert result.exit_code == 0, result.output
    [check] = json.loads(result.output)["checks"]
    runs = run_blocks(PROJECT_ROOT / "modules") + len(RUN_BLOCK.findall("".join(
        path.read_text() for path in (PROJECT_ROOT / "terraform/tests").glob("*.tftest.hcl"))))
    assert check["counts"] == {"targets": len(MODULES) + 1, "runs": runs, "passed": runs, "failed": 0,
                               "errored": 0, "skipped": 0}
    labels = [note.split(":")[0] for note in check["notes"][1:]]
    assert labels[:3] == [f"terraform ({name})" for name in sorted(ENVIRONMENTS)]


@pytest.mark.slow
def test_two_checks_at_once_take_turns(box: Path) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: run_tests_check(box), range(2)))
    assert [(result.status, result.counts["passed"]) for result in results] == [("passed", 3), ("passed", 3)]


@pytest.mark.slow
def test_an_environment_file_that_does_not_render_is_a_finding_and_the_modules_still_run(box: Path) -> None:
    write_files(box, {
        "envs/dev.yaml": "# Development.\n# Test project.\ndatabse:\n  instance_class: db.t3.micro\n",
        "terraform/tests/dev.tftest.hcl": 'run "dev" {\n  command = plan\n}\n',
    })
    result = run_tests_check(box)
    [finding] = result.errors
    assert finding.path == "terraform/tests/dev.tftest.hcl"
    assert finding.message.startswith("cannot render environment dev: "), finding.message
    assert "databse" in finding.message
    assert result.counts["passed"] == 3


@pytest.mark.slow
def test_a_terraform_crash_on_a_failing_assertion_names_the_failed_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Terraform 1.15.5 panics formatting a failing assertion over the wafv2 rule set (unknown values inside):
    the runner says so and names the run instead of printing a stack trace."""
    shutil.copytree(PROJECT_ROOT / "modules/waf", tmp_path / "modules/waf")
    (tmp_path / "modules/waf/tests/validations.tftest.hcl").unlink()
    suite = tmp_path / "modules/waf/tests/defaults.tftest.hcl"
    old = ('output.rules["rate-limit-per-ip"].rate_limit == 100 && '
           'output.rules["rate-limit-per-ip"].rate_limit_window_seconds == 60')
    assert old in suite.read_text()
    suite.write_text(suite.read_text().replace(old, (
        'one([for rule in aws_wafv2_web_acl.this[0].rule : rule.statement[0].rate_based_statement[0].limit '
        'if rule.name == "rate-limit-per-ip"]) == 101')))
    monkeypatch.setenv("TOOLKIT_TERRAFORM", str(ENGINE))
    monkeypatch.delenv("TOOLKIT_STUB_SCHEMA_DIR", raising=False)
    result = run_tests_check(tmp_path)
    [finding] = result.errors
    assert (finding.path, finding.message) == ("modules/waf", (
        "terraform crashed while reporting a failure (a Terraform bug; assert on outputs or lists rather than on "
        'sets holding unknown values); failed: tests/defaults.tftest.hcl run "defaults_follow_the_security_plan"'))


@pytest.mark.slow
def test_a_rebuilt_stub_mirror_does_not_break_the_data_dirs_of_earlier_runs(box: Path) -> None:
    """A new build of the mirror (another Python, an upgraded stub) has launchers with other hashes: the staged
    lock file of an earlier run would fail init ("doesn't match any of the checksums"), so each job drops it."""
    assert run_tests_check(box, mirror=prepare_mirror(box, schema_dir=FIXTURE_SCHEMAS)).status == "passed"
    launcher = [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(PROJECT_ROOT)!r}); "
                "from stub_provider.server import main; main()"]
    rebuilt = prepare_mirror(box, schema_dir=FIXTURE_SCHEMAS, command=launcher)
    result = run_tests_check(box, mirror=rebuilt)
    assert result.status == "passed", [str(finding) for finding in result.findings]


def test_only_the_root_modules_files_named_after_an_environment_get_its_tfvars(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "envs/defaults.yaml": "# Shared defaults.\n# Test project.\nproject: demo\naws_region: sa-east-1\n",
        "envs/prod.yaml": "# Production.\n# Test project.\nprotected: true\n",
        "terraform/tests/prod.tftest.hcl": "",
        "terraform/tests/naming.tftest.hcl": "",
        "modules/box/tests/prod.tftest.hcl": "",
    })
    jobs = suite_jobs(tmp_path, [tmp_path / "terraform", tmp_path / "modules/box"])
    assert [(job.label(tmp_path), job.files) for job in jobs] == [
        ("terraform (prod)", ("tests/prod.tftest.hcl",)),
        ("terraform", ("tests/naming.tftest.hcl",)),
        ("modules/box", ("tests/prod.tftest.hcl",)),
    ]


@pytest.mark.slow
def test_a_typo_in_a_test_file_is_reported_at_its_line(box: Path) -> None:
    suite = box / "modules/box/tests/defaults.tftest.hcl"
    suite.write_text(suite.read_text().replace("length(aws_subnet.public) == 1", "length(aws_subnet.publik) == 1"))
    result = run_tests_check(box)
    assert [str(finding) for finding in result.errors] == [
        'modules/box/tests/defaults.tftest.hcl:13: run "public_subnet": Reference to undeclared resource: A managed '
        'resource "aws_subnet" "publik" has not been declared in the root module.']
