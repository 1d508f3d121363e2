"""B8 and B9: the toolkit's offline runs of the real modules against raw terraform on the same stub and folders.

B8: `toolkit check --validate` (init + validate of terraform/ and every module example, two at a time) against a
shell loop running the same `terraform init -backend=false` + `terraform validate -json` in the same staged
folders, two at a time (`xargs -P 2`), with the same stub CLI config.
B9: `toolkit plan prod --offline` against `terraform init` + `plan -out` + `show -json` in the toolkit's staged
offline folder of prod, with the same tfvars, stub CLI config and a throw-away local state.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from bench.harness import REPOSITORY, NotMeasured, Row, interleaved, run_measured, venv_executable
from bench.settings import Settings

if TYPE_CHECKING:
    from toolkit.stub_mirror import StubMirror

OFFLINE_ENVIRONMENT = "prod"

VALIDATE_SCRIPT = r"""
set -eu
one() {
  data="$1/data"; stage="$1/stage/$2"
  cd "$stage"
  TF_DATA_DIR="$data" "$TERRAFORM" init -backend=false -input=false -no-color >/dev/null
  TF_DATA_DIR="$data" "$TERRAFORM" validate -json -no-color >/dev/null
}
export -f one
printf '%s\n' "$@" | xargs -P 2 -L 1 bash -c 'one $0 $1'
"""

PLAN_SCRIPT = r"""
set -eu
cd "$STAGE"
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
printf 'path = "%s/terraform.tfstate"\n' "$state" > "$state/backend.hcl"
"$TERRAFORM" init -input=false -no-color "-backend-config=$state/backend.hcl" -reconfigure >/dev/null
"$TERRAFORM" plan -input=false -no-color -detailed-exitcode -lock-timeout=0s "-var-file=$VAR_FILE" \
  "-out=$state/plan.tfplan" >/dev/null || [ $? -eq 2 ]
"$TERRAFORM" show -json "$state/plan.tfplan" >/dev/null
"""


def _project(work_dir: Path) -> Path:
    """A copy of the real root, modules and environments with this checkout's .cache."""
    root = work_dir / "offline-project"
    if root.exists():
        shutil.rmtree(root)
    ignore = shutil.ignore_patterns(".terraform*", "*.tfstate*")
    for folder in ("terraform", "modules", "envs"):
        shutil.copytree(REPOSITORY / folder, root / folder, ignore=ignore)
    (root / ".cache").symlink_to(REPOSITORY / ".cache")
    return root


def run(settings: Settings) -> list[Row]:
    toolkit = venv_executable("toolkit")
    from toolkit.binaries import find_terraform
    from toolkit.stub_mirror import prepare_mirror

    terraform = find_terraform(REPOSITORY)
    if terraform is None:
        raise NotMeasured("no terraform (run `make setup`)")
    root = _project(settings.work_dir)
    mirror = prepare_mirror(root)
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("TOOLKIT_TERRAFORM", "TF_CLI_CONFIG_FILE", "AWS_PROFILE")}
    environment["TOOLKIT_PROJECT_DIR"] = str(root)
    # B8 compares like with like: the stub on both sides (validate's default is the real provider when built).
    environment["TOOLKIT_VALIDATE_PROVIDERS"] = "stub"
    # One untimed run of each toolkit command stages the folders the baselines reuse.
    subprocess.run([toolkit, "check", "--validate"], env=environment, cwd=root, check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([toolkit, "plan", OFFLINE_ENVIRONMENT, "--offline", "--quiet"], env=environment, cwd=root,
                   check=False, stdout=subprocess.DEVNULL)
    return [_validate_row(settings, toolkit, terraform, root, mirror, environment),
            _plan_row(settings, toolkit, terraform, root, mirror, environment)]


def _validate_row(settings: Settings, toolkit: str, terraform: Path, root: Path, mirror: StubMirror,
                  environment: dict[str, str]) -> Row:
    from toolkit.checks.validate import validate_targets

    targets_dir = root / ".toolkit" / "stub" / "targets"
    arguments = []
    for target in validate_targets(root):
        relative = target.relative_to(root)
        work = targets_dir / str(relative).replace(os.sep, "__")
        arguments.append(f"{work} {relative}")
    baseline_environment = {**mirror.environment(targets_dir / "unused"), "TERRAFORM": str(terraform)}
    baseline_environment.pop("TF_DATA_DIR")
    samples = interleaved({
        "toolkit": lambda: run_measured([toolkit, "check", "--validate"], env=environment, cwd=root),
        "baseline": lambda: run_measured(["bash", "-c", VALIDATE_SCRIPT, "validate", *arguments],
                                         env=baseline_environment, cwd=root),
    }, settings.offline_repetitions)
    return Row(id="B8", what=f"`toolkit check --validate` ({len(arguments)} targets, stub provider 6)",
               baseline="terraform init + validate per target, 2 at a time (same folders and stub)",
               goal="≤ 1.15×", toolkit=samples["toolkit"], reference=samples["baseline"], ratio_limit=1.15,
               repetitions=settings.offline_repetitions)


def _plan_row(settings: Settings, toolkit: str, terraform: Path, root: Path, mirror: StubMirror,
              environment: dict[str, str]) -> Row:
    data_dir = root / ".toolkit" / "envs" / OFFLINE_ENVIRONMENT / "offline"
    stage = data_dir / "stage" / "terraform"
    if not stage.is_dir():
        raise NotMeasured(f"`toolkit plan {OFFLINE_ENVIRONMENT} --offline` staged nothing in {stage}")
    baseline_environment = {**mirror.environment(data_dir / "terraform"),
                            "TERRAFORM": str(terraform), "STAGE": str(stage),
                            "VAR_FILE": str(root / "build" / OFFLINE_ENVIRONMENT / "terraform.tfvars")}
    samples = interleaved({
        "toolkit": lambda: run_measured([toolkit, "plan", OFFLINE_ENVIRONMENT, "--offline", "--quiet"],
                                        env=environment, cwd=root, ok_codes=(0, 2)),
        "baseline": lambda: run_measured(["bash", "-c", PLAN_SCRIPT], env=baseline_environment, cwd=root),
    }, settings.offline_repetitions)
    return Row(id="B9", what=f"`toolkit plan {OFFLINE_ENVIRONMENT} --offline` (real root, stub provider 6)",
               baseline="terraform init + plan -out + show -json (same staged folder, tfvars and stub)",
               goal="≤ 1.15×", toolkit=samples["toolkit"], reference=samples["baseline"], ratio_limit=1.15,
               repetitions=settings.offline_repetitions)
