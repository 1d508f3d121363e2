"""Attacks on offline plans: an offline plan must never be applied and `toolkit review` must always say it is
offline, whatever was done to the folder (copied into the real plans, metadata.json edited to `offline: false`).
The binary plan carries the offline backend block it was made with: that is the evidence, not metadata.json."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.engine.conftest import toolkit
from tests.engine.test_offline_plan import offline_project  # noqa: F401  (the fixture)
from toolkit.plans.saved import is_offline_plan_file

pytestmark = pytest.mark.slow
ENV = "dev"


@pytest.fixture(scope="module")
def offline_plan(offline_project: Path) -> Iterator[dict[str, Any]]:  # noqa: F811
    result = toolkit("plan", ENV, "--offline", "--json")
    assert result.exit_code == 2, result.output
    yield json.loads(result.stdout)


def _set_offline(metadata_file: Path, value: bool) -> None:
    metadata = json.loads(metadata_file.read_text(encoding="utf-8"))
    metadata["offline"] = value
    metadata_file.write_text(json.dumps(metadata), encoding="utf-8")


@pytest.fixture
def disguised(offline_project: Path, offline_plan: dict[str, Any]) -> Iterator[Path]:  # noqa: F811
    """The offline plan copied into the real plans as `latest`, its metadata.json saying `offline: false`."""
    plans = offline_project / ".toolkit" / "envs" / ENV / "plans"
    plans.mkdir(parents=True)
    folder = plans / offline_plan["plan_id"]
    shutil.copytree(Path(offline_plan["plan_json"]).parent, folder)
    (plans / "latest").symlink_to(folder.name, target_is_directory=True)
    _set_offline(folder / "metadata.json", False)
    yield folder
    shutil.rmtree(plans)


def test_the_binary_plan_says_it_is_offline(offline_plan: dict[str, Any], disguised: Path) -> None:
    assert is_offline_plan_file(disguised / "plan.tfplan")


def test_apply_refuses_an_offline_plan_whose_metadata_says_otherwise(offline_project: Path,  # noqa: F811
                                                                     disguised: Path) -> None:
    result = toolkit("apply", ENV, "--approve", ENV)
    assert result.exit_code == 1, result.output
    assert (f"Error: refusing to apply the saved plan {disguised.name} of {ENV}: it is an offline plan (made against "
            "the stub providers with an empty state, never against AWS).") in result.output
    assert not list((offline_project / ".toolkit" / "envs" / ENV).glob("checkpoints/*.json"))


def test_review_of_a_disguised_offline_plan_says_offline(disguised: Path) -> None:
    for target in (ENV, str(disguised / "plan.json")):
        result = toolkit("review", target, "--format", "json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["offline"] is True, target


def test_review_of_an_offline_folder_says_offline_even_with_edited_metadata(offline_plan: dict[str, Any]) -> None:
    metadata_file = Path(offline_plan["plan_json"]).parent / "metadata.json"
    original = metadata_file.read_text(encoding="utf-8")
    try:
        _set_offline(metadata_file, False)
        result = toolkit("review", ENV, "--offline", "--format", "md")
        assert result.exit_code == 0, result.output
        assert "> **Offline plan**: made by the engine against the stub AWS provider 6 with an empty state." in (
            result.stdout)
    finally:
        metadata_file.write_text(original, encoding="utf-8")
