"""The long tier against the emulator: restore from snapshot (instance and Aurora), cut-over, full."""

from __future__ import annotations

from tests.rollback.conftest import DB_CLUSTER, DB_INSTANCE, ENVIRONMENT, World, invoke

FAST = ("--poll-interval", "0.05")
RESTORED_INSTANCE = f"{DB_INSTANCE}-rb-"
RESTORED_CLUSTER = f"{DB_CLUSTER}-rb-"


def identifiers(world: World) -> tuple[set[str], set[str]]:
    rds = world.client("rds")
    return ({item["DBInstanceIdentifier"] for item in rds.describe_db_instances()["DBInstances"]},
            {item["DBClusterIdentifier"] for item in rds.describe_db_clusters()["DBClusters"]})


def tags(world: World, identifier: str, kind: str) -> dict[str, str]:
    rds = world.client("rds")
    if kind == "instance":
        found = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    else:
        found = rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0]
    return {tag["Key"]: tag["Value"] for tag in found.get("TagList", [])}


def test_restore_creates_new_databases_next_to_the_old_ones(world: World, cli, proxy) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "db-restore", "--yes", *FAST)
    assert result.exit_code == 0, result.output
    instances, clusters = identifiers(world)
    restored_instance = next(name for name in instances if name.startswith(RESTORED_INSTANCE))
    restored_cluster = next(name for name in clusters if name.startswith(RESTORED_CLUSTER))
    assert {DB_INSTANCE, f"{DB_CLUSTER}-1", f"{restored_cluster}-1"} <= instances
    assert DB_CLUSTER in clusters
    assert tags(world, restored_instance, "instance") == {"toolkit:rollback-of": DB_INSTANCE,
                                                          "toolkit:checkpoint": world.checkpoint_id}
    assert tags(world, restored_cluster, "cluster")["toolkit:rollback-of"] == DB_CLUSTER
    rds = world.client("rds")
    instance = rds.describe_db_instances(DBInstanceIdentifier=restored_instance)["DBInstances"][0]
    assert (instance["DBInstanceStatus"], instance["DBInstanceClass"]) == ("available", "db.t3.micro")
    assert instance["DBParameterGroups"][0]["DBParameterGroupName"] == "edu-sandbox-pg"
    cluster = rds.describe_db_clusters(DBClusterIdentifier=restored_cluster)["DBClusters"][0]
    assert cluster["Status"] == "available"
    assert [member["DBInstanceIdentifier"] for member in cluster["DBClusterMembers"]] == [f"{restored_cluster}-1"]
    assert (f"    next, when ready: toolkit rollback sandbox --step db-cutover --to {world.checkpoint_id} --yes"
            in result.output.splitlines())
    assert sorted(call.action for call in proxy.mutating_calls()) == [
        "CreateDBInstance", "RestoreDBClusterFromSnapshot", "RestoreDBInstanceFromDBSnapshot"]

    proxy.reset()
    again = invoke(cli, "rollback", ENVIRONMENT, "--step", "db-restore", "--yes", *FAST)
    assert again.exit_code == 0, again.output
    assert f"    {restored_instance}: already restored (available): nothing to do" in again.output.splitlines()
    assert proxy.mutating_calls() == []


def test_cutover_needs_the_restore_first(world: World, cli, proxy) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "db-cutover", "--yes", *FAST)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: step db-cutover failed: edu-sandbox-db-rb-")
    assert (f" not found: restore it first with `toolkit rollback sandbox --step db-restore --to "
            f"{world.checkpoint_id} --yes`\n") in result.stderr
    assert proxy.mutating_calls() == []


def test_cutover_swaps_names_and_is_idempotent(world: World, cli, proxy) -> None:
    restored = invoke(cli, "rollback", ENVIRONMENT, "--step", "db-restore", "--yes", *FAST)
    assert restored.exit_code == 0, restored.output
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "db-cutover", "--yes", *FAST)
    assert result.exit_code == 0, result.output
    instances, clusters = identifiers(world)
    assert tags(world, DB_INSTANCE, "instance")["toolkit:rollback-of"] == DB_INSTANCE
    assert tags(world, DB_CLUSTER, "cluster")["toolkit:rollback-of"] == DB_CLUSTER
    assert not any(name.startswith(RESTORED_INSTANCE) for name in instances)
    assert any(name.startswith(f"{DB_INSTANCE}-replaced-") for name in instances)
    assert any(name.startswith(f"{DB_CLUSTER}-replaced-") for name in clusters)
    proxy.reset()
    again = invoke(cli, "rollback", ENVIRONMENT, "--step", "db-cutover", "--yes", *FAST)
    assert again.exit_code == 0, again.output
    assert (f"    {DB_INSTANCE}: already the restored copy (tagged toolkit:rollback-of): nothing to do"
            in again.output.splitlines())
    assert proxy.mutating_calls() == []


def test_restore_from_a_named_snapshot(world: World, cli) -> None:
    world.client("rds").create_db_snapshot(DBInstanceIdentifier=DB_INSTANCE, DBSnapshotIdentifier="manual-pick")
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "db-restore", "--snapshot", "manual-pick", "--yes",
                    *FAST)
    assert result.exit_code == 0, result.output
    instances, clusters = identifiers(world)
    assert len([name for name in instances if name.startswith(RESTORED_INSTANCE)]) == 1
    assert not any(name.startswith(RESTORED_CLUSTER) for name in clusters)
    unknown = invoke(cli, "rollback", ENVIRONMENT, "--step", "db-restore", "--snapshot", "nope", "--yes")
    assert unknown.exit_code == 1, unknown.output
    assert ("Error: step db-restore failed: snapshot 'nope' not found (neither a DB snapshot nor a DB cluster "
            "snapshot)\n") in unknown.stderr


def test_point_in_time_restore(world: World, cli, proxy) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "db-restore", "--restore-time", "latest", "--yes", *FAST)
    assert result.exit_code == 0, result.output
    assert sorted(call.action for call in proxy.mutating_calls()) == [
        "CreateDBInstance", "RestoreDBClusterToPointInTime", "RestoreDBInstanceToPointInTime"]
    instances, clusters = identifiers(world)
    assert any(name.startswith(f"{DB_INSTANCE}-pitr-") for name in instances)
    assert any(name.startswith(f"{DB_CLUSTER}-pitr-") for name in clusters)


def test_point_in_time_restore_at_a_given_time(world: World, cli, proxy) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "db-restore", "--restore-time", "2026-11-26T14:00:00Z",
                    "--yes", *FAST)
    assert result.exit_code == 0, result.output
    instances, clusters = identifiers(world)
    assert f"{DB_INSTANCE}-pitr-202611261400" in instances
    assert f"{DB_CLUSTER}-pitr-202611261400" in clusters
    naive = invoke(cli, "rollback", ENVIRONMENT, "--step", "db-restore", "--restore-time", "2026-11-26T14:00:00")
    assert naive.exit_code == 1, naive.output
    assert naive.output == ("Error: --restore-time '2026-11-26T14:00:00': give the time zone (2026-11-26T14:15:00Z "
                            "for UTC)\n")


def test_full_prints_the_exact_commands_when_the_tree_is_not_the_checkpoints(world: World, cli) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "full", "--yes")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    commit = "0123456789abcdef0123456789abcdef01234567"
    assert f"    run by hand: git checkout {commit} -- envs examples/sandbox modules" in lines
    assert "    run by hand: toolkit plan sandbox" in lines
    assert "    run by hand: toolkit apply sandbox" in lines
    assert "ACTION NEEDED: full must be finished by hand (commands above)" in lines
    assert world.journal()[-2]["result"] == "manual"
