"""`toolkit review`: find the plan, read it, write the review in the requested format."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from toolkit.errors import UsageError
from toolkit.plans.locate import locate_plan, read_metadata
from toolkit.plans.reader import read_plan, without_garbage_collection
from toolkit.plans.saved import OFFLINE_FOLDER, PLAN_FILE, is_offline_plan_file
from toolkit.review.analysis import Review, build_review, diffs_while_reading
from toolkit.review.markdown import render_markdown
from toolkit.review.render_json import write_json
from toolkit.review.render_text import write_text

FORMATS = ("text", "json", "md")
_SUFFIX_FORMATS = {".json": "json", ".md": "md", ".markdown": "md", ".txt": "text"}


def _with_offline_evidence(plan_path: Path, metadata: dict[str, Any]) -> dict[str, Any]:
    """metadata, marked offline when the plan is one whatever metadata.json says (it is a file anyone can edit):
    it sits in an offline plans folder, or its binary plan beside it was made offline."""
    if metadata.get("offline") is True:
        return metadata

    folder = plan_path.resolve().parent
    in_offline_folder = folder.parent.name == "plans" and folder.parent.parent.name == OFFLINE_FOLDER
    if in_offline_folder or is_offline_plan_file(folder / PLAN_FILE):
        return {**metadata, "offline": True}
    return metadata


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
    from toolkit.review.bucket_objects import object_counter

    review = build_review(plan, location.environment, metadata,
                          object_counter(location.environment, offline=metadata.get("offline") is True))
    review.cost, review.cost_problem = review_cost(plan, collector, location.environment)
    if review.cost is not None:
        from toolkit.cost.service import base_label

        review.cost.base = base_label(metadata)
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
        write_json(review, out)
    elif output_format == "md":
        out.write(render_markdown(review))
    elif output_format == "text":
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
