"""Hostile or odd YAML in an environment file: refused at once with the file, the line and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.config.yaml_source import MAX_EXPANDED_VALUES, MAX_NESTING, load_sourced
from toolkit.errors import ConfigError

runner = CliRunner()

# Nine levels of nine aliases: ~387 million values from nine lines.
ALIAS_BOMB = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f"{child}: &{child} [*{parent},*{parent},*{parent},*{parent},*{parent},*{parent},*{parent},*{parent},*{parent}]\n"
    for parent, child in zip("abcdefgh", "bcdefghi", strict=True))

HAZARDS = [
    ("alias-bomb", ALIAS_BOMB, f"envs/dev.yaml:6: anchors and aliases here expand to more than "
                               f"{MAX_EXPANDED_VALUES:,} values"),
    ("list-key", "? [a, b]\n: 1\n", "envs/dev.yaml:1: YAML syntax error: a key must be a plain name or number, "
                                    "not a list"),
    ("mapping-key", "tags:\n  ? {a: 1}\n  : 1\n", "envs/dev.yaml:2: YAML syntax error: a key must be a plain name "
                                                  "or number, not a mapping"),
    ("deep-flow", "a: " + "[" * 100_000 + "]" * 100_000 + "\n",
     f"envs/dev.yaml:1: nested more than {MAX_NESTING} levels deep"),
    ("deep-block", "".join("  " * level + f"k{level}:\n" for level in range(2000)),
     f"envs/dev.yaml:{MAX_NESTING + 1}: nested more than {MAX_NESTING} levels deep"),
]


@pytest.mark.parametrize(("text", "expected"), [case[1:] for case in HAZARDS], ids=[case[0] for case in HAZARDS])
def test_hazard_is_a_config_error_naming_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    file = tmp_path / "dev.yaml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_sourced(file, "envs/dev.yaml")
    assert str(raised.value).startswith(expected)


@pytest.mark.parametrize("text", [case[1] for case in HAZARDS[:3]], ids=[case[0] for case in HAZARDS[:3]])
def test_render_refuses_the_hazard_without_a_traceback(project_dir: Path, text: str) -> None:
    (project_dir / "envs" / "dev.yaml").write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["render", "dev"])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: envs/dev.yaml:")
    assert "Traceback" not in result.output


def test_anchors_aliases_and_merge_keys_of_a_normal_size_still_load(tmp_path: Path) -> None:
    file = tmp_path / "dev.yaml"
    file.write_text("base: &base {cpu: 256, memory: 512}\nservice:\n  <<: *base\n  memory: 1024\n"
                    "copies: [*base, *base]\n", encoding="utf-8")
    document = load_sourced(file, "envs/dev.yaml")
    assert document.data["service"] == {"cpu": 256, "memory": 1024}
    assert document.data["copies"] == [{"cpu": 256, "memory": 512}] * 2


def test_duplicate_keys_are_still_refused(tmp_path: Path) -> None:
    file = tmp_path / "dev.yaml"
    file.write_text("a: 1\na: 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="duplicate key 'a' \\(first at line 1\\)"):
        load_sourced(file, "envs/dev.yaml")
