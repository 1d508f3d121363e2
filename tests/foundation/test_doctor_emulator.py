"""`toolkit doctor` says the emulator is ok only when it answers, not when its binary exists (issue 28)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app


def _emulator_finding() -> dict:
    result = CliRunner().invoke(app, ["doctor", "--json"])
    return next(item for item in json.loads(result.stdout) if item["component"] == "AWS emulator")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_emulator_that_does_not_answer_is_not_ok(project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    finding = _emulator_finding()
    assert finding["ok"] is False
    assert "not running" in finding["detail"] and "toolkit emulator up" in finding["fix"]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{_closed_port()}")
    finding = _emulator_finding()
    assert finding["ok"] is False and "does not answer" in finding["detail"]


def test_a_remote_endpoint_is_never_contacted(project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://s3.amazonaws.com")
    finding = _emulator_finding()
    assert finding["ok"] is False and "not checked" in finding["detail"]


def test_an_answering_emulator_is_ok(project_dir: Path, monkeypatch: pytest.MonkeyPatch, moto_server) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint_url)
    finding = _emulator_finding()
    assert finding["ok"] is True, finding
    assert f"answers at {moto_server.endpoint_url}" in finding["detail"]
