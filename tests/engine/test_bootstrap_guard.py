"""`python -m toolkit.engine.bootstrap ENV` creates state buckets on the emulator only, unless told otherwise: with the
endpoint variable forgotten it used to create the bucket in whatever account the credentials reached (a review's
finding). Each refusal names the file and the key and happens before any AWS client exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.conftest import make_project, sandbox_environment
from toolkit.engine import bootstrap
from toolkit.errors import ConfigError, RenderError
from toolkit.project import Project

ENV = "sandbox-a"


@pytest.fixture
def no_client(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """aws_client replaced by a recorder that fails the test's expectations if anything reaches AWS."""
    made: list[str] = []
    monkeypatch.setattr(bootstrap, "aws_client", lambda service, **_: made.append(service))
    return made


def _project(tmp_path: Path, **backend: object) -> Project:
    environment = sandbox_environment("boot")
    environment["backend"] = {**environment["backend"], **backend}
    if backend.get("endpoint_from_env") is None:
        environment["backend"].pop("endpoint_from_env")
    return Project(make_project(tmp_path, "boot", {ENV: environment}).root)


def test_a_backend_without_an_emulator_endpoint_needs_real_aws_said(tmp_path: Path, no_client: list[str]) -> None:
    project = _project(tmp_path, endpoint_from_env=None)
    with pytest.raises(ConfigError) as refused:
        bootstrap.ensure_state_backend(project, ENV)
    assert f"envs/{ENV}.yaml" in str(refused.value) and "--real-aws" in str(refused.value)
    assert "nothing was created" in str(refused.value)
    assert no_client == []


def test_an_unset_endpoint_variable_is_named(tmp_path: Path, no_client: list[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOOLKIT_TEST_UNSET_ENDPOINT", raising=False)
    project = _project(tmp_path, endpoint_from_env="TOOLKIT_TEST_UNSET_ENDPOINT")
    with pytest.raises(ConfigError) as refused:
        bootstrap.ensure_state_backend(project, ENV, real_aws=True)  # --real-aws never overrides a named emulator
    assert "TOOLKIT_TEST_UNSET_ENDPOINT" in str(refused.value) and "toolkit emulator up" in str(refused.value)
    assert no_client == []


@pytest.mark.parametrize("endpoint", ["http://10.0.0.1:5000", "https://s3.amazonaws.com", "http://127.0.0.1.evil:5"])
def test_an_endpoint_off_this_machine_is_refused(tmp_path: Path, no_client: list[str],
                                                 monkeypatch: pytest.MonkeyPatch, endpoint: str) -> None:
    monkeypatch.setenv("TOOLKIT_TEST_ENDPOINT", endpoint)
    project = _project(tmp_path, endpoint_from_env="TOOLKIT_TEST_ENDPOINT")
    with pytest.raises(RenderError, match="not an emulator on this machine"):
        bootstrap.ensure_state_backend(project, ENV)
    assert no_client == []


def test_the_command_line_takes_one_environment_and_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    for arguments in ([], ["a", "b"], ["--real-aws"], ["--force"]):
        assert bootstrap.main(arguments) == 2
        assert "usage: python -m toolkit.engine.bootstrap ENVIRONMENT [--real-aws]" in capsys.readouterr().err
