"""B10: `toolkit cost` of generated plans (10k and 50k resource changes) against `toolkit review --format json`.

Both read the whole plan; the cost estimate must cost no more than 1.2× the review of the same file
(it reads the plan with the same streaming reader and prices each change it keeps). Region us-east-1:
the generated plans name no region. Commands run interleaved on the same file, output to a file.
"""

from __future__ import annotations

import json
from functools import partial

from bench.cases.review import _measure_to_file, _size_label, generate_plan
from bench.harness import Row, interleaved, venv_executable
from bench.settings import Settings

RATIO_LIMIT = 1.2


def run(settings: Settings) -> list[Row]:
    python = venv_executable("python")
    toolkit = venv_executable("toolkit")
    rows: list[Row] = []
    repetitions = dict(settings.review_sizes)
    for changes in settings.markdown_sizes:
        label = _size_label(changes)
        plan = settings.work_dir / f"cost-plan-{label}.json"
        file_size = generate_plan(python, changes, plan)
        outputs = {name: settings.work_dir / f"cost-{label}.{name}.json" for name in ("cost", "review")}
        commands = {
            "cost": [toolkit, "cost", str(plan), "--region", "us-east-1", "--format", "json"],
            "review": [toolkit, "review", str(plan), "--format", "json"],
        }
        cases = {name: partial(_measure_to_file, command, outputs[name]) for name, command in commands.items()}
        count = repetitions.get(changes, 1)
        samples = interleaved(cases, count)
        report = json.loads(outputs["cost"].read_text(encoding="utf-8"))
        priced = sum(1 for item in report["resources"] if item["planned"] and item["planned"]["complete"])
        rows.append(Row(
            id="B10", what=f"`toolkit cost --format json`, {label} changes ({file_size / 2**20:.0f} MiB plan)",
            baseline="`toolkit review --format json` (B1's command) on the same file", goal=f"≤ {RATIO_LIMIT}×",
            toolkit=samples["cost"], reference=samples["review"], ratio_limit=RATIO_LIMIT, repetitions=count,
            notes=[f"{len(report['resources']):,} resources, {priced:,} fully priced, "
                   f"{len(report['not_priced']):,} not-priced items listed",
                   f"peak RSS {samples['cost'].peak_rss_max_kib / 1024:.0f} MiB"]))
        plan.unlink()
    return rows
