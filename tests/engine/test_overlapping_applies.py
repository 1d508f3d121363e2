"""Two overlapping applies of one environment, with real terraform on the emulator (issue 21 item 1).

The winner (W, a separate process) checkpoints first and then waits; the loser (L, in this process) checkpoints
after it, lets W apply, and only then runs terraform, whose saved plan is now stale. So the loser's checkpoint
is the newer one and its apply wrote nothing: the case where rollback used to default to the loser's checkpoint
(restoring the state under W's apply without `--also-undo`) or demand the loser in `--also-undo`.

The two processes meet at two points (files, polled as conditions): "W has checkpointed" and "go on, W".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.engine.conftest import EngineProject, bootstrap_backend, make_project, sandbox_environment, toolkit
from tests.support.moto_server import MotoServer

pytestmark = pytest.mark.slow
PROJECT = "eng-overlap"
ENV = "sandbox"
MEETING_SECONDS = 300.0  # a safety net for the waits below: each waits on a condition, not a fixed time

# W: the real CLI, paused right after its checkpoint until the go file appears.
PAUSED_APPLY = """
import sys, time
from pathlib import Path
import toolkit.engine.apply as apply

real = apply.checkpoint_under_lock
here, go = Path(sys.argv[1]), Path(sys.argv[2])

def paused(*args, **kwargs):
    found = real(*args, **kwargs)
    here.write_text(found[0].id)
    deadline = time.monotonic() + 300
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # polling a condition (the go file), not a fixed wait
    return found

