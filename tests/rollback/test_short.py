"""The short tier against the emulator: terraform state restore, parameter groups, cache switch-off."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

from tests.rollback.conftest import (
    CLUSTER,
    ENVIRONMENT,
    LOCK_TABLE,
    SERVICE,
    STATE_BUCKET,
    STATE_KEY,
    World,
    invoke,
    local_state_checkpoint,
    restored_state,
    state_document,
)

FAST = ("--poll-interval", "0.05")
LOCK_ID = f"{STATE_BUCKET}/{STATE_KEY}"


def lock_item(world: World, lock_id: str = LOCK_ID) -> dict | None:
    return world.client("dynamodb").get_item(TableName=LOCK_TABLE, Key={"LockID": {"S": lock_id}}).get("Item")


def test_state_restore_puts_the_old_version_on_top_at_a_new_serial_and_keeps_the_replaced_one(world: World, cli,
                                                                                             proxy) -> None:
    checkpoint_version, replaced_version = world.state_versions
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "terraform-state", "--yes")
    assert result.exit_code == 0, result.output
    current_version, body = world.state_object()
    # The checkpoint's content (serial 7) at the current serial 8 + 1: a restore is a new state version.
    assert json.loads(body) == restored_state(state_document(7), 9)
    assert current_version not in world.state_versions
    versions = world.client("s3").list_object_versions(Bucket=STATE_BUCKET, Prefix=STATE_KEY)["Versions"]
    assert {item["VersionId"] for item in versions} == {checkpoint_version, replaced_version, current_version}
    kept = world.client("s3").get_object(Bucket=STATE_BUCKET, Key=STATE_KEY, VersionId=replaced_version)
    assert kept["Body"].read() == state_document(8)
    assert lock_item(world) is None, "the state lock was not released"
    assert lock_item(world, f"{LOCK_ID}-md5") == {"LockID": {"S": f"{LOCK_ID}-md5"},
                                                    "Digest": {"S": hashlib.md5(body).hexdigest()}}
    assert [call.action for call in proxy.mutating_calls()] == ["PutItem", "PutObject", "PutItem", "DeleteItem"]
    write = next(entry for entry in world.journal() if entry["action"] == "s3:PutObject state")
    assert (write["request"]["replaced_serial"], write["request"]["restored_serial"]) == (8, 9)
    assert f"replaced version {replaced_version} kept" in result.output

    proxy.reset()
    again = invoke(cli, "rollback", ENVIRONMENT, "--step", "terraform-state", "--yes")
    assert again.exit_code == 0, again.output
    assert (f"(serial 9) already holds the content of version {checkpoint_version} (serial 7): nothing to do"
            in again.output), again.output
    assert proxy.mutating_calls() == []


def test_state_restore_waits_for_nobody_when_the_state_is_locked(world: World, cli) -> None:
    holder = {"ID": "1234", "Operation": "OperationTypeApply", "Who": "alice@laptop", "Created": "2026-11-26T03:00:00Z"}
    world.client("dynamodb").put_item(TableName=LOCK_TABLE, Item={"LockID": {"S": LOCK_ID},
                                                                  "Info": {"S": json.dumps(holder)}})
    dry = invoke(cli, "rollback", ENVIRONMENT, "--step", "terraform-state")
    assert dry.exit_code == 0, dry.output
    assert "held by alice@laptop (OperationTypeApply, since 2026-11-26T03:00:00Z, ID 1234)" in dry.output
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "terraform-state", "--yes")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(
        f"Error: step terraform-state failed: the state s3://{LOCK_ID} is locked by:\n"
        "  lock ID:   1234\n  held by:   alice@laptop\n  operation: apply\n"
        "  since:     2026-11-26T03:00:00Z\n"
        f"  found in:  DynamoDB {LOCK_TABLE}: LockID={LOCK_ID}\n"
        "nothing restored; wait for that run or release it with `toolkit unlock sandbox`\n"), result.stderr
    assert world.state_object()[1] == state_document(8)
    assert json.loads(lock_item(world)["Info"]["S"])["Who"] == "alice@laptop"


def test_state_restore_refuses_another_lineage(world: World, cli, proxy) -> None:
    world.client("s3").put_object(Bucket=STATE_BUCKET, Key=STATE_KEY, Body=state_document(9, lineage="other"))
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "terraform-state", "--yes")
    assert result.exit_code == 1, result.output
    assert (f"Error: step terraform-state failed: version {world.state_versions[0]} has lineage "
            "6f1c2a7e-0000-4000-8000-000000000001 but the current state has lineage other: they are different "
            "states; refusing to restore") in result.stderr
    assert proxy.mutating_calls() == []


def test_local_state_restore_under_terraform_lock(project, cli, proxy) -> None:
    state_path = local_state_checkpoint(project, state_document(8))

    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(state_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        blocked = invoke(cli, "rollback", "dev", "--step", "terraform-state", "--yes")
        assert blocked.exit_code == 1, blocked.output
        assert f"Error: step terraform-state failed: the state {state_path} is locked by:" in blocked.stderr
        assert "held by:   another process" in blocked.stderr and "nothing restored" in blocked.stderr
        assert state_path.read_bytes() == state_document(8)
    finally:
        holder.communicate("release\n", timeout=10)

    result = invoke(cli, "rollback", "dev", "--step", "terraform-state", "--yes")
    assert result.exit_code == 0, result.output
    assert json.loads(state_path.read_bytes()) == restored_state(state_document(7), 9)
    kept = [path for path in state_path.parent.iterdir() if path.name.endswith(".replaced")]
    assert [path.read_bytes() for path in kept] == [state_document(8)]
    assert not (state_path.parent / ".terraform.tfstate.lock.info").exists()
    again = invoke(cli, "rollback", "dev", "--step", "terraform-state", "--yes")
    assert again.exit_code == 0, again.output
    assert (f"{state_path}: already holds the checkpoint's state (serial 7, now serial 9): nothing to do"
            in again.output), again.output
    assert proxy.calls == [], "a local state restore must not call AWS"


LOCK_HOLDER = """
import fcntl, sys
with open(sys.argv[1], "r+b") as handle:
    fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print("locked", flush=True)
    sys.stdin.readline()
