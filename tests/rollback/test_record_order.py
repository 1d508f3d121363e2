"""Records keep the order they were made in, and rollback decides from the state versions, not from id order.

Issue 21 item 1: ids had one-second resolution, so two checkpoints of one second sorted at random; the default
rollback target and "applies since" followed that order, so a stale apply that wrote nothing could become the
target (restoring the state under the winner's apply without `--also-undo`) or be demanded in `--also-undo`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from toolkit.clock import id_time, new_id, sort_ids, sort_key
from toolkit.records.checkpoints import ApplyRecord, Checkpoint, CheckpointStore, StateVersion
from toolkit.rollback.history import history_since, refusal

LINEAGE = "6f1c2a7e-0000-4000-8000-000000000001"


# ---- ids ------------------------------------------------------------------------------------------------------

def test_ids_made_in_one_second_sort_in_the_order_they_were_made() -> None:
    moment = datetime(2026, 12, 6, 23, 43, 46, tzinfo=UTC)
    made: list[str] = []
    for step in range(500):
        # The same microsecond again and again (a coarse clock), then a few ticks: never a tie, never out of order.
        made.append(new_id(after=made[-1:] or None, moment=moment + timedelta(microseconds=step // 100)))
    assert len(set(made)) == len(made)
    assert sort_ids(reversed(made)) == made


def test_a_clock_behind_the_store_still_makes_a_newer_id() -> None:
    newest = new_id(moment=datetime(2026, 12, 6, 23, 43, 46, 500000, tzinfo=UTC))
    behind = new_id(after=[newest], moment=datetime(2026, 12, 6, 23, 40, 0, tzinfo=UTC))  # another machine's clock
    assert sort_key(behind) > sort_key(newest)
    assert id_time(behind) - id_time(newest) == timedelta(microseconds=1)


def test_old_one_second_ids_are_read_and_sort_among_new_ones() -> None:
    old = ["20261206T234346Z-733e", "20261206T234346Z-6cbc", "20261206T234345Z-ffff"]
    new = [new_id(moment=datetime(2026, 12, 6, 23, 43, 46, 1, tzinfo=UTC)),
           new_id(moment=datetime(2026, 12, 6, 23, 43, 45, 999999, tzinfo=UTC))]
    ordered = sort_ids(old + new)
    assert ordered == ["20261206T234345Z-ffff", new[1], "20261206T234346Z-6cbc", "20261206T234346Z-733e", new[0]]
    # The older form, right after itself: a new id of that very second still sorts after it.
    assert sort_key(new_id(after=old, moment=datetime(2026, 12, 6, 23, 43, 46, tzinfo=UTC))) > \
        sort_key("20261206T234346Z-733e")


WRITER = """
import sys
from datetime import UTC, datetime

import toolkit.clock
from toolkit.records.checkpoints import Checkpoint, CheckpointStore

# The worst clock: every record of both processes is made in the same instant.
toolkit.clock.utc_now = lambda: datetime(2026, 12, 6, 23, 43, 46, tzinfo=UTC)
store = CheckpointStore(sys.argv[1])
for number in range(int(sys.argv[3])):
    checkpoint = Checkpoint(id=store.next_id(), environment="prod", created_at="t", created_by=sys.argv[2],
                            warnings=[str(number)])
    store.save(checkpoint)
"""


def test_many_checkpoints_in_one_second_from_two_processes(tmp_path: Path) -> None:
    """Each process's checkpoints sort in the order it made them, none is lost or shares an id."""
    count = 100
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), name, str(count)])
               for name in ("ana", "bob")]
    for writer in writers:
        assert writer.wait(timeout=120) == 0
    store = CheckpointStore(tmp_path)
    loaded = store.list()
    assert len(loaded) == 2 * count
    for name in ("ana", "bob"):
        own = [int(item.warnings[0]) for item in loaded if item.created_by == name]
        assert own == list(range(count)), f"{name}'s checkpoints out of order: {own[:20]}"
    assert {item.id[:15] for item in loaded} == {"20261206T234346"}


