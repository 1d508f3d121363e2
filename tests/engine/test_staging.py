"""The staging tree: a root whose modules live in sibling folders plans exactly as in the repository."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.engine.conftest import REPO, make_project, toolkit

pytestmark = pytest.mark.slow

MODULE = 'variable "name" {\n  type = string\n}\n\noutput "greeting" {\n  value = "hello ${var.name}"\n}\n'
ROOT = 'module "greeting" {\n  source = "../../modules/greeting"\n  name   = var.environment\n}\n\n' \
       'output "greeting" {\n  value = module.greeting.greeting\n}\n'


def test_relative_module_sources_resolve_in_the_staged_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = make_project(tmp_path, "eng-stage", {"app": {"terraform": {"root": "stacks/app"}}})
    (project.root / "modules" / "greeting").mkdir(parents=True)
    (project.root / "modules" / "greeting" / "main.tf").write_text(MODULE)
    (project.root / "stacks" / "app").mkdir(parents=True)
    (project.root / "stacks" / "app" / "main.tf").write_text(ROOT)
    # The sandbox's variable declarations match every config key; its provider block is not needed here.
    shutil.copy(REPO / "examples" / "sandbox" / "variables.tf", project.root / "stacks" / "app" / "variables.tf")
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(project.root))

    result = toolkit("plan", "app")
    assert result.exit_code == 2, result.output
    plan = json.loads((project.latest_plan("app") / "plan.json").read_text())
    assert plan["planned_values"]["outputs"]["greeting"]["value"] == "hello app"

    staged = project.data_dir("app") / "stage" / "stacks" / "app"
    assert staged.is_dir() and not staged.is_symlink()
    assert (staged / "main.tf").resolve() == project.root / "stacks" / "app" / "main.tf"
    assert (staged / "toolkit_backend.tf").resolve() == project.root / "build" / "app" / "backend.tf"
    assert (project.data_dir("app") / "stage" / "modules").resolve() == project.root / "modules"
    # Nothing terraform writes lands in the repository's folders.
    assert sorted(path.name for path in (project.root / "stacks" / "app").iterdir()) == ["main.tf", "variables.tf"]
