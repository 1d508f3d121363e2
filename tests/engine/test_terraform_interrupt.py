"""Every interrupt the toolkit gets (SIGTERM from a CI cancel or `timeout`, SIGHUP from a dropped session, SIGINT from
Ctrl-C or `kill -INT`) is passed on to terraform once, as the Ctrl-C it stops on gracefully. Terraform runs in a
session of its own, so a signal to the toolkit's whole process group (`timeout`, systemd, `kill -TERM -PGID`, a
terminal's Ctrl-C) reaches it only that way: before, it got the group's SIGTERM besides the Ctrl-C passed on (two
interrupts: it exits at once, without saving the state), died of the group's SIGHUP with the lock held, and a
`kill -INT` of the toolkit alone was never passed on. A second interrupt is passed on too and stops the wait."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import toolkit.engine.terraform as terraform_module
from toolkit.engine.terraform import TERRAFORM_APPLY, FinishedBeforeStop, Terraform, TerraformBinary
from toolkit.processes import signals_interrupt, stops_held

REPO = Path(__file__).resolve().parents[2]


def _fake(tmp_path: Path, on_interrupt_exit: int, *, runs_for: float = 30.0) -> Path:
    """A terraform that notes each SIGINT, SIGTERM and SIGHUP it gets (in `interrupts`; its handlers only note, so
    two that come together are both noted), stops like terraform does (SIGINT or SIGTERM: exits `on_interrupt_exit`
    after saving the state; SIGHUP: dies, 129), or exits 1 by itself after `runs_for` seconds. It writes `started`
    once its handlers are in place."""
    fake = tmp_path / "terraform"
    marker = tmp_path / "interrupts"
    fake.write_text(f"#!{sys.executable}\n"
                    "import signal, sys, time\n"
                    "stops = []\n"
                    "def note(number, _frame):\n"
                    f"    with open({str(marker)!r}, 'a') as handle:\n"
                    "        handle.write(signal.Signals(number).name + '\\n')\n"
                    "    stops.append(number)\n"
                    "for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):\n"
                    "    signal.signal(number, note)\n"
                    f"open({str(tmp_path / 'started')!r}, 'w').close()\n"
                    "print('applying', flush=True)\n"
                    f"end = time.monotonic() + {runs_for}\n"
                    "while not stops and time.monotonic() < end:\n"
                    "    time.sleep(0.05)\n"
                    "if not stops:\n"
                    "    sys.exit(1)\n"
                    "if stops[0] == signal.SIGHUP:\n"
                    "    sys.exit(129)\n"
                    "time.sleep(0.3)\n"
                    f"sys.exit({on_interrupt_exit})\n")
    fake.chmod(0o755)
    return fake


def _terraform(tmp_path: Path, fake: Path) -> Terraform:
    return Terraform(TerraformBinary(fake, "1.15.5", "terraform"), tmp_path, {"PATH": "/usr/bin:/bin"}, "dev")


def _run_with(tmp_path: Path, fake: Path, number: signal.Signals, subcommand: str = "apply",
              after: float = 0.8) -> BaseException:
    """Run terraform here, `number` sent to this process alone (`kill -SIG <toolkit pid>`) after `after` seconds."""
    threading.Timer(after, os.kill, (os.getpid(), number)).start()
    with pytest.raises(KeyboardInterrupt) as stopped, signals_interrupt():
        _terraform(tmp_path, fake).run(subcommand, "plan.tfplan")
    return stopped.value


# The toolkit's side, in a process of its own: what it raised, on one line.
_TOOLKIT_SIDE = """
import sys
from pathlib import Path
from toolkit.engine.terraform import Terraform, TerraformBinary
from toolkit.processes import signals_interrupt
fake, subcommand, wrapped = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "wrapped"
terraform = Terraform(TerraformBinary(fake, "1.15.5", "terraform"), fake.parent, {"PATH": "/usr/bin:/bin"}, "dev")
try:
    if wrapped:
        with signals_interrupt():
            terraform.run(subcommand)
    else:
        terraform.run(subcommand)
