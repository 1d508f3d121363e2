"""docs/BENCHMARKS.md tells the truth about bench/: it has a row for every row id the cases define, and a partial
run (`--only`) replaces only the rows it measured."""

from __future__ import annotations

import re
from pathlib import Path

from bench import run as bench_run
from bench.harness import Measurement, Row, Samples

REPORT = Path(__file__).resolve().parents[2] / "docs" / "BENCHMARKS.md"


def table_ids(report: str) -> set[str]:
    return {match.group(1) for match in re.finditer(r"^\| ([A-Z]\d+) \|", report, flags=re.MULTILINE)}


def test_every_row_the_cases_define_is_in_the_table() -> None:
    defined = set(bench_run.row_ids())
    assert defined == set(bench_run.ROW_TITLES)
    missing = sorted(defined - table_ids(REPORT.read_text(encoding="utf-8")))
    assert not missing, f"docs/BENCHMARKS.md has no row for {missing}: run `make bench` (or `--only` them)"


def _row(row_id: str, seconds: float) -> Row:
    samples = Samples()
    samples.add(Measurement(seconds=seconds, peak_rss_kib=1024, returncode=0, cpu_seconds=seconds))
    return Row(id=row_id, what="measured now", baseline="baseline", goal="≤ 1.3×", toolkit=samples,
               reference=samples, ratio_limit=1.3, repetitions=1)


def test_a_partial_run_replaces_only_its_rows() -> None:
    previous = REPORT.read_text(encoding="utf-8")
    merged = bench_run.merge_report(previous, [_row("B7", 0.5)], "python -m bench.run --only B7")
    assert table_ids(merged) == set(bench_run.row_ids())
    b7 = [line for line in merged.splitlines() if line.startswith("| B7 |")]
    assert len(b7) == 1 and "measured now" in b7[0]
    for line in previous.splitlines():
        if re.match(r"^\| B(1|2|3|6) \|", line):
            assert line in merged  # rows not re-measured stay as their run wrote them
    assert "- B7 rows: a separate run (`python -m bench.run --only B7`" in merged
