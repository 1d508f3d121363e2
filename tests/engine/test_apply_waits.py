"""`toolkit apply` waits for the ECS service it changed (the sandbox root's, in the emulator) and fails with exit
4 when the deployment did not happen, recording it in the checkpoint and printing the rollback step.

The emulator creates the service; what moto cannot report (a circuit-breaker rollback) is put in its answer
by wrapping the one DescribeServices call (the library's own tests cover each status with Stubber).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.engine.conftest import EngineProject, bootstrap_backend, make_project, sandbox_environment, toolkit
from tests.support.moto_server import MotoServer

pytestmark = pytest.mark.slow
PROJECT = "eng-wait"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory,
            module_environment: pytest.MonkeyPatch) -> Iterator[EngineProject]:
    created = make_project(tmp_path_factory.mktemp("engine"), PROJECT, {"trial": sandbox_environment(PROJECT)})
    module_environment.setenv("TOOLKIT_PROJECT_DIR", str(created.root))
    module_environment.setenv("TF_VAR_create_db_instance", "false")
    bootstrap_backend(created, "trial")
    yield created


def _apply_record(project: EngineProject) -> dict[str, Any]:
    return project.checkpoints("trial")[-1]["apply"]


def _change_the_task_definition(project: EngineProject, cpu: int) -> None:
    values = project.read_environment("trial")
    values["compute"]["cpu"], values["compute"]["memory_mib"] = cpu, cpu * 2
    project.write_environment("trial", values)
    planned = toolkit("plan", "trial", "--quiet")
    assert planned.exit_code == 2, planned.output


def test_apply_waits_then_fails_with_exit_4_when_ecs_rolled_back(project: EngineProject, moto_server: MotoServer,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    planned = toolkit("plan", "trial", "--quiet")
    assert planned.exit_code == 2, planned.output
    applied = toolkit("apply", "trial")
    assert applied.exit_code == 0, applied.output
    assert "waiting for ECS service eng-wait-trial-app to reach a steady state on" in applied.output
    assert "ECS service eng-wait-trial-app: steady on" in applied.output
    assert _apply_record(project)["deployment"] == "settled"

    # The next deployment: ECS's circuit breaker puts the old task definition back (what moto cannot do).
    import toolkit.deployments as deployments

    real = deployments._describe_service

    def rolled_back(ecs: Any, target: Any) -> Any:
        service = real(ecs, target)
        new = service["taskDefinition"]
        family, revision = new.rsplit(":", 1)
        old = f"{family}:{int(revision) - 1}"
        failed = {**service["deployments"][0], "status": "ACTIVE", "taskDefinition": new, "rolloutState": "FAILED",
                  "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start."}
        return {**service, "taskDefinition": old, "deployments": [
            {**service["deployments"][0], "taskDefinition": old, "rolloutState": "IN_PROGRESS"}, failed]}

    monkeypatch.setattr(deployments, "_describe_service", rolled_back)
    _change_the_task_definition(project, 512)
    failed = toolkit("apply", "trial")
    assert failed.exit_code == 4, failed.output
    checkpoint = project.checkpoints("trial")[-1]
    assert (f"Error: trial: terraform applied {project.metadata('trial')['plan_id']}, but the deployment did not "
            f"happen (checkpoint {checkpoint['id']}):\n  - ECS service eng-wait-trial-app: the service runs "
            "eng-wait-trial-app:1 again, not eng-wait-trial-app:2 (ECS deployment circuit breaker: tasks failed to "
            "start.)") in failed.output
    assert (f"next: ECS already put the old task definition back; the state names the new one. Fix the image or "
            f"configuration and apply again, or put the state back: toolkit rollback trial --step terraform-state "
            f"--to {checkpoint['id']}") in failed.output
    assert checkpoint["apply"]["result"] == "success", "terraform did apply: the state changed"
    assert checkpoint["apply"]["deployment"] == "failed: ecs:eng-wait-trial-app rolled-back"

    # --no-wait opts out (and says so in the checkpoint).
    _change_the_task_definition(project, 1024)
    unchecked = toolkit("apply", "trial", "--no-wait")
    assert unchecked.exit_code == 0, unchecked.output
    assert "not waiting for the ECS services and parameter groups it changed (--no-wait)" in unchecked.output
    assert _apply_record(project)["deployment"] == "not checked (--no-wait)"
