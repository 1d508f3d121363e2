"""Exit codes mean one thing each: 0 ok, 2 only "changes present" / "drift found", 1 every error,
Click's own usage errors included (Click exits 2 on them by default)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from toolkit.cli import app


@pytest.mark.parametrize(("arguments", "message"), [
    (["plan", "--nope"], "No such option: --nope"),
    (["--nope"], "No such option: --nope"),
    (["db", "status"], "Missing argument 'ENV'."),
    (["envs", "show"], "Missing argument 'ENV'."),
    (["review", "x.json", "--format", "html"], "Invalid value for '--format'"),
    (["rollback", "sandbox", "--tier", "immediate", "--wait-timeout", "soon"],
     "Error: --wait-timeout 'soon': use a duration such as 0s, 30s, 5m or 1h"),
    (["nosuchcommand"], "No such command 'nosuchcommand'."),
])
def test_click_usage_errors_exit_1(arguments: list[str], message: str) -> None:
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 1, result.output
    assert message in result.stderr, result.stderr


@pytest.mark.parametrize("arguments", [
    ["drift", "nosuchenv"], ["plan", "nosuchenv"], ["review", "nosuchenv"], ["rollback", "nosuchenv", "--tier",
                                                                            "immediate"],
    ["apply", "nosuchenv"], ["checkpoints", "nosuchenv"], ["render", "nosuchenv"],
])
def test_a_wrong_environment_name_exits_1(arguments: list[str]) -> None:
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 1, result.output
    assert "nosuchenv" in result.stderr, result.output


def test_library_usage_errors_exit_1() -> None:
    result = CliRunner().invoke(app, ["plan", "sandbox", "--all"])
    assert result.exit_code == 1, result.output
    assert result.stderr == "Error: give an environment name or --all (not both)\n"
