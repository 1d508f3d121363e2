"""The long-tier drill on the sandbox against the emulator, end to end with the real terraform:
apply A, apply B (a new task definition and a bucket's lifecycle), then `rollback --tier long --yes`
returns the resources to A's values (read back with boto3) while the responder's checkout, with its
uncommitted, staged and untracked edits, stays exactly as it was.

The project is a throw-away git repository (tests/support/git_repo.py), never the real one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.engine.conftest import EngineProject, bootstrap_backend, make_project, sandbox_environment, toolkit
from tests.support.git_repo import commit_all, git, init_repository
from tests.support.moto_server import MotoServer

pytestmark = pytest.mark.slow
ENV = "sandbox"
PROJECT = "rb-drill"
FAST = ("--poll-interval", "0.05")


def environment(cpu: int, memory: int, expiration_days: int) -> dict[str, Any]:
    return sandbox_environment(PROJECT, compute={"cpu": cpu, "memory_mib": memory, "min_tasks": 1, "max_tasks": 3},
                               storage={"buckets": {"exports": {"lifecycle": [
                                   {"id": "expire", "expiration_days": expiration_days}]}}},
                               allow_auto_apply=True)


@pytest.fixture
def drill_project(tmp_path: Path, moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[EngineProject]:
    for name, value in moto_server.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("TF_CLI_CONFIG_FILE", raising=False)
    # TOOLKIT_TERRAFORM is kept when set: the drill runs on whichever engine the run selects.
    monkeypatch.setenv("TOOLKIT_ACTOR", "responder@drill")
    project = make_project(tmp_path, PROJECT, {ENV: environment(256, 512, 30)})
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(project.root))
    bootstrap_backend(project, ENV)
    yield project


def live_values(moto: MotoServer) -> dict[str, Any]:
    """What the emulator runs: the service's task definition (cpu, memory) and the bucket's expiration."""
    ecs, s3 = moto.client("ecs"), moto.client("s3")
    name = f"{PROJECT}-{ENV}"
    service = ecs.describe_services(cluster=name, services=[f"{name}-app"])["services"][0]
    definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    rules = s3.get_bucket_lifecycle_configuration(Bucket=f"{name}-exports")["Rules"]
    return {"cpu": definition["cpu"], "memory": definition["memory"], "expiration_days": rules[0]["Expiration"]["Days"]}


def checkout_state(root: Path) -> dict[str, Any]:
    files = {path: hashlib.sha256((root / path).read_bytes()).hexdigest()
             for path in ("envs/sandbox.yaml", "envs/defaults.yaml", "notes.txt", "staged.txt",
                          "examples/sandbox/main.tf")}
    return {"status": git(root, "status", "--porcelain=v1", "--untracked-files=all"), "head": git(root, "rev-parse",
            "HEAD"), "branch": git(root, "symbolic-ref", "HEAD"), "index": git(root, "ls-files", "--stage"),
            "files": files}


def test_long_tier_returns_the_sandbox_to_the_previous_apply(drill_project: EngineProject,
                                                             moto_server: MotoServer) -> None:
    root = drill_project.root
    commit_a = init_repository(root)
    applied_a = toolkit("apply", ENV, "--auto", "--quiet")
    assert applied_a.exit_code == 0, applied_a.output
    values_a = live_values(moto_server)
    assert values_a == {"cpu": "256", "memory": "512", "expiration_days": 30}
    # The nightly backup between the two applies: the checkpoint before B records it, db-restore restores it.
    rds = moto_server.client("rds")
    rds.create_db_snapshot(DBInstanceIdentifier=f"{PROJECT}-{ENV}", DBSnapshotIdentifier="nightly")

    drill_project.write_environment(ENV, environment(512, 1024, 60))
    commit_b = commit_all(root, "B: bigger tasks, longer retention")
    applied_b = toolkit("apply", ENV, "--auto", "--quiet")
    assert applied_b.exit_code == 0, applied_b.output
    assert live_values(moto_server) == {"cpu": "512", "memory": "1024", "expiration_days": 60}
    before_b = drill_project.checkpoints(ENV)[-1]
    assert before_b["git_commit"] == commit_b
    assert before_b["live"]["git_commit"] == commit_a
    # What B's plan changed is recorded with its apply: the task definition, the bucket's lifecycle, no database.
    changed = {item["type"]: item["action"] for item in before_b["apply"]["changes"]["resources"]}
    assert changed.get("aws_ecs_task_definition") == "replace", changed
    assert changed.get("aws_s3_bucket") == "update", changed
    assert not any(kind.startswith(("aws_db_", "aws_rds_")) for kind in changed), changed

    # The responder's checkout mid-incident: an uncommitted edit, a staged file, an untracked file.
    (root / "envs" / "sandbox.yaml").write_text((root / "envs" / "sandbox.yaml").read_text() + "# wip\n")
    (root / "staged.txt").write_text("staged, not committed\n")
    git(root, "add", "staged.txt")
    (root / "notes.txt").write_text("incident notes\n")
    checkout = checkout_state(root)

    dry = toolkit("rollback", ENV, "--tier", "long", *FAST)
    assert dry.exit_code == 0, dry.output
    assert live_values(moto_server)["cpu"] == "512"
    assert f"with the tfvars checkpoint {drill_project.checkpoints(ENV)[0]['id']} kept" in dry.output
    # B touched no database: the tier leaves the hour-long restore out, says so and names the flag that forces it.
    assert (f"  → skipped: the apply undone (checkpoint {before_b['id']}) deleted or replaced no database instance "
            "or cluster") in dry.output
    assert "add --include db-restore to run it anyway" in dry.output
    # The full step's dry run shows its plan (the review of commit A against the live state): B's changes undone.
    assert "    the plan of that configuration (what --yes applies; it plans again first):" in dry.output
    assert any(line.startswith("      - ") and "aws_ecs_task_definition.app" in line
               for line in dry.output.splitlines()), dry.output

    # Forced here, so the drill still restores the nightly snapshot.
    rolled = toolkit("rollback", ENV, "--tier", "long", "--include", "db-restore", "--yes", *FAST)
    assert rolled.exit_code == 0, rolled.output
    assert live_values(moto_server) == values_a
    assert checkout_state(root) == checkout
    lines = rolled.output.splitlines()
    assert any(line.startswith("[1/2] db-restore:") for line in lines), rolled.output
    assert any(line.startswith("[2/2] full:") for line in lines), rolled.output
    # The review is shown before the apply guards, then a new checkpoint is taken first.
    assert any(line.startswith("    | ") and "aws_ecs_task_definition.app" in line for line in lines), rolled.output
    restored = [item["DBInstanceIdentifier"] for item in rds.describe_db_instances()["DBInstances"]]
    assert any(name.startswith(f"{PROJECT}-{ENV}-rb-") for name in restored), restored
    rollback_checkpoint = drill_project.checkpoints(ENV)[-1]
    assert (rollback_checkpoint["git_commit"], rollback_checkpoint["apply"]["result"]) == (commit_a, "success")
    assert rollback_checkpoint["live"]["git_commit"] == commit_b
    # The rollback's own checkpoint (taken on B's broken state) is marked, and never the default target.
    assert rollback_checkpoint["rollback_of"] == drill_project.checkpoints(ENV)[0]["id"]
    triage = toolkit("rollback", ENV)
    assert triage.exit_code == 0, triage.output
    assert f"What a rollback to checkpoint {before_b['id']} undoes:" in triage.output
    assert f"the newest checkpoint {rollback_checkpoint['id']} was taken by a rollback" in triage.output
    assert "Still to do:" in rolled.output and f"git revert --no-edit {commit_b[:12]}" in rolled.output
    # `toolkit apply ENV` never picks up the rollback's plan: it lives in its own folder.
    assert (drill_project.data_dir(ENV) / "rollback" / "plans" / "latest" / "plan.tfplan").is_file()

    again = toolkit("rollback", ENV, "--step", "full", "--to", before_b["id"], "--yes")
    assert again.exit_code == 0, again.output
    assert f"no changes: the infrastructure already matches commit {commit_a[:12]}" in again.output
    assert checkout_state(root) == checkout
