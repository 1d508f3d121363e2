"""A throw-away project (envs/ only) and plans of its environments built like the real root's."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cost.synthetic import environment_plan
from tests.foundation.conftest import project_dir  # noqa: F401 (a copy of envs/ and terraform/, the fixture)


def variables_of(environment: str) -> dict[str, Any]:
    from toolkit.config.environment import load_environment
    from toolkit.project import Project

    return load_environment(Project.discover(), environment).terraform_variables()


@pytest.fixture
def env_plan(project_dir: Path) -> Callable[..., Path]:  # noqa: F811
    """Write the create-everything plan of an environment (optionally edited) and return its path."""

    def make(environment: str, edit: Callable[[dict[str, Any]], None] | None = None) -> Path:
        document = environment_plan(variables_of(environment))
        if edit is not None:
            edit(document)
        path = project_dir / f"{environment}-plan.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        return path

    return make


def change(document: dict[str, Any], address: str) -> dict[str, Any]:
    return next(entry for entry in document["resource_changes"] if entry["address"] == address)
