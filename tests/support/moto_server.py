"""The AWS emulator for the test session: `moto_server` over HTTP on a free 127.0.0.1 port.

The server binds port 0 itself and the port is read from its own "Running on" line: picking a free port
first and handing it over leaves a gap in which another test run (several share this machine) can take
it, and the readiness check would then be answered by that other run's emulator.

Fixtures:
- `moto_server` (session): the running server; `.endpoint_url`, `.port`, `.client(service)` (boto3 with
  fake credentials), `.environment()` (the variables a toolkit/terraform run needs to use it).
- `moto_environment` (function): sets AWS_ENDPOINT_URL and fake credentials for one test.

One server serves the whole session; tests keep apart by using their own resource names (a project
name per test module) rather than by restarting or resetting the server.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REGION = "sa-east-1"
STARTUP_SECONDS = 60.0  # a safety net only: start-up waits on conditions (the bound port, the first answer)
RUNNING_ON = re.compile(rb"Running on http://127\.0\.0\.1:(\d+)")
_LOG_NUMBERS = itertools.count()
# At least every test environment's desired count: its deployments are COMPLETED at once.
SESSION_RUNNING_TASKS = "10"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


def _moto_server_command() -> Path:
    beside_python = Path(sys.executable).parent / "moto_server"
    if beside_python.is_file():
        return beside_python
    return Path(__file__).resolve().parents[2] / ".venv" / "bin" / "moto_server"


@dataclass
class MotoServer:
    port: int
    process: subprocess.Popen[bytes]
    log_file: Path

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        """Variables pointing boto3, terraform and the toolkit at the emulator with fake credentials."""
        return {"AWS_ENDPOINT_URL": self.endpoint_url, **FAKE_CREDENTIALS}

    def client(self, service: str, region: str = REGION) -> Any:
        import boto3

        return boto3.client(service, region_name=region, endpoint_url=self.endpoint_url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint_url}/moto-api/", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False


def start_moto_server(log_dir: Path, extra_environment: dict[str, str] | None = None) -> MotoServer:
    """Start the server and return once it answers HTTP (or raise with its log).

    `extra_environment` sets moto's own switches, e.g. MOTO_ECS_SERVICE_RUNNING.
    """
    log_file = log_dir / f"moto-{os.getpid()}-{next(_LOG_NUMBERS)}.log"
    environment = {**os.environ, **(extra_environment or {})}
    with log_file.open("wb") as log:
        process = subprocess.Popen([str(_moto_server_command()), "-H", "127.0.0.1", "-p", "0"],
                                   stdout=log, stderr=subprocess.STDOUT, env=environment)
    deadline = time.monotonic() + STARTUP_SECONDS

    def give_up(what: str) -> RuntimeError:
        if process.poll() is None:
            process.kill()
            process.wait()
        return RuntimeError(f"moto_server {what}: {log_file.read_text(errors='replace')[-2000:]}")

    # The port this very process bound: werkzeug prints it once the socket listens.
    while (found := RUNNING_ON.search(log_file.read_bytes())) is None:
        if process.poll() is not None or time.monotonic() > deadline:
            raise give_up("did not start listening")
        time.sleep(0.05)  # polling a condition (our own log line), not a fixed wait
    server = MotoServer(int(found.group(1)), process, log_file)
    while not server.answers():
        if process.poll() is not None or time.monotonic() > deadline:
            raise give_up(f"listens on port {server.port} but does not answer")
        time.sleep(0.05)  # polling a condition (the port answering), not a fixed wait
    return server


def stop_moto_server(server: MotoServer) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    with tempfile.TemporaryDirectory(prefix="moto-") as log_dir:
        # ECS services report this many running tasks (moto's switch; 0 by default), so `toolkit apply`'s wait
        # for a steady deployment (toolkit/deployments.py) sees the services the tests' applies create settle.
        server = start_moto_server(Path(log_dir), {"MOTO_ECS_SERVICE_RUNNING": SESSION_RUNNING_TASKS})
        try:
            yield server
        finally:
            stop_moto_server(server)


@pytest.fixture
def moto_environment(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    for name, value in moto_server.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    assert os.environ["AWS_ENDPOINT_URL"] == moto_server.endpoint_url
    return moto_server
