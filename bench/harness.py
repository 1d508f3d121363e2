"""What every benchmark shares: timing a child process (wall time and peak RSS), interleaved repetitions,
result rows and the Markdown table.

Shared machines are noisy, so no figure stands alone: each row is a ratio against a baseline measured
in the same run, repeated several times with the toolkit and baseline runs interleaved (A B A B …) so a
burst of load from a neighbour hits both sides. Rows report min and median; the goal is judged on the
ratio of medians.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

REPOSITORY = Path(__file__).resolve().parents[1]
VENV_BIN = REPOSITORY / ".venv" / "bin"


class NotMeasured(Exception):
    """A benchmark cannot run here (a part is missing); its row says why instead of failing the run."""


@dataclass(frozen=True)
class Measurement:
    seconds: float
    peak_rss_kib: int
    returncode: int
    # User + system CPU of the child and of the descendants it waited for (terraform, its provider plugin).
    cpu_seconds: float = 0.0


def run_measured(command: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None,
                 stdout: IO[bytes] | int | None = subprocess.DEVNULL, ok_codes: tuple[int, ...] = (0,),
                 stdin: IO[bytes] | int | None = subprocess.DEVNULL) -> Measurement:
    """Run one command; wall time and the peak RSS of that child alone (its own rusage, from os.wait4).

    ru_maxrss of a process is the peak of that process, not of its descendants: wrap multi-process
    baselines in one shell only when their peak is not compared. Linux also carries into ru_maxrss the
    resident size of the memory it had when it called exec: a child forked by this (by then large) bench
    process reported the bench's own size (219 MiB for `jq` on 3 MiB). So a small launcher (`python -I -S`,
    a few MiB: its own resident size is the floor of every peak) spawns the command, times it and reports
    the child's rusage.
    """
    read_end, write_end = os.pipe()
    try:
        with tempfile.TemporaryFile() as stderr_file:
            process = subprocess.Popen([sys.executable, "-I", "-S", "-c", _LAUNCHER, str(write_end), *command],
                                       env=dict(env) if env is not None else None, cwd=cwd, stdout=stdout,
                                       stderr=stderr_file, stdin=stdin, pass_fds=(write_end,))
            os.close(write_end)
            write_end = -1
            with os.fdopen(read_end, "rb") as report:
                read_end = -1
                fields = report.read().split()
            process.wait()
            if len(fields) != 4:
                raise RuntimeError(f"{' '.join(command)} did not start:\n{_tail(stderr_file)}")
            elapsed, maxrss, cpu, status = float(fields[0]), int(fields[1]), float(fields[2]), int(fields[3])
            returncode = os.waitstatus_to_exitcode(status)
            if returncode not in ok_codes:
                raise RuntimeError(f"{' '.join(command)} exited {returncode}:\n{_tail(stderr_file)}")
    finally:
        for fd in (read_end, write_end):
            if fd >= 0:
                os.close(fd)
    return Measurement(elapsed, maxrss, returncode, cpu)


def _tail(stderr_file: IO[bytes]) -> str:
    stderr_file.seek(0)
    return stderr_file.read().decode(errors="replace")[-2000:]


# argv: report fd, command...; writes "seconds maxrss_kib cpu_seconds wait_status" to the fd. The fd is not passed
# on (a child that left a process behind holding it kept the bench waiting for that process), and the child gets
# the SIGPIPE and SIGXFSZ defaults Python's start-up had set to ignored (`cmd | head` must end as in a shell).
_LAUNCHER = """
import os, signal, sys, time
fd, command = int(sys.argv[1]), sys.argv[2:]
os.set_inheritable(fd, False)
started = time.perf_counter()
pid = os.posix_spawnp(command[0], command, os.environ, setsigdef=(signal.SIGPIPE, signal.SIGXFSZ))
_, status, usage = os.wait4(pid, 0)
elapsed = time.perf_counter() - started
os.write(fd, f"{elapsed} {usage.ru_maxrss} {usage.ru_utime + usage.ru_stime} {status}".encode())
"""


@dataclass
class Samples:
    seconds: list[float] = field(default_factory=list)
    peak_rss_kib: list[int] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)

    def add(self, measurement: Measurement) -> None:
        self.seconds.append(measurement.seconds)
        self.peak_rss_kib.append(measurement.peak_rss_kib)
        self.cpu_seconds.append(measurement.cpu_seconds)

    @property
    def median_cpu(self) -> float:
        return statistics.median(self.cpu_seconds) if self.cpu_seconds else 0.0

    @property
    def minimum(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def peak_rss_max_kib(self) -> int:
        return max(self.peak_rss_kib)


def interleaved(cases: Mapping[str, Callable[[], Measurement]], repetitions: int,
                prepare: Callable[[str], None] | None = None) -> dict[str, Samples]:
    """Run each case `repetitions` times in the order A B A B …; `prepare(name)` runs untimed before each."""
    samples = {name: Samples() for name in cases}
    for repetition in range(repetitions):
        # Alternate which side goes first, so neither always inherits the other's warm caches.
        order = list(cases) if repetition % 2 == 0 else list(reversed(cases))
        for name in order:
            if prepare is not None:
                prepare(name)
            samples[name].add(cases[name]())
    return samples


@dataclass
class Row:
    """One line of the results table."""

    id: str
    what: str
    baseline: str
    goal: str
    toolkit: Samples | None = None
    reference: Samples | None = None
    ratio_limit: float | None = None
    repetitions: int = 0
    notes: list[str] = field(default_factory=list)
    extra_checks: list[tuple[str, bool]] = field(default_factory=list)
    not_measured: str | None = None
    # Lines for the report's Details section (per-size figures, API call counts, profiles).
    details: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if self.toolkit is None or self.reference is None:
            return None
        return self.toolkit.median / self.reference.median

    @property
    def ratio_of_minimums(self) -> float | None:
        if self.toolkit is None or self.reference is None:
            return None
        return self.toolkit.minimum / self.reference.minimum

    @property
    def met(self) -> bool | None:
        if self.not_measured is not None or self.ratio is None:
            return None
        ratio_ok = self.ratio_limit is None or self.ratio <= self.ratio_limit
        return ratio_ok and all(passed for _, passed in self.extra_checks)

    def verdict(self) -> str:
        if self.not_measured is not None:
            return f"not measured: {self.not_measured}"
        failed = [name for name, passed in self.extra_checks if not passed]
        if self.ratio_limit is not None and self.ratio is not None and self.ratio > self.ratio_limit:
            failed.insert(0, "time")
        return "met" if not failed else "MISSED (" + ", ".join(failed) + ")"


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"


def markdown_table(rows: Sequence[Row]) -> str:
    lines = [
        "| id | what | toolkit min / median | baseline | baseline min / median | ratio (median; min) | goal | "
        "result | notes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row.not_measured is not None or row.toolkit is None or row.reference is None:
            lines.append(f"| {row.id} | {row.what} | – | {row.baseline} | – | – | {row.goal} | "
                         f"{row.verdict()} | {'; '.join(row.notes)} |")
            continue
        notes = [f"n={row.repetitions}", *row.notes]
        lines.append(
            f"| {row.id} | {row.what} | {_seconds(row.toolkit.minimum)} / {_seconds(row.toolkit.median)} | "
            f"{row.baseline} | {_seconds(row.reference.minimum)} / {_seconds(row.reference.median)} | "
            f"{row.ratio:.2f}× ; {row.ratio_of_minimums:.2f}× | {row.goal} | {row.verdict()} | "
            f"{'; '.join(notes)} |")
    return "\n".join(lines)


def venv_executable(name: str) -> str:
    path = VENV_BIN / name
    if not path.exists():
        raise NotMeasured(f"{path} is missing (run `make setup`)")
    return str(path)
