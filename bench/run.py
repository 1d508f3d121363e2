"""`make bench`: measure the toolkit against the tools users would otherwise use, in one run.

    .venv/bin/python -m bench.run                       # everything; writes docs/BENCHMARKS.md
    .venv/bin/python -m bench.run --only B3,B6          # some rows
    .venv/bin/python -m bench.run --quick --output X.md # tiny sizes (the smoke test): proves each case runs

Every figure is a ratio against a baseline measured in the same run (see bench/harness.py). A case
whose part is missing prints "not measured: <reason>" instead of failing the run.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from bench.harness import REPOSITORY, NotMeasured, Row, markdown_table
from bench.settings import Settings

DEFAULT_OUTPUT = REPOSITORY / "docs" / "BENCHMARKS.md"

# Case modules (bench/cases/NAME.py) → the rows they produce, in run order.
GROUPS: dict[str, tuple[str, ...]] = {
    "startup": ("B3",),
    "migrate": ("B6",),
    "lint": ("B13",),
    "load": ("B11",),
    "scan": ("B12",),
    "review": ("B1", "B2"),
    "cost": ("B10",),
    "infrastructure": ("B4", "B5", "B7"),
    "offline": ("B8", "B9"),
    "apply_local": ("B14",),
    "schema": ("S1", "S2"),
    "stub": ("V2",),
}
# What a row says when its case could not run.
ROW_TITLES = {
    "B1": ("`toolkit review --format json`", "`jq` per-action counts", "≤ 1.0× jq at 10k/50k; RSS ≤ 3× file"),
    "B2": ("Markdown review", "B1 on the same file", "≤ 1.3× B1; fits one GitHub comment"),
    "B3": ("`toolkit --help` cold start", '`python -c "import typer"`', "≤ 1.3×"),
    "B4": ("`toolkit plan sandbox` (warm, no changes)", "terraform init + plan -out + show -json", "≤ 1.15×"),
    "B5": ("`toolkit plan --all` (3 environments)", "slowest single-environment plan", "≤ 1.3×"),
    "B6": ("`toolkit db migrate` (500 migrations)", "psql shell loop", "≤ 0.5×"),
    "B13": ("`toolkit db lint` (500 migrations)", "squawk alone on the same files", "≤ 1.3×"),
    "B14": ("`toolkit apply local --auto` of the real root from empty + a second plan",
            "terraform init + plan -out + apply + plan (same folder)", "≤ 1.1×"),
    "B7": ("`toolkit rollback sandbox --tier immediate --yes`", "minimal boto3 script", "≤ 1.3×"),
    "B8": ("`toolkit check --validate`", "terraform init + validate per target (same stub)", "≤ 1.15×"),
    "B9": ("`toolkit plan prod --offline`", "terraform init + plan + show -json (same stub)", "≤ 1.15×"),
    "B10": ("`toolkit cost --format json`", "`toolkit review --format json` on the same file", "≤ 1.2× at 10k/50k"),
    "S1": ("schema lookup of one type, fresh process (the stub's start)", "`json` decode of the whole aws.json.gz",
           "≤ 0.5×; < 1 s"),
    "S2": ("re-extract the AWS schema from the npm package", "reading the package's 330 MB of JavaScript",
           "≤ 15×; RSS ≤ 300 MB; same bytes"),
    "V2": ("stub provider start-up", "importing grpc, cryptography, tfplugin6", "≤ 2.5×; < 1 s"),
    "B11": ("load one big migration file (2, 8, 50 MB)", "read + SHA-256 + split at every ';'",
           "linear: time/MB ≤ 1.5× that at 2 MB"),
    "B12": ("secret scan of long runs of letters and hex (1, 4, 8 MB)", "one linear regex pass",
            "linear: time/KB ≤ 1.5× that at 1 MB"),
}


def _load(group: str) -> Callable[[Settings], list[Row]]:
    import importlib

    return importlib.import_module(f"bench.cases.{group}").run


def run_group(group: str, settings: Settings) -> list[Row]:
    """Run one case module; any failure becomes "not measured" rows, so one broken part spares the others."""
    started = time.monotonic()
    print(f"bench: {', '.join(GROUPS[group])} …", file=sys.stderr, flush=True)
    try:
        rows = _load(group)(settings)
    except NotMeasured as reason:
        rows = [_not_measured(row_id, str(reason)) for row_id in GROUPS[group]]
    except Exception as error:  # a broken case must not hide the other rows
        traceback.print_exc()
        reason = f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
        rows = [_not_measured(row_id, reason) for row_id in GROUPS[group]]
    print(f"bench: {', '.join(GROUPS[group])} done in {time.monotonic() - started:.0f}s", file=sys.stderr, flush=True)
    return rows


def _not_measured(row_id: str, reason: str) -> Row:
    what, baseline, goal = ROW_TITLES[row_id]
    return Row(id=row_id, what=what, baseline=baseline, goal=goal, not_measured=reason.replace("|", "/"))


def ensure_jq(install: bool) -> None:
    """B1's baseline needs jq; install it with apt-get on Debian when missing (only for `make bench`)."""
    if shutil.which("jq") or not install:
        return
    apt_get = shutil.which("apt-get")
    if apt_get is None:
        return
    prefix = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else None)
    if prefix is None:
        return
    print("bench: installing jq (apt-get install -y jq)", file=sys.stderr, flush=True)
    install = [*prefix, apt_get, "install", "-y", "-q", "jq"]
    if subprocess.run(install, check=False, stdout=subprocess.DEVNULL).returncode != 0:
        # A fresh machine may have no package lists yet.
        subprocess.run([*prefix, apt_get, "update", "-q"], check=False, stdout=subprocess.DEVNULL)
        subprocess.run(install, check=False, stdout=subprocess.DEVNULL)


