"""One convention per option: the shared options of toolkit/cli/options.py are the only declarations of
the environment argument, --lock-timeout (one duration parser), and machine output (`--format json`,
with `--json` kept as a hidden alias)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from toolkit.cli import COMMANDS, app, load_command
from toolkit.duration import Duration, parse_duration


def every_command() -> Iterator[tuple[str, Any]]:
    """(full name, click command) of every leaf command, nested groups (envs, db) included."""
    def walk(prefix: str, command: Any) -> Iterator[tuple[str, Any]]:
        nested = getattr(command, "commands", None)
        if nested:
            for name, child in nested.items():
                yield from walk(f"{prefix} {name}", child)
        else:
            yield prefix, command

    for name in COMMANDS:
        yield from walk(name, load_command(name))


COMMAND_NAMES = [name for name, _ in every_command()]


def options_named(command: Any, flag: str) -> list[Any]:
    return [param for param in command.params if flag in getattr(param, "opts", [])]


@pytest.mark.parametrize("name", COMMAND_NAMES)
def test_environment_arguments_are_the_shared_one(name: str) -> None:
    command = dict(every_command())[name]
    for param in command.params:
        if param.param_type_name == "argument" and param.name in ("environment", "environments"):
            assert param.metavar in ("ENV", "ENV..."), f"{name}: {param.name} declared with metavar {param.metavar}"


@pytest.mark.parametrize("name", COMMAND_NAMES)
def test_lock_timeouts_use_the_one_duration_parser(name: str) -> None:
    command = dict(every_command())[name]
    for param in options_named(command, "--lock-timeout"):
        parser = param.type_descriptor.parameter_info.parser
        assert parser is parse_duration, f"{name}: --lock-timeout has its own parser ({parser})"


@pytest.mark.parametrize("name", COMMAND_NAMES)
def test_machine_output_is_format_json_and_json_is_hidden(name: str) -> None:
    command = dict(every_command())[name]
    for param in options_named(command, "--json"):
        assert param.hidden, f"{name}: --json is shown in help; the spelling is --format json"
        formats = options_named(command, "--format")
        choices = [member.value for member in formats[0].type_descriptor.annotation] if formats else []
        assert "json" in choices, f"{name}: --json without --format json"
    help_text = CliRunner().invoke(app, [*name.split(), "--help"]).output
    assert "--json" not in help_text, help_text


def test_every_command_with_json_output_takes_format_json() -> None:
    with_json = sorted(name for name, command in every_command() if options_named(command, "--json"))
    assert with_json == ["apply", "check", "checkpoints", "db lint", "db migrate", "db package", "db plan", "db status",
                         "doctor", "envs diff", "envs show", "plan"]


@pytest.mark.parametrize("spelling", [["--format", "json"], ["--json"], ["-f", "json"]])
def test_format_json_and_the_old_json_flag_give_the_same_output(spelling: list[str]) -> None:
    result = CliRunner().invoke(app, ["envs", "show", "sandbox", *spelling])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["terraform"]["root"] == "examples/sandbox"
    empty = CliRunner().invoke(app, ["checkpoints", "dev", *spelling])  # a local backend: no AWS needed
    assert empty.exit_code == 0, empty.output
    assert json.loads(empty.stdout) == []


@pytest.mark.parametrize("arguments", [
    ["drift", "sandbox", "--lock-timeout", "soon"],
    ["plan", "sandbox", "--lock-timeout", "soon"],
    ["apply", "sandbox", "--lock-timeout", "soon"],
    ["db", "migrate", "dev", "--lock-timeout", "soon"],
    ["db", "rollback", "dev", "--to", "1", "--lock-timeout", "soon"],
])
def test_a_bad_duration_is_the_same_error_everywhere(arguments: list[str]) -> None:
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 1, result.output
    assert result.stderr == "Error: --lock-timeout 'soon': use a duration such as 0s, 30s, 5m or 1h\n"


@pytest.mark.parametrize(("text", "seconds", "terraform"), [
    ("0s", 0.0, "0s"), ("30", 30.0, "30s"), ("5m", 300.0, "300s"), ("1h30m", 5400.0, "5400s"),
    ("500ms", 0.5, "500ms"), ("0.5", 0.5, "500ms"), ("1.5s", 1.5, "1500ms"),
])
def test_durations(text: str, seconds: float, terraform: str) -> None:
    assert parse_duration(text) == Duration(seconds)
    assert parse_duration(text).terraform == terraform


def test_db_lock_timeout_takes_a_duration(monkeypatch: pytest.MonkeyPatch) -> None:
    """`db --lock-timeout 2m` reaches the migration runner as 120 seconds (it used to take float seconds only)."""
    import toolkit.db.commands as commands

    seen: list[float | None] = []

    def fake_migrate(request: Any, target: Any) -> Any:
        seen.append(request.lock_timeout_seconds)
        raise commands.UsageError("stopped before connecting")

    monkeypatch.setattr(commands, "migrate", fake_migrate)
    for value in ("2m", "0.5"):
        CliRunner().invoke(app, ["db", "migrate", "dev", "--lock-timeout", value])
    assert seen == [120.0, 0.5]


@pytest.mark.parametrize(("arguments", "expected"), [
    (["plan", "sandbox", "--lock-timeout", "99999999999h"], "Error: --lock-timeout '99999999999h': at most 24h\n"),
    (["apply", "sandbox", "--lock-timeout", "25h"], "Error: --lock-timeout '25h': at most 24h\n"),
    (["db", "migrate", "dev", "--lock-timeout", "86401"], "Error: --lock-timeout '86401': at most 24h\n"),
    (["rollback", "sandbox", "--poll-interval", "0"],
     "Error: --poll-interval '0': must be more than 0 (such as 1s or 500ms)\n"),
    (["rollback", "sandbox", "--poll-interval", "0.0001"],
     "Error: --poll-interval '0.0001': must be more than 0 (such as 1s or 500ms)\n"),
    (["rollback", "sandbox", "--wait-timeout", "1000h"], "Error: --wait-timeout '1000h': at most 24h\n"),
])
def test_durations_out_of_range_are_refused_before_anything_runs(arguments: list[str], expected: str) -> None:
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 1, result.output
    assert result.stderr == expected


def test_the_largest_durations_allowed() -> None:
    assert parse_duration("24h") == Duration(86400.0)
    assert parse_duration("1ms", option="--poll-interval", positive=True) == Duration(0.001)
