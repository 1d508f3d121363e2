"""Finding the plan to read: an environment's newest saved plan (real, or a newer offline one), or a named file."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.errors import UsageError
from toolkit.plans.errors import PlanNotFoundError
from toolkit.project import Project


@dataclass(frozen=True)
class PlanLocation:
    path: Path
    environment: str


# toolkit.config.sources.ENVIRONMENT_NAME, without importing the configuration (and YAML) for a review.
_ENVIRONMENT_NAME = re.compile(r"[a-z][a-z0-9-]{0,30}\Z")


def locate_plan(target: str, environment: str | None = None, *, offline: bool = False) -> PlanLocation:
    """An environment name → its newest saved plan; anything that looks like a file → that file.

    An environment's newest plan is its latest real plan, or its newest offline plan when that one is newer
    (the review says plainly that it is offline); `offline` asks for the newest offline plan only.
    """
    if environment is not None and not _ENVIRONMENT_NAME.match(environment):
        # The name is printed as the review's title and posted to the PR: a pasted secret must not be.
        raise UsageError(f"--environment {environment!r} is not an environment name (lowercase letters, digits and "
                         "'-', starting with a letter, as the envs/*.yaml files are named)")
    if target.endswith(".json") or os.sep in target or "/" in target or Path(target).is_file():
        path = Path(target)
        if path.exists() and not path.is_file():
            # Diffs are read again from byte offsets, which a pipe cannot do.
            raise UsageError(f"{target} is not a regular file: save the plan JSON to a file first")
        if not path.is_file():
            raise UsageError(f"{target}: no such plan file")
        _check_environment(path, environment)
        return PlanLocation(path, environment or _environment_of_file(path))

    project = Project.discover()
    path = _newest_plan(project, target, offline=offline)
    if not path.is_file():
        if not (project.envs_dir / f"{target}.yaml").is_file():
            known = sorted(
                file.stem for file in project.envs_dir.glob("*.yaml") if file.stem != "defaults"
            )
            raise UsageError(
                f"unknown environment '{target}': no envs/{target}.yaml "
                f"(environments: {', '.join(known) or 'none'}; or pass a plan JSON file)"
            )
        shown = path.relative_to(project.root) if path.is_relative_to(project.root) else path
        command = f"toolkit plan {target}" + (" --offline" if offline else "")
        raise PlanNotFoundError(
            f"no saved {'offline ' if offline else ''}plan for environment '{target}' ({shown} is missing): "
            f"run `{command}` first"
        )
    _check_environment(path, environment)
    return PlanLocation(path, environment or target)


def _newest_plan(project: Any, environment: str, *, offline: bool) -> Path:
    """plan.json of the newest plan (real `latest`, or a newer offline one); plan ids sort by time."""
    data_dir = project.environment_data_dir(environment)
    latest = data_dir / "plans" / "latest"
    offline_plans = data_dir / "offline" / "plans"
    offline_folders = sorted(entry for entry in offline_plans.iterdir()
                             if (entry / "plan.json").is_file()) if offline_plans.is_dir() else []
    if offline:
        return offline_folders[-1] / "plan.json" if offline_folders else offline_plans / "ID" / "plan.json"
    if offline_folders and (not latest.is_dir() or offline_folders[-1].name > latest.resolve().name):
        return offline_folders[-1] / "plan.json"
    return latest / "plan.json"


def _check_environment(path: Path, environment: str | None) -> None:
    """A plan reviewed under another environment's name would put its changes under the wrong label."""
    recorded = read_metadata(path).get("environment")
    if environment and isinstance(recorded, str) and recorded and recorded != environment:
        raise UsageError(f"{path} is a plan of {recorded} (its metadata.json), not of {environment}: "
                         f"review it as {recorded} or leave out --environment")


def _environment_of_file(path: Path) -> str:
    metadata = read_metadata(path)
    named = metadata.get("environment")
    if isinstance(named, str) and named:
        return named
    parts = path.resolve().parts
    # .toolkit/envs/ENV/plans/<id>/plan.json
    if len(parts) >= 5 and parts[-5] == "envs" and parts[-3] == "plans":
        return parts[-4]
    return path.stem


def read_metadata(plan_path: Path) -> dict[str, Any]:
    """metadata.json written by `toolkit plan` next to the plan, or {} when absent or unreadable."""
    try:
        metadata = json.loads((plan_path.parent / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return metadata if isinstance(metadata, dict) else {}
