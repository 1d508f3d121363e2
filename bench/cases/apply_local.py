"""B14: `toolkit apply local` of the real root (terraform/, dev's sizing, the real AWS provider 6) from empty, then a
second `toolkit plan local`, against raw terraform on the same staged folder and variables: `init`, `plan -out`,
`apply` of that plan, `plan` again.

Each run gets a fresh emulator and project, so both sides create every resource (~109 on moto). The second plan
shows only what moto does not echo back (docs/ENGINE.md), for both sides alike. The toolkit's side includes what
raw terraform does not do: the AWS apply-time rules, the checkpoint before the apply, the ECS steady-state wait
(moto reports the task running at once) and the journal.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from bench.harness import REPOSITORY, Measurement, NotMeasured, Row, interleaved, run_measured, venv_executable
from bench.settings import Settings

ENVIRONMENT = "local"
BASELINE = r"""
set -euo pipefail
"$TERRAFORM" init -input=false -no-color "-backend-config=$BACKEND_CONFIG" -reconfigure >/dev/null
"$TERRAFORM" plan -input=false -no-color -lock-timeout=0s "-var-file=$VAR_FILE" "-out=$PLAN_FILE" >/dev/null
"$TERRAFORM" apply -input=false -no-color -lock-timeout=0s "$PLAN_FILE" >/dev/null
set +e
"$TERRAFORM" plan -input=false -no-color -detailed-exitcode -lock-timeout=0s "-var-file=$VAR_FILE" >/dev/null
code=$?
set -e
[ "$code" -ne 1 ] || { echo "the second terraform plan failed" >&2; exit 1; }
"""


def run(settings: Settings) -> list[Row]:
    from toolkit.checks.real_providers import built_providers

    if built_providers() is None:
        raise NotMeasured("the AWS provider 6 / random builds are absent (make providers)")
    if settings.apply_local_repetitions < 1:
        raise NotMeasured("skipped in this run (one apply of the real root takes minutes per side)")
    from tests.support.moto_server import start_moto_server, stop_moto_server

    runs = iter(range(1000))

    def fresh(side: str) -> tuple[Path, dict[str, str], object]:
        number = next(runs)
        base = settings.work_dir / f"apply-local-{side}-{number}"
        (base / "moto").mkdir(parents=True)
        server = start_moto_server(base / "moto", {"MOTO_ECS_SERVICE_RUNNING": "1"})
        root = base / "project"
        for folder in ("terraform", "modules"):
            shutil.copytree(REPOSITORY / folder, root / folder, ignore=shutil.ignore_patterns(".terraform*", "tests"))
        (root / "envs").mkdir()
        for name in ("defaults.yaml", f"{ENVIRONMENT}.yaml"):
            shutil.copy(REPOSITORY / "envs" / name, root / "envs" / name)
        (root / ".cache").symlink_to(REPOSITORY / ".cache")
        environment = {key: value for key, value in os.environ.items()
                       if key not in ("AWS_PROFILE", "TOOLKIT_TERRAFORM", "TF_CLI_CONFIG_FILE", "AWS_ACCESS_KEY_ID",
                                      "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "TOOLKIT_PROVIDER_MIRROR")}
        environment.update(TOOLKIT_PROJECT_DIR=str(root), AWS_ENDPOINT_URL=server.endpoint_url)
        subprocess.run([venv_executable("python"), "-m", "toolkit.engine.bootstrap", ENVIRONMENT], env=environment,
                       cwd=root, check=True, capture_output=True)
        return root, environment, server

    servers: list[object] = []

    def toolkit_run() -> Measurement:
        root, environment, server = fresh("toolkit")
        servers.append(server)
        toolkit = venv_executable("toolkit")
        apply = run_measured([toolkit, "apply", ENVIRONMENT, "--auto", "--quiet"], env=environment, cwd=root)
        replan = run_measured([toolkit, "plan", ENVIRONMENT, "--quiet"], env=environment, cwd=root, ok_codes=(0, 2))
        return _sum(apply, replan)

    def baseline_run() -> Measurement:
        root, environment, server = fresh("terraform")
        servers.append(server)
        # Untimed: the toolkit renders the variables and stages the folder the baseline then runs in.
        subprocess.run([venv_executable("toolkit"), "render", ENVIRONMENT], env=environment, cwd=root,
                       check=True, capture_output=True)
        helper = subprocess.run([venv_executable("python"), "-m", "bench.cases.infrastructure_helpers",
                                 "terraform-run", ENVIRONMENT], env=environment, cwd=REPOSITORY,
                                capture_output=True, text=True, check=True)
        spec = json.loads(helper.stdout)
        variables = dict(spec["environment"], TERRAFORM=spec["terraform"], BACKEND_CONFIG=spec["backend_config"],
                         VAR_FILE=spec["var_file"], PLAN_FILE=str(root / "baseline.tfplan"))
        return run_measured(["bash", "-c", BASELINE], env=variables, cwd=Path(spec["working_dir"]))

    try:
        samples = interleaved({"toolkit": toolkit_run, "terraform": baseline_run}, settings.apply_local_repetitions)
    except (RuntimeError, subprocess.CalledProcessError) as error:
        raise NotMeasured(str(error).strip()[:400]) from None
    finally:
        for server in servers:
            stop_moto_server(server)  # type: ignore[arg-type]
    return [Row(id="B14", what=f"`toolkit apply {ENVIRONMENT} --auto` of the real root from empty + a second plan",
                baseline="terraform init + plan -out + apply + plan, same staged folder, variables and emulator",
                goal="≤ 1.1×", toolkit=samples["toolkit"], reference=samples["terraform"], ratio_limit=1.1,
                repetitions=settings.apply_local_repetitions,
                notes=["a fresh moto and project per run: both sides create every resource",
                       f"CPU (median): toolkit {samples['toolkit'].median_cpu:.1f}s, "
                       f"terraform {samples['terraform'].median_cpu:.1f}s"])]


def _sum(*parts: Measurement) -> Measurement:
    return Measurement(sum(part.seconds for part in parts), max(part.peak_rss_kib for part in parts),
                       parts[-1].returncode, sum(part.cpu_seconds for part in parts))
