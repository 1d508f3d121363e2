"""Terminal escapes, right-to-left overrides and lone surrogates in a plan reach no output raw and crash none."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.review.helpers import all_outputs
from toolkit.cli import app

ESCAPE = "\x1b[2J\x1b]0;owned\x07"
# Our own color codes are the only escapes the colored text may hold.
OWN_CODES = re.compile(r"\x1b\[(?:31|32|33|36|1|2|0)m")


def hostile_plan(path: Path) -> Path:
    plan = {
        "format_version": "1.2", "terraform_version": "1.15.5",
        "resource_changes": [
            {"address": f'aws_s3_bucket.b["k{ESCAPE}"]', "mode": "managed", "type": "aws_s3_bucket", "name": "b",
             "index": f"k{ESCAPE}",
             "change": {"actions": ["update"], "before": {"bucket": "old", "tags": {"a": "x"}},
                        "after": {"bucket": "new\ud800", "tags": {"a": "gpj\u202eexe.txt"}},
                        "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}}},
            {"address": f"aws_sqs_queue.q{ESCAPE}", "mode": "managed", "type": "aws_sqs_queue", "name": f"q{ESCAPE}",
             "change": {"actions": ["create"], "before": None, "after": {"name": "q\u202e\ud800"},
                        "after_unknown": {}, "before_sensitive": False, "after_sensitive": {}}},
        ],
        "output_changes": {f"out{ESCAPE}": {"actions": ["create"], "before": None, "after": "v\ud800\u202e",
                                            "after_unknown": False, "before_sensitive": False,
                                            "after_sensitive": False}},
    }
    path.write_text(json.dumps(plan), encoding="utf-8")  # json.dumps writes "\ud800" as an escape
    return path


def test_no_format_passes_an_escape_an_override_or_a_surrogate(tmp_path: Path) -> None:
    outputs = all_outputs(hostile_plan(tmp_path / "plan.json"))
    assert len(outputs) >= 6
    for name, text in outputs.items():
        text.encode("utf-8")  # a lone surrogate raises here
        visible = OWN_CODES.sub("", text) if "color" in name else text
        assert "\x1b" not in visible and "\x07" not in visible, name
        assert "\u202e" not in text, name
        assert re.search(r"\\x1b\[2J|\\u001b\[2J", text), f"{name}: the escape is shown, escaped"
    assert json.loads(outputs["json"])["outputs"][0]["after"] == '"v\ud800\u202e"', "JSON keeps the same string"


@pytest.mark.parametrize("output_format", ["text", "md", "json"])
def test_review_cli_writes_every_format(tmp_path: Path, output_format: str) -> None:
    result = CliRunner().invoke(app, ["review", str(hostile_plan(tmp_path / "plan.json")), "--format", output_format])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "aws_sqs_queue.q" in result.stdout
