"""The suite runs in random order (issue 21 item 2), and the modules that are one scenario say so."""

from __future__ import annotations

import random
import tomllib
from pathlib import Path
from types import SimpleNamespace

from tests.conftest import pytest_collection_modifyitems

REPO = Path(__file__).resolve().parents[2]


def test_pytest_randomly_is_a_dev_dependency_and_prints_its_seed() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert any(item.startswith("pytest-randomly") for item in project["project"]["optional-dependencies"]["dev"])
    import pytest_randomly

    assert "Using --randomly-seed=" in pytest_randomly.pytest_report_header(  # type: ignore[arg-type]
        SimpleNamespace(getoption=lambda name: 1234))


def _item(path: str, line: int, ordered: bool) -> SimpleNamespace:
    return SimpleNamespace(path=Path(path), location=(path, line, f"t{line}"), name=f"t{line}",
                           get_closest_marker=lambda name: object() if ordered and name == "in_order" else None)


def test_in_order_modules_keep_file_order_where_the_shuffle_put_them() -> None:
    scenario = [_item("a.py", line, True) for line in (10, 20, 30, 40)]
    others = [_item("b.py", line, False) for line in (5, 6, 7)]
    items = scenario + others
    random.Random(3).shuffle(items)
    slots = [index for index, item in enumerate(items) if item.path.name == "a.py"]
    free = [item.location[1] for item in items if item.path.name == "b.py"]
    pytest_collection_modifyitems(items)  # type: ignore[arg-type]
    assert [items[index].location[1] for index in slots] == [10, 20, 30, 40]
    assert [item.location[1] for item in items if item.path.name == "b.py"] == free, "the others stay shuffled"
