"""A rollback run reads its checkpoints once (CheckpointStore.remember, B7), yet its safety checks see what happened
since it started, and a responder role that may list only the checkpoints and journal folders still works
(findings of a review of the fewer-round-trips change)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.rollback.conftest import ENVIRONMENT, LINEAGE, STATE_BUCKET, STATE_KEY, World, invoke, shared_store
from toolkit.clock import new_record_id
from toolkit.errors import ToolkitError
from toolkit.records.checkpoints import ApplyRecord, Checkpoint, StateVersion
from toolkit.records.places import SharedPlace
from toolkit.rollback.state import TerraformStateStep


def test_an_apply_made_after_the_run_started_is_named_not_silently_undone(world: World, cli,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A colleague applies while the run waits (an hour-long restore, the protected prompt): the state step's
    history check must list that apply and refuse without --also-undo, though the run listed its checkpoints
    before the apply existed."""
    original = TerraformStateStep.plan
    made: list[str] = []

    def colleague_applies_first(self: Any, run: Any) -> Any:
        store = shared_store(world.project)  # another process's store, not the run's
        later = Checkpoint(id=new_record_id(after=store.ids()), environment=ENVIRONMENT, created_at="x",
                           created_by="teammate@ci",
                           state=StateVersion(backend="s3", lineage=LINEAGE, serial=8, s3_bucket=STATE_BUCKET,
                                              s3_key=STATE_KEY),
                           apply=ApplyRecord(result="success", applied_by="teammate@ci", started_at="x",
                                             state_lineage=LINEAGE, state_serial_before=8))
        store.save(later)
        made.append(later.id)
        return original(self, run)

    monkeypatch.setattr(TerraformStateStep, "plan", colleague_applies_first)
    before = world.state_object()
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "terraform-state", "--yes")
    assert result.exit_code == 1, result.output
    [later] = made
    assert f"would also undo 1 apply/applies after checkpoint {world.checkpoint_id}" in result.output, result.output
    assert f"--also-undo {later}" in result.output, result.output
    assert world.state_object() == before  # nothing restored


def test_a_role_that_may_list_only_the_two_folders_still_rolls_back(world: World, cli,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(self: SharedPlace) -> dict[str, list[str]]:
        error = ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "ListObjectsV2")
        raise ToolkitError("s3:ListObjectsV2: AccessDenied") from error

    monkeypatch.setattr(SharedPlace, "folders", denied)
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--yes", "--poll-interval", "0.05")
    assert result.exit_code == 0, result.output
    assert world.service()["taskDefinition"] == world.good_arn
