"""Team-safe rollback against the emulator, with real terraform applies.

Two checkouts of the same project (same environments, same S3 backend): "ci" applies, as the apply-on-merge
runner does, and is then thrown away in spirit (nothing of its .toolkit folder is read again); "laptop" is the
incident responder's. The checkpoints and the rollback journal live beside the state in the bucket, so the
laptop finds them; a state restore to a checkpoint older than the newest apply lists that later apply and
refuses until it is named; the dry run lists the database the undone apply created as leaving the state; the
run records the replaced version and `--undo RUN_ID` puts it back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.conftest import EngineProject, bootstrap_backend, make_project, sandbox_environment, toolkit
from tests.support.moto_server import MotoServer

# One scenario on one shared emulator project: each test builds on the ones before it.
pytestmark = [pytest.mark.slow, pytest.mark.in_order]
PROJECT = "eng-team"
ENV = "sandbox"
DB_ADDRESS = "aws_db_instance.this[0]"


@pytest.fixture(scope="module")
def checkouts(tmp_path_factory: pytest.TempPathFactory,
              module_environment: pytest.MonkeyPatch) -> Iterator[tuple[EngineProject, EngineProject]]:
    base = tmp_path_factory.mktemp("team")
    ci = make_project(base / "ci", PROJECT, {ENV: sandbox_environment(PROJECT)})
    laptop = make_project(base / "laptop", PROJECT, {ENV: sandbox_environment(PROJECT)})
    bootstrap_backend(ci, ENV)
    yield ci, laptop


def _as(patch: pytest.MonkeyPatch, checkout: EngineProject, actor: str) -> None:
    patch.setenv("TOOLKIT_PROJECT_DIR", str(checkout.root))
    patch.setenv("TOOLKIT_ACTOR", actor)


def _apply(patch: pytest.MonkeyPatch, checkout: EngineProject, actor: str) -> str:
    """plan + apply from a checkout; returns the new checkpoint id."""
    _as(patch, checkout, actor)
    planned = toolkit("plan", ENV, "--quiet")
    assert planned.exit_code == 2, planned.output
    applied = toolkit("apply", ENV, "--json")
    assert applied.exit_code == 0, applied.output
    outcome = json.loads(applied.stdout)
    assert outcome["checkpoint_file"].startswith(f"s3://{PROJECT}-state/{PROJECT}/{ENV}/toolkit/checkpoints/")
    return outcome["checkpoint_id"]


def _managed(state: dict | None) -> set[str]:
    resources = (state or {}).get("resources", [])
    return {f"{item['type']}.{item['name']}" for item in resources if item["mode"] == "managed"}


def test_ci_apply_then_rollback_from_another_checkout(checkouts: tuple[EngineProject, EngineProject],
                                                      module_environment: pytest.MonkeyPatch,
                                                      moto_server: MotoServer) -> None:
    ci, laptop = checkouts
    patch = module_environment
    patch.setenv("TF_VAR_create_db_instance", "false")
    first = _apply(patch, ci, "ci-bot")
    patch.delenv("TF_VAR_create_db_instance")
    creates_db = _apply(patch, ci, "ci-bot")              # the apply to undo: it creates the database
    state_with_db = ci.state(moto_server, ENV)
    assert "aws_db_instance.this" in _managed(state_with_db)
    values = ci.read_environment(ENV)
    values["compute"]["max_tasks"] = 4
    ci.write_environment(ENV, values)
    later = _apply(patch, ci, "teammate@ci")              # someone else's apply, after it
    serial_before = ci.state(moto_server, ENV)["serial"]

    # Nothing of the CI checkout's folder is read from here on: the checkpoints are beside the state.
    _as(patch, laptop, "responder@laptop")
    assert not (laptop.data_dir(ENV) / "checkpoints").exists()
    listed = toolkit("checkpoints", ENV)
    assert listed.exit_code == 0, listed.output
    for checkpoint_id in (first, creates_db, later):
        assert checkpoint_id in listed.output, listed.output
    assert "teammate@ci" in listed.output and "success" in listed.output

    dry = toolkit("rollback", ENV, "--step", "terraform-state", "--to", creates_db)
    assert dry.exit_code == 1, dry.output
    assert re.search(rf"undone: {creates_db}  \S+  by ci-bot  commit unknown  success", dry.output), dry.output
    assert re.search(rf"ALSO UNDONE: {later}  \S+  by teammate@ci  commit unknown  success", dry.output), dry.output
    assert "leave the state: 1 resource(s), 1 stateful" in dry.output, dry.output
    assert f"{DB_ADDRESS} (id {PROJECT}-{ENV})  STATEFUL" in dry.output, dry.output
    assert (f"terraform-state would also undo 1 apply/applies after checkpoint {creates_db} (listed above), not "
            f"only the checkpoint's own: nothing was changed. If that is intended, name each: --also-undo {later}") \
        in dry.output

    refused = toolkit("rollback", ENV, "--step", "terraform-state", "--to", creates_db, "--yes")
    assert refused.exit_code == 1, refused.output
    assert f"--also-undo {later}" in refused.stderr, refused.output
    assert ci.state(moto_server, ENV)["serial"] == serial_before, "nothing restored without the flag"

    typo = toolkit("rollback", ENV, "--step", "terraform-state", "--to", creates_db, "--also-undo", first, "--yes")
    assert typo.exit_code != 0, typo.output
    assert f"--also-undo {first}: not an apply after checkpoint {creates_db} (the applies after it: {later})" \
        in typo.output

    restored = toolkit("rollback", ENV, "--step", "terraform-state", "--to", creates_db, "--also-undo", later,
                       "--yes")
    assert restored.exit_code == 0, restored.output
    impact = restored.output.index(f"{DB_ADDRESS} (id {PROJECT}-{ENV})  STATEFUL")
    assert impact < restored.output.index("→ done"), "the impact is shown before acting"
    now = ci.state(moto_server, ENV)
    assert "aws_db_instance.this" not in _managed(now)
    run_id = re.search(r"Run (\S+)\. Journal", restored.output).group(1)

    # The CI checkout sees the responder's run in the shared journal.
    _as(patch, ci, "ci-bot")
    journal = toolkit("rollback", ENV, "--journal", "--run", run_id)
    assert journal.exit_code == 0, journal.output
    assert "s3:PutObject state" in journal.output and "replaced_version=" in journal.output, journal.output

    _as(patch, laptop, "responder@laptop")
    undo_dry = toolkit("rollback", ENV, "--undo", run_id)
    assert undo_dry.exit_code == 0, undo_dry.output
    assert "come back into the state: 1 resource(s), 1 stateful" in undo_dry.output, undo_dry.output
    undone = toolkit("rollback", ENV, "--undo", run_id, "--yes")
    assert undone.exit_code == 0, undone.output
    back = ci.state(moto_server, ENV)
    # The restore and its undo are each a new state version: two serials on (terraform reads both states).
    assert back["serial"] == serial_before + 2 and "aws_db_instance.this" in _managed(back)
    again = toolkit("rollback", ENV, "--undo", run_id, "--yes")
    assert again.exit_code == 0, again.output
    assert "nothing to do" in again.output


def test_checkpoint_objects_are_encrypted_in_the_versioned_state_bucket(
        checkouts: tuple[EngineProject, EngineProject], moto_server: MotoServer) -> None:
    s3 = moto_server.client("s3")
    prefix = f"{PROJECT}/{ENV}/toolkit/checkpoints/"
    found = [item["Key"] for item in s3.list_objects_v2(Bucket=f"{PROJECT}-state", Prefix=prefix).get("Contents", [])]
    assert any(key.endswith("/terraform.tfvars") for key in found), "the tfvars `--step full` needs are kept there too"
    keys = [key for key in found if key.endswith(".json")]
    assert keys, "the applies wrote their checkpoints beside the state"
    for key in found:
        assert s3.head_object(Bucket=f"{PROJECT}-state", Key=key)["ServerSideEncryption"] == "AES256"
    # Written "started" then again at the end: the bucket keeps both versions.
    versions = s3.list_object_versions(Bucket=f"{PROJECT}-state", Prefix=keys[-1])["Versions"]
    assert len(versions) >= 2
    assert not list(Path(checkouts[0].data_dir(ENV)).glob("checkpoints/*.json")), "nothing kept only locally"
