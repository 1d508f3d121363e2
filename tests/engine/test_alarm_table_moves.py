"""Alarms from a table (issue 26 item 2): no CloudWatch alarm is destroyed and recreated by the refactor.

The base is the real tree before it (main at 4201664, exported with `git archive`), the branch the working
tree; both go into a throw-away git repository (never the real one). `toolkit plan ENV --offline --against main`
applies the base to the stub and plans the branch against that state: every alarm of the base must reappear at
its new address by a move (module moved blocks; the root's for the database alarms keyed by instance), with no
argument changed, and nothing else in the plan may change.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.engine.conftest import REPO, toolkit
from tests.support.git_repo import commit_all, git, init_repository

pytestmark = pytest.mark.slow

BASE_COMMIT = "4201664"
FOLDERS = ("terraform", "modules", "envs")
ALARM = "aws_cloudwatch_metric_alarm"
# An environment the root's moved blocks do not know, on Aurora: its database alarms need the README's state mv.
AURORA = "database:\n  engine_mode: aurora-serverless\n  read_replicas: 1\n"
BUCKET_REFACTOR = ("module.storage.", "module.audit[0].")
DATABASE_ALARMS = {"db_connections": "connections", "db_free_storage": "free-storage",
                   "db_free_local_storage": "free-local-storage"}


def _refactor_repository(root: Path, base_commit: str, extra: dict[str, str]) -> None:
    """`root` as a repository whose main is `base_commit`'s FOLDERS and whose checked-out branch is the tree's;
    both sides get the `extra` files (path => text)."""
    found = subprocess.run(["git", "cat-file", "-e", f"{base_commit}^{{commit}}"], cwd=REPO, capture_output=True)
    if found.returncode != 0:
        pytest.fail(f"commit {base_commit} (the tree before the alarm table) is not in {REPO}: this test plans "
                    "the refactor against it; fetch the full history (`git fetch --unshallow`)")
    archive = subprocess.run(["git", "archive", "--format=tar", base_commit, *FOLDERS], cwd=REPO,
                             capture_output=True, check=True).stdout
    root.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root, filter="data")
    (root / ".cache").symlink_to(REPO / ".cache")
    _write(root, extra)
    init_repository(root)
    git(root, "checkout", "-q", "-b", "alarm-table")
    ignore = shutil.ignore_patterns(".terraform*", "*.tfstate*", "tests")
    for folder in FOLDERS:
        shutil.rmtree(root / folder)
        shutil.copytree(REPO / folder, root / folder, ignore=ignore)
    _write(root, extra)
    commit_all(root, "the branch: the working tree")


def _write(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        (root / path).write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("alarm-table") / "project"
    _refactor_repository(root, BASE_COMMIT, {"envs/aurora.yaml": AURORA})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOOLKIT_PROJECT_DIR", str(root))
        patch.chdir(root)
        for name in ("TOOLKIT_TERRAFORM", "TF_CLI_CONFIG_FILE", "TOOLKIT_PROVIDER_MIRROR", "AWS_PROFILE"):
            patch.delenv(name, raising=False)
        yield root


def _base_state(root: Path, environment: str) -> Path:
    """The applied base state (toolkit.engine.offline_base keeps it under .toolkit/)."""
    states = list((root / ".toolkit" / "envs" / environment / "offline" / "base").glob("*/state/terraform.tfstate"))
    assert len(states) == 1, states
    return states[0]


def _base_alarms(root: Path, environment: str) -> set[str]:
    addresses = set()
    for resource in json.loads(_base_state(root, environment).read_text(encoding="utf-8"))["resources"]:
        if resource["mode"] == "managed" and resource["type"] == ALARM:
            prefix = f"{resource['module']}." if "module" in resource else ""
            for instance in resource["instances"]:
                key = instance.get("index_key")
                index = "" if key is None else f"[{json.dumps(key)}]"
                addresses.add(f"{prefix}{ALARM}.{resource['name']}{index}")
    return addresses


def _plan_against_main(project: Path, environment: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(toolkit's --json summary, Terraform's plan JSON) of the branch against the base applied to the stub."""
    result = toolkit("plan", environment, "--offline", "--against", "main", "--json")
    assert result.exit_code in (0, 2), result.output
    summary = json.loads(result.stdout)
    assert summary["offline_base"]["commit"] == git(project, "rev-parse", "main")
    return summary, json.loads(Path(summary["plan_json"]).read_text(encoding="utf-8"))