def test_plan_folders_and_rollback_runs_use_the_same_order(tmp_path: Path) -> None:
    from toolkit.plans.saved import new_plan_folder, prune_plans

    plans = tmp_path / "plans"
    made = [new_plan_folder(plans)[0] for _ in range(30)]
    assert sort_ids(made) == made and len(set(made)) == 30
    (plans / "20261206T234346Z-0000").mkdir()  # an old-form folder: the oldest here, pruned first
    prune_plans(plans)
    kept = sorted(entry.name for entry in plans.iterdir())
    assert "20261206T234346Z-0000" not in kept and made[0] not in kept and made[-1] in kept


# ---- rollback decisions from the state versions -------------------------------------------------------------------

def _checkpoint(store: CheckpointStore, checkpoint_id: str, serial: int, *, result: str, after: int | None,
                changed: bool | None = None, before: int | None = None, lineage: str = LINEAGE,
                new_fields: bool = True) -> Checkpoint:
    record = ApplyRecord(result=result, applied_by=f"by-{checkpoint_id[-4:]}", started_at="2026-12-06T23:43:46Z",
                         summary="Saved plan is stale" if changed is False else "", state_serial_after=after)
    if new_fields:
        record.state_lineage, record.state_serial_before, record.changed_state = lineage, \
            serial if before is None else before, changed
    checkpoint = Checkpoint(id=checkpoint_id, environment="sandbox", created_at="2026-12-06T23:43:46Z",
                            created_by="t", state=StateVersion(backend="s3", lineage=lineage, serial=serial),
                            apply=record)
    store.save(checkpoint)
    return checkpoint


@pytest.fixture
def store(tmp_path: Path) -> CheckpointStore:
    return CheckpointStore(tmp_path / "checkpoints")


# The case: two overlapping applies of serial 3, both checkpointed in one second. The winner wrote 3 → 4;
# the loser's plan went stale and it wrote nothing, and its checkpoint id sorts after the winner's.
WINNER, LOSER = "20261206T234346Z-6cbc", "20261206T234346Z-733e"


def test_the_default_target_is_the_newest_apply_that_changed_the_state(store: CheckpointStore) -> None:
    _checkpoint(store, "20261206T230000Z-0001", 2, result="success", after=3, changed=True)
    _checkpoint(store, WINNER, 3, result="success", after=4, changed=True)
    _checkpoint(store, LOSER, 3, result="failed", after=4, changed=False)
    target = store.newest_state_change()
    assert target is not None and target.id == WINNER


def test_restoring_the_winners_checkpoint_never_demands_the_stale_apply(store: CheckpointStore) -> None:
    winner = _checkpoint(store, WINNER, 3, result="success", after=4, changed=True)
    _checkpoint(store, LOSER, 3, result="failed", after=4, changed=False)
    history = history_since(store, winner, current_serial=4)
    assert history.names() == [], history.lines()
    assert refusal(history, [], "sandbox", WINNER, "terraform-state") is None


def test_restoring_the_stale_apply_checkpoint_names_the_winner_it_would_undo(store: CheckpointStore) -> None:
    # Ids in the other order: the loser's checkpoint is older, and today's id order listed nothing after it.
    _checkpoint(store, "20261206T234347Z-0002", 3, result="success", after=4, changed=True)
    loser = _checkpoint(store, "20261206T234346Z-0001", 3, result="failed", after=4, changed=False)
    history = history_since(store, loser, current_serial=4)
    assert history.names() == ["20261206T234347Z-0002"], history.lines()
    assert history.lines()[0].startswith("undone: 20261206T234346Z-0001") and "(wrote no state)" in \
        history.lines()[0]
    assert "--also-undo 20261206T234347Z-0002" in (refusal(history, [], "sandbox", loser.id, "terraform-state")
                                                   or "")
    assert history.unrecorded is None


def test_applies_since_follow_the_serials_not_the_ids(store: CheckpointStore) -> None:
    # A machine with a slow clock wrote serial 5 → 6 under an id older than the apply of 4 → 5.
    first = _checkpoint(store, "20261206T230000Z-0001", 4, result="success", after=5, changed=True)
    _checkpoint(store, "20261206T220000Z-0002", 5, result="success", after=6, changed=True)
    _checkpoint(store, "20261206T210000Z-0003", 3, result="success", after=4, changed=True)  # before the target
    history = history_since(store, first, current_serial=6)
    assert history.names() == ["20261206T220000Z-0002"], history.lines()
    assert history.unrecorded is None


