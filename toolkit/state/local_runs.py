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
from toolkit.processes import MAX_PID, is_process_id, process_started, process_still_running


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

    def live(self, skipped: list[str] | None = None) -> list[LocalRun]:
        """The recorded runs whose process is still running here (records of dead runs are removed). A record that
        is not one (unreadable, malformed, a pid that is no process id) is skipped, named in `skipped` with why,
        and left in place: it is never taken for a live run, and never stops the others being read."""
        runs: list[LocalRun] = []
        for path in sorted(self.folder.glob("*.json")) if self.folder.is_dir() else []:
            try:
                run = read_run(path.read_bytes())
            except (OSError, ValueError) as error:
                if skipped is not None:
                    skipped.append(f"{path}: {getattr(error, 'strerror', None) or error}")
                continue
            if _alive(run):
                runs.append(run)
            elif run.host == socket.gethostname():
                path.unlink(missing_ok=True)
        return runs




def read_run(body: bytes) -> LocalRun:
    """A run record, every field type-checked (the folder is writable by anyone with the checkout)."""
    try:
        data = json.loads(body)
    except RecursionError:
        raise ValueError("not a run record: nested too deeply") from None
    except ValueError as error:
        raise ValueError(f"not JSON ({error})") from None
    if not isinstance(data, dict):
        raise ValueError("not a run record (expected a JSON object)")
    pid = data.get("pid")
    if not is_process_id(pid):
        raise ValueError(f"pid {json.dumps(pid)[:40]} is not a process id (a whole number from 1 to {MAX_PID})")
    for name in ("host", "command", "started"):
        if not isinstance(data.get(name), str):
            raise ValueError(f"{name} must be a string")
    for name in ("lock_id", "process_start"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise ValueError(f"{name} must be a string or null")
    return LocalRun(pid=pid, host=data["host"], command=data["command"], started=data["started"],
                    lock_id=data.get("lock_id"), process_start=data.get("process_start"))


def runs_of(project: object, environment: str) -> LocalRuns:
    """The run records of an environment of `project` (a toolkit.project.Project)."""
    return LocalRuns(project.environment_data_dir(environment) / "runs")  # type: ignore[attr-defined]
