"""Environment files are read by libyaml when PyYAML has it (about ten times faster: every command reads two), with
exactly the values and key locations of the pure-Python loader, and a refused file is refused with the pure-Python
loader's message (the one the other tests quote)."""

from __future__ import annotations

from pathlib import Path

import pytest

import toolkit.config.yaml_source as yaml_source
from toolkit.config.yaml_source import load_sourced
from toolkit.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
FILES = sorted([*REPO.glob("envs/*.yaml"), *REPO.glob("tests/fixtures/**/*.yaml")])
BAD = [
    "a: 1\n\tb: 2\n",                 # a tab
    "a: [1, 2\n",                     # unclosed flow sequence
    "a: 1\na: 2\n",                   # duplicate key
    "a:\n  b: 1\n c: 2\n",            # bad indentation
    "a: *missing\n",                  # unknown alias
    "? [a, b]\n: 1\n",                # a list as a key
]


def _pure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_source, "_FAST_LOADER", None)


def test_libyaml_is_used_here() -> None:
    # The wheels CI installs carry libyaml: without it every command silently pays the slow path.
    assert yaml_source._FAST_LOADER is not None


@pytest.mark.parametrize("file", FILES, ids=[str(file.relative_to(REPO)) for file in FILES])
def test_the_fast_path_gives_the_same_values_and_lines(file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = load_sourced(file)
    _pure(monkeypatch)
    pure = load_sourced(file)
    assert fast.data == pure.data
    assert fast.locations == pure.locations


@pytest.mark.parametrize("text", BAD)
def test_a_refused_file_gets_the_pure_loaders_message(text: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "dev.yaml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as fast:
        load_sourced(file, "envs/dev.yaml")
    _pure(monkeypatch)
    with pytest.raises(ConfigError) as pure:
        load_sourced(file, "envs/dev.yaml")
    assert str(fast.value) == str(pure.value)
