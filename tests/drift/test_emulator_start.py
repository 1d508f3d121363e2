"""Why test_drift_emulator.py failed once under load, kept as a test.

The drift module's emulator used to start on a port picked beforehand (bind port 0, read it, close, hand it
to moto_server). On a machine where several test runs start emulators, another run could take that port in
the gap; our moto_server then failed to bind, while the readiness check was answered by the *other* run's
emulator, so the module applied to and read drift from an emulator another run was resetting. Now moto
binds port 0 itself and the fixture waits on the port named in its own log line, then on its answer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

import tests.support.moto_server as moto_module


class ForeignEmulator(BaseHTTPRequestHandler):
    """Another test run's emulator: answers every request, and counts them."""

    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        ForeignEmulator.requests.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def foreign() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ForeignEmulator)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_the_emulator_never_answers_from_a_port_another_run_took(tmp_path: Path, foreign: int,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # The race, made certain: the port "picked beforehand" is one another run's emulator already holds.
    monkeypatch.setattr(moto_module, "_free_port", lambda: foreign, raising=False)
    ForeignEmulator.requests.clear()
    server = moto_module.start_moto_server(tmp_path)
    try:
        assert server.port != foreign
        assert server.process.poll() is None, server.log_file.read_text()
        assert ForeignEmulator.requests == []
        assert server.client("s3").list_buckets()["Buckets"] == []
    finally:
        moto_module.stop_moto_server(server)
