"""`toolkit plan --all` on small environments with local state, and `apply --auto` (local backend)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.engine.conftest import EngineProject, make_project, sandbox_environment, toolkit

# One scenario on one project: the first plan sees alpha unapplied, `apply --auto` applies it, and the last plan
# expects alpha applied ("no changes") and the broken environment removed.
pytestmark = [pytest.mark.slow, pytest.mark.in_order]
PROJECT = "eng-all"
UNSET_ENDPOINT = "TOOLKIT_TEST_UNSET_ENDPOINT"


def local_environment(**overrides: Any) -> dict[str, Any]:
    """Sandbox root, state in .toolkit/state/ENV; the emulator endpoint still reaches the provider."""
    return sandbox_environment(PROJECT, backend={"type": "local", "endpoint_from_env": "AWS_ENDPOINT_URL"},
                               storage={"buckets": {"files": {"versioning": False}}}, allow_auto_apply=True,
                               **overrides)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory,
            module_environment: pytest.MonkeyPatch) -> Iterator[EngineProject]:
    created = make_project(tmp_path_factory.mktemp("engine"), PROJECT, {
        "alpha": local_environment(),
        "beta": local_environment(network={"vpc_cidr": "10.1.0.0/16"}),
        "broken": local_environment(terraform={"root": "examples/missing"}),
        # Emulator-only, like the sandbox: skipped by --all while its endpoint variable is unset.
        "gamma": sandbox_environment(PROJECT, backend={"type": "local", "endpoint_from_env": UNSET_ENDPOINT}),
    })
    module_environment.delenv(UNSET_ENDPOINT, raising=False)
    module_environment.setenv("TOOLKIT_PROJECT_DIR", str(created.root))
    module_environment.setenv("TF_VAR_create_db_instance", "false")
    yield created


def test_plan_all_plans_each_environment_and_reports_failures(project: EngineProject) -> None:
    result = toolkit("plan", "--all")
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    header = lines.index("ENVIRONMENT  RESULT      ADD  CHANGE  REPLACE  DESTROY")
    rows = {line.split()[0]: line.split()[1:] for line in lines[header + 1:header + 5]}
    for name in ("alpha", "beta"):
        summary = project.metadata(name)["summary"]
        assert rows[name] == ["changes", str(summary["add"]), "0", "0", "0"], result.output
        assert summary["add"] > 0
        # Each environment has its own terraform data dir, initialised for its own local state file.
        backend = json.loads((project.data_dir(name) / "terraform" / "terraform.tfstate").read_text())["backend"]
        assert backend["config"]["path"] == str(project.root / ".toolkit" / "state" / name / "terraform.tfstate")
    assert rows["broken"][0] == "FAILED"
    assert rows["gamma"][:2] == ["skipped", UNSET_ENDPOINT]
    assert not project.data_dir("gamma").exists()
    assert "Error: broken: examples/missing: root module folder not found" in result.output
    assert not (project.data_dir("broken") / "plans").exists()


def test_apply_auto_on_a_local_backend_keeps_a_state_backup(project: EngineProject) -> None:
    first = toolkit("apply", "alpha", "--auto", "--quiet")
    assert first.exit_code == 0, first.output
    state_file = project.root / ".toolkit" / "state" / "alpha" / "terraform.tfstate"
    before = state_file.read_bytes()
    values = project.read_environment("alpha")
    values["compute"]["max_tasks"] = 4
    project.write_environment("alpha", values)
    second = toolkit("apply", "alpha", "--auto", "--json")
    assert second.exit_code == 0, second.output
    outcome = json.loads(second.output)
    assert (outcome["applied"], outcome["change"]) == (True, 1)
    checkpoint = project.checkpoints("alpha")[-1]
    assert checkpoint["id"] == outcome["checkpoint_id"]
    assert checkpoint["state"]["backend"] == "local" and checkpoint["state"]["local_path"] == str(state_file)
    with open(checkpoint["state"]["local_backup"], "rb") as backup:
        assert backup.read() == before
    assert checkpoint["autoscaling"][0]["max"] == 3


def test_plan_all_exit_code_is_two_when_any_environment_has_changes(project: EngineProject) -> None:
    project.env_file("broken").unlink()
    result = toolkit("plan", "--all", "--json")
    assert result.exit_code == 2, result.output
    report = json.loads(result.output)
    statuses = {entry["environment"]: (entry["status"], entry["exit_code"]) for entry in report["environments"]}
    assert statuses == {"alpha": ("no changes", 0), "beta": ("changes", 2), "gamma": ("skipped", 0)}
    assert report["exit_code"] == 2