"""


def test_parameter_groups_go_back_and_static_changes_need_a_reboot(world: World, cli, proxy) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "db-parameter-group", "--yes")
    assert result.exit_code == 0, result.output
    assert world.parameters("instance") == {"max_connections": "200", "work_mem": "16384"}
    assert world.parameters("cluster") == {"log_min_duration_statement": "1000"}
    lines = result.output.splitlines()
    assert ("    instance parameter group edu-sandbox-pg: back to the checkpoint's values (verified); immediate: "
            "work_mem; pending-reboot: max_connections") in lines
    assert (f"    edu-sandbox-db: needs a reboot (static parameters of edu-sandbox-pg: max_connections): `toolkit "
            f"rollback sandbox --step db-parameter-group --to {world.checkpoint_id} --reboot --yes`") in lines
    assert "RebootDBInstance" not in proxy.actions()
    proxy.reset()
    again = invoke(cli, "rollback", ENVIRONMENT, "--step", "db-parameter-group", "--yes")
    assert again.exit_code == 0, again.output
    assert "    instance parameter group edu-sandbox-pg: already at the checkpoint's 2 values: nothing to do" \
        in again.output.splitlines()
    assert proxy.mutating_calls() == []


def test_parameter_groups_with_reboot(world: World, cli, proxy) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "db-parameter-group", "--reboot", "--yes", *FAST)
    assert result.exit_code == 0, result.output
    assert "    edu-sandbox-db: rebooted, available" in result.output.splitlines()
    assert [call.action for call in proxy.mutating_calls()] == ["ModifyDBParameterGroup",
                                                                "ModifyDBClusterParameterGroup", "RebootDBInstance"]


def test_cache_disable_registers_a_revision_without_redis(world: World, cli) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "cache-disable", "--yes", *FAST)
    assert result.exit_code == 0, result.output
    service = world.service()
    assert service["taskDefinition"].endswith("task-definition/edu-sandbox-app:3")
    definition = world.client("ecs").describe_task_definition(taskDefinition=service["taskDefinition"])
    environment = {item["name"]: item["value"] for item in definition["taskDefinition"]["containerDefinitions"][0]
                   ["environment"]}
    assert environment == {"APP_ENV": "sandbox", "CACHE_ENABLED": "false"}
    assert definition["taskDefinition"]["containerDefinitions"][0]["image"] == "app:2.0-broken"
    assert "    registered edu-sandbox-app:3 (from edu-sandbox-app:2): app: remove REDIS_URL; app: CACHE_ENABLED " \
        "'true' → 'false'" in result.output.splitlines()
    journal_text = json.dumps(world.journal())
    assert "s3cr3t" not in result.output and "s3cr3t" not in journal_text
    again = invoke(cli, "rollback", ENVIRONMENT, "--step", "cache-disable", "--yes", *FAST)
    assert again.exit_code == 0, again.output
    assert (f"    {CLUSTER}/{SERVICE}: cache already off in edu-sandbox-app:3 (CACHE_ENABLED=false, no REDIS_URL): "
            "nothing to do") in again.output.splitlines()


def test_short_tier_twice(world: World, cli, proxy) -> None:
    first = invoke(cli, "rollback", ENVIRONMENT, "--tier", "short", "--yes", *FAST)
    assert first.exit_code == 0, first.output
    assert "Executed 3 steps: 3 done;" in first.output
    proxy.reset()
    second = invoke(cli, "rollback", ENVIRONMENT, "--tier", "short", "--yes", *FAST)
    assert second.exit_code == 0, second.output
    assert "Executed 3 steps: 3 nothing to do;" in second.output
    assert proxy.mutating_calls() == []


def test_journal_never_holds_secrets(world: World, cli) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "short", "--yes", *FAST)
    assert result.exit_code == 0, result.output
    text = json.dumps(world.journal())
    for secret in ("s3cr3t", "not-a-real-secret", "testing"):
        assert secret not in text
