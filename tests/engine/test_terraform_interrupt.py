"""A stop that reached the toolkit alone (SIGTERM from a CI cancel, SIGHUP from a dropped session) is passed on to
terraform as the Ctrl-C it stops on gracefully; before, terraform went on applying while the toolkit waited, recorded
the run as cancelled even when the apply finished, and a second SIGTERM left terraform running orphaned with the
lock. A terminal's Ctrl-C reaches terraform through the process group, so the toolkit adds none of its own (a second
SIGINT makes terraform exit at once)."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from toolkit.engine.terraform import FinishedBeforeStop, Terraform, TerraformBinary
from toolkit.processes import signals_interrupt


def _fake(tmp_path: Path, on_interrupt_exit: int, *, runs_for: float = 30.0) -> Path:
    """A terraform that counts the SIGINTs it gets (in `interrupts`) and exits with `on_interrupt_exit` after the
    first, or exits 1 by itself after `runs_for` seconds."""
    fake = tmp_path / "terraform"
    marker = tmp_path / "interrupts"
    fake.write_text(f"#!{sys.executable}\n"
                    "import signal, sys, time\n"
                    "def stop(*_):\n"
                    f"    with open({str(marker)!r}, 'a') as handle: handle.write('INT\\n')\n"
                    "    time.sleep(0.3)\n"
                    f"    sys.exit({on_interrupt_exit})\n"
                    "signal.signal(signal.SIGINT, stop)\n"
                    "print('applying', flush=True)\n"
                    f"time.sleep({runs_for})\n"
                    "sys.exit(1)\n")
    fake.chmod(0o755)
    return fake


def _run_with(tmp_path: Path, fake: Path, number: signal.Signals, after: float = 0.8) -> BaseException:
    terraform = Terraform(TerraformBinary(fake, "1.15.5", "terraform"), tmp_path, {"PATH": "/usr/bin:/bin"}, "dev")
    threading.Timer(after, os.kill, (os.getpid(), number)).start()
    with pytest.raises(KeyboardInterrupt) as stopped, signals_interrupt():
        terraform.run("apply", "plan.tfplan")
    return stopped.value


def _interrupts(tmp_path: Path) -> list[str]:
    marker = tmp_path / "interrupts"
    return marker.read_text().split() if marker.exists() else []


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_to_the_toolkit_alone_stops_terraform_gracefully(tmp_path: Path, number: signal.Signals) -> None:
    started = time.monotonic()
    stopped = _run_with(tmp_path, _fake(tmp_path, on_interrupt_exit=1), number)
    assert type(stopped) is KeyboardInterrupt and stopped.args == (number.name,)
    assert _interrupts(tmp_path) == ["INT"]  # one graceful stop, terraform's own handling
    assert time.monotonic() - started < 10  # not the fake's 30 s: it was told to stop


def test_terraform_that_finished_anyway_is_reported_done(tmp_path: Path) -> None:
    stopped = _run_with(tmp_path, _fake(tmp_path, on_interrupt_exit=0), signal.SIGTERM)
    assert isinstance(stopped, FinishedBeforeStop) and "after terraform apply had finished" in stopped.args[0]


def test_a_ctrl_c_is_not_doubled(tmp_path: Path) -> None:
    """SIGINT to the toolkit: in a terminal terraform got the same one; the toolkit only waits for it."""
    stopped = _run_with(tmp_path, _fake(tmp_path, on_interrupt_exit=1, runs_for=2.0), signal.SIGINT)
    assert type(stopped) is KeyboardInterrupt
    assert _interrupts(tmp_path) == []  # terraform was left to its own (here: none) Ctrl-C and exited by itself


def test_a_second_signal_makes_terraform_exit_at_once(tmp_path: Path) -> None:
    fake = tmp_path / "terraform"
    marker = tmp_path / "interrupts"
    fake.write_text(f"#!{sys.executable}\n"
                    "import signal, sys, time\n"
                    "def count(*_):\n"
                    f"    with open({str(marker)!r}, 'a') as handle: handle.write('INT\\n')\n"
                    f"    if open({str(marker)!r}).read().count('INT') >= 2: sys.exit(1)\n"
                    "signal.signal(signal.SIGINT, count)\n"
                    "time.sleep(30); time.sleep(30)\n")
    fake.chmod(0o755)
    terraform = Terraform(TerraformBinary(fake, "1.15.5", "terraform"), tmp_path, {"PATH": "/usr/bin:/bin"}, "dev")
    for delay in (0.8, 1.6):
        threading.Timer(delay, os.kill, (os.getpid(), signal.SIGTERM)).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), signals_interrupt():
        terraform.run("apply", "plan.tfplan")
    deadline = time.monotonic() + 5
    while len(_interrupts(tmp_path)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _interrupts(tmp_path) == ["INT", "INT"]  # the second stop reached terraform too: no orphan left applying
    assert time.monotonic() - started < 10