def compile_toolkit() -> None:
    """Byte-compile the toolkit as a pip install would: with PYTHONDONTWRITEBYTECODE set (as on these
    machines) an editable install would otherwise re-compile every toolkit module in every run, while the
    libraries it is compared with load from their installed .pyc files."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPOSITORY / "toolkit")], check=False,
                   stdout=subprocess.DEVNULL)


def _first_line(command: Sequence[str]) -> str:
    try:
        result = subprocess.run(list(command), capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    text = (result.stdout or result.stderr).strip()
    return text.splitlines()[0] if text else "not found"


def machine_description() -> list[tuple[str, str]]:
    cpu_model = platform.processor() or "unknown"
    memory = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    return [("nproc", str(os.cpu_count())), ("CPU", cpu_model), ("memory", memory),
            ("OS", f"{platform.system()} {platform.release()}")]


def tool_versions() -> list[tuple[str, str]]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        from toolkit.binaries import find_terraform

        terraform = str(find_terraform(REPOSITORY))
    except Exception:  # reported as 'not found' below
        terraform = "terraform"
    try:
        toolkit_version = version("toolkit")
    except PackageNotFoundError:
        toolkit_version = "not installed"
    return [
        ("python", platform.python_version()),
        ("terraform", _first_line([terraform, "version"])),
        ("toolkit", toolkit_version),
        ("jq", _first_line(["jq", "--version"])),
        ("psql", _first_line(["psql", "--version"])),
        ("moto", _package_version("moto")),
    ]


def _package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def render_report(rows: Sequence[Row], settings: Settings, quick: bool, elapsed: float) -> str:
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = ", ".join(f"{name} {value}" for name, value in machine_description())
    versions = ", ".join(f"{name} {value}" for name, value in tool_versions())
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`.venv/bin/python -m bench.run`); do not edit by hand. How the cases work: "
        "bench/README.md.",
        "",
        f"- Date: {now}{' (QUICK run: tiny sizes, figures meaningless)' if quick else ''}; run took {elapsed:.0f}s",
        f"- Machine: {machine}",
        f"- Versions: {versions}",
        "- Method: every row is the ratio toolkit / baseline measured in the same run, toolkit and baseline runs "
        "interleaved; the goal is judged on the ratio of medians (the ratio of minimums is shown too). "
        "n = repetitions per side. The toolkit is byte-compiled first (`compileall`), as an installed package is.",
        "",
        markdown_table(rows),
        "",
    ]
    details = [line for row in rows for line in row.details]
    if details:
        lines += ["## Details", "", *details, ""]
    return "\n".join(lines)


def row_ids() -> list[str]:
    """Every row id the cases define, in the table's order (B1 … B11, then S1, S2, V2)."""
    return sorted((row_id for ids in GROUPS.values() for row_id in ids), key=lambda row_id: (row_id[0] != "B",
                                                                                              row_id[0],
                                                                                              int(row_id[1:])))


