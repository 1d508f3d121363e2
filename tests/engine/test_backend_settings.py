"""Backend files per engine and lock kind, the engine-version rule, the one lock abstraction against the
emulator (conditional writes racing, a live local run's lock, --force). No terraform run beyond `version`."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from tests.engine.conftest import REPO, make_project, sandbox_environment, toolkit
from tests.support.moto_server import MotoServer
from toolkit.errors import LockError

NEW_ENGINE = REPO / ".cache" / "engine" / "bin" / "terraform"  # Terraform 1.15.5, the project's engine
ENV = "sandbox"


def older_engine(folder: Path, version: str) -> Path:
    """An engine that answers only `version -json`, which is all the version rule and the renderer read: no
    Terraform older than 1.10 is installed any more (1.15.5 replaced 1.0.3)."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "terraform"
    script.write_text(f"#!/bin/sh\nif [ \"$1\" = version ]; then echo '{{\"terraform_version\": \"{version}\"}}'; "
                      f"exit 0; fi\necho \"terraform {version} stand-in: $*\" >&2\nexit 1\n", encoding="utf-8")
    script.chmod(0o755)
    return script


def environment(project: str, kind: str) -> dict:
    backend = {"type": "s3", "bucket": f"{project}-state", "lock": kind, "endpoint_from_env": "AWS_ENDPOINT_URL"}
    if kind != "s3":
        backend["dynamodb_table"] = f"{project}-locks"
    return sandbox_environment(project, backend=backend)


@pytest.fixture
def at(tmp_path: Path, moto_environment: MotoServer, monkeypatch: pytest.MonkeyPatch):
    """Make a project with the sandbox environment of this lock kind and point the CLI at it."""
    def make(kind: str, name: str = "bk-render"):
        project = make_project(tmp_path, name, {ENV: environment(name, kind)})
        monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(project.root))
        return project
    return make


def backend_hcl(project) -> str:
    return (project.root / "build" / ENV / "backend.hcl").read_text()


def test_lock_files_on_an_engine_older_than_1_10_is_an_error_naming_it(at, monkeypatch, tmp_path) -> None:
    engine = older_engine(tmp_path / "tf-1.9", "1.9.8")
    monkeypatch.setenv("TOOLKIT_TERRAFORM", str(engine))
    for kind in ("s3", "both"):
        project = at(kind, f"bk-old-{kind}")
        result = toolkit("plan", ENV)
        assert result.exit_code == 1, result.output
        assert result.stderr.endswith(
            f"\nError: envs/{ENV}.yaml: backend.lock is {kind}: S3 lock files (use_lockfile) need Terraform or "
            f"OpenTofu >= 1.10, and the engine is terraform 1.9.8 ({engine}). Use a newer engine "
            "(TOOLKIT_TERRAFORM=/path/to/terraform) or pin backend.lock: dynamodb\n"), result.stderr
        assert not (project.root / "build").exists(), "nothing is rendered for an engine that cannot take the lock"


def test_old_engine_gets_the_old_settings_and_only_there(at, moto_environment, monkeypatch, tmp_path) -> None:
    project = at("dynamodb")
    endpoint = moto_environment.endpoint_url
    monkeypatch.setenv("TOOLKIT_TERRAFORM", str(older_engine(tmp_path / "tf-1.5", "1.5.7")))
    assert toolkit("render", ENV).exit_code == 0
    old = backend_hcl(project)
    assert f'endpoint = "{endpoint}"' in old and f'dynamodb_endpoint = "{endpoint}"' in old
    assert "force_path_style = true" in old and "endpoints" not in old and "use_lockfile" not in old
    assert "skip_requesting_account_id" not in old, "Terraform 1.5 does not know it"
    # 1.6 is the first release with `endpoints`.
    monkeypatch.setenv("TOOLKIT_TERRAFORM", str(older_engine(tmp_path / "tf-1.6", "1.6.0")))
    assert toolkit("render", ENV).exit_code == 0
    assert "use_path_style = true" in backend_hcl(project) and "force_path_style" not in backend_hcl(project)
    monkeypatch.setenv("TOOLKIT_TERRAFORM", str(NEW_ENGINE))
    assert toolkit("render", ENV).exit_code == 0
    new = backend_hcl(project)
    assert f'endpoints = {{\n  s3       = "{endpoint}"\n  dynamodb = "{endpoint}"\n}}' in new
    assert "use_path_style = true" in new and "force_path_style" not in new and "\nendpoint =" not in new
    assert 'dynamodb_table = "bk-render-locks"' in new and "use_lockfile" not in new


