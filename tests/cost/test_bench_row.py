"""B10 (`make bench`): the quick run measures `toolkit cost` against `toolkit review --format json`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import run as bench_run
from tests.bench.test_harness import assert_measured, table_rows


@pytest.mark.slow
def test_quick_run_measures_cost_against_review(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    assert bench_run.main(["--quick", "--only", "B10", "--output", str(output)]) == 0
    report = output.read_text(encoding="utf-8")
    rows = table_rows(report)
    assert sorted(rows) == ["B10"], report
    assert_measured(rows, "B10", report)
    assert "`toolkit review --format json` (B1's command) on the same file" in rows["B10"][0][3]
    assert "resources," in rows["B10"][0][8] and "fully priced" in rows["B10"][0][8]
