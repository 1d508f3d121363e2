"""Guardrails of a protected environment (prod on the sandbox root, against the emulator): no apply without a
saved plan, without approval, of another environment's plan, of a stale or tampered plan, or destroying a
stateful resource without --allow-destroy for each one; a protected rollback needs approval too.

Also covered in tests/engine/test_guards.py (prod: --auto, approval, prompt, one bucket destroyed) and
tests/engine/test_sandbox_flow.py (stale plan, tampered plan file, changed variables); the cases here add what
those do not: another environment's plan, a tampered plan.json, `plan --destroy`, a partial --allow-destroy,
and the rollback guard.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

from tests.reliability.conftest import (
    EmulatorProject,
    assert_clean_failure,
    bootstrap_backend,
    make_emulator_project,
    run_cli,
    sandbox_environment,
)
from tests.support.moto_server import MotoServer
from tests.support.protected import PROTECTED_SETTINGS

# One scenario on one shared emulator project: each test builds on the ones before it.
pytestmark = [pytest.mark.slow, pytest.mark.in_order]
PROJECT = "rel-guard"
BUCKETS = {"uploads": {"versioning": True}, "exports": {"versioning": False}}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, emulator_variables: pytest.MonkeyPatch) -> EmulatorProject:
    created = make_emulator_project(tmp_path_factory.mktemp("guard"), PROJECT, {
        "prod": sandbox_environment(PROJECT, **PROTECTED_SETTINGS, storage={"buckets": BUCKETS}),
        "staging": sandbox_environment(PROJECT),
    })
    emulator_variables.setenv("TOOLKIT_PROJECT_DIR", str(created.root))
    bootstrap_backend(created, "prod")
    return created


def plans_dir(project: EmulatorProject, environment: str):
    return project.data_dir(environment) / "plans"


def point_latest_at(project: EmulatorProject, environment: str, folder_name: str) -> None:
    latest = plans_dir(project, environment) / "latest"
    latest.unlink()
    latest.symlink_to(folder_name, target_is_directory=True)


def assert_nothing_applied(project: EmulatorProject, moto: MotoServer, serial: int | None,
                           checkpoints: int) -> None:
    state = project.state(moto, "prod")
    assert (state["serial"] if state else None) == serial, "the state was not written"
    assert len(project.checkpoints("prod")) == checkpoints, "no checkpoint: nothing was about to change"
    assert project.lock_entry(moto, "prod") is None


def test_apply_without_a_saved_plan_is_refused(project: EmulatorProject, moto_server: MotoServer) -> None:
    result = run_cli("apply", "prod", "--approve", "prod")
    assert_clean_failure(result, code=1)
    assert result.stderr.rstrip("\n") == "Error: no saved plan for prod: run `toolkit plan prod` first"
    assert_nothing_applied(project, moto_server, None, 0)


def test_apply_without_approval_is_refused(project: EmulatorProject, moto_server: MotoServer) -> None:
    planned = run_cli("plan", "prod", "--quiet")
    assert planned.exit_code == 2, planned.output
    unapproved = run_cli("apply", "prod")
    assert_clean_failure(unapproved, code=1)
    assert unapproved.stderr.splitlines()[-1] == (
        "Error: prod is protected: applying needs approval. Re-run with `--approve prod` or run it in a terminal "
        "and type the environment name when asked")
    wrong = run_cli("apply", "prod", "--approve", "staging")
    assert_clean_failure(wrong, code=1)
    assert wrong.stderr.splitlines()[-1] == "Error: --approve staging does not match the environment being " \
                                            "applied (prod)"
    assert_nothing_applied(project, moto_server, None, 0)


def test_plan_of_another_environment_is_refused(project: EmulatorProject, moto_server: MotoServer) -> None:
    prod_plan = os.readlink(plans_dir(project, "prod") / "latest")
    planned = run_cli("plan", "staging", "--quiet")
    assert planned.exit_code == 2, planned.output
    staging_plan = os.readlink(plans_dir(project, "staging") / "latest")
    shutil.copytree(plans_dir(project, "staging") / staging_plan, plans_dir(project, "prod") / staging_plan)
    point_latest_at(project, "prod", staging_plan)
    try:
        result = run_cli("apply", "prod", "--approve", "prod")
    finally:
        point_latest_at(project, "prod", prod_plan)
        shutil.rmtree(plans_dir(project, "prod") / staging_plan)
    assert_clean_failure(result, code=1)
    assert f"Error: refusing to apply the saved plan {staging_plan} of prod:" in result.stderr
    assert_nothing_applied(project, moto_server, None, 0)


def test_plan_of_another_environment_is_named_as_such(project: EmulatorProject) -> None:
    staging_plan = os.readlink(plans_dir(project, "staging") / "latest")
    prod_plan = os.readlink(plans_dir(project, "prod") / "latest")
    shutil.copytree(plans_dir(project, "staging") / staging_plan, plans_dir(project, "prod") / staging_plan)
    point_latest_at(project, "prod", staging_plan)
    try:
        result = run_cli("apply", "prod", "--approve", "prod")
    finally:
        point_latest_at(project, "prod", prod_plan)
        shutil.rmtree(plans_dir(project, "prod") / staging_plan)
    assert_clean_failure(result, code=1)
    assert "  - the plan was made for staging, not prod\n" in result.stderr, result.stderr


def test_tampered_plan_file_is_refused(project: EmulatorProject, moto_server: MotoServer) -> None:
    plan_file = plans_dir(project, "prod") / "latest" / "plan.tfplan"
    original = plan_file.read_bytes()
    plan_file.write_bytes(original + b"\0")
    try:
        result = run_cli("apply", "prod", "--approve", "prod")
    finally:
        plan_file.write_bytes(original)
    assert_clean_failure(result, code=1)
    assert "was modified after `toolkit plan` saved it" in result.stderr
    assert "Run `toolkit plan prod` (and review it) again." in result.stderr
    assert_nothing_applied(project, moto_server, None, 0)


def test_approved_apply_proceeds_then_its_plan_is_stale(project: EmulatorProject, moto_server: MotoServer) -> None:
    applied = run_cli("apply", "prod", "--approve", "prod", "--quiet")
    assert applied.exit_code == 0, applied.output
    serial = project.state(moto_server, "prod")["serial"]
    again = run_cli("apply", "prod", "--approve", "prod")
    assert_clean_failure(again, code=1)
    assert "Error: refusing to apply the stale plan" in again.stderr
    assert f"the state changed since the plan (serial None → {serial})" in again.stderr
    assert_nothing_applied(project, moto_server, serial, 1)


def test_destroy_plan_needs_allow_destroy_for_every_stateful_resource(project: EmulatorProject,
                                                                      moto_server: MotoServer) -> None:
    planned = run_cli("plan", "prod", "--destroy", "--quiet")
    assert planned.exit_code == 2, planned.output
    serial = project.state(moto_server, "prod")["serial"]
    refused = run_cli("apply", "prod", "--approve", "prod")
    assert_clean_failure(refused, code=1)
    assert "Error: the plan of prod would destroy or replace stateful resources (data would be lost):" \
        in refused.stderr
    for name in BUCKETS:
        assert f"  - destroy aws_s3_bucket.this[\"{name}\"]" in refused.stderr
    partial = run_cli("apply", "prod", "--approve", "prod", "--allow-destroy", 'aws_s3_bucket.this["uploads"]')
    assert_clean_failure(partial, code=1)
    assert "  - destroy aws_s3_bucket.this[\"exports\"]" in partial.stderr
    assert "  - destroy aws_s3_bucket.this[\"uploads\"]" not in partial.stderr
    assert_nothing_applied(project, moto_server, serial, 1)


def journal_runs(project: EmulatorProject, environment: str) -> list[str]:
    """Rollback runs in the environment's journal (beside its S3 state)."""
    from toolkit.config import load_environment
    from toolkit.project import Project
    from toolkit.records.places import journal_for

    root = Project(project.root)
    return journal_for(root, load_environment(root, environment)).run_ids()


