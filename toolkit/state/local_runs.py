"""The runs of one environment alive on this machine, so `toolkit unlock` never releases a lock a live run holds.

Every terraform run the engine starts (and every state operation of the toolkit's own) leaves a small record,
`.toolkit/envs/ENV/runs/<pid>.json` (pid, host, command, start, the lock ID when known), removed when the run
ends. A run killed with kill -9 leaves its record behind, but its process is gone: a record counts only while
its process lives, checked with the process's start time so a recycled pid is not taken for the run.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from toolkit.clock import iso, utc_now
from toolkit.files import write_atomically
from toolkit.processes import process_started, process_still_running


@dataclass(frozen=True)
class LocalRun:
    pid: int
    host: str
    command: str
    started: str
    lock_id: str | None = None
    process_start: str | None = None  # toolkit.records.checkpoints.process_started: tells a reused pid apart

    def describe(self) -> str:
        return f"{self.command} (pid {self.pid}, since {self.started})"


def _alive(run: LocalRun) -> bool:
    return process_still_running(run.host, run.pid, run.process_start)


@dataclass(frozen=True)
class LocalRuns:
    """The run records of one environment (`folder` is .toolkit/envs/ENV/runs)."""

    folder: Path

    @contextlib.contextmanager
    def registered(self, pid: int, command: str, lock_id: str | None = None) -> Iterator[LocalRun]:
        run = LocalRun(pid=pid, host=socket.gethostname(), command=command, started=iso(utc_now()),
                       lock_id=lock_id, process_start=process_started(pid))
        path = self.folder / f"{pid}.json"
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps(asdict(run)))
        try:
            yield run
        finally:
            path.unlink(missing_ok=True)

    def live(self) -> list[LocalRun]:
        """The recorded runs whose process is still running here (records of dead runs are removed)."""
        runs: list[LocalRun] = []
        for path in sorted(self.folder.glob("*.json")) if self.folder.is_dir() else []:
            try:
                run = LocalRun(**json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError):
                continue
            if _alive(run):
                runs.append(run)
            elif run.host == socket.gethostname():
                path.unlink(missing_ok=True)
        return runs


def runs_of(project: object, environment: str) -> LocalRuns:
    """The run records of an environment of `project` (a toolkit.project.Project)."""
    return LocalRuns(project.environment_data_dir(environment) / "runs")  # type: ignore[attr-defined]
