"""docs/CLI.md is generated from the commands' own help: stale or missing commands fail here (and in CI)."""

from __future__ import annotations

import subprocess
import sys

from toolkit.cli import reference


def test_the_checked_in_reference_is_current() -> None:
    text = reference.REFERENCE.read_text(encoding="utf-8")
    assert reference.problems(text) == [], "run `.venv/bin/python -m toolkit.cli.reference` and commit docs/CLI.md"


def test_every_command_has_a_section() -> None:
    text = reference.REFERENCE.read_text(encoding="utf-8")
    names = list(reference.command_names())
    assert {"plan", "apply", "rollback", "drift", "envs show", "db migrate"} <= set(names)
    for name in names:
        assert f"\n## toolkit {name}\n" in text, name


def test_a_missing_command_is_named() -> None:
    text = reference.render().replace("\n## toolkit unlock\n", "\n## toolkit (removed)\n")
    assert reference.problems(text) == ["docs/CLI.md has no section for: toolkit unlock"]


def test_a_changed_help_text_is_stale() -> None:
    text = reference.render().replace("Plan every environment concurrently.", "Plan them all.")
    assert reference.problems(text) == ["docs/CLI.md is stale: a command's help changed"]


def test_the_check_command_exits_1_when_stale(tmp_path, monkeypatch) -> None:
    stale = tmp_path / "CLI.md"
    stale.write_text("# CLI reference\n", encoding="utf-8")
    monkeypatch.setattr(reference, "REFERENCE", stale)
    assert reference.main(["--check"]) == 1
    assert reference.main([]) == 0
    assert reference.main(["--check"]) == 0
    completed = subprocess.run([sys.executable, "-m", "toolkit.cli.reference", "--check"], capture_output=True,
                               text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr


def test_the_help_shows_no_deprecated_spelling() -> None:
    text = reference.REFERENCE.read_text(encoding="utf-8")
    assert "--json" not in text
    assert "{environment}" not in text
