"""Bad input: exact error text, exit code 2 (usage) or 1, and nothing written or called."""

from __future__ import annotations

import pytest

from tests.rollback.conftest import ENVIRONMENT, REGION, STATE_BUCKET, direct, invoke, reset_moto, shared_store
from toolkit.project import Project
from toolkit.records.checkpoints import Checkpoint

STEPS = "ecs-task-definition, autoscaling, terraform-state, db-parameter-group, cache-disable, db-restore, " \
    "db-cutover, full"


CHECKPOINT_ID = "20261126T030000Z-0abc"


@pytest.fixture
def saved(project: Project, moto_endpoint: str) -> Project:
    """A project with one (empty) sandbox checkpoint beside its state: enough for argument errors."""
    reset_moto(moto_endpoint)
    s3 = direct("s3", moto_endpoint)
    s3.create_bucket(Bucket=STATE_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=STATE_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    store = shared_store(project)
    store.save(Checkpoint(id=CHECKPOINT_ID, environment=ENVIRONMENT, created_at="2026-11-26T03:00:00Z",
                          created_by="deployer@ci"))
    return project


def journal_exists(project: Project) -> bool:
    from toolkit.config import load_environment
    from toolkit.records.places import journal_for

    return bool(journal_for(project, load_environment(project, ENVIRONMENT)).run_ids())


@pytest.mark.parametrize(("arguments", "exit_code", "message"), [
    (["--tier", "immediate", "--step", "autoscaling"], 1, "--tier and --step cannot be used together: choose one"),
    ([], 1, "--yes needs --tier immediate|short|long or --step NAME: `toolkit rollback ENV` without them (and "
     "without --yes) says what the last apply changed and which to run"),
    (["--step", "everything"], 1, f"unknown step 'everything': choose one of {STEPS}"),
    (["--tier", "soon"], 1, "unknown tier 'soon': choose one of immediate, short, long"),
    (["--step", "ecs-task-definition", "--resume"], 1,
     "--resume goes with --step autoscaling (it turns scaling back on)"),
    (["--step", "autoscaling", "--resume-from", "autoscaling"], 1,
     "--resume-from goes with --tier (a single --step is simply run again)"),
    (["--tier", "immediate", "--resume-from", "db-restore"], 1,
     "--resume-from 'db-restore': not a step of tier immediate (ecs-task-definition, autoscaling)"),
    (["--step", "ecs-task-definition", "--revision", "latest"], 1,
     "--revision 'latest': give a revision number or 'previous'"),
    (["--step", "ecs-task-definition", "--also-undo", CHECKPOINT_ID], 1,
     "--also-undo goes with the steps that change the state (terraform-state, full) or the tiers that hold them "
     "(short, long)"),
    (["--tier", "immediate", "--also-undo", CHECKPOINT_ID], 1,
     "--also-undo goes with the steps that change the state (terraform-state, full) or the tiers that hold them "
     "(short, long)"),
    (["--tier", "immediate", "--journal"], 1, "--journal only shows the journal: leave out --tier, --step and --yes"),
])
def test_bad_arguments(saved: Project, cli, proxy, arguments: list[str], exit_code: int, message: str) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, *arguments, "--yes" if "--journal" not in arguments else "--run=x")
    assert result.exit_code == exit_code, result.output
    assert result.output == f"Error: {message}\n"
    assert proxy.calls == []
    assert not journal_exists(saved)


def test_unknown_checkpoint(saved: Project, cli, proxy) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--to", "20200101T000000Z-abcd", "--yes")
    assert result.exit_code == 1, result.output
    assert result.output == f"Error: unknown checkpoint '20200101T000000Z-abcd'; known: {CHECKPOINT_ID}\n"
    assert proxy.calls == []
    assert not journal_exists(saved)


def test_no_checkpoint_yet(project, cli, proxy) -> None:
    result = invoke(cli, "rollback", "dev", "--tier", "immediate", "--yes")
    assert result.exit_code == 1, result.output
    assert result.output == "Error: no checkpoint for dev yet: `toolkit apply dev` records one before each apply\n"
    assert proxy.calls == []
    assert not (project.root / ".toolkit").exists()


def test_unknown_run_to_resume(saved: Project, cli, proxy) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--resume-from", "20200101T000000Z-abcd", "--yes")
    assert result.exit_code == 1, result.output
    journal = f"s3://{STATE_BUCKET}/edu-platform/{ENVIRONMENT}/toolkit/journal/"
    assert result.output == f"Error: run '20200101T000000Z-abcd' not found in {journal}\n"
    assert proxy.calls == []


def test_empty_journal(project, cli) -> None:
    result = invoke(cli, "rollback", "dev", "--journal")
    assert result.exit_code == 0, result.output
    assert result.output == "(the journal is empty: no rollback has been executed)\n"


def test_a_region_typo_stops_the_rollback_before_any_call(saved: Project, cli, proxy) -> None:
    """The rollback reads the environment without the schema, but a region that does not exist still stops it."""
    sandbox = saved.root / "envs" / f"{ENVIRONMENT}.yaml"
    sandbox.write_text(sandbox.read_text() + "aws_region: sa-east-9\n")
    line = len(sandbox.read_text().splitlines())
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--yes")
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Error: envs/{ENVIRONMENT}.yaml:{line}: aws_region = "
                                    "'sa-east-9': unknown AWS region (did you mean 'sa-east-1'?); the aws partition "
                                    "has: af-south-1, "), result.output
    assert proxy.calls == []
