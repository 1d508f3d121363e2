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
from toolkit.go_builds import go_build

REPO = Path(__file__).resolve().parents[2]
ENV = "local"
PROJECT = "lr-drill"
NAME = f"{PROJECT}-{ENV}"
FAST = ("--poll-interval", "0.05")
# What moto 5.2.6 does not echo back, measured with provider 6.47.1 (docs/ENGINE.md, "What moto does not echo"):
# after the first apply the next plan "changes" exactly these (type, attribute) pairs and nothing else. Created with
# CreateBucket's tags, ECS settings moto drops on CreateService, rule descriptions: an apply stores them, so they
# converge. The last two never do: moto answers a security-group reference as ACCOUNT/sg-... and lists no
# parameters of a DB parameter group.
CONVERGING = {("aws_s3_bucket", "tags"), ("aws_s3_bucket", "tags_all"), ("aws_s3_bucket_policy", "policy"),
              ("aws_ecs_service", "health_check_grace_period_seconds"), ("aws_ecs_service", "enable_ecs_managed_tags"),
              ("aws_vpc_security_group_egress_rule", "description"),
              ("aws_vpc_security_group_ingress_rule", "description")}
PERSISTENT = {("aws_vpc_security_group_egress_rule", "referenced_security_group_id"),
              ("aws_vpc_security_group_ingress_rule", "referenced_security_group_id"),
              ("aws_db_parameter_group", "parameter")}
pytestmark = [pytest.mark.slow, pytest.mark.in_order,
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
        for name in ("AWS_PROFILE", "TOOLKIT_TERRAFORM", "TF_CLI_CONFIG_FILE", "TOOLKIT_PROVIDER_MIRROR",
                     "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            patch.delenv(name, raising=False)
        from toolkit.engine.bootstrap import ensure_state_backend
        from toolkit.project import Project

        ensure_state_backend(Project(root), ENV)
        yield root


def set_image(root: Path, image: str) -> None:
    env_file = root / "envs" / f"{ENV}.yaml"
    values = yaml.safe_load(env_file.read_text())
    values.setdefault("compute", {})["container_image"] = image
    header = "".join(line for line in env_file.read_text().splitlines(keepends=True)[:2])
    env_file.write_text(header + yaml.safe_dump(values, sort_keys=False))
    commit_all(root, f"image {image}")


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
    plan = json.loads((root / ".toolkit" / "envs" / ENV / "plans" / "latest" / "plan.json").read_text())
    found = set()
    for change in plan["resource_changes"]:
        body = change["change"]
        if change["mode"] != "managed" or body["actions"] == ["no-op"]:
            continue
        before, after, unknown = body["before"] or {}, body["after"] or {}, body.get("after_unknown") or {}
        found |= {(change["type"], key) for key in set(before) | set(after)
                  if before.get(key) != after.get(key) or unknown.get(key)}
    return found


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
    set_image(project, "public.ecr.aws/nginx/nginx:1.27-broken")
    bad_plan = toolkit("plan", ENV, "--quiet")
    assert bad_plan.exit_code == 2, bad_plan.output
    bad_apply = toolkit("apply", ENV, "--no-wait") if "--no-wait" in toolkit("apply", "--help").output \
        else toolkit("apply", ENV)
    assert bad_apply.exit_code == 0, bad_apply.output
    assert service_image(emulator).endswith(":1.27-broken")

    immediate = toolkit("rollback", ENV, "--tier", "immediate", "--yes", *FAST)
    assert immediate.exit_code == 0, immediate.output
    assert service_image(emulator) == good

    short = toolkit("rollback", ENV, "--tier", "short", "--yes", *FAST)
    assert short.exit_code == 0, short.output

    long = toolkit("rollback", ENV, "--tier", "long", "--yes", *FAST)
    assert long.exit_code == 0, long.output
    assert service_image(emulator) == good
