"""Bad input to plan, apply and unlock: exact messages, exit codes, and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.conftest import EngineProject, make_project, toolkit


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EngineProject:
    created = make_project(tmp_path, "eng-input", {"dev": {"terraform": {"root": "examples/sandbox"}}})
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(created.root))
    return created


def written(project: EngineProject) -> list[str]:
    return sorted(str(path.relative_to(project.root)) for folder in ("build", ".toolkit")
                  for path in (project.root / folder).rglob("*"))


@pytest.mark.parametrize(("arguments", "message"), [
    (["plan"], "Error: give an environment name or --all (not both)"),
    (["plan", "dev", "--all"], "Error: give an environment name or --all (not both)"),
    (["plan", "--all", "--destroy"],
     "Error: --destroy plans one environment at a time: give its name instead of --all"),
    (["plan", "dev", "--lock-timeout", "soon"],
     "Error: --lock-timeout 'soon': use a duration such as 0s, 30s, 5m or 1h"),
    (["apply", "dev", "--lock-timeout", "5 minutes"],
     "Error: --lock-timeout '5 minutes': use a duration such as 0s, 30s, 5m or 1h"),
])
def test_conflicting_or_malformed_options_are_usage_errors(project: EngineProject, arguments: list[str],
                                                           message: str) -> None:
    result = toolkit(*arguments)
    assert result.exit_code == 1, result.output
    assert result.output.strip() == message
    assert written(project) == []


def test_apply_without_a_saved_plan_says_what_to_run(project: EngineProject) -> None:
    result = toolkit("apply", "dev")
    assert result.exit_code == 1, result.output
    assert result.output.strip() == "Error: no saved plan for dev: run `toolkit plan dev` first"
    assert written(project) == []


def test_unknown_environment_is_named(project: EngineProject) -> None:
    result = toolkit("apply", "deb")
    assert result.exit_code == 1, result.output
    assert result.output.strip().startswith("Error: unknown environment 'deb' (did you mean 'dev'?)")
    assert written(project) == []
