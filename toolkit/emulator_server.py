"""`toolkit emulator up|down|status`: the local AWS emulator (moto_server) for the emulator environments.

`up` starts moto_server on 127.0.0.1 (it binds port 0 itself; the port is read from its own "Running on"
line, so no other run can take the port in between), records it in `.toolkit/emulator/server.json`,
and creates the environment's state bucket. Nothing is exported into any shell: an emulator
environment's runs find the endpoint in its variable (AWS_ENDPOINT_URL) or, when that is unset, in this
record of a server that still answers (toolkit/emulator.py). `down` stops that server only (the pid
must still be a moto_server) and removes the record.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.files import write_atomically
from toolkit.project import Project

RUNNING_ON = re.compile(rb"Running on http://127\.0\.0\.1:(\d+)")
START_SECONDS = 60.0


@dataclass(frozen=True)
class EmulatorServer:
    pid: int
    port: int
    log_file: str

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint_url}/moto-api/", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False


def record_file(project: Project) -> Path:
    return project.data_dir / "emulator" / "server.json"


def _moto_command() -> Path:
    candidate = Path(sys.executable).parent / "moto_server"
    if not candidate.is_file():
        raise ToolkitError("moto_server not found beside this Python: run `make setup` (installs moto[server] "
                           "into .venv)")
    return candidate


def _is_moto(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"moto_server" in command


def running(project: Project) -> EmulatorServer | None:
    """The recorded server when its process is a live moto_server that answers, else None."""
    try:
        data = json.loads(record_file(project).read_text(encoding="utf-8"))
        server = EmulatorServer(int(data["pid"]), int(data["port"]), str(data["log_file"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not (0 < server.port < 65536 and server.pid > 0 and _is_moto(server.pid)):
        return None
    return server if server.answers() else None


def find_running_emulator(project: Project, variable: str) -> None:
    """An emulator environment with its variable unset uses the emulator `toolkit emulator up` started, if it
    answers: the variable is set for this process and its children only, never exported to a shell."""
    if os.environ.get(variable):
        return
    server = running(project)
    if server is not None:
        os.environ[variable] = server.endpoint_url


def start(project: Project) -> tuple[EmulatorServer, bool]:
    """The running server, or a new one; True when it was started now."""
    current = running(project)
    if current is not None:
        return current, False
    folder = record_file(project).parent
    folder.mkdir(parents=True, exist_ok=True)
    log_file = folder / "moto.log"
    with log_file.open("wb") as log:
        # moto reports 0 running tasks unless told otherwise; apply and rollback wait for running == desired.
        environment = {**os.environ, "MOTO_ECS_SERVICE_RUNNING": "1"}
        process = subprocess.Popen([str(_moto_command()), "-H", "127.0.0.1", "-p", "0"], stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                                   env=environment)
    deadline = time.monotonic() + START_SECONDS
    while (found := RUNNING_ON.search(log_file.read_bytes())) is None:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise ToolkitError(f"moto_server did not start: see {project.display(log_file)}")
        time.sleep(0.05)  # waiting on the server's own log line
    server = EmulatorServer(process.pid, int(found.group(1)), str(log_file))
    while not server.answers():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise ToolkitError(f"moto_server listens on {server.port} but does not answer: see "
                               f"{project.display(log_file)}")
        time.sleep(0.05)
    write_atomically(record_file(project), json.dumps(server.__dict__) + "\n")
    return server, True


def stop(project: Project) -> EmulatorServer | None:
    """Stop the recorded server (only if it is still a moto_server); the stopped one, or None."""
    path = record_file(project)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        server = EmulatorServer(int(data["pid"]), int(data["port"]), str(data["log_file"]))
    except (OSError, ValueError, KeyError, TypeError):
        path.unlink(missing_ok=True)
        return None
    if server.pid > 0 and _is_moto(server.pid):
        os.kill(server.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while _is_moto(server.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _is_moto(server.pid):
            os.kill(server.pid, signal.SIGKILL)
    path.unlink(missing_ok=True)
    return server
