"""Rollback's terraform-state step under each lock kind the environment can pin: the S3 lock file
(If-None-Match), the DynamoDB item with its digest, and both (the migration step)."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.rollback.conftest import (
    ENVIRONMENT,
    LOCK_TABLE,
    STATE_BUCKET,
    STATE_KEY,
    World,
    invoke,
    pin_lock,
    restored_state,
    state_document,
)

LOCK_PATH = f"{STATE_BUCKET}/{STATE_KEY}"
LOCK_FILE = f"{STATE_KEY}.tflock"
# What terraform 1.15 writes into the lock file (read back from a real run against the emulator).
TERRAFORM_HOLDER = {"ID": "334bef85-1d92-bbc2-d96a-77842e0b172e", "Operation": "OperationTypeApply", "Info": "",
                    "Who": "alice@laptop", "Version": "1.15.5", "Created": "2026-11-30T06:51:09.814621006Z",
                    "Path": LOCK_PATH}
MUTATING_CALLS = {
    "s3": ["PutObject", "PutObject", "DeleteObject"],
    "both": ["PutObject", "PutItem", "PutObject", "PutItem", "DeleteObject", "DeleteItem"],
}


def lock_file(world: World) -> bytes | None:
    s3 = world.client("s3")
    try:
        return s3.get_object(Bucket=STATE_BUCKET, Key=LOCK_FILE)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None


def item(world: World, lock_id: str) -> dict | None:
    return world.client("dynamodb").get_item(TableName=LOCK_TABLE, Key={"LockID": {"S": lock_id}}).get("Item")


@pytest.mark.parametrize("kind", ["s3", "both"])
def test_state_restore_takes_the_pinned_lock_like_terraform(world: World, cli, proxy, kind: str) -> None:
    pin_lock(world.project, kind)
    dry = invoke(cli, "rollback", ENVIRONMENT, "--step", "terraform-state")
    assert dry.exit_code == 0, dry.output
    assert f"s3://{STATE_BUCKET}/{LOCK_FILE}" in dry.output
    assert ("-md5" in dry.output) == (kind == "both")
    proxy.reset()
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "terraform-state", "--yes")
    assert result.exit_code == 0, result.output
    body = world.state_object()[1]
    assert json.loads(body) == restored_state(state_document(7), 9)
    assert [call.action for call in proxy.mutating_calls()] == MUTATING_CALLS[kind]
    assert lock_file(world) is None and item(world, LOCK_PATH) is None, "the lock was not released"
    digest = item(world, f"{LOCK_PATH}-md5")
    if kind == "both":
        assert digest == {"LockID": {"S": f"{LOCK_PATH}-md5"},
                          "Digest": {"S": hashlib.md5(body).hexdigest()}}
    else:
        assert digest is None, "lock files keep no digest: terraform does not read one"


@pytest.mark.parametrize("kind", ["s3", "both"])
def test_state_restore_refuses_a_lock_file_held_by_terraform(world: World, cli, proxy, kind: str) -> None:
    pin_lock(world.project, kind)
    world.client("s3").put_object(Bucket=STATE_BUCKET, Key=LOCK_FILE, Body=json.dumps(TERRAFORM_HOLDER).encode(),
                                  ContentType="application/json")
    proxy.reset()
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "terraform-state", "--yes")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(
        f"Error: step terraform-state failed: the state s3://{LOCK_PATH} is locked by:\n"
        f"  lock ID:   {TERRAFORM_HOLDER['ID']}\n  held by:   alice@laptop\n  operation: apply\n"
        f"  since:     {TERRAFORM_HOLDER['Created']}\n  state:     {LOCK_PATH}\n  terraform: 1.15.5\n"
        f"  found in:  s3://{STATE_BUCKET}/{LOCK_FILE}\n"
        "nothing restored; wait for that run or release it with `toolkit unlock sandbox`\n"), result.stderr
    # The only change attempted is the conditional put, which S3 (the emulator) refused.
    assert [call.action for call in proxy.mutating_calls()] == ["PutObject"]
    assert world.state_object()[1] == state_document(8)
    assert json.loads(lock_file(world)) == TERRAFORM_HOLDER, "someone else's lock must stay in place"
    assert item(world, LOCK_PATH) is None


def test_both_gives_the_lock_file_back_when_the_table_item_is_held(world: World, cli, proxy) -> None:
    """A teammate still on `dynamodb` holds the item: the run on `both` must not keep half a lock."""
    pin_lock(world.project, "both")
    world.client("dynamodb").put_item(TableName=LOCK_TABLE, Item={"LockID": {"S": LOCK_PATH},
                                                                  "Info": {"S": json.dumps(TERRAFORM_HOLDER)}})
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "terraform-state", "--yes")
    assert result.exit_code == 1, result.output
    assert f"found in:  DynamoDB {LOCK_TABLE}: LockID={LOCK_PATH}" in result.stderr
    assert lock_file(world) is None, "the lock file taken first was not given back"
    assert world.state_object()[1] == state_document(8)
    assert json.loads(item(world, LOCK_PATH)["Info"]["S"])["ID"] == TERRAFORM_HOLDER["ID"]


def test_two_operators_releasing_the_same_lock_never_delete_the_next_runs_lock(world: World) -> None:
    """Attack: two `toolkit unlock`s of one stale lock file. Operator B releases it between operator A's read and A's
    delete, and a new run takes the lock: A's delete is conditional on the object it read, so the new lock stays."""
    from toolkit.aws import ClientFactory, call
    from toolkit.errors import LockError
    from toolkit.state.lock import LockInfo, S3StateLock

    stale, newer = LockInfo.new("OperationTypeApply", "dead@ci", "killed"), LockInfo.new("OperationTypeApply",
                                                                                         "bob@laptop", "running")
    s3 = world.client("s3")
    s3.put_object(Bucket=STATE_BUCKET, Key=LOCK_FILE, Body=stale.to_json().encode())

    def racing(action: str, function, **request):
        if action == "s3:DeleteObject" and s3.get_object(Bucket=STATE_BUCKET, Key=LOCK_FILE)["Body"].read() \
                == stale.to_json().encode():
            s3.delete_object(Bucket=STATE_BUCKET, Key=LOCK_FILE)                       # operator B's release
            s3.put_object(Bucket=STATE_BUCKET, Key=LOCK_FILE, Body=newer.to_json().encode(),
                          IfNoneMatch="*")                                             # the next run's lock
        return call(action, function, **request)

    lock = S3StateLock(kind="s3", bucket=STATE_BUCKET, key=STATE_KEY, table=None,
                       clients=ClientFactory(region=world.client("s3").meta.region_name, endpoint_url=world.endpoint),
                       invoke=racing)
    with pytest.raises(LockError) as refused:
        lock.release(stale.id)
    assert str(refused.value) == (f"s3://{STATE_BUCKET}/{LOCK_FILE}: lock {stale.id} was released by someone else "
                                  f"and the state locked again (by bob@laptop, ID {newer.id}) while releasing: left "
                                  "in place")
    assert lock_file(world) == newer.to_json().encode(), "the next run's lock was deleted"
