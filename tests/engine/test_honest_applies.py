"""Apply records tell the truth about the state (issue "Honest results" items 4 and 10): a cancelled apply that
wrote nothing says so (it is neither the default rollback target nor a blind spot for writes by hand), and the plan
file applied is the one checked, however long the approval waited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.engine.conftest import EngineProject, bootstrap_backend, make_project, sandbox_environment, toolkit
from tests.support.moto_server import MotoServer
from toolkit.plans.binding import binding_of

# One scenario on one shared emulator project: each test builds on the ones before it.
pytestmark = [pytest.mark.slow, pytest.mark.in_order]
PROJECT = "eng-honest"
ENV = "trial"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory,
            module_environment: pytest.MonkeyPatch) -> Iterator[EngineProject]:
    created = make_project(tmp_path_factory.mktemp("engine"), PROJECT, {ENV: sandbox_environment(PROJECT)})
    module_environment.setenv("TOOLKIT_PROJECT_DIR", str(created.root))
    module_environment.setenv("TF_VAR_create_db_instance", "false")
    bootstrap_backend(created, ENV)
    yield created


def _store(project: EngineProject) -> Any:
    from toolkit.config import load_environment
    from toolkit.project import Project
    from toolkit.records.places import checkpoint_store_for

    here = Project(project.root)
    return checkpoint_store_for(here, load_environment(here, ENV))


def _add_bucket(project: EngineProject, name: str) -> None:
    values = project.read_environment(ENV)
    values["storage"]["buckets"][name] = {"versioning": False}
    project.write_environment(ENV, values)


def test_a_cancelled_apply_that_wrote_nothing_is_recorded_so(project: EngineProject, moto_server: MotoServer,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from toolkit.engine.terraform import Terraform
    from toolkit.rollback.history import history_since

    assert toolkit("plan", ENV, "--quiet").exit_code == 2
    applied = toolkit("apply", ENV)
    assert applied.exit_code == 0, applied.output
    (first,) = project.checkpoints(ENV)
    serial = project.state(moto_server, ENV)["serial"]

    _add_bucket(project, "later")
    assert toolkit("plan", ENV, "--quiet").exit_code == 2

    def cancelled_in_the_lock_wait(self: Terraform, plan_file: Any, *, lock_timeout: str) -> Any:
        raise KeyboardInterrupt  # Ctrl-C while terraform waits for the state lock: nothing written

    monkeypatch.setattr(Terraform, "apply", cancelled_in_the_lock_wait)
    cancelled = toolkit("apply", ENV)
    monkeypatch.undo()
    assert cancelled.exit_code != 0, cancelled.output
    record = next(item for item in project.checkpoints(ENV) if item["id"] != first["id"])["apply"]
    assert (record["result"], record["state_serial_after"], record["changed_state"]) == ("cancelled", serial, False)
    store = _store(project)
    assert store.newest_state_change().id == first["id"], "a cancel that wrote nothing is not the default target"
    # Its serial is known: a write by hand since is still caught.
    assert history_since(store, store.load(first["id"]), current_serial=serial + 1).names() == ["unrecorded"]


def test_a_plan_file_swapped_after_the_checks_is_not_applied(project: EngineProject, moto_server: MotoServer,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import toolkit.engine.apply as apply_module

    reviewed_folder = project.latest_plan(ENV).resolve()  # the previous test's plan: never applied
    reviewed_sha = binding_of(reviewed_folder / "plan.json", None).plan_sha256
    original = project.read_environment(ENV)
    _add_bucket(project, "unreviewed")
    assert toolkit("plan", ENV, "--quiet").exit_code == 2
    other_plan = (project.latest_plan(ENV).resolve() / "plan.tfplan").read_bytes()
    project.write_environment(ENV, original)
    latest = project.latest_plan(ENV)
    latest.unlink()
    latest.symlink_to(reviewed_folder.name, target_is_directory=True)
    serial = project.state(moto_server, ENV)["serial"]

    checkpoint_under_lock = apply_module.checkpoint_under_lock

    def swapped_meanwhile(*args: Any, **kwargs: Any) -> Any:
        # After the hash checks, terraform show and the approval: someone swaps the binary plan.
        answer = checkpoint_under_lock(*args, **kwargs)
        (reviewed_folder / "plan.tfplan").write_bytes(other_plan)
        return answer

    monkeypatch.setattr(apply_module, "checkpoint_under_lock", swapped_meanwhile)
    refused = toolkit("apply", ENV, "--expect-plan", reviewed_sha)
    monkeypatch.undo()
    assert refused.exit_code == 1, refused.output
    assert "changed after it was checked" in refused.output and "nothing was applied" in refused.output, \
        refused.output
    assert project.state(moto_server, ENV)["serial"] == serial
    assert f"{PROJECT}-{ENV}-unreviewed" not in {
        bucket["Name"] for bucket in moto_server.client("s3").list_buckets()["Buckets"]}
    assert project.checkpoints(ENV)[-1].get("apply") is None, "the apply never started"
