"""V2: the offline stub providers (stub_provider/, toolkit.stub_mirror, docs/CHECKS.md); `toolkit check --validate`
against raw terraform on the same stub is B8 (cases/offline.py).

V2: the stub's start-up as Terraform sees it (launcher → handshake line; then SIGTERM) against the floor of
any Python protocol-6 plugin: importing grpc, cryptography and the generated tfplugin6 code. The stub must
stay well under a second (Terraform starts each provider several times per plan and per test run), so the
AWS schema is never decoded at start.
"""

from __future__ import annotations

import os

from bench.harness import REPOSITORY, NotMeasured, Row, interleaved, run_measured, venv_executable
from bench.settings import Settings

ENGINE = REPOSITORY / ".cache" / "engine" / "bin" / "terraform"
MAGIC_COOKIE = {"TF_PLUGIN_MAGIC_COOKIE": "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"}
# Starts the launcher like Terraform does, waits for the handshake line, then stops it.
START_AND_STOP = (
    "import os, signal, subprocess, sys\n"
    "child = subprocess.Popen([sys.argv[1]], stdout=subprocess.PIPE, text=True)\n"
    "line = child.stdout.readline()\n"
    "child.send_signal(signal.SIGTERM)\n"
    "child.wait()\n"
    "sys.exit(0 if line.startswith('1|6|unix|') else 1)\n"
)
PLUGIN_FLOOR = "import grpc, cryptography.x509, msgpack, tf.gen.tfplugin_pb2"


def run(settings: Settings) -> list[Row]:
    if not ENGINE.is_file():
        raise NotMeasured(f"no Terraform engine at {ENGINE} (make setup)")
    from toolkit.stub_mirror import prepare_mirror

    python = venv_executable("python")
    mirror = prepare_mirror(REPOSITORY)
    launcher = str(mirror.launcher("aws"))
    start = interleaved({
        "toolkit": lambda: run_measured([python, "-c", START_AND_STOP, launcher], env={**os.environ, **MAGIC_COOKIE}),
        "baseline": lambda: run_measured([python, "-c", PLUGIN_FLOOR]),
    }, settings.startup_repetitions)
    return [Row(id="V2", what="stub provider start-up (launcher → handshake, AWS 6.66 schema)",
                    baseline="`python -c` importing grpc, cryptography, msgpack, tfplugin6 (any Python plugin's floor)",
                    goal="≤ 2.5×; < 1 s", toolkit=start["toolkit"], reference=start["baseline"], ratio_limit=2.5,
                    repetitions=settings.startup_repetitions,
                    notes=[f"CPU median {start['toolkit'].median_cpu:.2f} s incl. the measuring parent"],
                    extra_checks=[("under 1 s", start["toolkit"].median < 1.0)])]
