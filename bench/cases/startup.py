"""B3: `toolkit --help` cold start against `python -c "import typer"` (the floor for any Typer CLI)."""

from __future__ import annotations

import subprocess

from bench.harness import Row, interleaved, run_measured, venv_executable
from bench.settings import Settings

# Libraries that must load only when a command uses them, never for `--help`.
HEAVY_MODULES = ("boto3", "botocore", "checkov", "jinja2", "pydantic", "yaml", "hcl2", "pg8000", "psycopg",
                 "python_terraform")


def heavy_imports_at_startup(python: str) -> list[str]:
    """The heavy top-level packages imported while printing `toolkit --help` (python -X importtime)."""
    result = subprocess.run([python, "-X", "importtime", "-m", "toolkit", "--help"], capture_output=True,
                            text=True, check=True)
    imported = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            imported.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return sorted(name for name in HEAVY_MODULES if name in imported)


def run(settings: Settings) -> list[Row]:
    python = venv_executable("python")
    toolkit = venv_executable("toolkit")
    samples = interleaved({
        "toolkit": lambda: run_measured([toolkit, "--help"]),
        "baseline": lambda: run_measured([python, "-c", "import typer"]),
    }, settings.startup_repetitions)
    heavy = heavy_imports_at_startup(python)
    row = Row(id="B3", what="`toolkit --help` cold start", baseline='`python -c "import typer"`', goal="≤ 1.3×",
              toolkit=samples["toolkit"], reference=samples["baseline"], ratio_limit=1.3,
              repetitions=settings.startup_repetitions,
              notes=[f"heavy imports at start-up: {', '.join(heavy) or 'none'}"],
              extra_checks=[("heavy imports", not heavy)])
    return [row]
