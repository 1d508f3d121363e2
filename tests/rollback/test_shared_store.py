"""The checkpoint store beside the S3 state, without terraform: migration of local checkpoints, the versioning
requirement, the state serial as a witness of unrecorded changes, and `--undo` only over what the run wrote.
(tests/engine/test_shared_checkpoints.py drives the same through real applies from two checkouts.)"""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from tests.rollback.conftest import (
    ENVIRONMENT,
    REGION,
    STATE_BUCKET,
    STATE_KEY,
    World,
    direct,
    invoke,
    local_state_checkpoint,
    reset_moto,
    restored_state,
    shared_store,
    state_document,
)
from toolkit.errors import ToolkitError
from toolkit.project import Project
from toolkit.records.checkpoints import Checkpoint, CheckpointStore

PREFIX = f"edu-platform/{ENVIRONMENT}/toolkit/"


def _bucket(endpoint: str, versioned: bool = True) -> None:
    reset_moto(endpoint)
    s3 = direct("s3", endpoint)
    s3.create_bucket(Bucket=STATE_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    if versioned:
        s3.put_bucket_versioning(Bucket=STATE_BUCKET, VersioningConfiguration={"Status": "Enabled"})


def _local(project: Project, checkpoint_id: str) -> None:
    CheckpointStore(project.environment_data_dir(ENVIRONMENT) / "checkpoints").save(Checkpoint(
        id=checkpoint_id, environment=ENVIRONMENT, created_at="2026-11-26T03:00:00Z", created_by="old@laptop"))


def test_upload_local_moves_checkpoints_once(project: Project, moto_endpoint: str, cli) -> None:
    _bucket(moto_endpoint)
    _local(project, "20261126T030000Z-0abc")
    before = invoke(cli, "checkpoints", ENVIRONMENT)
    assert before.exit_code == 0, before.output
    assert before.stdout.startswith("no checkpoints for sandbox yet")
    assert (f"Warning: 1 checkpoint(s) of sandbox are only in this checkout "
            f"({project.environment_data_dir(ENVIRONMENT) / 'checkpoints'}), not beside the state: upload them with "
            "`toolkit checkpoints sandbox --upload-local`") in before.stderr

    uploaded = invoke(cli, "checkpoints", ENVIRONMENT, "--upload-local")
    assert uploaded.exit_code == 0, uploaded.output
    assert uploaded.stdout.startswith(f"s3://{STATE_BUCKET}/{PREFIX}checkpoints/: uploaded 1 checkpoint(s), 0 "
                                      "already there"), uploaded.output
    again = invoke(cli, "checkpoints", ENVIRONMENT, "--upload-local")
    assert again.exit_code == 0, again.output
    assert "uploaded 0 checkpoint(s), 1 already there" in again.stdout, again.output
    after = invoke(cli, "checkpoints", ENVIRONMENT)
    assert "20261126T030000Z-0abc" in after.stdout and "Warning" not in after.output, after.output
    head = direct("s3", moto_endpoint).head_object(Bucket=STATE_BUCKET,
                                                   Key=f"{PREFIX}checkpoints/20261126T030000Z-0abc.json")
    assert head["ServerSideEncryption"] == "AES256"


def test_upload_local_refused_for_a_local_backend(project: Project, cli) -> None:
    result = invoke(cli, "checkpoints", "dev", "--upload-local")
    assert result.exit_code == 1, result.output
    assert result.output == (f"Error: dev uses a local backend: its checkpoints already live in "
                             f"{project.environment_data_dir('dev') / 'checkpoints'}; nothing to upload\n")


def test_unversioned_bucket_is_refused(project: Project, moto_endpoint: str) -> None:
    _bucket(moto_endpoint, versioned=False)
    store = shared_store(project)
    try:
        store.save(Checkpoint(id="20261126T030000Z-0abc", environment=ENVIRONMENT, created_at="x", created_by="y"))
    except ToolkitError as error:
        assert str(error).startswith(f"s3://{STATE_BUCKET}: bucket versioning is not enabled; the toolkit keeps "
                                     "checkpoints and the rollback journal beside the state only in a versioned "
                                     "bucket")
    else:
        raise AssertionError("an unversioned bucket was accepted")
    assert "Contents" not in direct("s3", moto_endpoint).list_objects_v2(Bucket=STATE_BUCKET)


def test_a_state_written_outside_recorded_applies_must_be_named(world: World, cli) -> None:
    record = world.store.load(world.checkpoint_id).apply
    record.state_serial_after = 8
    world.store.update_apply(world.checkpoint_id, record)
    s3 = world.client("s3")
    s3.put_object(Bucket=STATE_BUCKET, Key=STATE_KEY, Body=state_document(9))  # terraform run by hand

    dry = invoke(cli, "rollback", ENVIRONMENT, "--step", "terraform-state")
    assert dry.exit_code == 1, dry.output
    assert (f"ALSO UNDONE: the state's serial is 9, but it was 8 after the apply of checkpoint {world.checkpoint_id}"
            in dry.output), dry.output
    assert "name each: --also-undo unrecorded;" in dry.output
    done = invoke(cli, "rollback", ENVIRONMENT, "--step", "terraform-state", "--also-undo", "unrecorded", "--yes")
    assert done.exit_code == 0, done.output
    assert json.loads(s3.get_object(Bucket=STATE_BUCKET, Key=STATE_KEY)["Body"].read()) == \
        restored_state(state_document(7), 10)


def test_undo_refuses_when_the_state_changed_since(world: World, cli) -> None:
    restored = invoke(cli, "rollback", ENVIRONMENT, "--step", "terraform-state", "--yes")
    assert restored.exit_code == 0, restored.output
    run_id = re.search(r"Run (\S+)\. Journal", restored.output).group(1)
    write = next(entry for entry in world.journal() if entry["action"] == "s3:PutObject state")
    assert write["request"]["replaced_version"] == world.state_versions[1]

    s3 = world.client("s3")
    s3.put_object(Bucket=STATE_BUCKET, Key=STATE_KEY, Body=state_document(10))  # an apply after the rollback
    refused = invoke(cli, "rollback", ENVIRONMENT, "--undo", run_id, "--yes")
    assert refused.exit_code == 1, refused.output
    assert (f"the state changed after rollback run {run_id} (serial now 10): putting back version "
            f"{world.state_versions[1]} would discard those changes; nothing was changed") in refused.output
    assert s3.get_object(Bucket=STATE_BUCKET, Key=STATE_KEY)["Body"].read() == state_document(10)


def test_undo_arguments(world: World, cli, proxy) -> None:
    mixed = invoke(cli, "rollback", ENVIRONMENT, "--undo", "20261126T030000Z-0abc", "--tier", "short")
    assert mixed.exit_code == 1, mixed.output
    assert mixed.output == ("Error: --undo RUN_ID stands alone: leave out --tier, --step, --resume-from, --to and "
                            "--also-undo\n")
    bad = invoke(cli, "rollback", ENVIRONMENT, "--undo", "yesterday")
    assert bad.output == ("Error: --undo 'yesterday': give a rollback run id (e.g. 20261126T141500.000000Z-3f9a01c2; "
                          "`toolkit rollback ENV --journal` lists them)\n")
    immediate = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--yes")
    assert immediate.exit_code == 0, immediate.output
    run_id = re.search(r"Run (\S+)\. Journal", immediate.output).group(1)
    proxy.reset()
    nothing = invoke(cli, "rollback", ENVIRONMENT, "--undo", run_id, "--yes")
    assert nothing.exit_code == 1, nothing.output
    assert nothing.output == (f"Error: run {run_id} restored no terraform state (its journal has no "
                              "terraform-state write): nothing to undo\n")
    assert proxy.mutating_calls() == []



def test_an_apply_started_on_another_machine_reads_unfinished(tmp_path) -> None:
    """Shared records: a CI runner's apply still marked started is not called interrupted from a laptop (it may be
    applying right now), but the warning still tells the next plan what may exist outside the state."""
    from toolkit.engine.pre_apply import interrupted_apply_warning
    from toolkit.records.checkpoints import ApplyRecord

    store = CheckpointStore(tmp_path / "checkpoints")
    checkpoint = Checkpoint(id="20261126T030000Z-0abc", environment="prod", created_at="x", created_by="ci")
    checkpoint.apply = ApplyRecord(result="started", applied_by="ci-bot", started_at="2026-11-26T03:00:01Z",
                                   host="runner-not-this-machine", pid=1,
                                   creating={"aws_db_instance.this[0]": "edu-prod"})
    store.save(checkpoint)
    assert store.load(checkpoint.id).result == "unfinished"
    warning = interrupted_apply_warning(store, "prod")
    assert warning.startswith("the last apply of prod did not finish (still running on runner-not-this-machine, or "
                              "interrupted there) (checkpoint 20261126T030000Z-0abc, started 2026-11-26T03:00:01Z by "
                              "ci-bot on runner-not-this-machine)"), warning
    assert 'import {\n  to = aws_db_instance.this[0]\n  id = "edu-prod"\n}' in warning


def test_rollback_to_a_checkpoint_kept_only_locally_says_how_to_upload(project: Project, moto_endpoint: str,
                                                                        cli) -> None:
    _bucket(moto_endpoint)
    _local(project, "20261126T030000Z-0abc")
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--to", "20261126T030000Z-0abc")
    assert result.exit_code == 1, result.output
    assert result.output == (
        "Error: unknown checkpoint '20261126T030000Z-0abc'; there are none yet; 1 checkpoint(s) of sandbox are only "
        f"in this checkout ({project.environment_data_dir(ENVIRONMENT) / 'checkpoints'}), not beside the state: "
        "upload them with `toolkit checkpoints sandbox --upload-local`\n")


def _with_database(serial: int) -> bytes:
    import json

    document = json.loads(state_document(serial))
    document["resources"] = [
        {"mode": "managed", "type": "aws_db_instance", "name": "this", "provider": "aws",
         "instances": [{"index_key": 0, "attributes": {"id": "db-ABC", "identifier": "edu-dev"}}]},
        {"mode": "data", "type": "aws_caller_identity", "name": "current", "instances": [{"attributes": {}}]},
    ]
    return json.dumps(document).encode()


def test_local_state_restore_lists_the_orphaned_database_and_undo_puts_it_back(project: Project, cli,
                                                                                proxy) -> None:
    state_path = local_state_checkpoint(project, _with_database(8))

    dry = invoke(cli, "rollback", "dev", "--step", "terraform-state")
    assert dry.exit_code == 0, dry.output
    assert ("    leave the state: 1 resource(s), 1 stateful; they stay in AWS, no longer managed (the next plan would "
            "create them again: import or delete them):\n"
            "      - aws_db_instance.this[0] (id edu-dev)  STATEFUL: its data stays in AWS, unmanaged\n") in dry.output
    assert "aws_caller_identity" not in dry.output, "data sources are not resources that leave"
    assert state_path.read_bytes() == _with_database(8), "a dry run changes nothing"

    restored = invoke(cli, "rollback", "dev", "--step", "terraform-state", "--yes")
    assert restored.exit_code == 0, restored.output
    assert json.loads(state_path.read_bytes()) == restored_state(state_document(7), 9)
    run_id = re.search(r"Run (\S+)\. Journal", restored.output).group(1)

    undo = invoke(cli, "rollback", "dev", "--undo", run_id, "--yes")
    assert undo.exit_code == 0, undo.output
    assert ("come back into the state: 1 resource(s), 1 stateful" in undo.output), undo.output
    # Put back as a new state version too: the replaced content at serial 9 + 1.
    assert json.loads(state_path.read_bytes()) == restored_state(_with_database(8), 10)
    assert proxy.calls == [], "a local state restore and its undo call no AWS API"


@pytest.mark.parametrize("edited", ["journal", "checkpoint"])
def test_an_edited_record_never_restores_another_state(world: World, cli, proxy, edited: str) -> None:
    """Attack: someone with bucket access edits a rollback run's journal object (for `--undo`) or the shared
    checkpoint so it names another environment's state (its key, an older version, its current MD5): refused,
    nothing written."""
    s3 = world.client("s3")
    other = "prod/terraform.tfstate"
    old = s3.put_object(Bucket=STATE_BUCKET, Key=other, Body=state_document(3))["VersionId"]
    s3.put_object(Bucket=STATE_BUCKET, Key=other, Body=state_document(4))
    if edited == "journal":
        restored = invoke(cli, "rollback", ENVIRONMENT, "--step", "terraform-state", "--yes")
        assert restored.exit_code == 0, restored.output
        run_id = re.search(r"Run (\S+)\. Journal", restored.output).group(1)
        journal_key = f"{PREFIX}journal/{run_id}.jsonl"
        lines = []
        for line in s3.get_object(Bucket=STATE_BUCKET, Key=journal_key)["Body"].read().decode().splitlines():
            entry = json.loads(line)
            if entry.get("action") == "s3:PutObject state":
                entry["request"].update(key=other, replaced_version=old,
                                        written_md5=hashlib.md5(state_document(4)).hexdigest())
            lines.append(json.dumps(entry))
        s3.put_object(Bucket=STATE_BUCKET, Key=journal_key, Body=("\n".join(lines) + "\n").encode())
        command, source = ("--undo", run_id), f"rollback run {run_id}'s journal"
    else:
        checkpoint = world.store.load(world.checkpoint_id)
        checkpoint.state.s3_key, checkpoint.state.s3_version_id = other, old
        world.store.records.put(f"{checkpoint.id}.json", json.dumps(checkpoint.to_dict()).encode())
        command, source = ("--step", "terraform-state"), f"checkpoint {world.checkpoint_id}"

    proxy.reset()
    refused = invoke(cli, "rollback", ENVIRONMENT, *command, "--yes")
    assert refused.exit_code == 1, refused.output
    assert (f"Error: step terraform-state failed: {source} points at s3://{STATE_BUCKET}/{other}, but the state of "
            f"{ENVIRONMENT} is s3://{STATE_BUCKET}/{STATE_KEY}: refusing to restore another state object; nothing "
            "was changed") in refused.output, refused.output
    assert s3.get_object(Bucket=STATE_BUCKET, Key=other)["Body"].read() == state_document(4)
    assert [call.action for call in proxy.mutating_calls()] == [], "only the journal (beside the state) is written"


class _Killed(BaseException):
    """The process dying (kill -9) right after the state copy, before its outcome reaches the journal."""


def test_a_restore_killed_after_the_copy_can_still_be_undone(world: World, cli, monkeypatch) -> None:

    from toolkit.cli import app
    from toolkit.rollback.base import RunContext

    record = RunContext.record

    def dies_after_the_copy(self, **fields):
        if fields.get("action") == "s3:PutObject state" and fields.get("result") == "ok":
            raise _Killed
        record(self, **fields)

    monkeypatch.setattr(RunContext, "record", dies_after_the_copy)
    with pytest.raises(_Killed):
        cli.invoke(app, ["rollback", ENVIRONMENT, "--step", "terraform-state", "--yes"], catch_exceptions=False)
    monkeypatch.setattr(RunContext, "record", record)
    assert json.loads(world.state_object()[1]) == restored_state(state_document(7), 9), "the write happened"
    run_id = next(entry["run_id"] for entry in world.journal() if entry["action"] == "s3:PutObject state")

    undo = invoke(cli, "rollback", ENVIRONMENT, "--undo", run_id, "--yes")
    assert undo.exit_code == 0, undo.output
    assert json.loads(world.state_object()[1]) == restored_state(state_document(8), 10), undo.output


def test_edited_checkpoint_objects_are_refused_by_name(project: Project, moto_endpoint: str, cli) -> None:
    """Attack: someone with bucket access puts a checkpoint whose body names another id (its outcome would be
    written over that other checkpoint), or a huge object the toolkit would read into memory."""

    _bucket(moto_endpoint)
    s3 = direct("s3", moto_endpoint)
    forged = Checkpoint(id="20261126T040000Z-0bbb", environment=ENVIRONMENT, created_at="2026-11-26T03:00:00Z",
                        created_by="mallory").to_dict()
    s3.put_object(Bucket=STATE_BUCKET, Key=f"{PREFIX}checkpoints/20261126T030000Z-0abc.json",
                  Body=json.dumps(forged).encode())
    good = Checkpoint(id="20261126T020000Z-0aaa", environment=ENVIRONMENT, created_at="2026-11-26T02:00:00Z",
                             created_by="deployer@ci")
    shared_store(project).save(good)
    # Skipped and named (issue 21 item 5): one edited object never hides the others.
    listed = invoke(cli, "checkpoints", ENVIRONMENT)
    assert listed.exit_code == 0, listed.output
    assert listed.stderr == (f"Warning: skipped s3://{STATE_BUCKET}/{PREFIX}checkpoints/20261126T030000Z-0abc.json: "
                             "unreadable checkpoint: it records the id '20261126T040000Z-0bbb', not "
                             "'20261126T030000Z-0abc'\n")
    assert "20261126T020000Z-0aaa" in listed.stdout and "20261126T030000Z-0abc" not in listed.stdout

    s3.put_object(Bucket=STATE_BUCKET, Key=f"{PREFIX}checkpoints/20261126T030000Z-0abc.json",
                  Body=b" " * (16 * 1024 * 1024 + 1))
    huge = invoke(cli, "checkpoints", ENVIRONMENT)
    assert huge.exit_code == 0, huge.output
    # (`in`: an emulator fronted by the tests' fault proxy may log the unread body it could not send)
    assert (f"Warning: skipped s3://{STATE_BUCKET}/{PREFIX}checkpoints/20261126T030000Z-0abc.json: 16777217 "
            "bytes, more than any toolkit record (16777216 bytes at most): not read; it was not "
            "written by the toolkit\n") in huge.stderr, huge.stderr


def test_undo_from_an_edited_journal_never_writes_a_local_file(world: World, cli, tmp_path) -> None:
    """Attack: a journal object in the bucket rewritten as a local `file:write` naming files on the responder's
    machine: `--undo` of an S3 environment never writes a local file."""

    restored = invoke(cli, "rollback", ENVIRONMENT, "--step", "terraform-state", "--yes")
    assert restored.exit_code == 0, restored.output
    run_id = re.search(r"Run (\S+)\. Journal", restored.output).group(1)
    victim, source = tmp_path / "victim.json", tmp_path / "source.json"
    victim.write_bytes(state_document(5))
    source.write_bytes(state_document(6))
    s3 = world.client("s3")
    journal_key = f"{PREFIX}journal/{run_id}.jsonl"
    entry = json.loads(s3.get_object(Bucket=STATE_BUCKET, Key=journal_key)["Body"].read().decode().splitlines()[0])
    entry.update(step="terraform-state", event="action", action="file:write", result="ok",
                 request={"state": str(victim), "kept": str(source), "replaced_serial": 6, "lineage": "x",
                          "written_sha256": hashlib.sha256(state_document(5)).hexdigest()})
    s3.put_object(Bucket=STATE_BUCKET, Key=journal_key, Body=(json.dumps(entry) + "\n").encode())

    undo = invoke(cli, "rollback", ENVIRONMENT, "--undo", run_id, "--yes")
    assert undo.exit_code == 1, undo.output
    assert (f"rollback run {run_id}'s journal points at the local state {victim}, but the state of {ENVIRONMENT} is "
            f"s3://{STATE_BUCKET}/{STATE_KEY}: refusing to restore another state; nothing was changed") in undo.output
    assert victim.read_bytes() == state_document(5)
