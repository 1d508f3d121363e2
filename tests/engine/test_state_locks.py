"""State locks with real terraform 1.15 runs against the emulator, for each lock kind an environment can pin:
`s3` (the <key>.tflock lock file), `dynamodb` (the lock table) and `both` (the migration step).

In order, per kind: a first plan (modern backend settings; no deprecation warning on `s3`) → two applies →
a held apply and, while it holds the lock, a second run (contention naming the holder), `toolkit unlock`
(refused: a live local run holds it) and rollback's terraform-state step (refused, naming the holder) → the
rollback once the apply is done (terraform accepts the restored state) → a run killed with kill -9 that leaves
its lock behind, released with `toolkit unlock` after confirmation.

The root is the sandbox's variables with one `terraform_data` whose local-exec sleeps $TF_VAR_hold_seconds
during apply, so a run holds the lock for as long as a test needs without any provider.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.engine.conftest import REPO, EngineProject, bootstrap_backend, make_project, sandbox_environment, toolkit
from tests.support.moto_server import MotoServer

# One scenario on one shared emulator project: each test builds on the ones before it.
pytestmark = [pytest.mark.slow, pytest.mark.in_order]
ENV = "sandbox"
ENGINE = REPO / ".cache" / "engine" / "bin" / "terraform"
WAIT_SECONDS = 90
HOLD_ROOT = """# Holds the state lock during apply for $TF_VAR_hold_seconds (tests/engine/test_state_locks.py).
variable "hold_seconds" {
  description = "How long the apply sleeps while it holds the state lock."
  type        = number
  default     = 0
}

