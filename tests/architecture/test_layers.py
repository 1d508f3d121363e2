"""The package's layering (docs/ARCHITECTURE.md) holds, and an import planted against a contract fails it with
the contract's own words, as `make test` would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONTRACTS = {contract["id"]: contract
             for contract in tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]}


def lint_imports(root: Path, *arguments: str) -> tuple[int, str]:
    """`lint-imports` over the packages in `root` (their copy there, not the installed one); exit code, output with
    its line wrapping undone."""
    result = subprocess.run([str(LINT_IMPORTS), "--no-cache", *arguments], cwd=root, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(root)}, timeout=300)
    return result.returncode, " ".join((result.stdout + result.stderr).split())


def test_every_contract_is_kept() -> None:
    code, output = lint_imports(REPO)
    assert code == 0, output
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in output


# (contract, file, the import planted at its end, what the report names)
PLANTED = [
    ("layers", "toolkit/errors.py", "from toolkit.engine import plan_environment",
     "toolkit.errors is not allowed to import toolkit.engine"),
    ("layers", "toolkit/records/checkpoints.py", "from toolkit.rollback.runbook import run_rollback",
     "toolkit.records is not allowed to import toolkit.rollback"),
    ("layers", "toolkit/plans/saved.py", "from toolkit.state.lock import LockInfo",
     "toolkit.plans is not allowed to import toolkit.state"),
    ("no-circles", "toolkit/engine/terraform.py", "from toolkit.engine.apply import apply_environment",
     "No cycles are allowed in toolkit.engine"),
    ("cli-on-top", "toolkit/review/service.py", "from toolkit.cli.options import Environment",
     "toolkit.review.service -> toolkit.cli.options"),
    ("stub-provider-apart", "stub_provider/cty.py", "from toolkit.errors import ToolkitError",
     "stub_provider.cty -> toolkit.errors"),
]


@pytest.mark.parametrize(("contract", "module", "planted", "named"), PLANTED,
                         ids=[f"{item[0]}:{item[1]}" for item in PLANTED])
def test_a_planted_import_breaks_the_contract(tmp_path: Path, contract: str, module: str, planted: str,
                                               named: str) -> None:
    for package in ("toolkit", "stub_provider"):
        shutil.copytree(REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "data"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    code, output = lint_imports(tmp_path, "--contract", contract)
    assert code == 0, output  # the copy keeps it before the plant
    target = tmp_path / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{planted}  # planted\n", encoding="utf-8")
    code, output = lint_imports(tmp_path, "--contract", contract)
    assert code != 0, output
    words = CONTRACTS[contract]
    assert f"{' '.join(words['name'].split())} BROKEN" in output
    assert named in output
    assert " ".join(words["broken_contract_guidance"].split()) in output
