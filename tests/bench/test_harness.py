"""Smoke tests of `make bench`: each case runs at tiny sizes and the run writes its table. No timing asserts:
these machines are shared and the figures of a tiny run mean nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench import run as bench_run
from bench.harness import Measurement, NotMeasured, Row, Samples, interleaved, markdown_table, run_measured


def table_rows(report: str) -> dict[str, list[list[str]]]:
    """Row id → the cells of each table line with that id."""
    rows: dict[str, list[list[str]]] = {}
    for line in report.splitlines():
        match = re.match(r"^\| (B\d+) \|", line)
        if match:
            rows.setdefault(match.group(1), []).append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def assert_measured(rows: dict[str, list[list[str]]], row_id: str, report: str) -> None:
    assert row_id in rows, report
    for cells in rows[row_id]:
        verdict = cells[7]
        assert not verdict.startswith("not measured"), report
        assert re.fullmatch(r"\d+\.\d\d× ; \d+\.\d\d×", cells[5]), report
        assert verdict == "met" or verdict.startswith("MISSED ("), report


@pytest.mark.slow
def test_quick_run_measures_startup_review_and_migrations(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    assert bench_run.main(["--quick", "--only", "B1,B2,B3,B6", "--output", str(output)]) == 0
    report = output.read_text(encoding="utf-8")
    rows = table_rows(report)
    assert sorted(rows) == ["B1", "B2", "B3", "B6"], report
    for row_id in rows:
        assert_measured(rows, row_id, report)
    assert len(rows["B1"]) == 2, report  # one line per plan size
    for line in ("- Machine: nproc ", "- Versions: python ", "terraform ", "jq ", "psql "):
        assert line in report, report
    assert "heavy imports at start-up: none" in rows["B3"][0][8], report


def test_quick_run_measures_migration_load_at_each_size(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    assert bench_run.main(["--quick", "--only", "B11", "--output", str(output)]) == 0
    report = output.read_text(encoding="utf-8")
    rows = table_rows(report)
    assert sorted(rows) == ["B11"], report
    assert_measured(rows, "B11", report)
    assert [cells[1] for cells in rows["B11"]] == ["load one 0.05 MB migration of 605 statements",
                                                  "load one 0.2 MB migration of 2,381 statements"], report
    assert re.search(r"^- B11 0\.2 MB \(2,381 statements\): toolkit min \d+\.\d\d s, median \d+\.\d\d s",
                     report, re.MULTILINE), report


@pytest.mark.slow
def test_quick_run_measures_plan_and_rollback_against_the_emulator(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    assert bench_run.main(["--quick", "--only", "B4,B5,B7", "--output", str(output)]) == 0
    report = output.read_text(encoding="utf-8")
    rows = table_rows(report)
    assert sorted(rows) == ["B4", "B5", "B7"], report
    for row_id in rows:
        assert_measured(rows, row_id, report)
    assert re.search(r"API calls: toolkit \d+, baseline \d+", rows["B7"][0][8]), report


def test_a_failing_case_becomes_a_not_measured_row(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def missing(settings: object) -> list[Row]:
        raise NotMeasured("toolkit/rollback is missing")

    def broken(settings: object) -> list[Row]:
        raise RuntimeError("terraform exploded\nsecond line")

    cases = {"startup": missing, "migrate": broken}
    monkeypatch.setattr(bench_run, "_load", lambda group: cases[group])
    output = tmp_path / "out.md"
    assert bench_run.main(["--quick", "--only", "B3,B6", "--output", str(output)]) == 0
    rows = table_rows(output.read_text(encoding="utf-8"))
    assert rows["B3"][0][7] == "not measured: toolkit/rollback is missing"
    assert rows["B6"][0][7] == "not measured: RuntimeError: terraform exploded"


def test_unknown_row_id_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_status:
        bench_run.main(["--only", "B99"])
    assert exit_status.value.code == 2
    assert "unknown row id(s): B99" in capsys.readouterr().err


def test_interleaving_alternates_which_side_runs_first() -> None:
    order: list[str] = []

    def case(name: str):
        def measure() -> Measurement:
            order.append(name)
            return Measurement(seconds=1.0, peak_rss_kib=1, returncode=0)
        return measure

    samples = interleaved({"toolkit": case("toolkit"), "baseline": case("baseline")}, repetitions=3,
                          prepare=lambda name: order.append(f"prepare {name}"))
    assert order == ["prepare toolkit", "toolkit", "prepare baseline", "baseline",
                     "prepare baseline", "baseline", "prepare toolkit", "toolkit",
                     "prepare toolkit", "toolkit", "prepare baseline", "baseline"]
    assert len(samples["toolkit"].seconds) == 3


def test_verdict_judges_the_ratio_of_medians_and_the_extra_checks() -> None:
    def samples(*seconds: float) -> Samples:
        return Samples(seconds=list(seconds), peak_rss_kib=[1] * len(seconds))

    within = Row(id="B9", what="w", baseline="b", goal="≤ 1.3×", toolkit=samples(1.0, 1.2, 5.0),
                 reference=samples(1.0, 1.0, 1.0), ratio_limit=1.3, repetitions=3)
    assert within.verdict() == "met"
    slow = Row(id="B9", what="w", baseline="b", goal="≤ 1.0×", toolkit=samples(2.0), reference=samples(1.0),
               ratio_limit=1.0, extra_checks=[("RSS", False)], repetitions=1)
    assert slow.verdict() == "MISSED (time, RSS)"
    table = markdown_table([within, slow])
    assert "| 1.20× ; 1.00× |" in table and "| 2.00× ; 2.00× |" in table


def test_run_measured_reports_the_child_peak_rss_and_failures(tmp_path: Path) -> None:
    import sys

    big = run_measured([sys.executable, "-c", "block = bytearray(64 * 1024 * 1024); block[::4096] = b'x' * 16384"])
    assert big.peak_rss_kib >= 64 * 1024
    with pytest.raises(RuntimeError, match="exited 3"):
        run_measured([sys.executable, "-c", "import sys; sys.stderr.write('boom'); sys.exit(3)"])


def test_a_large_bench_process_does_not_lend_its_size_to_the_child() -> None:
    """Linux carries a process's resident size at exec into its ru_maxrss: a child forked from the bench, after it
    had grown (a 178 MiB plan generated in-process), reported the bench's size as its own peak (B1's `jq` on a
    3 MiB plan: 219 MiB). The launcher the children start from is small, so a small child reports its own size."""
    import sys

    ballast = bytearray(256 * 1024 * 1024)
    ballast[::4096] = b"x" * (len(ballast) // 4096)
    small = run_measured([sys.executable, "-I", "-S", "-c", "pass"])
    assert len(ballast) and small.peak_rss_kib < 64 * 1024, small


def test_a_process_the_child_leaves_behind_is_not_timed() -> None:
    """The launcher's report fd was passed on to the child: `sleep 4 &` kept it open and the bench waited 4 s on a
    command that exits at once (a review's finding)."""
    import time

    started = time.monotonic()
    run_measured(["bash", "-c", "sleep 4 >/dev/null 2>&1 & exit 0"])
    assert time.monotonic() - started < 2


def test_the_child_gets_the_default_sigpipe_and_sigxfsz() -> None:
    """Python starts with SIGPIPE and SIGXFSZ ignored; a command spawned from the launcher inherited that, so
    `yes | head` never ended as it does in a shell (a review's finding)."""
    measured = run_measured(["bash", "-c", "grep -E '^SigIgn' /proc/self/status | "
                                           "python3 -c \"import sys; mask = int(sys.stdin.read().split()[1], 16); "
                                           "sys.exit(mask >> 12 & 1 or mask >> 24 & 1)\""])
    assert measured.returncode == 0


@pytest.mark.slow
def test_quick_run_measures_the_offline_validate_and_plan(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    assert bench_run.main(["--quick", "--only", "B8,B9", "--output", str(output)]) == 0
    report = output.read_text(encoding="utf-8")
    rows = table_rows(report)
    assert sorted(rows) == ["B8", "B9"], report
    for row_id in rows:
        assert_measured(rows, row_id, report)


@pytest.mark.slow
def test_quick_run_measures_the_provider_schema_rows(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    assert bench_run.main(["--quick", "--only", "S1,S2", "--output", str(output)]) == 0
    report = output.read_text(encoding="utf-8")
    rows: dict[str, list[list[str]]] = {}
    for line in report.splitlines():
        match = re.match(r"^\| (S\d) \|", line)
        if match:
            rows.setdefault(match.group(1), []).append([cell.strip() for cell in line.strip("|").split("|")])
    assert sorted(rows) == ["S1", "S2"], report
    assert_measured(rows, "S1", report)
    if not rows["S2"][0][7].startswith("not measured: npm @cdktn/provider-aws is not installed"):
        assert_measured(rows, "S2", report)
        assert "peak RSS " in rows["S2"][0][8], report


@pytest.mark.slow
def test_quick_run_measures_the_stub_rows(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    assert bench_run.main(["--quick", "--only", "V2", "--output", str(output)]) == 0
    report = output.read_text(encoding="utf-8")
    rows: dict[str, list[list[str]]] = {}
    for line in report.splitlines():
        match = re.match(r"^\| (V\d) \|", line)
        if match:
            rows.setdefault(match.group(1), []).append([cell.strip() for cell in line.strip("|").split("|")])
    assert sorted(rows) == ["V2"], report
    assert_measured(rows, "V2", report)


def test_quick_run_measures_the_migration_lint(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    assert bench_run.main(["--quick", "--only", "B13", "--output", str(output)]) == 0
    report = output.read_text(encoding="utf-8")
    rows = table_rows(report)
    assert sorted(rows) == ["B13"], report
    assert_measured(rows, "B13", report)
    assert rows["B13"][0][1] == "`toolkit db lint` of 5 generated migrations", report