except KeyboardInterrupt as stopped:
    print(type(stopped).__name__, *stopped.args, flush=True)
"""


def _run_in_a_group(tmp_path: Path, fake: Path, number: signal.Signals, subcommand: str = "apply",
                    wrapped: bool = True) -> str:
    """Run the toolkit's side as a process group of its own and send `number` to the whole group once terraform
    runs (what `timeout`, systemd or `kill -TERM -PGID` do); what the toolkit raised."""
    toolkit = subprocess.Popen([sys.executable, "-c", _TOOLKIT_SIDE, str(fake), subcommand,
                                "wrapped" if wrapped else "bare"], cwd=REPO, stdout=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "started").exists():
            assert toolkit.poll() is None and time.monotonic() < deadline, "terraform never started"
            time.sleep(0.05)  # polling for the fake's start
        os.killpg(toolkit.pid, number)
        output, _ = toolkit.communicate(timeout=20)
    finally:
        toolkit.kill()
    return output.strip()


def _interrupts(tmp_path: Path) -> list[str]:
    marker = tmp_path / "interrupts"
    return marker.read_text().split() if marker.exists() else []


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_to_the_toolkit_alone_stops_terraform_gracefully(tmp_path: Path, number: signal.Signals) -> None:
    """SIGINT included: `kill -INT <toolkit pid>` (no terminal) reached terraform through nothing else."""
    started = time.monotonic()
    stopped = _run_with(tmp_path, _fake(tmp_path, on_interrupt_exit=1), number)
    assert type(stopped) is KeyboardInterrupt
    assert stopped.args == (() if number == signal.SIGINT else (number.name,))
    assert _interrupts(tmp_path) == ["SIGINT"]  # one graceful stop, terraform's own handling
    assert time.monotonic() - started < 10  # not the fake's 30 s: it was told to stop


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_to_the_whole_group_reaches_terraform_once(tmp_path: Path, number: signal.Signals) -> None:
    """`timeout toolkit apply`, a systemd stop, a terminal's Ctrl-C: terraform gets one Ctrl-C, never the SIGTERM
    besides it (two interrupts) nor the SIGHUP (which kills it with the lock held)."""
    raised = _run_in_a_group(tmp_path, _fake(tmp_path, on_interrupt_exit=1), number)
    assert raised == ("KeyboardInterrupt" if number == signal.SIGINT else f"KeyboardInterrupt {number.name}")
    assert _interrupts(tmp_path) == ["SIGINT"]


def test_a_group_sigterm_during_any_command_is_passed_on(tmp_path: Path) -> None:
    """No caller's signals_interrupt (`toolkit plan`): the run itself turns SIGTERM into the interrupt it passes on,
    instead of the toolkit dying and terraform, in its own session, running on told nothing."""
    raised = _run_in_a_group(tmp_path, _fake(tmp_path, on_interrupt_exit=1), signal.SIGTERM, "plan", wrapped=False)
    assert raised == "KeyboardInterrupt SIGTERM"
    assert _interrupts(tmp_path) == ["SIGINT"]


def test_terraform_that_finished_anyway_is_reported_done(tmp_path: Path) -> None:
    stopped = _run_with(tmp_path, _fake(tmp_path, on_interrupt_exit=0), signal.SIGTERM)
    assert isinstance(stopped, FinishedBeforeStop) and stopped.finished == TERRAFORM_APPLY
    assert stopped.args[0] == "SIGTERM, after terraform apply had finished"


def test_a_command_other_than_apply_that_finished_is_a_plain_interrupt(tmp_path: Path) -> None:
    """A plan that exits 0 as the stop comes applied nothing: no "applied" outcome for it."""
    stopped = _run_with(tmp_path, _fake(tmp_path, on_interrupt_exit=0), signal.SIGTERM, "plan")
    assert type(stopped) is KeyboardInterrupt and stopped.args == ("SIGTERM",)


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
def test_a_second_signal_makes_terraform_exit_at_once(tmp_path: Path, number: signal.Signals) -> None:
    fake = tmp_path / "terraform"
    marker = tmp_path / "interrupts"
    fake.write_text(f"#!{sys.executable}\n"
                    "import signal, sys, time\n"
                    "def count(*_):\n"
                    f"    with open({str(marker)!r}, 'a') as handle: handle.write('SIGINT\\n')\n"
                    f"    if open({str(marker)!r}).read().count('SIGINT') >= 2: sys.exit(1)\n"
                    "signal.signal(signal.SIGINT, count)\n"
                    "time.sleep(30); time.sleep(30)\n")
    fake.chmod(0o755)
    for delay in (0.8, 1.6):
        threading.Timer(delay, os.kill, (os.getpid(), number)).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), signals_interrupt():
        _terraform(tmp_path, fake).run("apply", "plan.tfplan")
    deadline = time.monotonic() + 5
    while len(_interrupts(tmp_path)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _interrupts(tmp_path) == ["SIGINT", "SIGINT"]  # the second stop reached terraform too: no orphan applying
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("on_interrupt_exit", [1, 0])
def test_a_signal_as_terraform_starts_is_passed_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   on_interrupt_exit: int) -> None:
    """A SIGTERM that lands right after terraform started, before the code that passes interrupts on: held, then
    handled there (once: an apply that finished stays reported done), instead of leaving terraform running, told
    nothing."""
    real = subprocess.Popen

    def start_then_signal(*args: Any, **options: Any) -> subprocess.Popen[str]:
        process = real(*args, **options)
        deadline = time.monotonic() + 30
        while not (tmp_path / "started").exists() and time.monotonic() < deadline:
            time.sleep(0.05)  # the fake's handlers in place, as terraform's would be
        os.kill(os.getpid(), signal.SIGTERM)
        return process

    monkeypatch.setattr(terraform_module.subprocess, "Popen", start_then_signal)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt) as stopped, signals_interrupt():
        _terraform(tmp_path, _fake(tmp_path, on_interrupt_exit, runs_for=8.0)).run("apply", "plan.tfplan")
    if on_interrupt_exit:
        assert type(stopped.value) is KeyboardInterrupt and stopped.value.args == ("SIGTERM",)
    else:
        assert isinstance(stopped.value, FinishedBeforeStop) and stopped.value.finished == TERRAFORM_APPLY
    assert _interrupts(tmp_path) == ["SIGINT"]
    assert time.monotonic() - started < 6


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the child's signal masks in /proc")
def test_held_stops_are_not_a_blocked_mask_the_child_inherits(tmp_path: Path) -> None:
    """Terraform started while stops are held gets no blocked signal (a blocked mask survives exec: SIGINT would never
    reach it) and no handler of ours (exec resets caught signals)."""
    with pytest.raises(KeyboardInterrupt) as stopped, signals_interrupt(), stops_held() as release:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.1)  # held: no interrupt yet
        status = subprocess.run(["cat", "/proc/self/status"], capture_output=True, text=True, check=True).stdout
        release()
    assert stopped.value.args == ("SIGTERM",)  # delivered once released
    masks = dict(line.split(":\t") for line in status.splitlines() if line.startswith(("SigBlk", "SigIgn", "SigCgt")))
    assert int(masks["SigBlk"], 16) == 0 and int(masks["SigCgt"], 16) == 0
    ignored = int(masks["SigIgn"], 16)
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        assert not ignored & (1 << (number - 1)) or signal.getsignal(number) is signal.SIG_IGN


def test_a_held_stop_is_delivered_once() -> None:
    calls: list[int] = []

    def count(number: int, _frame: object) -> None:
        calls.append(number)

    previous = signal.signal(signal.SIGTERM, count)
    try:
        with stops_held() as release:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.1)  # held: its handler not called yet
            assert calls == []
            release()
            assert calls == [signal.SIGTERM]
        assert calls == [signal.SIGTERM]  # leaving the block delivers nothing more
        assert signal.getsignal(signal.SIGTERM) is count  # the handler is back in place
    finally:
        signal.signal(signal.SIGTERM, previous)
