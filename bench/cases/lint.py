"""B12: `toolkit db lint DIR` over the 500 generated migrations of B6, against running squawk alone on them.

The baseline is squawk itself, as a team would run it in CI on the same files (`--assume-in-transaction`,
the files as arguments). The toolkit runs that same binary (PyPI squawk-cli) in the background and adds
its own rules and the waivers, so the ratio is the price of everything around squawk: Python's start-up,
reading and splitting the files, the runner's rules.
"""

from __future__ import annotations

import os
from pathlib import Path

from bench.cases.migrate import write_migrations
from bench.harness import Measurement, NotMeasured, Row, interleaved, run_measured, venv_executable
from bench.settings import Settings

REPETITIONS = 7


def run(settings: Settings) -> list[Row]:
    toolkit = venv_executable("toolkit")
    squawk = venv_executable("squawk")
    migrations = settings.work_dir / "lint-migrations"
    write_migrations(migrations, settings.migrations)
    files = sorted(str(path) for path in Path(migrations).glob("*.sql"))
    outside_project = settings.work_dir / "outside-project"
    outside_project.mkdir(exist_ok=True)
    environment = {key: value for key, value in os.environ.items() if key != "TOOLKIT_PROJECT_DIR"}
    # Both exit 1: the generated tables use bigserial, which squawk's prefer-identity flags in every file.
    codes = (0, 1)

    def toolkit_run() -> Measurement:
        return run_measured([toolkit, "db", "lint", str(migrations), "--format", "json"], env=environment,
                            cwd=outside_project, ok_codes=codes)

    def squawk_run() -> Measurement:
        return run_measured([squawk, "--reporter", "json", "--pg-version=15", "--assume-in-transaction", *files],
                            env=environment, cwd=outside_project, ok_codes=codes)

    repetitions = 1 if settings.migrations < 50 else REPETITIONS
    try:
        samples = interleaved({"toolkit": toolkit_run, "squawk": squawk_run}, repetitions)
    except RuntimeError as error:
        raise NotMeasured(str(error)) from None
    return [Row(id="B13", what=f"`toolkit db lint` of {settings.migrations} generated migrations",
                baseline="`squawk --assume-in-transaction` on the same files", goal="≤ 1.3×",
                toolkit=samples["toolkit"], reference=samples["squawk"], ratio_limit=1.3, repetitions=repetitions,
                notes=["toolkit = squawk (in the background) + its own rules + waivers + Python start-up",
                       f"CPU (median): toolkit {samples['toolkit'].median_cpu:.2f}s, "
                       f"squawk {samples['squawk'].median_cpu:.2f}s",
                       f"toolkit peak RSS {samples['toolkit'].peak_rss_max_kib / 1024:.0f} MiB"])]
