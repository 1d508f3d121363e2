"""A runner killed mid-apply (kill -9 of the toolkit's process group and of terraform's, with the provider) leaves an
honest record: the checkpoint says the apply started and, its process gone, reads as interrupted; the next
plan says that resources may exist outside the state and prints the import blocks to bring them back.

The sandbox's PostgreSQL instance gives the window: the provider waits about 30 s after creating it.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.engine.conftest import (
    REPO,
    EngineProject,
    bootstrap_backend,
    make_project,
    sandbox_environment,
    toolkit,
)
from tests.support.moto_server import MotoServer
from tests.support.runs import kill_run_whole

pytestmark = pytest.mark.slow
PROJECT = "eng-kill"
ENV = "sandbox"
WAIT_SECONDS = 120


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory,
            module_environment: pytest.MonkeyPatch) -> Iterator[EngineProject]:
    created = make_project(tmp_path_factory.mktemp("engine"), PROJECT, {ENV: sandbox_environment(PROJECT)})
    module_environment.setenv("TOOLKIT_PROJECT_DIR", str(created.root))
    module_environment.delenv("TF_VAR_create_db_instance", raising=False)
    bootstrap_backend(created, ENV)
    yield created


def _started_apply(project: EngineProject) -> dict | None:
    for checkpoint in project.checkpoints(ENV):
        if (checkpoint.get("apply") or {}).get("result") == "started":
            return checkpoint
    return None


def test_kill_9_mid_apply_is_recorded_and_the_next_plan_prints_import_blocks(project: EngineProject,
                                                                             moto_server: MotoServer) -> None:
    planned = toolkit("plan", ENV, "--quiet")
    assert planned.exit_code == 2, planned.output
    runner = subprocess.Popen([str(REPO / ".venv" / "bin" / "toolkit"), "apply", ENV, "--quiet"], cwd=project.root,
                              env={**os.environ, "TOOLKIT_PROJECT_DIR": str(project.root)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    rds = moto_server.client("rds")
    deadline = time.monotonic() + WAIT_SECONDS
    try:
        # Kill once terraform has created the database (the provider then waits for it): mid-apply for sure.
        # Its own database (other modules of the session may have created theirs in the same emulator).
        while not [item for item in rds.describe_db_instances()["DBInstances"]
                   if item["DBInstanceIdentifier"] == f"{PROJECT}-{ENV}"]:
            assert runner.poll() is None, "the apply ended before it could be killed"
            assert time.monotonic() < deadline, "the database was never created"
            time.sleep(0.5)
        assert _started_apply(project) is not None, "the checkpoint says `started` before terraform runs"
    finally:
        kill_run_whole(runner, project.data_dir(ENV) / "runs")

    listed = toolkit("checkpoints", ENV)
    assert listed.exit_code == 0, listed.output
    assert "interrupted" in listed.output, listed.output
    record = _started_apply(project)["apply"]
    identifier = f"{PROJECT}-{ENV}"
    assert record["creating"]["aws_db_instance.this[0]"] == identifier, record["creating"]

    # The dead run's state lock is still held: release it as the responder would, then plan.
    unlocked = toolkit("unlock", ENV, "--yes")
    assert unlocked.exit_code == 0, unlocked.output
    replanned = toolkit("plan", ENV, "--quiet")
    assert replanned.exit_code == 2, replanned.output
    warning = replanned.stderr
    assert f"Warning: the last apply of {ENV} was interrupted (checkpoint " in warning, warning
    assert "terraform may have created resources that are not in the state" in warning
    assert f'import {{\n  to = aws_db_instance.this[0]\n  id = "{identifier}"\n}}' in warning
    # The hint is right: the database exists in AWS and not in the state.
    assert rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
    state = project.state(moto_server, ENV) or {"resources": []}
    assert not [resource for resource in state["resources"] if resource["type"] == "aws_db_instance"]
