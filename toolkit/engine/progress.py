"""Where the engine reports what terraform is doing: streamed lines, step headers and a heartbeat.

The library never prints; the CLI picks a reporter (streaming to stderr, or silent for --quiet/--json).
"""

from __future__ import annotations

import sys
import threading
from typing import Protocol, TextIO

from toolkit.secrets import MASK, mask_text


class Progress(Protocol):
    def step(self, environment: str, text: str) -> None:
        """A stage of the run begins (render, init, plan, apply, ...)."""

    def line(self, environment: str, text: str) -> None:
        """One line of terraform's own output."""

    def still_running(self, environment: str, command: str, elapsed_seconds: float) -> None:
        """Terraform has been quiet for a while: show that it is alive."""


class SilentProgress:
    """Reports nothing (--quiet, --json, tests)."""

    def step(self, environment: str, text: str) -> None:
        return None

    def line(self, environment: str, text: str) -> None:
        return None

    def still_running(self, environment: str, command: str, elapsed_seconds: float) -> None:
        return None


class StreamProgress:
    """Streams to a text stream (stderr by default), each line prefixed with its environment.

    The prefix keeps concurrent runs (`plan --all`) readable; one lock keeps lines whole.
    """

    def __init__(self, stream: TextIO | None = None, *, show_terraform_output: bool = True) -> None:
        self._stream = stream or sys.stderr
        self._show_terraform_output = show_terraform_output
        self._lock = threading.Lock()
        # Environments whose output is inside a PEM block: its body comes line by line, each a harmless-looking
        # run of base64 on its own, so the lines up to -----END are masked whole.
        self._in_pem: set[str] = set()

    def _write(self, text: str) -> None:
        with self._lock:
            self._stream.write(text + "\n")
            self._stream.flush()

    def step(self, environment: str, text: str) -> None:
        self._write(f"==> {environment}: {text}")

    def line(self, environment: str, text: str) -> None:
        if not (self._show_terraform_output and text.strip()):
            return
        if environment in self._in_pem:
            if "-----END " in text:
                self._in_pem.discard(environment)
            self._write(f"[{environment}] {MASK}")
            return
        if "-----BEGIN " in text and "-----END " not in text.split("-----BEGIN ", 1)[1]:
            self._in_pem.add(environment)
        self._write(f"[{environment}] {mask_text(text)}")

    def still_running(self, environment: str, command: str, elapsed_seconds: float) -> None:
        self._write(f"... {environment}: terraform {command} still running ({elapsed_seconds:.0f}s)")
