"""`toolkit apply --expect-plan SHA`: only the binary plan the pull request review showed is applied.

The attack: after the review, someone with write access to the plan folder (or the CI artifact) replaces
plan.tfplan, plan.json and metadata.json together with another plan's, consistently, so every guard that
compares those files with each other (and with the checkout) passes. Only the reviewed hash tells them apart.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.engine.conftest import EngineProject, bootstrap_backend, make_project, sandbox_environment, toolkit
from tests.support.moto_server import MotoServer
from toolkit.plans.binding import binding_of

pytestmark = pytest.mark.slow
PROJECT = "eng-expect"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory,
            module_environment: pytest.MonkeyPatch) -> Iterator[EngineProject]:
    created = make_project(tmp_path_factory.mktemp("engine"), PROJECT, {"trial": sandbox_environment(PROJECT)})
    module_environment.setenv("TOOLKIT_PROJECT_DIR", str(created.root))
    module_environment.setenv("TF_VAR_create_db_instance", "false")
    bootstrap_backend(created, "trial")
    yield created


def test_plan_files_replaced_consistently_after_the_review_are_refused(project: EngineProject,
                                                                        moto_server: MotoServer) -> None:
    reviewed = toolkit("plan", "trial", "--quiet")
    assert reviewed.exit_code == 2, reviewed.output
    reviewed_folder = project.latest_plan("trial").resolve()
    reviewed_sha = binding_of(reviewed_folder / "plan.json", None).plan_sha256
    assert reviewed_sha is not None

    other = toolkit("plan", "trial", "--quiet")
    assert other.exit_code == 2, other.output
    other_folder = project.latest_plan("trial").resolve()
    assert other_folder != reviewed_folder
    for name in ("plan.tfplan", "plan.json", "metadata.json"):
        shutil.copyfile(other_folder / name, reviewed_folder / name)
    latest = project.latest_plan("trial")
    latest.unlink()
    latest.symlink_to(reviewed_folder.name, target_is_directory=True)

    refused = toolkit("apply", "trial", "--expect-plan", reviewed_sha)
    assert refused.exit_code == 1, refused.output
    assert (f"the reviewed plan's is {reviewed_sha} (--expect-plan). The plan files were replaced after the "
            "review: nothing was applied") in refused.output
    assert project.state(moto_server, "trial") is None
    assert not project.checkpoints("trial"), "refused before the checkpoint"

    # The same files pass every other guard: applied when the hash given is theirs.
    their_sha = binding_of(reviewed_folder / "plan.json", None).plan_sha256
    applied = toolkit("apply", "trial", "--expect-plan", f"SHA256:{their_sha.upper()}")
    assert applied.exit_code == 0, applied.output
    assert project.state(moto_server, "trial") is not None


@pytest.mark.parametrize(("arguments", "message"), [
    (["--expect-plan", "abc123"], "Error: --expect-plan 'abc123': give the 64 hex characters of the reviewed "
                                  "plan's sha256"),
    (["--expect-plan", "0" * 64, "--auto"], "Error: --expect-plan applies the reviewed saved plan: leave out "
                                            "--auto (it makes a new plan)"),
])
def test_a_bad_expect_plan_is_a_usage_error(project: EngineProject, arguments: list[str], message: str) -> None:
    result = toolkit("apply", "trial", *arguments)
    assert result.exit_code == 1, result.output
    assert message in result.output
