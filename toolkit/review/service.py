"""`toolkit review`: find the plan, read it, write the review in the requested format."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from toolkit.errors import UsageError
from toolkit.review.analysis import Review, build_review, diffs_while_reading
from toolkit.review.errors import PlanNotFoundError
from toolkit.review.reader import read_plan, without_garbage_collection

FORMATS = ("text", "json", "md")
_SUFFIX_FORMATS = {".json": "json", ".md": "md", ".markdown": "md", ".txt": "text"}


@dataclass(frozen=True)
class PlanLocation:
    path: Path
    environment: str


# toolkit.config.sources.ENVIRONMENT_NAME, without importing the configuration (and YAML) for a review.
_ENVIRONMENT_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")


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
    from toolkit.project import Project

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


def _with_offline_evidence(plan_path: Path, metadata: dict[str, Any]) -> dict[str, Any]:
    """metadata, marked offline when the plan is one whatever metadata.json says (it is a file anyone can edit):
    it sits in an offline plans folder, or its binary plan beside it was made offline."""
    if metadata.get("offline") is True:
        return metadata
    from toolkit.engine.offline import OFFLINE_FOLDER, is_offline_plan_file
    from toolkit.engine.records import PLAN_FILE

    folder = plan_path.resolve().parent
    in_offline_folder = folder.parent.name == "plans" and folder.parent.parent.name == OFFLINE_FOLDER
    if in_offline_folder or is_offline_plan_file(folder / PLAN_FILE):
        return {**metadata, "offline": True}
    return metadata


def read_metadata(plan_path: Path) -> dict[str, Any]:
    """metadata.json written by `toolkit plan` next to the plan, or {} when absent or unreadable."""
    try:
        metadata = json.loads((plan_path.parent / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return metadata if isinstance(metadata, dict) else {}


def default_format(output: Path | None, stdout_is_terminal: bool) -> str:
    """text on a terminal, otherwise Markdown; an --output file's suffix decides first."""
    if output is not None:
        return _SUFFIX_FORMATS.get(output.suffix.lower(), "md")
    return "text" if stdout_is_terminal else "md"


def use_color(output_format: str, stdout_is_terminal: bool, no_color: bool, environment: Mapping[str, str]) -> bool:
    """ANSI colors only for text on a terminal, unless --no-color or NO_COLOR (any non-empty value)."""
    return output_format == "text" and stdout_is_terminal and not no_color and not environment.get("NO_COLOR")


def load_review(target: str, environment: str | None = None, *, every_diff: bool = False,
                offline: bool = False) -> Review:
    """Find and read the plan. `every_diff`: the output lists every diff (json, text), so compute them
    while reading instead of parsing each change a second time."""
    from toolkit.awsrules.service import RulesCollector
    from toolkit.cost.estimate import CostCollector
    from toolkit.cost.service import review_cost

    location = locate_plan(target, environment, offline=offline)
    rules = RulesCollector(diffs_while_reading if every_diff else None)
    collector = CostCollector(rules)
    plan = read_plan(location.path, on_entry=collector)
    metadata = _with_offline_evidence(location.path, read_metadata(location.path))
    review = build_review(plan, location.environment, metadata)
    review.cost, review.cost_problem = review_cost(plan, collector, location.environment)
    review.aws_rules = rules.finish(plan.load_configuration(), location.environment, _project_root())
    return review


def _project_root() -> Path | None:
    """Where the waiver file is: the project the review runs in, if any (a plan file can be reviewed anywhere)."""
    from toolkit.errors import ToolkitError
    from toolkit.project import Project

    try:
        return Project.discover().root
    except ToolkitError:
        return None


def write_review(review: Review, output_format: str, out: TextIO, *, color: bool = False) -> None:
    if output_format == "json":
        from toolkit.review.render_json import write_json

        write_json(review, out)
    elif output_format == "md":
        from toolkit.review.markdown import render_markdown

        out.write(render_markdown(review))
    elif output_format == "text":
        from toolkit.review.render_text import write_text

        write_text(review, out, color=color)
    else:
        raise UsageError(f"unknown format '{output_format}': use one of {', '.join(FORMATS)}")


def review_plan(
    target: str,
    *,
    output_format: str | None = None,
    output: Path | None = None,
    no_color: bool = False,
    environment: str | None = None,
    offline: bool = False,
) -> Path | None:
    """Review a plan and write it to `output` (atomically) or stdout; return the file written."""
    stdout_is_terminal = output is None and sys.stdout.isatty()
    chosen = output_format or default_format(output, stdout_is_terminal)
    if chosen not in FORMATS:
        raise UsageError(f"unknown format '{chosen}': use one of {', '.join(FORMATS)}")
    with without_garbage_collection():
        return _review_to(target, chosen, output, stdout_is_terminal, no_color, environment, offline)


def _review_to(
    target: str,
    chosen: str,
    output: Path | None,
    stdout_is_terminal: bool,
    no_color: bool,
    environment: str | None,
    offline: bool,
) -> Path | None:
    review = load_review(target, environment, every_diff=chosen in ("json", "text"), offline=offline)
    try:
        return _write_to(review, chosen, output, use_color(chosen, stdout_is_terminal, no_color, os.environ))
    finally:
        review.plan.close()


def _write_to(review: Review, chosen: str, output: Path | None, color: bool) -> Path | None:
    if output is None:
        try:
            write_review(review, chosen, sys.stdout, color=color)
            sys.stdout.flush()
        except BrokenPipeError:
            # The reader went away (`| head`): stop quietly, and keep Python from failing again at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return None
    partial = output.with_name(output.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8") as handle:
            write_review(review, chosen, handle, color=False)
        partial.replace(output)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise UsageError(f"cannot write {output}: {error.strerror}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return output
