"""Ids keep the order records were made in when clocks are days apart (review 21 finding 5), and a planted
far-future id neither stays the newest record nor drags every later id along.

Whatever is in the store when an id is made was made before it: a new id follows the store's newest however far
ahead that one is dated, up to toolkit.clock.SKEW_LIMIT; further ahead, no clock in service made it, and the store
names it instead of taking it for its newest.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from toolkit.clock import FUTURE_LIMIT, SKEW_LIMIT, clock_behind, format_id, id_time, new_id, sort_key
from toolkit.records.checkpoints import ApplyRecord, Checkpoint, CheckpointStore, StateVersion


def _applied(store: CheckpointStore, checkpoint_id: str, before: int, commit: str) -> Checkpoint:
    checkpoint = Checkpoint(id=checkpoint_id, environment="prod", created_at="t", created_by="ana", git_commit=commit,
                            state=StateVersion(backend="local", lineage="l", serial=before),
                            apply=ApplyRecord(result="success", applied_by="ana", started_at="t",
                                              state_serial_after=before + 1, state_lineage="l",
                                              state_serial_before=before, changed_state=True))
    store.save(checkpoint)
    return checkpoint


@pytest.fixture
def store(tmp_path: Path) -> CheckpointStore:
    return CheckpointStore(tmp_path / "checkpoints")


def test_a_checkpoint_from_a_clock_two_days_fast_is_followed_not_newest_for_ever(store: CheckpointStore) -> None:
    now = datetime.now(UTC)
    _applied(store, format_id(now - timedelta(hours=1)), 2, "before")
    skewed = _applied(store, format_id(now + timedelta(days=2)), 3, "runner")  # a CI runner two days fast
    # The next apply, on a machine whose clock is right: its checkpoint was made after the runner's.
    later = _applied(store, store.next_id(format_id(now)), 4, "later")
    assert sort_key(later.id) > sort_key(skewed.id)
    assert store.ids()[-1] == later.id
    assert store.newest_state_change().id == later.id  # type: ignore[union-attr]
    assert store.newest_successful().git_commit == "later"  # type: ignore[union-attr]
    # The runner's apply is what was live when `later` was taken.
    assert store.newest_successful(before=later.id).git_commit == "runner"  # type: ignore[union-attr]
    assert len(store.notes) == 1 and "this machine's clock is 2.0 days behind the newest record " + skewed.id \
        in store.notes[0], store.notes
    assert store.skipped == {}


def test_a_machine_two_days_slow_still_makes_ids_after_the_stores_newest() -> None:
    newest = format_id(datetime(2026, 12, 6, 23, 0, tzinfo=UTC))
    slow = datetime(2026, 12, 4, 23, 0, tzinfo=UTC)
    made = new_id(after=[newest], moment=slow)
    assert sort_key(made) > sort_key(newest)
    assert id_time(made) - id_time(newest) == timedelta(microseconds=1)
    warning = clock_behind(newest, slow)
    assert warning is not None and "2.0 days behind" in warning and "check the clocks" in warning
    # Within FUTURE_LIMIT a clock is only a little off: nothing to say.
    assert clock_behind(newest, datetime(2026, 12, 6, 12, 0, tzinfo=UTC)) is None
    assert FUTURE_LIMIT < timedelta(days=2) < SKEW_LIMIT


def test_a_record_dated_far_ahead_is_named_not_the_newest_and_still_read_by_id(store: CheckpointStore) -> None:
    now = datetime.now(UTC)
    genuine = _applied(store, format_id(now - timedelta(hours=1)), 3, "genuine")
    planted = _applied(store, format_id(now + timedelta(days=40)), 4, "planted")
    assert store.ids() == [genuine.id]
    assert store.newest_state_change().id == genuine.id  # type: ignore[union-attr]
    assert store.newest_successful().git_commit == "genuine"  # type: ignore[union-attr]
    why = store.skipped[store.where(planted.id)]
    assert why.startswith("dated 40 days ahead of this machine's clock") and "`--to ID` still uses it" in why
    assert any(line.startswith(f"skipped {store.where(planted.id)}: dated 40 days") for line in store.skipped_lines())
    assert store.load(planted.id).git_commit == "planted"  # `--to ID`
    # New ids follow the genuine records, not the planted one.
    made = store.next_id()
    assert sort_key(made) > sort_key(genuine.id) and id_time(made) - now < timedelta(minutes=5)
    assert store.notes == []


def test_the_interrupted_apply_check_is_not_stopped_by_a_far_future_success(store: CheckpointStore) -> None:
    import socket

    from toolkit.engine.pre_apply import interrupted_apply_warning

    now = datetime.now(UTC)
    started = Checkpoint(id=format_id(now - timedelta(hours=1)), environment="prod", created_at="t",
                         created_by="ana", apply=ApplyRecord(result="started", applied_by="ana", started_at="t",
                                                             host=socket.gethostname(), pid=None))
    store.save(started)
    _applied(store, format_id(now + timedelta(days=400)), 4, "planted")
    warning = interrupted_apply_warning(store, "prod")
    assert warning is not None and started.id in warning
