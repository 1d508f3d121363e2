"""The responder drill of issue 28 on the sandbox against the emulator, with the real terraform: apply A (the
stable image), apply B (a broken image tag), then a bare `toolkit rollback` says what B changed (both tags, the
database and cache untouched). The sandbox root's task definition has no skip_destroy, so B's replace deregistered
A's revision: triage recommends `--step full` (the immediate tier would fail on the INACTIVE revision, which the
issue's responder hit), and the command it prints ends on A's image with a "still to do" block (revert B's
commit, re-plan)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.engine.conftest import EngineProject, bootstrap_backend, make_project, sandbox_environment, toolkit
from tests.support.git_repo import commit_all, init_repository
from tests.support.moto_server import MotoServer

pytestmark = pytest.mark.slow
ENV = "sandbox"
PROJECT = "rb-image"
GOOD, BROKEN = "public.ecr.aws/nginx/nginx:stable", "public.ecr.aws/nginx/nginx:1.27-broken"


def environment(image: str) -> dict[str, Any]:
    return sandbox_environment(PROJECT, compute={"cpu": 256, "memory_mib": 512, "min_tasks": 1, "max_tasks": 3,
                                                 "container_image": image, "health_check_path": "/"},
                               allow_auto_apply=True)


@pytest.fixture
def image_project(tmp_path: Path, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[EngineProject]:
    for name, value in moto_server.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("TF_CLI_CONFIG_FILE", raising=False)
    monkeypatch.setenv("TOOLKIT_ACTOR", "responder@drill")
    project = make_project(tmp_path, PROJECT, {ENV: environment(GOOD)})
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(project.root))
    bootstrap_backend(project, ENV)
    yield project


def running_images(moto: MotoServer) -> list[str]:
    ecs = moto.client("ecs")
    name = f"{PROJECT}-{ENV}"
    service = ecs.describe_services(cluster=name, services=[f"{name}-app"])["services"][0]
    definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    return [item["image"] for item in definition["containerDefinitions"]]


def test_bare_rollback_after_a_bad_image_recommends_full_and_it_works(
        image_project: EngineProject, moto_server: MotoServer) -> None:
    root = image_project.root
    init_repository(root)
    assert toolkit("apply", ENV, "--auto", "--quiet").exit_code == 0
    assert running_images(moto_server) == [GOOD]
    image_project.write_environment(ENV, environment(BROKEN))
    commit_b = commit_all(root, "B: the broken image")
    applied = toolkit("apply", ENV, "--auto", "--quiet")
    assert applied.exit_code == 0, applied.output
    assert running_images(moto_server) == [BROKEN]
    before_b = image_project.checkpoints(ENV)[-1]

    triage = toolkit("rollback", ENV)
    assert triage.exit_code == 0, triage.output
    lines = triage.output.splitlines()
    assert any(line.startswith("    image ") and line.endswith(f": {GOOD} → {BROKEN}") for line in lines), lines
    assert "  database: not touched" in lines and "  cache: not touched" in lines
    assert "    old revision deregistered (no skip_destroy): aws_ecs_task_definition.app" in lines, triage.output
    assert any(line.startswith("  1. full: the apply deregistered") for line in lines), triage.output
    assert not any(". db-restore:" in line or "--tier immediate" in line for line in lines), triage.output
    command = f"  toolkit rollback {ENV} --step full --to {before_b['id']} --yes"
    assert command in lines, triage.output

    rolled = toolkit(*command.split()[1:], "--poll-interval", "0.05")
    assert rolled.exit_code == 0, rolled.output
    assert running_images(moto_server) == [GOOD]
    todo = rolled.output.splitlines()[rolled.output.splitlines().index("Still to do:"):]
    assert f"     git revert --no-edit {commit_b[:12]}" in todo
    assert todo[-1] == f"     toolkit plan {ENV}"
    # Run again, the same command changes nothing: the newest apply already applied that configuration.
    again = toolkit(*command.split()[1:], "--poll-interval", "0.05")
    assert again.exit_code == 0, again.output
    assert "no changes: the infrastructure already matches commit" in again.output