def _table_lines(text: str) -> dict[str, list[str]]:
    """The table rows of a report, by row id (a row id may have several rows, one per size)."""
    lines: dict[str, list[str]] = {}
    for line in text.splitlines():
        cells = line.split("|")
        if line.startswith("| ") and len(cells) > 2 and cells[1].strip() in ROW_TITLES:
            lines.setdefault(cells[1].strip(), []).append(line)
    return lines


def merge_report(previous: str, rows: Sequence[Row], command: str) -> str:
    """A partial run (`--only`) written into the full report: the rows it measured replace theirs, every other row
    stays as its run measured it, and a row that no run has measured yet says so. The details say which is which."""
    measured = {row.id for row in rows}
    old, new = _table_lines(previous), _table_lines(markdown_table(rows))
    table = markdown_table([]).splitlines()
    for row_id in row_ids():
        lines = new.get(row_id) if row_id in measured else old.get(row_id)
        table += lines or _table_lines(markdown_table([_not_measured(
            row_id, "added after the last full run: `make bench` measures it")]))[row_id]
    head, _, rest = previous.partition("\n| id |")
    details = [line for line in rest.split("\n## Details\n", 1)[1].strip().splitlines()] if "\n## Details\n" in rest \
        else []
    details = [line for line in details if not any(line.startswith(f"- {row_id} ") for row_id in measured)]
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()[0]
    details.append(f"- {', '.join(sorted(measured))} rows: a separate run (`{command}`, {now}, load average "
                   f"{load:.1f} on {os.cpu_count()} cores), same machine; the rest of the table is from the run above.")
    details += [line for row in rows for line in row.details]
    return "\n".join([head.rstrip("\n"), "", *table, "", "## Details", "", *details, ""])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="Tiny sizes, one repetition (smoke test).")
    parser.add_argument("--only", default="", help="Comma-separated row ids (B1..B11, S1, S2, V2); default all.")
    parser.add_argument("--output", type=Path, default=None,
                        help=f"Markdown file to write (default: {DEFAULT_OUTPUT.relative_to(REPOSITORY)}; "
                        "with --quick, nothing unless given).")
    arguments = parser.parse_args(argv)
    wanted = {part.strip().upper() for part in arguments.only.split(",") if part.strip()}
    unknown = wanted - set(ROW_TITLES)
    if unknown:
        parser.error(f"unknown row id(s): {', '.join(sorted(unknown))}")
    ensure_jq(install=not arguments.quick)
    compile_toolkit()
    started = time.monotonic()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="toolkit-bench-") as scratch:
        work_dir = Path(scratch)
        settings = Settings.quick(work_dir) if arguments.quick else Settings(work_dir=work_dir)
        settings = replace(settings, only=frozenset(wanted))
        for group, ids in GROUPS.items():
            if wanted and not wanted & set(ids):
                continue
            group_settings = settings.with_work_dir(work_dir / group)
            rows += [row for row in run_group(group, group_settings) if not wanted or row.id in wanted]
    rows.sort(key=lambda row: row.id)
    report = render_report(rows, settings, arguments.quick, time.monotonic() - started)
    output = arguments.output if arguments.output is not None or arguments.quick else DEFAULT_OUTPUT
    if wanted and output == DEFAULT_OUTPUT and output.is_file():
        report = merge_report(output.read_text(encoding="utf-8"), rows,
                              f"python -m bench.run --only {','.join(sorted(wanted))}")
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
