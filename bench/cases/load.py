"""B11: loading (reading, checksumming, splitting, validating) one big migration file grows linearly with its size.

A data migration of many small INSERTs is the worst case for the splitter: hundreds of thousands of
statements. The toolkit side is `load_migrations(folder)` in a child process (checked to find every
statement); the baseline, in the same run, is the least any loader does: read the file, decode it, SHA-256
it and cut it at every ';' (wrong: the generated strings hold a ';' too, but linear). Growth is judged on
the toolkit's time per MB at 8 and 50 MB against 2 MB (fastest run of each size, after subtracting the
child's start-up, measured on a one-statement file): linear means about the same.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench.harness import Measurement, Row, Samples, interleaved, run_measured
from bench.settings import Settings

MEGABYTE = 1024 * 1024
# Linear growth: time per MB at a bigger size at most this many times the time per MB at the smallest.
LINEAR_LIMIT = 1.5
TOOLKIT_LOAD = ("import sys; from pathlib import Path; from toolkit.db.files import load_migrations; "
                "migrations = load_migrations(Path(sys.argv[1])); "
                "assert len(migrations.migrations[0].up.statements) == int(sys.argv[2])")
NAIVE_LOAD = ("import hashlib, sys; from pathlib import Path; "
              "raw = next(Path(sys.argv[1]).glob('*.sql')).read_bytes(); hashlib.sha256(raw).hexdigest(); "
              "pieces = [piece for piece in raw.decode('utf-8').split(';') if piece.strip()]")


def write_bulk_migration(folder: Path, size_bytes: int) -> int:
    """One `001_bulk_rows.sql` of about `size_bytes` small INSERTs (~80 bytes each); returns the statement count."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["-- Generated bulk data migration: many small statements.\n",
             "CREATE TABLE bulk_rows (id bigint PRIMARY KEY, note text NOT NULL);\n"]
    written = sum(len(line) for line in lines)
    count = 1
    while written < size_bytes:
        line = f"INSERT INTO bulk_rows (id, note) VALUES ({count}, 'row {count}; a small generated statement');\n"
        lines.append(line)
        written += len(line)
        count += 1
    (folder / "001_bulk_rows.sql").write_text("".join(lines), encoding="utf-8")
    return count


def _load(script: str, folder: Path, statements: int) -> Measurement:
    return run_measured([sys.executable, "-c", script, str(folder), str(statements)])


def run(settings: Settings) -> list[Row]:
    tiny_folder = settings.work_dir / "tiny"
    tiny_statements = write_bulk_migration(tiny_folder, 0)
    startup = interleaved({"toolkit": lambda: _load(TOOLKIT_LOAD, tiny_folder, tiny_statements)},
                          max(repetitions for _, repetitions in settings.load_sizes_mb))["toolkit"].minimum
    measured: list[tuple[float, int, int, dict[str, Samples]]] = []
    for size_mb, repetitions in settings.load_sizes_mb:
        folder = settings.work_dir / f"bulk-{size_mb:g}mb"
        statements = write_bulk_migration(folder, int(size_mb * MEGABYTE))
        samples = interleaved({"toolkit": lambda f=folder, n=statements: _load(TOOLKIT_LOAD, f, n),
                               "baseline": lambda f=folder, n=statements: _load(NAIVE_LOAD, f, n)}, repetitions)
        measured.append((size_mb, statements, repetitions, samples))
        # Nothing else needs the file: keep the scratch folder small.
        (folder / "001_bulk_rows.sql").unlink()

    def per_megabyte(size_mb: float, samples: dict[str, Samples]) -> float:
        # The minimum: growth is a property of the code, and on a shared machine the fastest run is the one
        # least disturbed by neighbours (the table still shows min and median).
        return max(samples["toolkit"].minimum - startup, 0.0) / size_mb

    smallest_mb, _, _, smallest = measured[0]
    reference = max(per_megabyte(smallest_mb, smallest), 1e-6)
    rows: list[Row] = []
    details = [f"- B11 start-up (one-statement file, subtracted before dividing by size): {startup * 1000:.0f} ms"]
    for size_mb, statements, repetitions, samples in measured:
        growth = per_megabyte(size_mb, samples) / reference
        rows.append(Row(
            id="B11", what=f"load one {size_mb:g} MB migration of {statements:,} statements",
            baseline="read + SHA-256 + split at every ';'", goal=f"linear: time/MB ≤ {LINEAR_LIMIT}× that at "
            f"{smallest_mb:g} MB", toolkit=samples["toolkit"], reference=samples["baseline"],
            repetitions=repetitions, extra_checks=[("linear", growth <= LINEAR_LIMIT)],
            notes=[f"{per_megabyte(size_mb, samples) * 1000:.0f} ms/MB = {growth:.2f}× the {smallest_mb:g} MB "
                   "figure", f"toolkit peak RSS {samples['toolkit'].peak_rss_max_kib / 1024:.0f} MiB"]))
        details.append(f"- B11 {size_mb:g} MB ({statements:,} statements): toolkit min "
                       f"{samples['toolkit'].minimum:.2f} s, median {samples['toolkit'].median:.2f} s; naive split "
                       f"median {samples['baseline'].median:.2f} s")
    rows[-1].details.extend(details)
    return rows