def test_lock_kind_never_follows_the_engine(at, monkeypatch) -> None:
    """The same environment renders the same lock on every engine that can take it."""
    project = at("both")
    monkeypatch.setenv("TOOLKIT_TERRAFORM", str(NEW_ENGINE))
    assert toolkit("render", ENV).exit_code == 0
    text = backend_hcl(project)
    assert "use_lockfile = true" in text and 'dynamodb_table = "bk-render-locks"' in text
    shown = toolkit("envs", "show", ENV)
    assert "lock: both" in shown.output, shown.output
    # A new configuration without `lock` gets lock files; an existing one with only a table keeps the table.
    fresh = environment(project.name, "s3")
    del fresh["backend"]["lock"]
    legacy = environment(project.name, "dynamodb")
    del legacy["backend"]["lock"]
    project.write_environment("fresh", fresh)
    project.write_environment("legacy", legacy)
    assert "lock: s3" in toolkit("envs", "show", "fresh").output
    assert "lock: dynamodb" in toolkit("envs", "show", "legacy").output
    listed = {line.split()[0]: line for line in toolkit("envs", "list").output.splitlines()}
    assert "backend=s3 lock=dynamodb" in listed["legacy"] and "backend=s3 lock=both" in listed[ENV]


def lock_of(project_root: Path, kind: str):
    from toolkit.config import load_environment
    from toolkit.engine.bootstrap import ensure_state_backend
    from toolkit.project import Project
    from toolkit.state.lock import state_lock_for

    project = Project(project_root)
    ensure_state_backend(project, ENV)
    return state_lock_for(project, load_environment(project, ENV))


