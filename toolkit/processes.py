"""The processes of this machine: who is acting, and whether a recorded process (pid, start time) still runs."""

from __future__ import annotations

import contextlib
import getpass
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeGuard

ACTOR_VARIABLE = "TOOLKIT_ACTOR"
# Linux's largest pid_max (2^22); 0 and negative numbers name process groups to os.kill, never one process, and a
# pid past a C long is an OverflowError there.
MAX_PID = 4 * 1024 * 1024


def is_process_id(value: object) -> TypeGuard[int]:
    """A whole number from 1 to MAX_PID (pids come from records anyone with the store can edit)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_PID


def process_still_running(host: str | None, pid: int, started: str | None) -> bool:
    """Whether the process a record names still runs: this machine, alive, and not a reused pid (its start time,
    when recorded, still matches)."""
    if host != socket.gethostname() or not process_alive(pid):
        return False
    return started is None or process_started(pid) in (None, started)


def process_started(pid: int) -> str | None:
    """The process's start time in clock ticks after boot, with the boot id (Linux), or None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    # Field 22; the command name (field 2) may hold spaces and parentheses, so count after its last ')'.
    return f"{boot}/{stat.rsplit(')', 1)[1].split()[19]}"


def process_alive(pid: int) -> bool:
    """Whether a process of this machine still runs (also used for the live-run records, toolkit.state.local_runs).

    A process killed with kill -9 whose parent died too can linger as a zombie until something reaps it (in a
    container whose PID 1 reaps nothing, for ever): it still answers signal 0, so /proc's state decides. A pid
    that is no process id (`is_process_id`) is no process: signal 0 to -1 or 0 would answer for a whole group."""
    if not is_process_id(pid):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return True  # no /proc (macOS): signal 0 is all there is
    fields = stat.rsplit(")", 1)[-1].split()
    return not fields or fields[0] not in ("Z", "X")


def current_actor() -> str:
    """Who is acting: $TOOLKIT_ACTOR (set by CI), else user@host."""
    configured = os.environ.get(ACTOR_VARIABLE)
    if configured:
        return configured
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


# The stops, besides Ctrl-C's SIGINT, that end a run as Ctrl-C does (signals_interrupt).
INTERRUPTING_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
# Every signal that stops a run: terraform, started in a session of its own so none of them reaches it from the
# process group, is passed each one the toolkit gets as the Ctrl-C it stops on gracefully (toolkit.engine.terraform).
STOPPING_SIGNALS = (signal.SIGINT, *INTERRUPTING_SIGNALS)


def interrupt_name(interrupt: KeyboardInterrupt) -> str:
    """The signal an interrupt came from, as signals_interrupt names it; "Ctrl-C" for SIGINT's own."""
    return str(interrupt.args[0]) if interrupt.args else "Ctrl-C"


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """SIGTERM (a CI cancel, a stopped container, `timeout`) and SIGHUP (a dropped ssh session) stop a run as Ctrl-C
    does, as a KeyboardInterrupt naming the signal: a rollback journals the failed step and prints the resume command,
    an apply marks its checkpoint cancelled, and terraform, which runs in a session of its own (no group signal
    reaches it), is passed the Ctrl-C it stops on gracefully (toolkit.engine.terraform), instead of the toolkit dying
    with its records unwritten and terraform still running. Only the main thread may set handlers; elsewhere nothing
    changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(number: int, _frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(number).name)

    # A signal already ignored stays ignored: `nohup toolkit rollback …` must survive the dropped session.
    previous = {number: signal.signal(number, interrupt) for number in INTERRUPTING_SIGNALS
                if signal.getsignal(number) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextlib.contextmanager
def stops_held() -> Iterator[Callable[[], None]]:
    """Hold SIGINT, SIGTERM and SIGHUP while a child is started, so that none lands between the child's start and the
    code that passes stops on to it (which would leave the child running, told nothing). Yields `release`: it puts
    the handlers back and delivers a held signal to them; call it where the stop is handled (leaving the block does
    it too). Unlike a blocked signal mask, nothing of this reaches the child (exec resets caught signals). Main
    thread only, like every handler; ignored signals stay ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield lambda: None
        return
    held: list[int] = []

    def hold(number: int, _frame: object) -> None:
        held.append(number)

    previous = {number: signal.signal(number, hold) for number in STOPPING_SIGNALS
                if signal.getsignal(number) not in (signal.SIG_IGN, None)}

    def release() -> None:
        while previous:
            number, handler = previous.popitem()
            signal.signal(number, handler)
        if held:
            first = held[0]
            held.clear()  # before: its handler raises, and leaving the block must not deliver it again
            signal.raise_signal(first)  # once, as it came: its own handler raises (or ends the process) here

    try:
        yield release
    finally:
        release()
