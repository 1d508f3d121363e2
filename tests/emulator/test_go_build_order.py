"""Set-up builds the quick Go programs first: its budget (TOOLKIT_GO_BUILD_BUDGET, 600 s) must not go to the
AWS provider (hours on 2 cores) while Terraform 1.5.7, which tests/checks/test_floor.py needs, waits behind it."""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD_LINE = re.compile(r"scripts/go_build\.py((?: [a-z0-9.-]+)+) --mirror")


def _names(path: Path) -> list[str]:
    [found] = BUILD_LINE.findall(path.read_text())
    return found.split()


def test_setup_and_make_providers_build_quickest_first_in_the_spec_order() -> None:
    spec = list(json.loads((REPO / "toolkit/data/go_builds.json").read_text())["builds"])
    setup, make = _names(REPO / "scripts/setup.sh"), _names(REPO / "Makefile")
    assert setup == make == spec
    assert setup == ["tflint", "random", "terraform-1.5", "tofu", "aws"]
