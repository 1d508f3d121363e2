"""docs/ARCHITECTURE.md matches the code: every module it names exists, and it places every top-level module and
package of toolkit/ in a layer, as the layers contract does."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ARCHITECTURE = (REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
LAYERS = next(contract for contract in tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
              ["contracts"] if contract["id"] == "layers")


def test_every_module_it_names_exists() -> None:
    named = set(re.findall(r"`((?:toolkit|stub_provider)/[\w/]*(?:\.py|/))`", ARCHITECTURE))
    assert len(named) > 30
    missing = sorted(path for path in named if not (REPO / path).exists())
    assert not missing, f"docs/ARCHITECTURE.md names modules that do not exist: {missing}"


def test_it_places_every_top_level_module_in_a_layer() -> None:
    children = {path.stem if path.is_file() else path.name for path in (REPO / "toolkit").iterdir()
                if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").is_file()}
    in_contract = {name.strip() for layer in LAYERS["layers"] for name in layer.split("|")}
    assert children == in_contract
    table = ARCHITECTURE.split("## Where each concept lives")[0]
    unplaced = sorted(name for name in children
                      if f"toolkit/{name}.py`" not in table and f"toolkit/{name}/`" not in table)
    assert not unplaced, f"docs/ARCHITECTURE.md places no layer for: {unplaced}"
