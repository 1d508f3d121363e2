"""`toolkit review` through the CLI: finding the plan, formats, output file, colors, errors."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.review.helpers import review_of
from toolkit.cli import app
from toolkit.review.render_text import write_text
from toolkit.review.service import default_format, use_color

runner = CliRunner()


def _save_plan(project: Path, environment: str, source: Path, plan_id: str = "20261126T120000Z-ab12") -> Path:
    """Lay a plan out the way `toolkit plan` does: plans/<id>/ and a `latest` symlink."""
    plans = project / ".toolkit" / "envs" / environment / "plans"
    folder = plans / plan_id
    folder.mkdir(parents=True)
    shutil.copy(source, folder / "plan.json")
    (folder / "metadata.json").write_text(json.dumps({
        "environment": environment, "plan_id": plan_id, "created_at": "2026-11-26T12:00:00Z",
        "git_commit": "0123456789abcdef0123",
    }))
    (plans / "latest").symlink_to(plan_id)
    return folder / "plan.json"


def test_review_environment_reads_its_latest_plan(project: Path, current_plan: Path) -> None:
    _save_plan(project, "dev", current_plan)
    result = runner.invoke(app, ["review", "dev"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "<!-- toolkit-review:dev -->"
    assert lines[3] == "**Plan: 2 to add, 4 to change, 3 to replace, 1 to destroy.**"
    assert lines[5] == (
        "<sub>Terraform 1.9.8, plan JSON format 1.2, plan 20261126T120000Z-ab12, planned at 2026-11-26T12:00:00Z, "
        "commit 0123456789ab</sub>"
    )
    assert "`toolkit rollback dev --step db-restore`" in result.stdout


def test_missing_plan_tells_to_run_toolkit_plan(project: Path) -> None:
    result = runner.invoke(app, ["review", "prod"])
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        "Error: no saved plan for environment 'prod' (.toolkit/envs/prod/plans/latest/plan.json is missing): "
        "run `toolkit plan prod` first\n"
    )
    assert result.stdout == ""


def test_unknown_environment(project: Path) -> None:
    result = runner.invoke(app, ["review", "qa"])
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        "Error: unknown environment 'qa': no envs/qa.yaml (environments: dev, prod; or pass a plan JSON file)\n"
    )


def test_missing_plan_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["review", str(tmp_path / "nope.json")])
    assert result.exit_code == 1, result.output
    assert result.stderr == f"Error: {tmp_path / 'nope.json'}: no such plan file\n"


def test_directory_is_not_a_plan(tmp_path: Path) -> None:
    result = runner.invoke(app, ["review", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert result.stderr == f"Error: {tmp_path} is not a regular file: save the plan JSON to a file first\n"


def test_bad_plan_file_writes_nothing(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text('{"format_version": "2.0", "resource_changes": []}')
    output = tmp_path / "review.md"
    result = runner.invoke(app, ["review", str(plan), "--output", str(output)])
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        f"Error: {plan}: format_version 2.0 is not supported: this toolkit reads plan JSON format 0.x/1.x\n"
    )
    assert list(tmp_path.iterdir()) == [plan]


def test_output_file_format_follows_its_suffix(tmp_path: Path, current_plan: Path) -> None:
    output = tmp_path / "review.json"
    result = runner.invoke(app, ["review", str(current_plan), "--output", str(output), "-e", "staging"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"Wrote {output}\n"
    document = json.loads(output.read_text())
    assert document["environment"] == "staging"
    assert document["summary_line"] == "Plan: 2 to add, 4 to change, 3 to replace, 1 to destroy."
    assert sorted(path.name for path in tmp_path.iterdir()) == ["review.json"]


def test_json_to_stdout(current_plan: Path) -> None:
    result = runner.invoke(app, ["review", str(current_plan), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["replace"] == 3


def test_text_format_without_a_terminal_has_no_colors(current_plan: Path) -> None:
    result = runner.invoke(app, ["review", str(current_plan), "--format", "text"])
    assert result.exit_code == 0, result.output
    assert "\033[" not in result.stdout
    lines = result.stdout.splitlines()
    assert lines[1] == "Plan: 2 to add, 4 to change, 3 to replace, 1 to destroy."
    assert lines[4] == "DATA AT RISK (3)"
    assert "        ingress[0].from_port: 80 → 443" in lines


@pytest.mark.parametrize(
    ("terminal", "no_color", "environment", "expected"),
    [
        (True, False, {}, True),
        (True, True, {}, False),
        (True, False, {"NO_COLOR": "1"}, False),
        (True, False, {"NO_COLOR": ""}, True),
        (False, False, {}, False),
    ],
)
def test_color_decision(terminal: bool, no_color: bool, environment: dict[str, str], expected: bool) -> None:
    assert use_color("text", terminal, no_color, environment) is expected
    assert use_color("md", terminal, no_color, environment) is False


def test_invalid_format(current_plan: Path) -> None:
    result = runner.invoke(app, ["review", str(current_plan), "--format", "html"])
    assert result.exit_code == 1, result.output
    assert "Invalid value for '--format'" in result.stderr


def test_help_has_an_example() -> None:
    result = runner.invoke(app, ["review", "--help"])
    assert result.exit_code == 0, result.output
    assert "Example: toolkit review staging --format md --output review.md" in result.stdout


@pytest.mark.parametrize(
    ("output", "terminal", "expected"),
    [
        (None, True, "text"),
        (None, False, "md"),
        (Path("review.json"), True, "json"),
        (Path("review.MD"), False, "md"),
        (Path("review.txt"), False, "text"),
        (Path("review.out"), True, "md"),
    ],
)
def test_default_format(output: Path | None, terminal: bool, expected: str) -> None:
    assert default_format(output, terminal) == expected


def test_colored_text_marks_the_warnings(current_plan: Path) -> None:
    out = io.StringIO()
    write_text(review_of(current_plan), out, color=True)
    lines = out.getvalue().splitlines()
    assert lines[4] == "\033[31m\033[1mDATA AT RISK (3)\033[0m"
    assert "\033[32m+ aws_secretsmanager_secret_version.api\033[0m" in out.getvalue()
