"""V1, V2: the offline stub providers (stub_provider/, toolkit.checks.stub, docs/CHECKS.md).

V1: `toolkit check --validate` over terraform/ and every module example, against what a script would run:
`terraform init -backend=false` + `terraform validate -json` in each of the same staged folders, one after
the other, with the same stub mirror, data directories and environment. The toolkit runs two targets at a
time (the machines have 2 cores), so a ratio below 1 is expected; the goal is the issue's ≤ 1.15×.
V2: the stub's start-up as Terraform sees it (launcher → handshake line; then SIGTERM) against the floor of
any Python protocol-6 plugin: importing grpc, cryptography and the generated tfplugin6 code. The stub must
stay well under a second (Terraform starts each provider several times per plan and per test run), so the
AWS schema is never decoded at start.
"""

from __future__ import annotations

import os
import shlex

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
    from toolkit.checks.stub import prepare_mirror
    from toolkit.checks.validate import validate_targets

    python = venv_executable("python")
    toolkit = venv_executable("toolkit")
    mirror = prepare_mirror(REPOSITORY)
    environment = {**os.environ, "TOOLKIT_TERRAFORM": str(ENGINE), "TOOLKIT_PROJECT_DIR": str(REPOSITORY)}
    validate = [toolkit, "check", "--validate"]
    run_measured(validate, env=environment)  # stages every target (untimed), as the baseline's folders
    script = settings.work_dir / "validate-all.sh"
    lines = ["set -e"]
    for target in validate_targets(REPOSITORY):
        name = str(target.relative_to(REPOSITORY))
        work = REPOSITORY / ".toolkit" / "stub" / "targets" / name.replace(os.sep, "__")
        variables = " ".join(f"{key}={shlex.quote(value)}" for key, value in mirror.environment(
            work / "data", {}).items() if key.startswith(("TF_", "CHECKPOINT", "AWS_")))
        folder = shlex.quote(str(work / "stage" / name))
        lines.append(f"cd {folder} && env {variables} {shlex.quote(str(ENGINE))} init -backend=false "
                     "-input=false -no-color >/dev/null")
        lines.append(f"cd {folder} && env {variables} {shlex.quote(str(ENGINE))} validate -json -no-color >/dev/null")
    script.write_text("\n".join(lines) + "\n")
    repetitions = max(1, settings.plan_repetitions)
    check = interleaved({
        "toolkit": lambda: run_measured(validate, env=environment),
        "baseline": lambda: run_measured(["bash", str(script)]),
    }, repetitions)
    targets = len(validate_targets(REPOSITORY))
    rows = [Row(id="V1", what=f"`toolkit check --validate` ({targets} targets, stub providers)",
                baseline="terraform init + validate -json per staged folder, one after the other",
                goal="≤ 1.15×", toolkit=check["toolkit"], reference=check["baseline"], ratio_limit=1.15,
                repetitions=repetitions)]

    launcher = str(mirror.launcher("aws"))
    start = interleaved({
        "toolkit": lambda: run_measured([python, "-c", START_AND_STOP, launcher], env={**os.environ, **MAGIC_COOKIE}),
        "baseline": lambda: run_measured([python, "-c", PLUGIN_FLOOR]),
    }, settings.startup_repetitions)
    rows.append(Row(id="V2", what="stub provider start-up (launcher → handshake, AWS 6.66 schema)",
                    baseline="`python -c` importing grpc, cryptography, msgpack, tfplugin6 (any Python plugin's floor)",
                    goal="≤ 2.5×; < 1 s", toolkit=start["toolkit"], reference=start["baseline"], ratio_limit=2.5,
                    repetitions=settings.startup_repetitions,
                    notes=[f"CPU median {start['toolkit'].median_cpu:.2f} s incl. the measuring parent"],
                    extra_checks=[("under 1 s", start["toolkit"].median < 1.0)]))
    return rows