def test_protected_rollback_with_another_name_is_refused(project: EmulatorProject, moto_server: MotoServer) -> None:
    before = len(project.checkpoints("prod"))
    wrong = run_cli("rollback", "prod", "--step", "autoscaling", "--yes", "--approve", "staging")
    assert_clean_failure(wrong, code=1)
    assert wrong.stderr.rstrip("\n") == ("Error: --approve staging does not match the environment prod: nothing "
                                         "was changed")
    assert not journal_runs(project, "prod"), "nothing was executed"
    assert len(project.checkpoints("prod")) == before


def test_protected_rollback_without_approval_is_refused(project: EmulatorProject) -> None:
    """Without a terminal (CI), the typed confirmation cannot be given: a clear refusal, not click's 'Aborted!'."""
    unapproved = run_cli("rollback", "prod", "--step", "autoscaling", "--yes")
    assert_clean_failure(unapproved, code=1)
    assert unapproved.stderr.rstrip("\n") == "Error: prod is protected: add --approve prod (nothing was changed)"
    assert not journal_runs(project, "prod"), "nothing was executed"


def test_destroy_hidden_from_plan_json_is_still_refused(project: EmulatorProject, moto_server: MotoServer) -> None:
    plan_json = plans_dir(project, "prod") / "latest" / "plan.json"
    plan = json.loads(plan_json.read_text(encoding="utf-8"))
    assert any(change["type"] == "aws_s3_bucket" for change in plan["resource_changes"])
    plan["resource_changes"] = [change for change in plan["resource_changes"] if change["type"] != "aws_s3_bucket"]
    plan_json.write_text(json.dumps(plan), encoding="utf-8")
    serial = project.state(moto_server, "prod")["serial"]
    result = run_cli("apply", "prod", "--approve", "prod")
    assert_clean_failure(result, code=1)
    assert_nothing_applied(project, moto_server, serial, 1)
