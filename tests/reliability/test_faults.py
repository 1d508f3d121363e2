"""Faults against the emulator and PostgreSQL: 5xx and throttling during plan, apply and rollback (the fault
proxy in front of moto), terraform interrupted and killed in the middle of an apply, two applies of one saved
plan at once, two migration runners at once, and PostgreSQL restarted in the middle of a `toolkit db migrate`.

Already covered elsewhere and not repeated here: two applies with --lock-timeout 0s
(tests/engine/test_sandbox_flow.py::test_concurrent_apply_fails_naming_the_lock_holder_and_the_first_completes),
rollback steps under 5xx/throttling (tests/rollback/test_failures.py), and the migration runner's lock, killed
session and server restart at library level (tests/db/test_concurrency.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.reliability.conftest import (
    TOOLKIT,
    EmulatorProject,
    bootstrap_backend,
    make_emulator_project,
    run_cli,
    sandbox_environment,
)
from tests.support.fault_proxy import FaultProxy
from tests.support.moto_server import MotoServer
from tests.support.postgres import PostgresDatabase, PostgresServer
from tests.support.runs import kill_run_whole
from toolkit.cli.db import DSN_ON_COMMAND_LINE_WARNING

# One scenario on one shared emulator project: each test builds on the ones before it.
pytestmark = [pytest.mark.slow, pytest.mark.in_order]
PROJECT = "rel-fault"
ENV, INTERRUPTED = "sandbox", "interrupted"
# The killed apply runs last, on the environment the tests above applied.
KILLED = ENV
# The AWS provider retries 25 times by default; the test copy of the root retries twice so that a
# persistent fault ends in seconds. Transient bursts below stay within those two retries.
PROVIDER_RETRIES = 2
SIGNAL_DEADLINE_SECONDS = 180


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, emulator_variables: pytest.MonkeyPatch) -> EmulatorProject:
    created = make_emulator_project(tmp_path_factory.mktemp("faults"), PROJECT, {
        name: sandbox_environment(PROJECT, allow_auto_apply=True) for name in (ENV, INTERRUPTED)})
    versions = created.root / "examples" / "sandbox" / "versions.tf"
    text = versions.read_text(encoding="utf-8")
    versions.write_text(text.replace("  region = var.aws_region\n",
                                     f"  region      = var.aws_region\n  max_retries = {PROVIDER_RETRIES}\n"),
                        encoding="utf-8")
    emulator_variables.setenv("TOOLKIT_PROJECT_DIR", str(created.root))
    bootstrap_backend(created, ENV)
    return created


@pytest.fixture
def proxy(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    """Every AWS call of this test (terraform's provider and backend, boto3) goes through the fault proxy."""
    started = FaultProxy(moto_server.endpoint_url).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", started.url)
    try:
        yield started
    finally:
        started.stop()


def plan_folders(project: EmulatorProject, environment: str) -> list[str]:
    plans = project.data_dir(environment) / "plans"
    return sorted(entry.name for entry in plans.iterdir()) if plans.is_dir() else []


def latest_plan_id(project: EmulatorProject, environment: str) -> str | None:
    latest = project.data_dir(environment) / "plans" / "latest"
    return os.readlink(latest) if latest.is_symlink() else None


def injected_then_answered(proxy: FaultProxy, action: str) -> list[bool]:
    """For one API action: True per injected fault, False per forwarded answer, in order."""
    return [call.injected for call in proxy.calls if call.action == action]


# ---------------------------------------------------------------------------------------------
# 5xx and throttling during plan, apply and rollback
# ---------------------------------------------------------------------------------------------

def test_transient_faults_during_plan_are_retried(project: EmulatorProject, proxy: FaultProxy) -> None:
    proxy.inject("throttle", 2, match="DescribeAvailabilityZones")   # the provider (EC2 query API)
    proxy.inject("503", 1, match="PutItem")                          # the backend's lock table
    result = run_cli("plan", ENV, "--quiet")
    assert result.exit_code == 2, result.output
    assert result.stdout.startswith(f"{ENV}: changes: ")
    assert injected_then_answered(proxy, "DescribeAvailabilityZones")[:3] == [True, True, False]
    assert injected_then_answered(proxy, "PutItem")[:2] == [True, False]


def test_persistent_fault_during_plan_is_a_clear_error(project: EmulatorProject, moto_server: MotoServer,
                                                       proxy: FaultProxy) -> None:
    before = plan_folders(project, ENV)
    proxy.inject("503", 1000, match="PutItem")
    result = run_cli("plan", ENV, "--quiet")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith(f"Error: terraform plan failed for {ENV}") or \
        result.stderr.startswith(f"Error: terraform plan for {ENV}"), result.stderr
    assert "ServiceUnavailable" in result.stderr, "the error names what AWS answered"
    assert "locked by another run" not in result.stderr, (
        "a lock table answering 503 is not another run holding the lock:\n" + result.stderr)
    assert len([call for call in proxy.calls if call.action == "PutItem"]) > 1, "the lock write was retried"
    assert plan_folders(project, ENV) == before, "a failed plan leaves no plan folder and keeps `latest`"
    assert project.lock_entry(moto_server, ENV) is None


def test_transient_faults_during_apply_are_retried(project: EmulatorProject, moto_server: MotoServer,
                                                   proxy: FaultProxy) -> None:
    planned = run_cli("plan", ENV, "--quiet")
    assert planned.exit_code == 2, planned.output
    proxy.inject("throttle", 2, match="CreateCluster")   # ECS, JSON protocol
    proxy.inject("500", 1, match="CreateVpc")             # EC2, query protocol
    proxy.inject("503", 1, match="PutObject")             # the state write at the end (S3 SlowDown)
    applied = run_cli("apply", ENV)
    assert applied.exit_code == 0, applied.output
    assert injected_then_answered(proxy, "CreateCluster")[:3] == [True, True, False]
    assert injected_then_answered(proxy, "CreateVpc")[:2] == [True, False]
    assert injected_then_answered(proxy, "PutObject")[:2] == [True, False]
    state = project.state(moto_server, ENV)
    assert state is not None
    assert {"aws_ecs_cluster", "aws_vpc", "aws_ecs_service"} <= {item["type"] for item in state["resources"]}
    assert project.checkpoints(ENV)[-1]["apply"]["result"] == "success"
    assert project.lock_entry(moto_server, ENV) is None


def test_persistent_fault_during_apply_fails_clearly(project: EmulatorProject,
                                                                  moto_server: MotoServer,
                                                                  proxy: FaultProxy) -> None:
    project.set_max_tasks(ENV, 4)
    planned = run_cli("plan", ENV, "--quiet")
    assert planned.exit_code == 2, planned.output
    plans_before = plan_folders(project, ENV)
    proxy.inject("503", 1000, match="RegisterScalableTarget")
    failed = run_cli("apply", ENV)
    assert failed.exit_code == 1, failed.output
    assert "Traceback" not in failed.output
    assert f"Error: terraform apply failed for {ENV} (exit 1):" in failed.stderr
    assert "ServiceUnavailable" in failed.stderr and "aws_appautoscaling_target.app" in failed.stderr
    assert len(injected_then_answered(proxy, "RegisterScalableTarget")) == PROVIDER_RETRIES + 1
    checkpoint = project.checkpoints(ENV)[-1]
    assert checkpoint["apply"]["result"] == "failed"
    assert "terraform apply failed" in checkpoint["apply"]["summary"]
    assert project.lock_entry(moto_server, ENV) is None, "terraform released the lock after the failure"
    assert project.state(moto_server, ENV) is not None
    assert plan_folders(project, ENV) == plans_before

    proxy.reset()
    replanned = run_cli("plan", ENV, "--quiet")
    assert replanned.exit_code == 2, replanned.output
    assert "0 to add, 1 to change" in replanned.stdout, "the failed change is planned again, nothing else"


# ---------------------------------------------------------------------------------------------
# Two applies of one saved plan at once, each willing to wait for the lock
# ---------------------------------------------------------------------------------------------

def test_two_applies_of_one_plan_apply_it_once(project: EmulatorProject, moto_server: MotoServer) -> None:
    planned = run_cli("plan", ENV, "--quiet")
    assert planned.exit_code == 2, planned.output
    serial = project.state(moto_server, ENV)["serial"]
    checkpoints_before = len(project.checkpoints(ENV))
    runs = [project.start("apply", ENV, "--lock-timeout", "2m") for _ in range(2)]
    outputs = [run.communicate(timeout=SIGNAL_DEADLINE_SECONDS)[0] for run in runs]
    codes = sorted(run.returncode for run in runs)
    assert codes == [0, 1], "\n---\n".join(outputs)
    loser = outputs[[run.returncode for run in runs].index(1)]
    assert "Traceback" not in loser
    assert "stale" in loser.lower(), loser
    assert project.state(moto_server, ENV)["serial"] == serial + 1, "the plan was applied exactly once"
    results = [item["apply"]["result"] if item["apply"] else None
               for item in project.checkpoints(ENV)[checkpoints_before:]]
    assert results.count("success") == 1, results
    assert project.lock_entry(moto_server, ENV) is None


def test_transient_faults_during_rollback_are_retried(project: EmulatorProject, moto_server: MotoServer,
                                                      proxy: FaultProxy) -> None:
    checkpoint = [item for item in project.checkpoints(ENV) if item["apply"]["result"] == "success"][-1]
    assert checkpoint["state"]["s3_version_id"]
    wanted = moto_server.client("s3").get_object(Bucket=project.state_bucket(), Key=project.state_key(ENV),
                                                 VersionId=checkpoint["state"]["s3_version_id"])["Body"].read()
    state_write = f"PutObject /{project.state_bucket()}/{project.state_key(ENV)}"  # the restore's write
    proxy.inject("503", 2, match=state_write)
    proxy.inject("throttle", 1, match="GetItem")
    result = run_cli("rollback", ENV, "--step", "terraform-state", "--to", checkpoint["id"], "--yes")
    assert result.exit_code == 0, result.output
    assert [call.injected for call in proxy.calls
            if f"{call.action} {call.path.split('?')[0]}" == state_write][:3] == [True, True, False]
    current = moto_server.client("s3").get_object(Bucket=project.state_bucket(),
                                                  Key=project.state_key(ENV))["Body"].read()
    assert json.loads(current)["resources"] == json.loads(wanted)["resources"]
    assert project.lock_entry(moto_server, ENV) is None
    # Terraform accepts the restored state (its digest was updated with it); refreshing it finds the
    # infrastructure as the last apply left it, which is what the configuration says.
    proxy.reset()
    replanned = run_cli("plan", ENV, "--quiet")
    assert replanned.exit_code == 0, replanned.output


# ---------------------------------------------------------------------------------------------
# terraform interrupted (SIGINT) and killed (SIGKILL) in the middle of an apply
# ---------------------------------------------------------------------------------------------

class OutputWatcher:
    """Reads a process's output on a thread, so the test can wait for a line with a deadline."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, predicate: Callable[[str], bool], timeout: float) -> str:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = next((line for line in self.lines if predicate(line)), None)
                if found is not None:
                    return found
                if not self._thread.is_alive() or time.monotonic() > deadline:
                    raise AssertionError("line not seen; output so far:\n" + "".join(self.lines))
                self._changed.wait(timeout=1)

    def finish(self, timeout: float) -> str:
        self.process.wait(timeout=timeout)
        self._thread.join(timeout=10)
        return "".join(self.lines)


def apply_until_database_creation(project: EmulatorProject, moto: MotoServer, environment: str,
                                  monkeypatch: pytest.MonkeyPatch) -> tuple[subprocess.Popen[str], OutputWatcher]:
    """Plan the PostgreSQL instance on top of the applied platform (its creation waits 30 s in the
    provider), then start that apply and return once terraform prints `Creating...` for the instance."""
    if project.state(moto, environment) is None:
        base = run_cli("apply", environment, "--auto", "--quiet")
        assert base.exit_code == 0, base.output
    monkeypatch.setenv("TF_VAR_create_db_instance", "true")
    planned = run_cli("plan", environment, "--quiet")
    assert planned.exit_code == 2, planned.output
    assert planned.stdout.startswith(f"{environment}: changes: 1 to add, 0 to change"), planned.stdout
    process = project.start("apply", environment, PYTHONUNBUFFERED="1")
    watcher = OutputWatcher(process)
    watcher.wait_for(lambda line: "aws_db_instance.this[0]: Creating..." in line, SIGNAL_DEADLINE_SECONDS)
    return process, watcher


def rds_instance_exists(moto: MotoServer, identifier: str) -> bool:
    found = moto.client("rds").describe_db_instances()["DBInstances"]
    return any(item["DBInstanceIdentifier"] == identifier for item in found)


def state_types(state: dict) -> set[str]:
    return {item["type"] for item in state["resources"] if item["mode"] == "managed" and item["instances"]}


def restore_checkpoint(project: EmulatorProject, moto: MotoServer, environment: str, checkpoint: dict) -> None:
    """`toolkit rollback ENV --step terraform-state --yes` puts the checkpoint's state version back."""
    result = run_cli("rollback", environment, "--step", "terraform-state", "--to", checkpoint["id"], "--yes")
    assert result.exit_code == 0, result.output
    wanted = moto.client("s3").get_object(Bucket=project.state_bucket(), Key=project.state_key(environment),
                                          VersionId=checkpoint["state"]["s3_version_id"])["Body"].read()
    current = project.state(moto, environment)
    assert current is not None and current["resources"] == json.loads(wanted)["resources"]
    assert project.lock_entry(moto, environment) is None


def test_interrupted_apply_lets_terraform_stop_gracefully(project: EmulatorProject, moto_server: MotoServer,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    process, watcher = apply_until_database_creation(project, moto_server, INTERRUPTED, monkeypatch)
    os.killpg(process.pid, signal.SIGINT)   # what Ctrl-C in a terminal does: the whole foreground group
    output = watcher.finish(timeout=SIGNAL_DEADLINE_SECONDS)
    assert process.returncode == 130, output
    assert "Traceback" not in output
    # Said once, in words (a newcomer saw the run end on terraform's halted operations, with no word of it).
    assert output.count(f"Error: {INTERRUPTED}: the apply was interrupted; its checkpoint records it as cancelled") \
        == 1, output
    checkpoint = project.checkpoints(INTERRUPTED)[-1]
    assert checkpoint["apply"]["result"] == "cancelled"
    state = project.state(moto_server, INTERRUPTED)
    assert state is not None, "the state stays readable"
    identifier = f"{PROJECT}-{INTERRUPTED}"
    assert project.lock_entry(moto_server, INTERRUPTED) is None, (
        "terraform's graceful stop releases the state lock:\n" + output)
    if rds_instance_exists(moto_server, identifier):
        assert "aws_db_instance" in state_types(state), (
            "an instance created during the interrupted apply must be recorded in the state, not orphaned")
    restore_checkpoint(project, moto_server, INTERRUPTED, checkpoint)


def test_killed_apply_leaves_a_lock_that_unlock_explains_and_releases(
        project: EmulatorProject, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    process, watcher = apply_until_database_creation(project, moto_server, KILLED, monkeypatch)
    kill_run_whole(process, project.data_dir(KILLED) / "runs")  # terraform too: it runs in a session of its own
    watcher.finish(timeout=60)
    assert process.returncode == -signal.SIGKILL
    state = project.state(moto_server, KILLED)
    assert state is not None and "aws_ecs_service" in state_types(state), "the state stays readable"
    holder = project.lock_entry(moto_server, KILLED)
    assert holder is not None, "a killed terraform cannot release its lock"
    lock = json.loads(holder["Info"]["S"])

    blocked = run_cli("plan", KILLED, "--quiet")
    assert blocked.exit_code == 1, blocked.output
    assert (f"Error: terraform plan for {KILLED}: the state is locked by another run (the DynamoDB lock item "
            f"{lock['Path']}):") in blocked.stderr
    assert f"lock ID:   {lock['ID']}" in blocked.stderr and "operation: apply" in blocked.stderr
    assert f"`toolkit unlock {KILLED} {lock['ID']}`" in blocked.stderr

    unconfirmed = run_cli("unlock", KILLED)
    assert unconfirmed.exit_code == 1, unconfirmed.output
    assert "Traceback" not in unconfirmed.output
    assert f"lock ID:   {lock['ID']}" in unconfirmed.stderr
    assert f"re-run with `toolkit unlock {KILLED} {lock['ID']} --yes` once you are sure that run is dead" \
        in unconfirmed.stderr
    assert project.lock_entry(moto_server, KILLED) is not None, "nothing is released without confirmation"

    released = run_cli("unlock", KILLED, lock["ID"], "--yes")
    assert released.exit_code == 0, released.output
    assert f"{KILLED}: lock {lock['ID']} released" in released.stdout
    assert project.lock_entry(moto_server, KILLED) is None

    checkpoint = project.checkpoints(KILLED)[-1]
    assert checkpoint["state"]["serial"] == state["serial"]
    restore_checkpoint(project, moto_server, KILLED, checkpoint)
    monkeypatch.setenv("TF_VAR_create_db_instance", "false")
    again = run_cli("plan", KILLED, "--quiet")
    assert again.exit_code == 0, again.output


# ---------------------------------------------------------------------------------------------
# Migrations through the CLI: two runners at once, PostgreSQL restarted in the middle
# ---------------------------------------------------------------------------------------------

SLOW_SECONDS = 3
SLOW_MIGRATIONS = {
    "001_first.sql": "CREATE TABLE reliability_first (id int);",
    "002_slow.sql": f"CREATE TABLE reliability_half (id int);\nSELECT pg_sleep({SLOW_SECONDS});\n"
                    "CREATE TABLE reliability_second (id int);",
    "003_third.sql": "CREATE TABLE reliability_third (id int);",
}
ALL_APPLIED = [("001_first.sql", True), ("002_slow.sql", True), ("003_third.sql", True)]


@pytest.fixture
def migrations(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name, text in SLOW_MIGRATIONS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def set_sleep(folder: Path, seconds: int) -> None:
    (folder / "002_slow.sql").write_text(SLOW_MIGRATIONS["002_slow.sql"].replace(
        f"pg_sleep({SLOW_SECONDS})", f"pg_sleep({seconds})"), encoding="utf-8")


def outside_project() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key != "TOOLKIT_PROJECT_DIR"}


def start_migrate(folder: Path, database: PostgresDatabase, *extra: str) -> subprocess.Popen[str]:
    """`toolkit db migrate` outside any project (--dir and --dsn), as a separate process."""
    return subprocess.Popen([str(TOOLKIT), "db", "migrate", "dev", "--dir", str(folder), "--dsn", database.dsn,
                             *extra], cwd=folder.parent, env=outside_project(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_until(condition: Callable[[], object], what: str, timeout: float = 60) -> None:
    """Poll the database for the state a test waits for (the synchronisation point)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def sleeping(database: PostgresDatabase) -> bool:
    rows = database.query("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(%' "
                          "AND state = 'active' AND datname = current_database()")
    return bool(rows[0][0])


def history_rows(database: PostgresDatabase) -> list[tuple[str, bool]]:
    rows = database.query("SELECT script, success FROM public.toolkit_schema_history ORDER BY version")
    return [(script, success) for script, success in rows]


def table_exists(database: PostgresDatabase, name: str) -> bool:
    return bool(database.query("SELECT to_regclass(:name) IS NOT NULL", name=name)[0][0])


def test_two_migration_runners_at_once_one_refuses(postgres_database: PostgresDatabase, migrations: Path) -> None:
    """One runner applies; the other, told not to wait, exits clearly and applies nothing."""
    first = start_migrate(migrations, postgres_database)
    try:
        wait_until(lambda: sleeping(postgres_database), "the first runner to reach 002_slow.sql")
        second = subprocess.run([str(TOOLKIT), "db", "migrate", "dev", "--dir", str(migrations), "--dsn",
                                 postgres_database.dsn, "--lock-timeout", "0"], capture_output=True, text=True,
                                cwd=migrations.parent, timeout=60, env=outside_project())
    finally:
        first_output, first_errors = first.communicate(timeout=60)
    assert first.returncode == 0, first_output + first_errors
    assert second.returncode == 1, second.stdout + second.stderr
    assert "Traceback" not in second.stderr and second.stdout == ""
    assert second.stderr.startswith(f'{DSN_ON_COMMAND_LINE_WARNING}\nError: another migration run holds the lock on '
                                    '"public"."toolkit_schema_history": session pid '), second.stderr
    assert "Nothing was applied; retry when it finishes" in second.stderr
    assert history_rows(postgres_database) == ALL_APPLIED


def test_two_migration_runners_at_once_one_waits(postgres_database: PostgresDatabase, migrations: Path) -> None:
    """Two runners that both wait for the lock: every migration is applied exactly once."""
    runs = [start_migrate(migrations, postgres_database, "--lock-timeout", "60") for _ in range(2)]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert history_rows(postgres_database) == ALL_APPLIED
    applied = sorted(stdout.count("\napplied ") for stdout, _ in outputs)
    assert applied == [0, 3], outputs
    assert "Traceback" not in "".join(stderr for _, stderr in outputs)


def test_postgres_restarted_in_the_middle_of_migrate(postgres_server: PostgresServer,
                                                     postgres_database: PostgresDatabase, migrations: Path) -> None:
    set_sleep(migrations, 60)
    run = start_migrate(migrations, postgres_database)
    try:
        wait_until(lambda: sleeping(postgres_database), "the runner to reach 002_slow.sql")
        postgres_server.restart()
    finally:
        output, errors = run.communicate(timeout=120)
    assert run.returncode == 1, output + errors
    assert "Traceback" not in errors
    assert errors.startswith(f"{DSN_ON_COMMAND_LINE_WARNING}\nError: 002_slow.sql, line 2: the connection to the "
                             "server was lost"), errors
    assert "nothing of it was applied" in errors
    assert history_rows(postgres_database) == [("001_first.sql", True)]
    assert not table_exists(postgres_database, "reliability_half"), "002 is not half-applied"

    set_sleep(migrations, SLOW_SECONDS)   # back to the file as it was written: it never ran to the end
    again = subprocess.run([str(TOOLKIT), "db", "migrate", "dev", "--dir", str(migrations), "--dsn",
                            postgres_database.dsn], capture_output=True, text=True, cwd=migrations.parent,
                           timeout=60, env=outside_project())
    assert again.returncode == 0, again.stdout + again.stderr
    assert history_rows(postgres_database) == ALL_APPLIED
