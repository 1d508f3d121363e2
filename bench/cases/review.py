"""B1 and B2: `toolkit review` of generated plans (1k, 10k, 50k resource changes) against jq.

B1: `toolkit review PLAN --format json` against `jq` computing the per-action counts of the same file
(the least a script that summarises a plan must do: read the whole document). Peak RSS of the toolkit
process must stay within 3× the file size.
B2: `--format md` against B1 on the same file; the Markdown must fit one GitHub comment.
All three commands run interleaved on the same file, output to a file as a user would redirect it.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import partial
from pathlib import Path

from bench.harness import Measurement, NotMeasured, Row, interleaved, run_measured, venv_executable
from bench.settings import Settings

JQ_ACTION_COUNTS = '[.resource_changes[].change.actions | join(",")] | group_by(.) | map({(.[0]): length}) | add'
# GitHub rejects issue and pull-request comments longer than this many characters.
GITHUB_COMMENT_LIMIT = 65_536


def generate_plan(python: str, changes: int, path: Path) -> int:
    """Write a generated plan (bench/plan_generator.py); return its size in bytes."""
    subprocess.run([python, "-m", "bench.plan_generator", "--changes", str(changes), "--out", str(path)],
                   check=True, cwd=Path(__file__).resolve().parents[2])
    return path.stat().st_size


def _interpreter_floor_kib(python: str, toolkit: str, work_dir: Path) -> int:
    """Peak RSS of reviewing a 1-change plan: the interpreter and the review code, before any data."""
    plan = work_dir / "plan-floor.json"
    generate_plan(python, 1, plan)
    floor = run_measured([toolkit, "review", str(plan), "--format", "json"]).peak_rss_kib
    plan.unlink()
    return floor


def _measure_to_file(command: list[str], output: Path) -> Measurement:
    with output.open("wb") as handle:
        return run_measured(command, stdout=handle)


def _size_label(changes: int) -> str:
    return f"{changes // 1000}k" if changes >= 1000 and changes % 1000 == 0 else str(changes)


def run(settings: Settings) -> list[Row]:
    python = venv_executable("python")
    toolkit = venv_executable("toolkit")
    jq = shutil.which("jq")
    if jq is None:
        raise NotMeasured("jq is not installed (apt-get install -y jq)")
    b1_rows: list[Row] = []
    b2_rows: list[Row] = []
    floor_kib = _interpreter_floor_kib(python, toolkit, settings.work_dir)
    for changes, repetitions in settings.review_sizes:
        label = _size_label(changes)
        plan = settings.work_dir / f"plan-{label}.json"
        file_size = generate_plan(python, changes, plan)
        outputs = {name: settings.work_dir / f"review-{label}.{name}" for name in ("json", "md", "jq")}

        commands = {
            "json": [toolkit, "review", str(plan), "--format", "json"],
            "jq": [jq, JQ_ACTION_COUNTS, str(plan)],
        }
        with_markdown = changes in settings.markdown_sizes
        if with_markdown:
            commands["md"] = [toolkit, "review", str(plan), "--format", "md"]
        cases = {name: partial(_measure_to_file, command, outputs[name]) for name, command in commands.items()}
        samples = interleaved(cases, repetitions)
        _check_counts(outputs["json"], outputs["jq"])
        peak = samples["json"].peak_rss_max_kib * 1024
        rss_ratio = peak / file_size
        timed = changes >= 10_000 or len(settings.review_sizes) < 3
        b1_rows.append(Row(
            id="B1", what=f"`toolkit review --format json`, {label} changes ({file_size / 2**20:.0f} MiB plan)",
            baseline="`jq` per-action counts", goal=("≤ 1.0× jq; " if timed else "") + "peak RSS ≤ 3× file",
            toolkit=samples["json"], reference=samples["jq"], ratio_limit=1.0 if timed else None,
            repetitions=repetitions,
            notes=[f"toolkit peak RSS {peak / 2**20:.0f} MiB = {rss_ratio:.2f}× file "
                   f"({floor_kib / 1024:.0f} MiB of it is the floor: a 1-change plan)",
                   f"jq peak RSS {samples['jq'].peak_rss_max_kib / 1024:.0f} MiB"],
            extra_checks=[("RSS", rss_ratio <= 3.0)]))
        if with_markdown:
            characters = len(outputs["md"].read_text(encoding="utf-8"))
            b2_rows.append(Row(
                id="B2", what=f"`toolkit review --format md`, {label} changes", baseline="B1 (json) on the same file",
                goal="≤ 1.3× B1; ≤ 65,536 characters", toolkit=samples["md"], reference=samples["json"],
                ratio_limit=1.3, repetitions=repetitions,
                notes=[f"{characters:,} characters",
                       f"peak RSS {samples['md'].peak_rss_max_kib / 1024:.0f} MiB"],
                extra_checks=[("comment size", characters <= GITHUB_COMMENT_LIMIT)]))
        plan.unlink()
    return b1_rows + b2_rows


def _check_counts(review_json: Path, jq_counts: Path) -> None:
    """Both sides must have read the same plan: the review's summary must match jq's per-action counts."""
    import json

    counts = json.loads(jq_counts.read_text(encoding="utf-8")) or {}
    summary = json.loads(review_json.read_text(encoding="utf-8"))["summary"]
    expected = {
        "add": counts.get("create", 0),
        "change": counts.get("update", 0),
        "replace": counts.get("create,delete", 0) + counts.get("delete,create", 0),
        "destroy": counts.get("delete", 0),
        "no_op": counts.get("no-op", 0),
    }
    found = {key: summary.get(key) for key in expected}
    if found != expected:
        raise RuntimeError(f"toolkit review summary {found} does not match jq's counts {expected}")