def _changed(plan: dict[str, Any]) -> dict[str, list[str]]:
    """Every change but a move, less the bucket refactor's own (issue 26 item 1, its justified policy and
    versioning changes: tests/engine/test_bucket_refactor.py)."""
    return {change["address"]: change["change"]["actions"] for change in plan["resource_changes"]
            if change["change"]["actions"] != ["no-op"] and not change["address"].startswith(BUCKET_REFACTOR)}


def _terraform(state: Path, command: str, *addresses: str) -> str:
    """`terraform state COMMAND` on the applied base state, as a caller would run it on theirs."""
    terraform = REPO / ".cache" / "engine" / "bin" / "terraform"
    completed = subprocess.run([str(terraform), "state", command, f"-state={state}", *addresses], cwd=state.parent,
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, f"terraform state {command} {addresses}: {completed.stderr}"
    return completed.stdout


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_every_alarm_moves_and_nothing_changes(project: Path, environment: str) -> None:
    summary, plan = _plan_against_main(project, environment)
    changed = _changed(plan)
    assert changed == {}, f"{environment}: the refactor must change nothing but addresses: {changed}"
    alarms = {change["address"]: change for change in plan["resource_changes"] if change["type"] == ALARM}
    moved = {change["previous_address"]: address for address, change in alarms.items()
             if "previous_address" in change}
    old = _base_alarms(project, environment)
    monitoring = {address for address in old if address.startswith("module.monitoring.")}
    assert len(monitoring) >= 10, monitoring  # the base really had the hand-written alarms
    assert set(moved) == monitoring, (f"{environment}: old alarm addresses not moved: {sorted(monitoring - set(moved))}"
                                      f"; moved from unknown addresses: {sorted(set(moved) - monitoring)}")
    assert all(".aws_cloudwatch_metric_alarm.this[" in address for address in moved.values()), moved
    # Alarms outside the monitoring module (compute's scaling alarms) keep their addresses.
    assert set(alarms) == set(moved.values()) | (old - monitoring)
    assert (summary["replace"], summary["destroy"]) == (0, 0), summary



def test_the_readmes_state_mv_moves_the_database_alarms_of_other_callers(project: Path) -> None:
    """Aurora (free local storage) in an environment the root's moved blocks do not name: without the README's
    `terraform state mv` its database alarms would be destroyed and recreated; with it, nothing changes."""
    _, before = _plan_against_main(project, "aurora")
    recreated = sorted(change["address"] for change in before["resource_changes"]
                       if change["type"] == ALARM and change["change"]["actions"] != ["no-op"])
    instances = ["edu-platform-aurora-1", "edu-platform-aurora-2"]
    module = "module.monitoring.aws_cloudwatch_metric_alarm"
    old = [f'{module}.{name}["{instance}"]' for name in ("db_connections", "db_free_local_storage")
           for instance in instances]
    new = [f'{module}.this["{instance}:{metric}"]' for metric in ("connections", "free-local-storage")
           for instance in instances]
    assert recreated == sorted(old + new), recreated
    state = _base_state(project, "aurora")
    # The README's commands: each instance's database alarms, then each cache alarm `state list` shows.
    moves = [(f'{module}.{name}["{instance}"]', f'{module}.this["{instance}:{DATABASE_ALARMS[name]}"]')
             for instance in instances for name in ("db_connections", "db_free_local_storage")]
    groups = _terraform(state, "list", f"{module}.cache_hit_rate").split()
    assert groups == [f'{module}.cache_hit_rate["nodes-1-1"]'], groups
    moves += [(group, group.replace(".cache_hit_rate[", ".this[")) for group in groups]
    for source, target in moves:
        _terraform(state, "mv", source, target)
    summary, after = _plan_against_main(project, "aurora")
    changed = _changed(after)
    assert changed == {}, changed
    assert (summary["replace"], summary["destroy"]) == (0, 0), summary