resource "terraform_data" "hold" {
  triggers_replace = timestamp()

  provisioner "local-exec" {
    command = "sleep ${var.hold_seconds}"
  }
}
"""


def locked_environment(project: str, kind: str) -> dict[str, Any]:
    backend: dict[str, Any] = {"type": "s3", "bucket": f"{project}-state", "lock": kind,
                               "endpoint_from_env": "AWS_ENDPOINT_URL"}
    if kind != "s3":
        backend["dynamodb_table"] = f"{project}-locks"
    return sandbox_environment(project, backend=backend, allow_auto_apply=True)


@pytest.fixture(scope="module")
def engine_variables(module_environment: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    assert ENGINE.is_file(), f"{ENGINE}: Terraform 1.15 is missing (make setup installs it)"
    module_environment.setenv("TOOLKIT_TERRAFORM", str(ENGINE))
    module_environment.setenv("TOOLKIT_ACTOR", "tester@locks")
    module_environment.delenv("TF_VAR_hold_seconds", raising=False)
    return module_environment


class LockedProject(EngineProject):
    kind: str

    @property
    def key(self) -> str:
        return f"{self.name}/{ENV}/terraform.tfstate"

    def holders(self, moto: MotoServer) -> dict[str, dict[str, Any]]:
        """The lock info in place, by where it is: `file` (the .tflock object) and `item` (the table)."""
        found: dict[str, dict[str, Any]] = {}
        s3 = moto.client("s3")
        with contextlib.suppress(s3.exceptions.NoSuchKey):
            found["file"] = json.loads(s3.get_object(Bucket=f"{self.name}-state", Key=f"{self.key}.tflock")["Body"]
                                       .read())
        if self.kind != "s3":
            item = moto.client("dynamodb").get_item(TableName=f"{self.name}-locks",
                                                    Key={"LockID": {"S": f"{self.name}-state/{self.key}"}})
            if "Item" in item:
                found["item"] = json.loads(item["Item"]["Info"]["S"])
        return found

    def digest(self, moto: MotoServer) -> str | None:
        item = moto.client("dynamodb").get_item(TableName=f"{self.name}-locks",
                                                Key={"LockID": {"S": f"{self.name}-state/{self.key}-md5"}})
        return item.get("Item", {}).get("Digest", {}).get("S")

    def start(self, *args: str, hold_seconds: int) -> subprocess.Popen[str]:
        """The CLI in its own process group (kill -9 of its terraform leaves the local-exec sleep behind)."""
        environment = {**os.environ, "TOOLKIT_PROJECT_DIR": str(self.root), "TF_VAR_hold_seconds": str(hold_seconds)}
        return subprocess.Popen([str(REPO / ".venv" / "bin" / "toolkit"), *args], cwd=self.root, env=environment,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)

    def wait_for_apply_lock(self, moto: MotoServer, run: subprocess.Popen[str]) -> dict[str, Any]:
        """Poll until the apply (not the plan before it) holds the lock in every place the kind uses."""
        places = {"s3": {"file"}, "dynamodb": {"item"}, "both": {"file", "item"}}[self.kind]
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            held = self.holders(moto)
            if set(held) == places and all(info["Operation"] == "OperationTypeApply" for info in held.values()):
                return next(iter(held.values()))
            assert run.poll() is None, f"the run ended before holding the lock:\n{run.stdout.read()}"
            assert time.monotonic() < deadline, f"the apply never held the lock; in place: {held}"
            time.sleep(0.2)  # polling the emulator for the apply's lock


@pytest.fixture(scope="module", params=["s3", "dynamodb", "both"])
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
            engine_variables: pytest.MonkeyPatch) -> Iterator[LockedProject]:
    kind = request.param
    name = f"lk-{kind}"
    made = make_project(tmp_path_factory.mktemp("locks"), name, {ENV: locked_environment(name, kind)})
    root = made.root / "examples" / "sandbox"
    for extra in ("main.tf", "outputs.tf", "versions.tf"):
        (root / extra).unlink()
    (root / "main.tf").write_text(HOLD_ROOT, encoding="utf-8")
    created = LockedProject(made.root, made.name)
    created.kind = kind
    engine_variables.setenv("TOOLKIT_PROJECT_DIR", str(created.root))
    bootstrap_backend(created, ENV)
    yield created


def finish(run: subprocess.Popen[str]) -> str:
    try:
        output, _ = run.communicate(timeout=WAIT_SECONDS)
    finally:
        with_group_killed(run)
    return output


def with_group_killed(run: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(run.pid, signal.SIGKILL)


def test_first_plan_renders_modern_settings_and_warns_only_about_the_table(project: LockedProject) -> None:
    result = toolkit("plan", ENV)
    assert result.exit_code == 2, result.output
    assert f"==> {ENV}: init (terraform 1.15.5)" in result.output
    backend = (project.root / "build" / ENV / "backend.hcl").read_text()
    assert "endpoints = {" in backend and "use_path_style = true" in backend
    assert "force_path_style" not in backend and "\nendpoint " not in backend
    assert ("use_lockfile" in backend) == (project.kind in ("s3", "both"))
    assert ("dynamodb_table" in backend) == (project.kind in ("dynamodb", "both"))
    if project.kind == "s3":
        # The modern default: a normal run prints no warning at all.
        assert "Warning" not in result.output and "deprecated" not in result.output.lower(), result.output
    else:
        # Terraform >= 1.11 deprecates the table itself: its own nudge to migrate (docs/ENGINE.md).
        assert 'The parameter "dynamodb_table" is deprecated.' in " ".join(result.output.split())


def test_two_applies_leave_checkpoints_and_no_lock(project: LockedProject, moto_server: MotoServer) -> None:
    for _ in range(2):
        result = toolkit("apply", ENV, "--auto")
        assert result.exit_code == 0, result.output
    assert project.holders(moto_server) == {}
    checkpoints = project.checkpoints(ENV)
    assert checkpoints[-1]["state"]["serial"] >= 1
    if project.kind != "s3":
        assert project.digest(moto_server) is not None


def test_while_an_apply_holds_the_lock_others_are_refused_naming_it(project: LockedProject,
                                                                    moto_server: MotoServer) -> None:
    restore_to = project.checkpoints(ENV)[-1]
    state_before = project.state(moto_server, ENV)
    assert restore_to["state"]["serial"] < state_before["serial"]
    first = project.start("apply", ENV, "--auto", hold_seconds=25)
    try:
        holder = project.wait_for_apply_lock(moto_server, first)
        assert holder["Who"].endswith("@" + os.uname().nodename) and holder["Version"] == "1.15.5"

        second = toolkit("plan", ENV, "--lock-timeout", "0s")
        assert second.exit_code == 1, second.output
        place = f"the S3 lock file {holder['Path']}.tflock" if project.kind != "dynamodb" else \
            f"the DynamoDB lock item {holder['Path']}"
        assert f"for {ENV}: the state is locked by another run ({place}):" in second.output
        assert f"lock ID:   {holder['ID']}" in second.output and f"held by:   {holder['Who']}" in second.output
        assert "operation: apply" in second.output

        unlock = toolkit("unlock", ENV, "--yes")
        assert unlock.exit_code == 1, unlock.output
        assert f"lock ID:   {holder['ID']}" in unlock.output
        assert "A run on this machine that may hold it is still running: terraform apply (pid " in unlock.output
        assert f"`toolkit unlock {ENV} {holder['ID']} --force` releases it anyway" in unlock.output

        # The running apply is an apply after the checkpoint: named, so the step goes on to the lock.
        running = project.checkpoints(ENV)[-1]["id"]
        rollback = toolkit("rollback", ENV, "--step", "terraform-state", "--to", restore_to["id"], "--also-undo",
                           running, "--yes")
        assert rollback.exit_code == 1, rollback.output
        assert "Error: step terraform-state failed: the state s3://" in rollback.output
        assert f"lock ID:   {holder['ID']}" in rollback.output and "nothing restored" in rollback.output
        assert project.holders(moto_server)[next(iter(project.holders(moto_server)))]["ID"] == holder["ID"]
    finally:
        output = finish(first)
    assert first.returncode == 0, output
    assert project.holders(moto_server) == {}


def test_rollback_after_the_apply_restores_a_state_terraform_accepts(project: LockedProject,
                                                                     moto_server: MotoServer) -> None:
    restore_to, later = project.checkpoints(ENV)[-2:]
    refused = toolkit("rollback", ENV, "--step", "terraform-state", "--to", restore_to["id"], "--yes")
    assert refused.exit_code == 1, refused.output
    assert f"name each: --also-undo {later['id']}" in refused.output
    before = project.state(moto_server, ENV)
    result = toolkit("rollback", ENV, "--step", "terraform-state", "--to", restore_to["id"], "--also-undo",
                     later["id"], "--yes")
    assert result.exit_code == 0, result.output
    state = project.state(moto_server, ENV)
    # The checkpoint's state as a new version: its lineage, the serial after the one it replaced (never set back).
    assert (state["lineage"], state["serial"]) == (before["lineage"], before["serial"] + 1)
    assert state["serial"] > restore_to["state"]["serial"]
    assert project.holders(moto_server) == {}
    if project.kind != "s3":
        import hashlib

        body = moto_server.client("s3").get_object(Bucket=f"{project.name}-state", Key=project.key)["Body"].read()
        assert project.digest(moto_server) == hashlib.md5(body).hexdigest()
    # Terraform reads the restored state (with a table: it checks the digest) without complaint.
    plan = toolkit("plan", ENV, "--quiet")
    assert plan.exit_code == 2, plan.output


def test_a_run_killed_with_kill_9_leaves_its_lock_and_unlock_releases_it(project: LockedProject,
                                                                        moto_server: MotoServer) -> None:
    run = project.start("apply", ENV, "--auto", hold_seconds=60)
    try:
        holder = project.wait_for_apply_lock(moto_server, run)
        records = [json.loads(path.read_text()) for path in (project.data_dir(ENV) / "runs").glob("*.json")]
        (terraform,) = [record for record in records if record["command"] == "terraform apply"]
        os.kill(terraform["pid"], signal.SIGKILL)
        output = finish(run)
    finally:
        with_group_killed(run)
    assert run.returncode == 1, output
    left = project.holders(moto_server)
    assert {info["ID"] for info in left.values()} == {holder["ID"]}, "kill -9 must leave the lock behind"

    blocked = toolkit("plan", ENV, "--lock-timeout", "0s", "--quiet")
    assert blocked.exit_code == 1 and f"lock ID:   {holder['ID']}" in blocked.output, blocked.output

    unconfirmed = toolkit("unlock", ENV)
    assert unconfirmed.exit_code == 1, unconfirmed.output
    assert (f"Releasing needs confirmation: re-run with `toolkit unlock {ENV} {holder['ID']} --yes` once you are "
            "sure that run is dead") in unconfirmed.output
    assert "still running" not in unconfirmed.output, "a killed run is not a live one"
    assert set(project.holders(moto_server)) == set(left)

    wrong = toolkit("unlock", ENV, "not-the-lock", "--yes")
    assert wrong.exit_code == 1, wrong.output
    assert f"{ENV}: lock not-the-lock is not the current lock" in wrong.output

    released = toolkit("unlock", ENV, holder["ID"], "--yes")
    assert released.exit_code == 0, released.output
    assert released.output.startswith(f"{ENV}: lock {holder['ID']} released (")
    assert project.holders(moto_server) == {}
    after = toolkit("plan", ENV, "--quiet")
    assert after.exit_code == 2, after.output


def test_nothing_to_unlock(project: LockedProject) -> None:
    result = toolkit("unlock", ENV)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{ENV}: the state is not locked; nothing to release"



def test_the_sandbox_root_plans_on_lock_files_without_a_deprecation_warning(
        tmp_path: Path, engine_variables: pytest.MonkeyPatch, monkeypatch: pytest.MonkeyPatch,
        moto_server: MotoServer) -> None:
    """The normal run: the real sandbox root (AWS provider 3.39 from the mirror) on the default lock kind."""
    name = "lk-sandbox"
    environment = sandbox_environment(name, backend={"type": "s3", "bucket": f"{name}-state",
                                                     "endpoint_from_env": "AWS_ENDPOINT_URL"})
    project = make_project(tmp_path, name, {ENV: environment})
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(project.root))
    bootstrap_backend(project, ENV)
    assert "lock: s3" in toolkit("envs", "show", ENV).output, "a new configuration locks with lock files"
    result = toolkit("plan", ENV)
    assert result.exit_code == 2, result.output
    assert "deprecat" not in result.output.lower(), result.output
    assert "lock: s3" in (REPO / "envs" / "sandbox.yaml").read_text(), "the demo's sandbox pins lock files"
    assert moto_server.client("s3").list_objects_v2(Bucket=f"{name}-state", Prefix=f"{name}/{ENV}/").get(
        "KeyCount", 0) == 0, "a plan writes no state and leaves no lock file"
