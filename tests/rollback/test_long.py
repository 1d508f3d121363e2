"""The long tier against the emulator: restore from snapshot (instance and Aurora), cut-over, full."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from tests.rollback.conftest import DB_CLUSTER, DB_INSTANCE, ENVIRONMENT, GOOD_APPLY_CHECKPOINT, World, invoke
from tests.support.git_repo import commit_all, git

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


def full(cli, *extra: str) -> Any:
    return invoke(cli, "rollback", ENVIRONMENT, "--step", "full", *extra)


def set_live(world: World, **changes: Any) -> None:
    checkpoint = world.store.load(world.checkpoint_id)
    checkpoint.live = replace(checkpoint.live, **changes) if changes else None
    world.store.save(checkpoint)


def cannot_run(result: Any, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr == ("Error: 1 step cannot run as planned (nothing was changed):\n"
                             f"  full: {message}\n"), result.stderr


def test_full_dry_run_names_the_commit_and_the_kept_tfvars(world: World, cli, proxy) -> None:
    result = full(cli)
    assert result.exit_code == 0, result.output
    commit = world.store.load(world.checkpoint_id).live.git_commit
    assert (f"    terraform:plan+apply  sandbox: the live infrastructure → commit {commit[:12]} (examples/sandbox, "
            f"modules) with the tfvars checkpoint {GOOD_APPLY_CHECKPOINT} kept") in result.output.splitlines()
    assert proxy.mutating_calls() == []
    # The dry run plans that commit to show its plan; this throw-away project has no root module, and says so.
    assert (f"      - not planned in the dry run: commit {commit[:12]} has no root module folder examples/sandbox: "
            "nothing applied (--yes plans again, and stops on it)") in result.output.splitlines()


def failed(result: Any, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[0] == f"Error: step full failed: {message}", result.stderr


def test_full_before_the_first_apply_has_nothing_to_return_to(world: World, cli) -> None:
    set_live(world)
    cannot_run(full(cli), f"checkpoint {world.checkpoint_id} was taken before the first recorded apply of sandbox: "
                          "there is no earlier configuration to return to")


def test_full_needs_a_commit(world: World, cli) -> None:
    set_live(world, git_commit=None)
    failed(full(cli, "--yes"), f"the apply live at checkpoint {world.checkpoint_id} (checkpoint "
                                   f"{GOOD_APPLY_CHECKPOINT}) records no git commit: it was applied outside a git "
                                   "checkout, so its configuration cannot be rebuilt; use the other steps")


def test_full_says_which_commit_to_fetch(world: World, cli) -> None:
    missing = "0123456789abcdef0123456789abcdef01234567"
    set_live(world, git_commit=missing)
    failed(full(cli, "--yes"), f"commit {missing} (checkpoint {GOOD_APPLY_CHECKPOINT}) is not in the local "
                                   f"repository: fetch it (`git fetch origin {missing}`, or fetch the branch it was "
                                   "on), then run the step again")
    # Journaled like any failure, with nothing changed.
    assert [(entry["event"], entry["result"]) for entry in world.journal()] == [
        ("run-start", "started"), ("step", "failed"), ("run-end", "failed")]


def test_full_in_a_shallow_clone_says_to_unshallow(world: World, cli, tmp_path: Path, monkeypatch) -> None:
    origin = world.project.root
    first = git(origin, "rev-parse", "HEAD")
    (origin / "envs" / "note.txt").write_text("second commit\n")
    commit_all(origin, "second")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", str(clone))
    # No copy of .toolkit: the clone reads the same checkpoints, beside the S3 state.
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(clone))
    set_live(world, git_commit=first)
    failed(full(cli, "--yes"), f"commit {first} (checkpoint {GOOD_APPLY_CHECKPOINT}) is not in this shallow "
                                   "clone: fetch the history with `git fetch --unshallow` (or just that commit: "
                                   f"`git fetch --depth=1 origin {first}`), then run the step again")


def test_full_outside_git_says_so(world: World, cli) -> None:
    shutil.rmtree(world.project.root / ".git")
    commit = world.store.load(world.checkpoint_id).live.git_commit
    cannot_run(full(cli), f"{world.project.root} is not a git checkout: `--step full` rebuilds checkpoint "
                          f"{GOOD_APPLY_CHECKPOINT}'s commit {commit[:12]} from git; run it from a clone of the "
                          "repository")


def test_full_refuses_missing_or_edited_tfvars(world: World, cli) -> None:
    # Kept beside the S3 state (the sandbox's backend), next to the checkpoint record.
    name = world.store.tfvars_name(GOOD_APPLY_CHECKPOINT)
    kept = world.store.records.where(name)
    world.store.save_tfvars(GOOD_APPLY_CHECKPOINT, 'environment = "prod"\n')
    cannot_run(full(cli), f"{kept} does not match the sha256 checkpoint {GOOD_APPLY_CHECKPOINT} recorded: it was "
                          "edited after the apply; nothing applied")
    world.client("s3").delete_object(Bucket=world.store.records.bucket, Key=world.store.records.prefix + name)
    cannot_run(full(cli), f"checkpoint {GOOD_APPLY_CHECKPOINT} kept no rendered tfvars ({kept} is missing; "
                          "checkpoints older than this toolkit version do not): its configuration cannot be rebuilt "
                          "exactly; use the other steps")


def test_full_of_a_commit_without_the_root_module_fails_and_resumes_from_full(world: World, cli) -> None:
    """The commit only holds envs/ (no examples/sandbox): the step fails; `--tier long` resumes from full."""
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "long", "--yes", *FAST)
    assert result.exit_code == 1, result.output
    commit = world.store.load(world.checkpoint_id).live.git_commit
    lines = result.stderr.splitlines()
    assert lines[0] == f"Error: step full failed: commit {commit[:12]} has no root module folder examples/sandbox: " \
                       "nothing applied"
    assert lines[1].startswith("done: db-restore (done)")
    assert lines[2] == "not done: full"
    assert lines[3] == (f"resume with: toolkit rollback sandbox --tier long --resume-from full --to "
                        f"{world.checkpoint_id} --yes")
    run_id = world.journal()[-1]["run_id"]
    resumed = invoke(cli, "rollback", ENVIRONMENT, "--resume-from", run_id, "--yes")
    assert resumed.exit_code == 1, resumed.output
    assert "[1/1] full:" in resumed.output and "db-restore" not in resumed.output.split("[1/1]")[1]
    # The export is kept for the retry, complete (a marker is written last); the checkout is untouched.
    assert (world.project.environment_data_dir(ENVIRONMENT) / "rollback" / "source" / commit / ".toolkit-export"
            ).is_file()
    assert git(world.project.root, "status", "--porcelain") == ""


def test_full_refuses_a_commit_that_is_not_a_commit_id(world: World, cli) -> None:
    set_live(world, git_commit="--upload-pack=touch /tmp/owned")
    failed(full(cli, "--yes"), f"checkpoint {GOOD_APPLY_CHECKPOINT} records '--upload-pack=touch /tmp/owned' as its "
                               "commit, which is not a full git commit id: the checkpoint file was edited; nothing "
                               "applied")


def test_allow_destroy_only_goes_with_full(world: World, cli) -> None:
    result = invoke(cli, "rollback", ENVIRONMENT, "--tier", "immediate", "--allow-destroy", "aws_s3_bucket.this")
    assert result.exit_code == 1, result.output
    assert result.stderr == ("Error: --allow-destroy goes with --step full or --tier long (it is passed to the "
                             "apply guard)\n")


def test_export_skips_links_out_of_the_tree_and_survives_a_second_exporter(world: World, tmp_path: Path) -> None:
    """A commit holding an absolute symlink (a checkout's .cache link) exports without it; a second export of
    the same commit (two responders at once) reuses the first instead of removing it under the other's feet."""
    from toolkit.engine.source import READY_MARKER, export_commit

    root = world.project.root
    (root / ".cache").symlink_to("/etc")
    (root / "examples" / "sandbox").mkdir(parents=True)
    (root / "examples" / "sandbox" / "main.tf").write_text("# root\n")
    git(root, "add", "-f", ".cache", "examples")
    commit = commit_all(root, "with a link out of the tree")
    exported = export_commit(root, commit, tmp_path / "exports")
    assert (exported / "examples" / "sandbox" / "main.tf").read_text() == "# root\n"
    assert not (exported / ".cache").exists() and not (exported / ".cache").is_symlink()
    # Two responders at once: both exports finish, both get the same complete tree, nothing is removed.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: export_commit(root, commit, tmp_path / "concurrent"), range(4)))
    assert set(results) == {tmp_path / "concurrent" / commit}
    assert (results[0] / READY_MARKER).read_text() == commit + "\n"
    assert (results[0] / "examples" / "sandbox" / "main.tf").is_file()
    assert [path.name for path in (tmp_path / "concurrent").iterdir()] == [commit]
