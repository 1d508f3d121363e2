"""Every workflow step that runs `toolkit`, run as GitHub runs it (bash -eo pipefail) against a wrong
environment name: the step must fail. Exit 2 means "changes present" / "drift found" and the plan and
drift steps accept it as success, so a usage or input error must never exit 2."""

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
WRONG_ENVIRONMENT = "nosuchenv"


def toolkit_steps() -> list[tuple[str, str, str]]:
    """(workflow, step name, shell snippet) of every step whose `run` calls toolkit."""
    found = []
    for path in sorted(WORKFLOWS.glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for job in (document.get("jobs") or {}).values():
            for step in job.get("steps", []):
                if "toolkit " in (step.get("run") or ""):
                    found.append((path.name, step.get("name", "?"), step["run"]))
    return found


STEPS = toolkit_steps()


def test_the_workflows_have_toolkit_steps() -> None:
    # The drift job and the plan job are the two that accept exit 2; both must be covered.
    names = {(workflow, name) for workflow, name, _ in STEPS}
    assert ("drift.yml", "Check drift and open, update or close the issue") in names, names
    assert ("toolkit-plan.yml", "Plan") in names, names


@pytest.mark.parametrize(("workflow", "name", "script"), STEPS, ids=[f"{w}:{n}" for w, n, _ in STEPS])
def test_a_wrong_environment_name_fails_the_step(tmp_path: Path, workflow: str, name: str, script: str) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "envs", project / "envs")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": "0" * 40}}}), encoding="utf-8")
    environment = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path), "ENVIRONMENT": WRONG_ENVIRONMENT, "TOOLKIT_PROJECT_DIR": str(project),
        # Posting is never reached; the settings only have to be present and point nowhere real.
        "GITHUB_TOKEN": "not-a-token", "GITHUB_REPOSITORY": "owner/repo", "GITHUB_EVENT_PATH": str(event),
        "GITHUB_API_URL": "http://127.0.0.1:9", "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        # What the apply job's "Find the reviewed plan's sha256" step hands to `toolkit apply --expect-plan`.
        "REVIEWED_PLAN_SHA256": "0" * 64,
    }
    completed = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=project,
                               env=environment, capture_output=True, text=True, timeout=120)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, f"{workflow} / {name} exited {completed.returncode}:\n{output}"
    assert f"Error: unknown environment '{WRONG_ENVIRONMENT}'" in completed.stderr, output