@pytest.mark.parametrize("kind", ["s3", "dynamodb", "both"])
def test_racing_takers_exactly_one_wins(at, kind: str) -> None:
    """Eight operators at once: the emulator's conditional writes let exactly one take the lock."""
    from toolkit.state.lock import LockInfo, StateLockHeld

    project = at(kind, f"bk-race-{kind}")
    lock = lock_of(project.root, kind)
    outcomes: list[str] = []
    start = threading.Barrier(8)

    def take(number: int) -> None:
        info = LockInfo.new("OperationTypeApply", f"operator{number}@host", "race")
        start.wait()
        try:
            lock.take(info)
            outcomes.append(info.id)
        except StateLockHeld as error:
            assert error.holder is not None
            outcomes.append("held")

    threads = [threading.Thread(target=take, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [outcome for outcome in outcomes if outcome != "held"]
    assert len(winners) == 1, outcomes
    (holder,) = lock.inspect()
    assert holder.info.id == winners[0]
    assert len(holder.where) == (2 if kind == "both" else 1)
    with pytest.raises(LockError, match="is not the current lock"):
        lock.release("someone-else")
    assert len(lock.release(winners[0])) == len(holder.where)
    assert lock.inspect() == []


def test_unlock_refuses_a_live_local_runs_lock_unless_forced(at) -> None:
    from toolkit.project import Project
    from toolkit.state.local_runs import runs_of
    from toolkit.state.lock import LockInfo

    project = at("s3", "bk-live")
    lock = lock_of(project.root, "s3")
    info = LockInfo.new("OperationTypeToolkitRollback", "responder@test", "a state operation in this process")
    with runs_of(Project(project.root), ENV).registered(os.getpid(), "toolkit rollback terraform-state", info.id), \
            lock.held(info):
        refused = toolkit("unlock", ENV, "--yes")
        assert refused.exit_code == 1, refused.output
        assert (f"A run on this machine that may hold it is still running: toolkit rollback terraform-state (pid "
                f"{os.getpid()}, since ") in refused.output
        assert [held.info.id for held in lock.inspect()] == [info.id]
        forced = toolkit("unlock", ENV, "--yes", "--force")
        assert forced.exit_code == 0, forced.output
        assert forced.output.startswith(f"{ENV}: lock {info.id} released (s3://bk-live-state/bk-live/{ENV}/"
                                        "terraform.tfstate.tflock)")
        assert lock.inspect() == []
        lock.take(info)  # held() releases it on the way out


def test_a_corrupt_lock_file_is_shown_and_can_be_released(at, moto_environment: MotoServer) -> None:
    """Someone wrote garbage at <key>.tflock (a hand-made "lock"): it still blocks, and unlock clears it."""
    project = at("s3", "bk-corrupt")
    lock = lock_of(project.root, "s3")
    moto_environment.client("s3").put_object(Bucket=lock.bucket, Key=lock.lock_file_key, Body=b"not json")
    (holder,) = lock.inspect()
    assert holder.info.id == "(unreadable)" and "not terraform lock info" in holder.info.info
    refused = toolkit("unlock", ENV)
    assert refused.exit_code == 1 and "Releasing needs confirmation" in refused.output, refused.output
    released = toolkit("unlock", ENV, "--yes")
    assert released.exit_code == 0, released.output
    assert lock.inspect() == []


def test_a_lock_description_cannot_write_to_the_terminal(at, moto_environment: MotoServer) -> None:
    project = at("s3", "bk-escape")
    lock = lock_of(project.root, "s3")
    body = json.dumps({"ID": "x1", "Operation": "OperationTypeApply", "Who": "mallory\x1b[2J\x1b]0;owned\x07@host",
                       "Created": "2026-11-30T00:00:00Z", "Info": "line\nbreak"})
    moto_environment.client("s3").put_object(Bucket=lock.bucket, Key=lock.lock_file_key, Body=body.encode())
    shown = toolkit("unlock", ENV)
    assert shown.exit_code == 1, shown.output
    assert "\x1b" not in shown.output and "\x07" not in shown.output
    assert "held by:   mallory\\x1b[2J\\x1b]0;owned\\x07@host" in shown.output
    assert "info:      line\\nbreak" in shown.output


KILLED_HOLDER = """
import os, sys, time
from pathlib import Path
from toolkit.config import load_environment
from toolkit.state.local_runs import runs_of
from toolkit.project import Project
from toolkit.state.lock import LockInfo, state_lock_for
project = Project(Path(sys.argv[1]))
lock = state_lock_for(project, load_environment(project, "sandbox"))
info = LockInfo.new("OperationTypeToolkitRollback", "responder@test", "a state operation killed with -9")
with runs_of(project, "sandbox").registered(os.getpid(), "toolkit rollback terraform-state", info.id):
    lock.take(info)
    print(info.id, flush=True)
    time.sleep(600)
"""


@pytest.mark.parametrize("kind", ["s3", "both"])
def test_a_toolkit_state_operation_killed_with_kill_9_leaves_a_lock_unlock_can_release(at, kind) -> None:
    import signal
    import subprocess
    import sys

    project = at(kind, f"bk-killed-{kind}")
    lock = lock_of(project.root, kind)
    holder = subprocess.Popen([sys.executable, "-c", KILLED_HOLDER, str(project.root)], stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "TOOLKIT_PROJECT_DIR": str(project.root)})
    try:
        lock_id = holder.stdout.readline().strip()
        live = toolkit("unlock", ENV, "--yes")
        assert live.exit_code == 1 and "still running: toolkit rollback terraform-state" in live.output, live.output
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    finally:
        holder.kill()
    assert [held.info.id for held in lock.inspect()] == [lock_id], "kill -9 leaves the lock behind"
    released = toolkit("unlock", ENV, lock_id, "--yes")
    assert released.exit_code == 0, released.output
    assert lock.inspect() == []
    assert list((project.data_dir(ENV) / "runs").glob("*.json")) == [], "the dead run's record is cleaned up"


LOCAL_HOLDER = """
import fcntl, json, sys
from pathlib import Path
state = Path(sys.argv[1])
with state.open("r+b") as handle:
    fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    state.with_name(".terraform.tfstate.lock.info").write_text(json.dumps(
        {"ID": "local-1", "Operation": "OperationTypeApply", "Who": "bob@desk", "Created": "2026-11-30T01:00:00Z"}))
    print("locked", flush=True)
    sys.stdin.readline()
"""


def test_a_local_state_lock_is_shown_and_never_released(tmp_path, monkeypatch) -> None:
    """Terraform's local lock is an fcntl lock: it ends with its process, so unlock shows it and says so."""
    import subprocess
    import sys

    project = make_project(tmp_path, "bk-local", {"dev": sandbox_environment("bk-local", backend={"type": "local"})})
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(project.root))
    state = project.root / ".toolkit" / "state" / "dev" / "terraform.tfstate"
    state.parent.mkdir(parents=True)
    state.write_text("{}")
    holder = subprocess.Popen([sys.executable, "-c", LOCAL_HOLDER, str(state)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = toolkit("unlock", "dev", "--yes")
        assert result.exit_code == 1, result.output
        assert "lock ID:   local-1" in result.output and "held by:   bob@desk" in result.output
        assert ("A local state's lock is terraform's file lock: it belongs to the running process and ends with "
                "it, so there is nothing to release") in result.output
    finally:
        holder.communicate("release\n", timeout=10)
    assert toolkit("unlock", "dev").output.strip() == "dev: the state is not locked; nothing to release"


def test_a_killed_but_unreaped_process_is_not_a_live_run() -> None:
    """kill -9 of a whole process group can leave terraform a zombie (no one reaps it in a container): it still
    answers signal 0, yet it holds nothing; `toolkit unlock` must not take it for a live run."""
    import signal
    import subprocess
    import time

    from toolkit.processes import process_alive

    child = subprocess.Popen(["sleep", "60"])
    try:
        assert process_alive(child.pid)
        os.kill(child.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z":
            assert time.monotonic() < deadline, "the child never became a zombie"
            time.sleep(0.05)  # polling /proc for the zombie state
        os.kill(child.pid, 0)  # the zombie still answers signal 0…
        assert not process_alive(child.pid)  # …but is not alive
    finally:
        child.kill()
        child.wait()
