"""The real root (terraform/) on the emulator, end to end: the `local` environment with dev's sizing, the real
AWS provider 6 built by make setup, moto on 127.0.0.1.

One drill, in order (each step states what it expects of the one before, so it is a single test):
plan -> review -> apply the saved plan -> a second plan whose changes are exactly what moto does not echo
(CONVERGING | PERSISTENT below) -> an apply that stores the converging ones -> a plan with PERSISTENT only
-> drift reports PERSISTENT only -> a bad image applied -> rollback immediate (the service back on the
previous task definition) -> short -> long (the configuration live at the checkpoint rebuilt from git and
applied, the good image back).

The project is a throw-away git repository (tests/support/git_repo.py) holding copies of envs/, terraform/
and modules/: never the real checkout.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tests.support.git_repo import commit_all, init_repository
from tests.support.moto_server import MotoServer, start_moto_server, stop_moto_server
from toolkit.emulator import MOTO_ECHO_GAPS
from toolkit.emulator import changed_attributes as plan_changed_attributes
from toolkit.go_builds import go_build

REPO = Path(__file__).resolve().parents[2]
ENV = "local"
PROJECT = "lr-drill"
NAME = f"{PROJECT}-{ENV}"
FAST = ("--poll-interval", "0.05")
# What moto does not echo back (toolkit.emulator.MOTO_ECHO_GAPS, docs/ENGINE.md): after the first apply the next
# plan changes exactly these (type, attribute) pairs; an apply stores the converging ones, the others stay.
CONVERGING = {pair for pair, converges in MOTO_ECHO_GAPS.items() if converges}
PERSISTENT = {pair for pair, converges in MOTO_ECHO_GAPS.items() if not converges}
# One scenario of about seven minutes here (three applies of 109 resources and three rollback tiers): its own bound.
pytestmark = [pytest.mark.slow, pytest.mark.in_order, pytest.mark.timeout(1800),
              pytest.mark.skipif(go_build("aws").record() is None or go_build("random").record() is None,
                                 reason="the AWS provider 6 and random builds are absent (make setup builds them)")]


def toolkit(*args: str) -> Any:
    from toolkit.cli import app

    return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """An emulator of its own: the drill creates the whole dev topology, which no other test should see.
    ECS services report their tasks as running (the rollback steps wait for a steady service)."""
    server = start_moto_server(tmp_path_factory.mktemp("moto-local"), {"MOTO_ECS_SERVICE_RUNNING": "1"})
    try:
        yield server
    finally:
        stop_moto_server(server)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, emulator: MotoServer) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("local-root") / "project"
    for folder in ("envs", "terraform", "modules", "db"):
        shutil.copytree(REPO / folder, root / folder,
                        ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*", "tests", "examples"))
    for stray in (root / "envs").glob("*.yaml"):
        if stray.stem not in ("defaults", ENV):
            stray.unlink()
    defaults = root / "envs" / "defaults.yaml"
    defaults.write_text(defaults.read_text().replace("project: edu-platform", f"project: {PROJECT}"))
    (root / ".cache").symlink_to(REPO / ".cache")
    init_repository(root)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOOLKIT_PROJECT_DIR", str(root))
        patch.setenv("AWS_ENDPOINT_URL", emulator.endpoint_url)
        patch.setenv("TOOLKIT_ACTOR", "responder@local-drill")
        patch.setenv("TOOLKIT_EMULATOR_LOG", str(emulator.log_file))  # an API moto lacks is named at once
        for name in ("AWS_PROFILE", "TOOLKIT_TERRAFORM", "TF_CLI_CONFIG_FILE", "TOOLKIT_PROVIDER_MIRROR",
                     "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            patch.delenv(name, raising=False)
        from toolkit.engine.bootstrap import ensure_state_backend
        from toolkit.project import Project

        ensure_state_backend(Project(root), ENV)
        yield root


def set_image(root: Path, image: str) -> str:
    env_file = root / "envs" / f"{ENV}.yaml"
    values = yaml.safe_load(env_file.read_text())
    values.setdefault("compute", {})["container_image"] = image
    header = "".join(line for line in env_file.read_text().splitlines(keepends=True)[:2])
    env_file.write_text(header + yaml.safe_dump(values, sort_keys=False))
    return commit_all(root, f"image {image}")


def service_image(emulator: MotoServer) -> str:
    ecs = emulator.client("ecs")
    clusters = ecs.list_clusters()["clusterArns"]
    cluster = next(arn for arn in clusters if arn.endswith(f"/{NAME}"))
    service_arn = ecs.list_services(cluster=cluster)["serviceArns"][0]
    service = ecs.describe_services(cluster=cluster, services=[service_arn])["services"][0]
    definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    return next(container["image"] for container in definition["containerDefinitions"]
                if container["name"] == "app")


def changed_attributes(root: Path) -> set[tuple[str, str]]:
    """(type, attribute) of every managed resource change in the latest plan."""
    return plan_changed_attributes(
        json.loads((root / ".toolkit" / "envs" / ENV / "plans" / "latest" / "plan.json").read_text()))


def resources_by_module(root: Path) -> dict[str, int]:
    plan = json.loads((root / ".toolkit" / "envs" / ENV / "plans" / "latest" / "plan.json").read_text())
    counts: dict[str, int] = {}
    for change in plan["resource_changes"]:
        if change["change"]["actions"] == ["create"] and change["mode"] == "managed":
            module = change.get("module_address", "root").split(".")[1] if "module_address" in change else "root"
            counts[module] = counts.get(module, 0) + 1
    return counts


def test_the_real_root_applies_replans_to_moto_gaps_only_and_rolls_back_through_every_tier(
        project: Path, emulator: MotoServer) -> None:
    first = toolkit("plan", ENV, "--quiet")
    assert first.exit_code == 2, first.output
    created = resources_by_module(project)
    # No cache: the local environment switches it off for moto (emulator.features_off).
    assert {"network", "database", "compute", "monitoring", "storage"} <= set(created), created
    assert "cache" not in created

    review = toolkit("review", ENV, "--format", "md")
    assert review.exit_code == 0, review.output
    assert "to add" in review.output

    applied = toolkit("apply", ENV)
    assert applied.exit_code == 0, applied.output

    again = toolkit("plan", ENV, "--quiet")
    assert again.exit_code == 2, again.output
    assert "ones moto does not echo back" in again.output and "other changes: none" in again.output, again.output
    assert changed_attributes(project) == CONVERGING | PERSISTENT, again.output
    converge = toolkit("apply", ENV, "--quiet")
    assert converge.exit_code == 0, converge.output
    settled = toolkit("plan", ENV, "--quiet")
    assert changed_attributes(project) == PERSISTENT, settled.output

    # Right after the apply, the only "drift" is what moto never echoes.
    drift = toolkit("drift", ENV, "--quiet", "--format", "json")
    assert drift.exit_code == 2, drift.output
    drifted = {(re.search(r"(aws_[a-z0-9_]+)\.[^.]+$", entry["address"])[1],
                re.split(r"[.\[]", attribute["path"])[0])
               for entry in json.loads(drift.stdout)["drift"] for attribute in entry["attributes"]}
    assert drifted == PERSISTENT, drift.stdout

    good = service_image(emulator)
    broken = "public.ecr.aws/nginx/nginx:1.27-broken"
    bad_commit = set_image(project, broken)
    bad_plan = toolkit("plan", ENV, "--quiet")
    assert bad_plan.exit_code == 2, bad_plan.output
    bad_apply = toolkit("apply", ENV, "--no-wait") if "--no-wait" in toolkit("apply", "--help").output \
        else toolkit("apply", ENV)
    assert bad_apply.exit_code == 0, bad_apply.output
    assert service_image(emulator).endswith(":1.27-broken")

    # The responder's first command: a bare rollback says what the bad apply changed (the image, nothing of the
    # database or cache: moto's echo gaps are marked, not counted) and prints the command that undoes it.
    triage = toolkit("rollback", ENV)
    assert triage.exit_code == 0, triage.output
    lines = triage.output.splitlines()
    assert f"    image app: {good} → {broken}" in lines, triage.output
    for part in ("database", "database parameters", "cache"):
        assert f"  {part}: not touched" in lines, triage.output
    assert any(line.startswith("  1. ecs-task-definition: ") for line in lines), triage.output
    assert not any(". full:" in line or ". db-" in line for line in lines), triage.output
    # Each printed first as the dry run, then executing: the first line pasted changes nothing.
    dry, command = [line.strip() for line in lines if line.startswith(f"  toolkit rollback {ENV} --tier immediate")]
    assert f"{dry} --yes" == command, lines
    assert service_image(emulator).endswith(":1.27-broken")  # triage changed nothing

    immediate = toolkit(*command.split()[1:], *FAST)
    assert immediate.exit_code == 0, immediate.output
    assert service_image(emulator) == good
    todo = immediate.output.splitlines()[immediate.output.splitlines().index("Still to do:"):]
    assert any(line.strip() == f"git revert --no-edit {bad_commit[:12]}" for line in todo), immediate.output

    short = toolkit("rollback", ENV, "--tier", "short", "--yes", *FAST)
    assert short.exit_code == 0, short.output

    long = toolkit("rollback", ENV, "--tier", "long", "--yes", *FAST)
    assert long.exit_code == 0, long.output
    assert service_image(emulator) == good
