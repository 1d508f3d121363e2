"""A state restore is a new state version (issue "Honest results" item 1): the old content at the current serial + 1,
so a serial names one state. Rollback's history and the stale-plan checks tell states apart by serial."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.rollback.conftest import LINEAGE, invoke, restored_state, state_document
from toolkit.engine.guards import check_state_unchanged
from toolkit.errors import GuardError
from toolkit.plans.saved import PlanMetadata, PlanSummary
from toolkit.project import Project
from toolkit.records.checkpoints import ApplyRecord, Checkpoint, CheckpointStore, StateVersion
from toolkit.rollback.history import history_since

FIRST, SECOND, THIRD = ("20261206T230000.000000Z-00000001", "20261206T231000.000000Z-00000002",
                        "20261206T233000.000000Z-00000003")


def _checkpoint(store: CheckpointStore, checkpoint_id: str, before: int, after: int,
                backup: bytes | None = None, state_path: Path | None = None) -> Checkpoint:
    state = StateVersion(backend="local", lineage=LINEAGE, serial=before)
    if backup is not None:
        kept = store.files_dir(checkpoint_id) / "terraform.tfstate"
        kept.write_bytes(backup)
        state = StateVersion(backend="local", lineage=LINEAGE, serial=before, local_backup=str(kept),
                             local_path=str(state_path))
    checkpoint = Checkpoint(id=checkpoint_id, environment="dev", created_at="t", created_by="t", state=state,
                            apply=ApplyRecord(result="success", applied_by="a", started_at="t",
                                              state_serial_after=after, state_lineage=LINEAGE,
                                              state_serial_before=before, changed_state=True))
    store.save(checkpoint)
    return checkpoint


def test_after_a_restore_already_undone_applies_are_not_demanded_and_a_hand_write_is_caught(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    _checkpoint(store, FIRST, 10, 11)
    _checkpoint(store, SECOND, 11, 12)
    # rollback --step terraform-state --to FIRST: the state holds FIRST's content at serial 13; an apply then.
    third = _checkpoint(store, THIRD, 13, 14)
    history = history_since(store, third, current_serial=15)  # terraform run by hand since: 14 -> 15
    assert history.names() == ["unrecorded"], history.lines()
    assert history_since(store, third, current_serial=14).names() == []


def _restored_project(project: Project, cli) -> tuple[CheckpointStore, Path]:
    """dev's local state at serial 9 after two applies (7 -> 8, 8 -> 9), restored through the CLI to the first."""
    state_path = project.state_dir("dev") / "terraform.tfstate"
    state_path.parent.mkdir(parents=True)
    state_path.write_bytes(state_document(9))
    store = CheckpointStore(project.environment_data_dir("dev") / "checkpoints")
    _checkpoint(store, FIRST, 7, 8, backup=state_document(7), state_path=state_path)
    _checkpoint(store, SECOND, 8, 9)
    result = invoke(cli, "rollback", "dev", "--step", "terraform-state", "--to", FIRST, "--also-undo", SECOND,
                    "--yes")
    assert result.exit_code == 0, result.output
    return store, state_path


def _terraform_writes(state_path: Path) -> int:
    """What terraform does when it writes the state (an apply, a command by hand): the serial + 1."""
    document = json.loads(state_path.read_bytes())
    document["serial"] += 1
    state_path.write_text(json.dumps(document))
    return int(document["serial"])


def test_an_apply_after_a_real_restore_undoes_only_itself_and_a_hand_write_is_named(project: Project, cli) -> None:
    store, state_path = _restored_project(project, cli)
    assert json.loads(state_path.read_bytes()) == restored_state(state_document(7), 10), "not at a new serial"
    serial = 10
    after = _terraform_writes(state_path)
    third = _checkpoint(store, THIRD, serial, after)
    # Before: the restore put serial 7 back, so this apply (7 -> 8) looked like it came before the two undone ones.
    assert history_since(store, third, current_serial=after).names() == []
    hand = _terraform_writes(state_path)
    assert history_since(store, third, current_serial=hand).names() == ["unrecorded"]


def test_a_plan_saved_before_a_restore_is_stale_after_restore_and_reapply(project: Project, cli) -> None:
    saved = PlanMetadata(environment="dev", plan_id="p", created_at="t", created_by="t", git_commit=None,
                         tfvars_sha256="x", source_sha256="x", plan_sha256="x", terraform_version="1.9.0",
                         terraform_flavor="terraform", state_lineage=LINEAGE, state_serial=8, has_changes=True,
                         destroy=False, summary=PlanSummary(1, 0, 0, 0))
    _store, state_path = _restored_project(project, cli)
    _terraform_writes(state_path)  # the first checkpoint's apply again: 7's content, one write on
    with pytest.raises(GuardError, match=r"serial 8 → 11"):
        check_state_unchanged("dev", saved, json.loads(state_path.read_bytes()))