apply.checkpoint_under_lock = paused
from toolkit.cli import main
sys.argv = ["toolkit", "apply", "sandbox", "--format", "json"]
main()
"""


@pytest.fixture(scope="module")
def checkouts(tmp_path_factory: pytest.TempPathFactory,
              module_environment: pytest.MonkeyPatch) -> Iterator[tuple[EngineProject, EngineProject]]:
    base = tmp_path_factory.mktemp("overlap")
    module_environment.setenv("TF_VAR_create_db_instance", "false")  # no 30 s database wait: not what is tested
    winner = make_project(base / "w", PROJECT, {ENV: sandbox_environment(PROJECT)})
    loser = make_project(base / "l", PROJECT, {ENV: sandbox_environment(PROJECT)})
    bootstrap_backend(winner, ENV)
    yield winner, loser


def _in(patch: pytest.MonkeyPatch, checkout: EngineProject, actor: str) -> None:
    patch.setenv("TOOLKIT_PROJECT_DIR", str(checkout.root))
    patch.setenv("TOOLKIT_ACTOR", actor)


def _wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + MEETING_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.05)  # polling a condition, not a fixed wait


def _by_id(checkout: EngineProject) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in checkout.checkpoints(ENV)}


def test_the_stale_apply_is_never_the_target_nor_demanded(checkouts: tuple[EngineProject, EngineProject],
                                                          module_environment: pytest.MonkeyPatch,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          moto_server: MotoServer, tmp_path: Path) -> None:
    from toolkit.clock import sort_key
    from toolkit.config import load_environment
    from toolkit.engine import apply as apply_module
    from toolkit.engine import pre_apply as pre_apply_module
    from toolkit.project import Project
    from toolkit.state.lock import state_lock_for

    winner, loser = checkouts
    patch = module_environment
    _in(patch, winner, "first@ci")
    assert toolkit("plan", ENV, "--quiet").exit_code == 2
    first = toolkit("apply", ENV, "--format", "json")
    assert first.exit_code == 0, first.output
    # A second apply, whose checkpoint records a state: the baseline a responder could roll back to.
    values = winner.read_environment(ENV)
    values["compute"]["max_tasks"] = 5
    winner.write_environment(ENV, values)
    assert toolkit("plan", ENV, "--quiet").exit_code == 2
    second = toolkit("apply", ENV, "--format", "json")
    assert second.exit_code == 0, second.output
    baseline = json.loads(second.stdout)["checkpoint_id"]
    serial = winner.state(moto_server, ENV)["serial"]
    started_from = winner.state(moto_server, ENV)["resources"]

    # Both plan the same change against the same state.
    for checkout in (winner, loser):
        values = checkout.read_environment(ENV)
        values["compute"]["max_tasks"] = 4
        checkout.write_environment(ENV, values)
        _in(patch, checkout, "w@ci" if checkout is winner else "l@laptop")
        assert toolkit("plan", ENV, "--quiet").exit_code == 2

    checkpointed, go = tmp_path / "w-checkpointed", tmp_path / "w-go"
    process = subprocess.Popen([sys.executable, "-c", PAUSED_APPLY, str(checkpointed), str(go)], cwd=winner.root,
                               env={**os.environ, "TOOLKIT_PROJECT_DIR": str(winner.root), "TOOLKIT_ACTOR": "w@ci"},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(checkpointed.exists, "the winner's checkpoint")
        seen_locks: list[Any] = []
        real_capture, real_checkpoint = pre_apply_module.capture, apply_module.checkpoint_under_lock

        def capture(*args: Any, **kwargs: Any) -> Any:
            project = Project(loser.root)
            seen_locks.extend(state_lock_for(project, load_environment(project, ENV)).inspect())
            return real_capture(*args, **kwargs)

        def then_let_the_winner_apply(*args: Any, **kwargs: Any) -> Any:
            found = real_checkpoint(*args, **kwargs)
            go.write_text("go")
            process.wait(timeout=MEETING_SECONDS)
            return found

        monkeypatch.setattr(pre_apply_module, "capture", capture)
        monkeypatch.setattr(apply_module, "checkpoint_under_lock", then_let_the_winner_apply)
        _in(patch, loser, "l@laptop")
        lost = toolkit("apply", ENV, "--format", "json")
    finally:
        go.write_text("go")
        out, err = process.communicate(timeout=MEETING_SECONDS)
        monkeypatch.undo()
    assert process.returncode == 0, out + err
    won = json.loads(out)["checkpoint_id"]
    assert lost.exit_code == 1 and "Saved plan is stale" in lost.output, lost.output

    # The loser's checkpoint was taken under the state lock (its own), and is the newer one.
    assert [holder.info.operation for holder in seen_locks] == ["OperationTypeToolkitCheckpoint"], seen_locks
    records = _by_id(loser)
    loser_id = max(set(records) - {baseline, won}, key=sort_key)
    assert sort_key(loser_id) > sort_key(won)
    assert records[won]["apply"]["result"] == "success" and records[won]["apply"]["changed_state"] is True
    assert records[loser_id]["apply"]["result"] == "failed"
    assert records[loser_id]["apply"]["changed_state"] is False, records[loser_id]["apply"]
    assert records[loser_id]["state"]["serial"] == serial == records[loser_id]["apply"]["state_serial_before"]
    now = winner.state(moto_server, ENV)["serial"]
    assert now > serial

    # Default target: the winner's checkpoint (the newest whose apply changed the state); nothing else undone.
    dry = toolkit("rollback", ENV, "--step", "terraform-state", "--format", "json")
    assert dry.exit_code == 0, dry.output
    document = json.loads(dry.stdout)
    assert document["checkpoint"]["id"] == won and document["error"] is None
    (step,) = document["steps"]
    undoes = step["sections"][0]["lines"]
    assert undoes[0].startswith(f"undone: {won}") and not any("ALSO UNDONE" in line for line in undoes), undoes
    assert step["problem"] is None and step["changes"], step

    # To the baseline: the winner must be named, the loser (it wrote nothing) never.
    older = toolkit("rollback", ENV, "--step", "terraform-state", "--to", baseline)
    assert older.exit_code == 1, older.output
    assert f"--also-undo {won}" in older.output and f"--also-undo {loser_id}" not in older.output, older.output
    named = toolkit("rollback", ENV, "--step", "terraform-state", "--to", baseline, "--also-undo", loser_id)
    assert named.exit_code == 1 and f"--also-undo {loser_id}: not an apply after checkpoint" in named.output

    # To the loser's own checkpoint (the state before the winner): the winner's apply is listed and demanded.
    to_loser = toolkit("rollback", ENV, "--step", "terraform-state", "--to", loser_id)
    assert to_loser.exit_code == 1, to_loser.output
    assert f"ALSO UNDONE: {won}" in to_loser.output and "(wrote no state)" in to_loser.output, to_loser.output

    restored = toolkit("rollback", ENV, "--step", "terraform-state", "--yes")
    assert restored.exit_code == 0, restored.output
    # Back to the state the winner started from, as a new state version (a restore never sets the serial back).
    state = winner.state(moto_server, ENV)
    assert state["resources"] == started_from, "back to the state the winner started from"
    assert state["serial"] == now + 1, (state["serial"], now)


def _no_space(target: Any, *args: Any, **kwargs: Any) -> None:
    import errno

    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))


def test_a_plan_with_its_plans_folder_full_says_so(checkouts: tuple[EngineProject, EngineProject],
                                                   module_environment: pytest.MonkeyPatch,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """ENOSPC while saving plan.json (simulated at the write: no tmpfs here): an error, not a traceback, and
    `latest` still points at the plan before."""
    from toolkit.plans import saved as records

    winner, _ = checkouts
    _in(module_environment, winner, "w@ci")
    before = os.readlink(winner.latest_plan(ENV)) if winner.latest_plan(ENV).is_symlink() else None
    monkeypatch.setattr(records, "write_atomically", _no_space)
    result = toolkit("plan", ENV, "--quiet")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, OSError), result.output
    assert "cannot save the plan (" in result.output and "No space left on device): no plan was saved" in \
        result.output, result.output
    after = os.readlink(winner.latest_plan(ENV)) if winner.latest_plan(ENV).is_symlink() else None
    assert after == before
    folders = [entry.name for entry in (winner.data_dir(ENV) / "plans").iterdir() if entry.is_dir()
               and not entry.is_symlink()]
    assert all((winner.data_dir(ENV) / "plans" / name / "metadata.json").is_file() for name in folders), \
        "no half-written plan folder is left"


def test_a_full_checkpoints_folder_after_started_keeps_the_truth(checkouts: tuple[EngineProject, EngineProject],
                                                                 module_environment: pytest.MonkeyPatch,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Terraform's apply succeeds, then the checkpoints folder has no room for a new file: the apply exits 0, its
    outcome is still recorded (in the room its "started" record kept), and the next plan warns of nothing."""
    from toolkit.engine.terraform import Terraform
    from toolkit.records import store as record_store

    winner, _ = checkouts
    winner.write_environment("disk", sandbox_environment(
        PROJECT, backend={"type": "local", "endpoint_from_env": "AWS_ENDPOINT_URL"}))
    _in(module_environment, winner, "w@ci")
    planned = toolkit("plan", "disk", "--quiet")
    assert planned.exit_code == 2, planned.output
    real_apply = Terraform.apply

    def apply_then_fill_the_disk(self: Any, *args: Any, **kwargs: Any) -> Any:
        answer = real_apply(self, *args, **kwargs)
        monkeypatch.setattr(record_store, "write_bytes_atomically", _no_space)
        return answer

    monkeypatch.setattr(Terraform, "apply", apply_then_fill_the_disk)
    applied = toolkit("apply", "disk", "--format", "json")
    assert applied.exit_code == 0, applied.output
    assert "Traceback" not in applied.output
    monkeypatch.undo()
    (checkpoint,) = winner.checkpoints("disk")
    assert checkpoint["apply"]["result"] == "success", checkpoint["apply"]
    assert checkpoint["apply"]["changed_state"] is True and checkpoint["apply"]["state_serial_after"] is not None
    again = toolkit("plan", "disk")
    assert "interrupted" not in again.output, again.output