def test_a_failed_apply_that_wrote_part_of_the_state_is_undone_too(store: CheckpointStore) -> None:
    target = _checkpoint(store, "20261206T230000Z-0001", 4, result="success", after=5, changed=True)
    _checkpoint(store, "20261206T230100Z-0002", 5, result="failed", after=6, changed=True)
    _checkpoint(store, "20261206T230200Z-0003", 6, result="failed", after=6, changed=False)
    history = history_since(store, target, current_serial=6)
    assert history.names() == ["20261206T230100Z-0002"], history.lines()


def test_an_interrupted_apply_may_have_written_and_is_named(store: CheckpointStore) -> None:
    target = _checkpoint(store, "20261206T230000Z-0001", 4, result="success", after=5, changed=True)
    _checkpoint(store, "20261206T230100Z-0002", 5, result="cancelled", after=None, changed=None)
    history = history_since(store, target, current_serial=7)
    assert history.names() == ["20261206T230100Z-0002"], history.lines()
    assert history.unrecorded is None, "an apply with no end serial: nothing to compare"


def test_an_unrecorded_writer_after_the_last_apply_is_still_caught(store: CheckpointStore) -> None:
    target = _checkpoint(store, WINNER, 3, result="success", after=4, changed=True)
    _checkpoint(store, LOSER, 3, result="failed", after=4, changed=False)
    history = history_since(store, target, current_serial=5)
    assert history.names() == ["unrecorded"], history.lines()
    assert "it was 4 after the apply of checkpoint " + WINNER in (history.unrecorded or "")


def test_older_records_without_state_versions_still_decide(store: CheckpointStore) -> None:
    """Records written before the apply kept its start serial and outcome: a failed apply whose serial did not
    move wrote nothing; the rest fall back to the order of the ids."""
    target = _checkpoint(store, "20261206T230000Z-0001", 4, result="success", after=5, new_fields=False)
    _checkpoint(store, "20261206T230100Z-0002", 5, result="failed", after=5, new_fields=False)
    _checkpoint(store, "20261206T230200Z-0003", 5, result="success", after=6, new_fields=False)
    history = history_since(store, target, current_serial=6)
    assert history.names() == ["20261206T230200Z-0003"], history.lines()
    assert store.newest_state_change().id == "20261206T230200Z-0003"  # type: ignore[union-attr]


def test_records_written_by_the_apply_say_what_it_started_from(store: CheckpointStore) -> None:
    checkpoint = _checkpoint(store, WINNER, 3, result="success", after=4, changed=True)
    body = json.loads((store.directory / f"{checkpoint.id}.json").read_text())
    assert body["apply"]["state_serial_before"] == 3 and body["apply"]["changed_state"] is True
    assert store.load(checkpoint.id).started_from() == (LINEAGE, 3)


# ---- attacks on the ids ---------------------------------------------------------------------------------------

def test_an_id_shaped_name_that_is_no_date_is_ignored_not_a_crash(store: CheckpointStore) -> None:
    """`20261399T999999Z-0000.json` matches the shape; parsing it for the order must not stop every listing."""
    _checkpoint(store, WINNER, 3, result="success", after=4, changed=True)
    for name in ("20261399T999999Z-0000", "20261206T256000.000000Z-0000aaaa"):
        (store.directory / f"{name}.json").write_text("{}")
    assert store.ids() == [WINNER]
    assert sort_key(store.next_id()) > sort_key(WINNER)


def test_an_id_from_the_far_future_is_not_followed(store: CheckpointStore) -> None:
    """A record named 9999-12-31 (by hand, or a broken clock) must not push every later id past the end of time
    (an OverflowError in every apply)."""
    (store.directory).mkdir(parents=True, exist_ok=True)
    _checkpoint(store, "99991231T235959.999999Z-ffffffff", 3, result="success", after=4, changed=True)
    made = store.next_id()
    assert id_time(made).year == datetime.now(UTC).year
