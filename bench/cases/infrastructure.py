"""B4, B5 and B7 against the AWS emulator: one moto_server, one throw-away project, three applied sandboxes.

The project (a temp folder; TOOLKIT_PROJECT_DIR) holds the sandbox root module and environments
sandbox-a, sandbox-b and sandbox-c, each with its own state key in one emulated S3 bucket. All three are
applied first (`toolkit plan ENV`, then `toolkit apply ENV`), so every plan afterwards is "no changes".

- B4: `toolkit plan sandbox-a` (warm) against the same `terraform init`, `plan -out`, `show -json` run
  directly in the toolkit's staged folder with its environment variables (TF_DATA_DIR, TF_CLI_CONFIG_FILE,
  TF_VAR_aws_endpoint_url, …), read from the engine itself so both sides run exactly the same thing.
- B5: `toolkit plan --all` against the slowest of the three single-environment `toolkit plan` runs.
- B7: `toolkit rollback sandbox-c --tier immediate --yes` against a minimal boto3 script doing the same job:
  the newest checkpoint read from S3 (ListObjectsV2, GetObject), its run journaled before the first change
  and at the end (two PutObject), the same changes (UpdateService to the checkpoint's revision,
  DescribeServices until stable, suspend scaling) and reads. Every API call of both sides is counted.
  Set-up as scripts/demo_rollback.sh: a checkpoint of the good deployment, then a bad revision deployed;
  before each run (untimed) the service goes back to the bad revision and scaling is resumed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import REPOSITORY, Measurement, NotMeasured, Row, interleaved, run_measured, venv_executable
from bench.settings import Settings

PROJECT_NAME = "bench"
ENVIRONMENT_NAMES = ("sandbox-a", "sandbox-b", "sandbox-c")
PLAN_ENVIRONMENT = "sandbox-a"
REGION = "sa-east-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION}
HELPERS = Path(__file__).resolve().parent / "infrastructure_helpers.py"


@dataclass
class Sandbox:
    root: Path
    endpoint_url: str
    environment: dict[str, str]
    environments: tuple[str, ...]

    @property
    def rollback_environment(self) -> str:
        return self.environments[-1]

    def toolkit(self, *args: str, ok_codes: tuple[int, ...] = (0,)) -> Measurement:
        return run_measured([venv_executable("toolkit"), *args], env=self.environment, cwd=self.root,
                            ok_codes=ok_codes)

    def helper(self, *args: str) -> Any:
        """Run a helper in bench/cases/infrastructure_helpers.py (the venv's python); return its JSON."""
        result = subprocess.run([venv_executable("python"), str(HELPERS), *args], env=self.environment,
                                cwd=self.root, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{HELPERS.name} {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return json.loads(result.stdout) if result.stdout.strip() else None


def _write_yaml(path: Path, header: str, values: dict[str, Any]) -> None:
    import yaml

    path.write_text(header + yaml.safe_dump(values, sort_keys=False), encoding="utf-8")


def make_project(base: Path, environments: tuple[str, ...]) -> Path:
    """A project with the sandbox root and three environments sharing one state bucket, one key each."""
    root = base / "project"
    (root / "envs").mkdir(parents=True)
    shutil.copytree(REPOSITORY / "examples" / "sandbox", root / "examples" / "sandbox",
                    ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    # the engine (Terraform 1.15.5) and the provider mirror live in the repository's .cache.
    (root / ".cache").symlink_to(REPOSITORY / ".cache")
    import yaml

    defaults = yaml.safe_load((REPOSITORY / "envs" / "defaults.yaml").read_text(encoding="utf-8"))
    defaults["project"] = PROJECT_NAME
    defaults["storage"] = {"buckets": {}}
    _write_yaml(root / "envs" / "defaults.yaml", "# Benchmark defaults.\n# Written by bench/cases/infrastructure.py.\n",
                defaults)
    for name in environments:
        _write_yaml(root / "envs" / f"{name}.yaml", f"# Benchmark environment {name}.\n# The sandbox root against "
                    "the emulator.\n", {
                        "terraform": {"root": "examples/sandbox"},
                        "backend": {"type": "s3", "bucket": f"{PROJECT_NAME}-state",
                                    "dynamodb_table": f"{PROJECT_NAME}-locks", "endpoint_from_env": "AWS_ENDPOINT_URL"},
                        "compute": {"cpu": 256, "memory_mib": 512, "min_tasks": 1, "max_tasks": 3},
                        # Not "environment": the root sets the Environment tag and AWS refuses keys equal but for case.
                        "tags": {"bench": name},
                    })
    return root


@contextlib.contextmanager
def emulator(log_dir: Path) -> Iterator[str]:
    """moto_server on a free port (the test suite's helper); ECS reports desired tasks as running."""
    try:
        from tests.support.moto_server import start_moto_server, stop_moto_server
    except ImportError as error:
        raise NotMeasured(f"tests/support/moto_server.py cannot be imported: {error}") from None
    venv_executable("moto_server")
    previous = os.environ.get("MOTO_ECS_SERVICE_RUNNING")
    # An ECS rollback waits for running == desired; moto reports 0 running unless told otherwise.
    os.environ["MOTO_ECS_SERVICE_RUNNING"] = "1"
    try:
        server = start_moto_server(log_dir)
    finally:
        if previous is None:
            os.environ.pop("MOTO_ECS_SERVICE_RUNNING", None)
        else:
            os.environ["MOTO_ECS_SERVICE_RUNNING"] = previous
    try:
        yield server.endpoint_url
    finally:
        stop_moto_server(server)


def prepare_sandbox(settings: Settings, endpoint_url: str) -> Sandbox:
    # B5 needs them all; B4 and B7 alone need one.
    environments = ENVIRONMENT_NAMES[:settings.plan_environments if settings.wants("B5") else 1]
    root = make_project(settings.work_dir, environments)
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("AWS_PROFILE", "TOOLKIT_TERRAFORM", "TF_CLI_CONFIG_FILE", "NO_COLOR")}
    environment.update(FAKE_CREDENTIALS, AWS_ENDPOINT_URL=endpoint_url, TOOLKIT_PROJECT_DIR=str(root))
    if not settings.sandbox_database:
        # The provider waits 30 s after creating a DB instance: the quick run leaves it out.
        environment["TF_VAR_create_db_instance"] = "false"
    sandbox = Sandbox(root, endpoint_url, environment, environments)
    subprocess.run([venv_executable("python"), "-m", "toolkit.engine.bootstrap", PLAN_ENVIRONMENT],
                   env=environment, cwd=root, check=True, capture_output=True)
    # Plan and apply the saved plan (the reviewed path; no --auto), the environments concurrently: they have
    # separate state keys and data dirs, as `plan --all` relies on.
    with ThreadPoolExecutor(max_workers=len(environments)) as pool:
        list(pool.map(lambda name: _plan_and_apply(root, environment, name), environments))
    for name in environments:
        # The warm-up plan: initialises, and proves the applied sandbox plans as "no changes" (exit 0).
        sandbox.toolkit("plan", name, "--quiet")
    return sandbox


def _plan_and_apply(root: Path, environment: dict[str, str], name: str) -> None:
    toolkit = venv_executable("toolkit")
    for command, ok_codes in ((["plan", name, "--quiet"], (0, 2)), (["apply", name, "--quiet"], (0,))):
        result = subprocess.run([toolkit, *command], env=environment, cwd=root, stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, check=False)
        if result.returncode not in ok_codes:
            raise RuntimeError(f"toolkit {' '.join(command)} failed ({result.returncode}):\n"
                               f"{(result.stdout + result.stderr)[-2000:]}")


def run(settings: Settings) -> list[Row]:
    if not (REPOSITORY / "examples" / "sandbox").is_dir():
        raise NotMeasured("examples/sandbox is missing")
    rows: list[Row] = []
    with emulator(settings.work_dir) as endpoint_url:
        sandbox = prepare_sandbox(settings, endpoint_url)
        for measure in (measure_plan, measure_plan_all, measure_rollback):
            if not settings.wants(ROW_IDS[measure]):
                continue
            try:
                rows.append(measure(sandbox, settings))
            except NotMeasured as reason:
                rows.append(_not_measured(measure, str(reason)))
            except Exception as error:  # one failing row must not hide the others
                import traceback

                traceback.print_exc()
                rows.append(_not_measured(measure, f"{type(error).__name__}: {str(error).strip()[:300]}"))
    return rows


def _not_measured(measure: Any, reason: str) -> Row:
    from bench.run import _not_measured as not_measured_row

    return not_measured_row(ROW_IDS[measure], reason.replace("\n", " "))


# ---------------------------------------------------------------------------------------------------
# B4


BASELINE_PLAN = r"""
set -euo pipefail
"$TERRAFORM" init -input=false -no-color "-backend-config=$BACKEND_CONFIG" -reconfigure >/dev/null
set +e
"$TERRAFORM" plan -input=false -no-color -detailed-exitcode -lock-timeout=0s "-var-file=$VAR_FILE" "-out=$PLAN_FILE" \
  >/dev/null
code=$?
set -e
[ "$code" -eq 0 ] || { echo "terraform plan exited $code (expected 0: no changes)" >&2; exit 1; }
"$TERRAFORM" show -json -no-color "$PLAN_FILE" >"$PLAN_JSON"
"""


def measure_plan(sandbox: Sandbox, settings: Settings) -> Row:
    run_spec = sandbox.helper("terraform-run", PLAN_ENVIRONMENT)
    plan_file = settings.work_dir / "baseline.tfplan"
    baseline_environment = dict(run_spec["environment"], TERRAFORM=run_spec["terraform"],
                                BACKEND_CONFIG=run_spec["backend_config"], VAR_FILE=run_spec["var_file"],
                                PLAN_FILE=str(plan_file), PLAN_JSON=str(settings.work_dir / "baseline-plan.json"))
    samples = interleaved({
        "toolkit": lambda: sandbox.toolkit("plan", PLAN_ENVIRONMENT, "--quiet"),
        "baseline": lambda: run_measured(["bash", "-c", BASELINE_PLAN], env=baseline_environment,
                                         cwd=Path(run_spec["working_dir"])),
    }, settings.plan_repetitions)
    return Row(id="B4", what=f"`toolkit plan {PLAN_ENVIRONMENT}` (sandbox root, warm, no changes)",
               baseline="`terraform init` + `plan -out` + `show -json`, same folder and variables", goal="≤ 1.15×",
               toolkit=samples["toolkit"], reference=samples["baseline"], ratio_limit=1.15,
               repetitions=settings.plan_repetitions,
               notes=["emulator: moto_server", f"terraform {run_spec['terraform_version']}",
                      f"CPU (user+sys, with terraform): toolkit {samples['toolkit'].median_cpu:.1f} s, "
                      f"baseline {samples['baseline'].median_cpu:.1f} s"])


# ---------------------------------------------------------------------------------------------------
# B5


def measure_plan_all(sandbox: Sandbox, settings: Settings) -> Row:
    sequential_seconds: list[float] = []

    def slowest_single() -> Measurement:
        runs = [sandbox.toolkit("plan", name, "--quiet") for name in sandbox.environments]
        sequential_seconds.append(sum(measurement.seconds for measurement in runs))
        return max(runs, key=lambda measurement: measurement.seconds)

    samples = interleaved({
        "toolkit": lambda: sandbox.toolkit("plan", "--all", "--quiet"),
        "baseline": slowest_single,
    }, settings.plan_repetitions)
    sequential = statistics.median(sequential_seconds)
    count = len(sandbox.environments)
    return Row(id="B5", what=f"`toolkit plan --all` over {count} environments (no changes)",
               baseline=f"slowest of the {count} single-environment `toolkit plan` runs", goal="≤ 1.3×",
               toolkit=samples["toolkit"], reference=samples["baseline"], ratio_limit=1.3,
               repetitions=settings.plan_repetitions,
               notes=[f"{os.cpu_count()} cores", f"the {count} one after another: {sequential:.1f} s "
                      f"(--all = {samples['toolkit'].median / sequential:.2f}× that)",
                      f"CPU (user+sys, with terraform): --all {samples['toolkit'].median_cpu:.1f} s, "
                      f"slowest single {samples['baseline'].median_cpu:.1f} s"])


# ---------------------------------------------------------------------------------------------------
# B7


def measure_rollback(sandbox: Sandbox, settings: Settings) -> Row:
    if not (REPOSITORY / "toolkit" / "rollback").is_dir():
        raise NotMeasured("toolkit/rollback is missing")
    scenario = sandbox.helper("rollback-scenario", sandbox.rollback_environment)
    scenario_file = settings.work_dir / "rollback-scenario.json"
    scenario_file.write_text(json.dumps(scenario), encoding="utf-8")
    python = venv_executable("python")
    toolkit_command = ["rollback", sandbox.rollback_environment, "--tier", "immediate", "--yes"]

    def deploy_bad_revision(_: str) -> None:
        sandbox.helper("deploy-bad", str(scenario_file))

    def baseline() -> Measurement:
        return run_measured([python, str(HELPERS), "baseline-rollback", str(scenario_file)], env=sandbox.environment,
                            cwd=sandbox.root, stdout=subprocess.DEVNULL)

    samples = interleaved({"toolkit": lambda: sandbox.toolkit(*toolkit_command), "baseline": baseline},
                          settings.rollback_repetitions, prepare=deploy_bad_revision)
    # API calls, counted in one extra untimed run of each side (a botocore hook would skew the timings).
    deploy_bad_revision("toolkit")
    toolkit_calls = sandbox.helper("count-calls", "toolkit", *toolkit_command)
    deploy_bad_revision("baseline")
    baseline_calls = sandbox.helper("count-calls", "baseline", str(scenario_file))
    state = sandbox.helper("service-state", str(scenario_file))
    if state["task_definition"] != scenario["good"]:
        raise RuntimeError(f"after the rollback the service runs {state['task_definition']}, not {scenario['good']}")
    row = Row(id="B7", what=f"`toolkit rollback {sandbox.rollback_environment} --tier immediate --yes`",
              baseline="boto3 script making the same calls on the service (checks, UpdateService, wait, suspend, "
                       "verify) and keeping the records: newest checkpoint read, run journaled at start and end",
              goal="≤ 1.3×", toolkit=samples["toolkit"], reference=samples["baseline"], ratio_limit=1.3,
              repetitions=settings.rollback_repetitions,
              notes=[f"API calls: toolkit {len(toolkit_calls)}, baseline {len(baseline_calls)}"])
    row.details = [
        f"- B7 API calls, toolkit ({len(toolkit_calls)}): {', '.join(_tally(toolkit_calls))}",
        f"- B7 API calls, baseline ({len(baseline_calls)}): {', '.join(_tally(baseline_calls))}",
    ]
    return row


def _tally(calls: list[str]) -> list[str]:
    counts: dict[str, int] = {}
    for call in calls:
        counts[call] = counts.get(call, 0) + 1
    return [f"{name} ×{count}" if count > 1 else name for name, count in counts.items()]


ROW_IDS = {measure_plan: "B4", measure_plan_all: "B5", measure_rollback: "B7"}
