"""Killing a run whole, as a lost CI runner dies: the toolkit's process group and each terraform it started, which
runs in a session of its own (toolkit.engine.terraform) and so outlives a kill of the toolkit's group."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path

from toolkit.state.local_runs import LocalRuns


def kill_run_whole(toolkit: subprocess.Popen[str] | subprocess.Popen[bytes], runs_folder: Path) -> None:
    """SIGKILL the toolkit's group, then the group of every terraform run it recorded (`runs_folder`, the
    environment's .toolkit/envs/ENV/runs) with its providers. The toolkit first: it must not see terraform die and
    record the apply as failed."""
    live = LocalRuns(runs_folder).live()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(toolkit.pid, signal.SIGKILL)
    toolkit.wait()
    for run in live:
        if run.command.startswith("terraform "):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(run.pid, signal.SIGKILL)
