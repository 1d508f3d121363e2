#!/usr/bin/env bash
# make demo, rollback part (called by scripts/demo.sh after the sandbox apply, against the same emulator):
# record a checkpoint of the good deployment, deploy a bad task definition revision, roll back with
# `toolkit rollback ENV --tier immediate --yes`, show the journal and verify the service is back.
# Needs AWS_ENDPOINT_URL (the emulator); ENVIRONMENT defaults to sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=$ROOT/.venv/bin/python
TOOLKIT=$ROOT/.venv/bin/toolkit
ENVIRONMENT=${ENVIRONMENT:-sandbox}
: "${AWS_ENDPOINT_URL:?set AWS_ENDPOINT_URL to the emulator endpoint (scripts/demo.sh does)}"
export ENVIRONMENT
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "checkpoint of the good deployment (what \`toolkit apply\` records before each apply)"
"$PY" - <<'PYTHON'
import json, os, subprocess, sys
from toolkit.aws import aws_client
from toolkit.records.checkpoints import ApplyRecord, StateVersion, capture, iso, targets_from_state, utc_now
from toolkit.records.places import checkpoint_store_for
from toolkit.config import load_environment
from toolkit.project import Project
from toolkit.engine.render import backend_settings

environment = os.environ["ENVIRONMENT"]
project = Project.discover()
config = load_environment(project, environment)
region = config.settings.aws_region
kind, backend = backend_settings(project, config)
if kind != "s3":
    sys.exit(f"demo_rollback: {environment} must use the s3 backend in the emulator (it uses {kind})")
s3 = aws_client("s3", region=region)
state_object = s3.get_object(Bucket=backend["bucket"], Key=backend["key"])
state = json.loads(state_object["Body"].read())
checkpoint = capture(environment, targets_from_state(state), region=region)
if not checkpoint.ecs_services:
    sys.exit(f"demo_rollback: the {environment} state holds no ECS service")
for service in checkpoint.ecs_services:
    if service.running_count != service.desired_count:
        sys.exit(f"demo_rollback: the emulator reports {service.running_count} running of {service.desired_count} "
                 f"desired tasks for {service.service}; an ECS rollback waits for a stable service, so start "
                 f"moto_server with MOTO_ECS_SERVICE_RUNNING={service.desired_count} (scripts/demo.sh)")
head = subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], capture_output=True, text=True)
checkpoint.git_commit = head.stdout.strip() or None
checkpoint.state = StateVersion(backend="s3", lineage=state["lineage"], serial=state["serial"],
                                s3_bucket=backend["bucket"], s3_key=backend["key"],
                                s3_version_id=state_object.get("VersionId"), dynamodb_table=backend.get("dynamodb_table"))
store = checkpoint_store_for(project, load_environment(project, environment))
store.save(checkpoint)
store.update_apply(checkpoint.id, ApplyRecord(result="success", applied_by=checkpoint.created_by,
                                              started_at=iso(utc_now()), summary="demo: bad image deployed"))
for service in checkpoint.ecs_services:
    print(f"checkpoint {checkpoint.id}: {service.cluster}/{service.service} on "
          f"{service.task_definition_arn.rsplit('/', 1)[-1]}, running {service.running_count}/{service.desired_count}")
PYTHON

step "deploying a bad task definition revision (image :broken)"
"$PY" - <<'PYTHON'
import os
from toolkit.aws import aws_client
from toolkit.records.places import checkpoint_store_for
from toolkit.config import load_environment
from toolkit.project import Project

environment = os.environ["ENVIRONMENT"]
project = Project.discover()
region = load_environment(project, environment).settings.aws_region
checkpoint = checkpoint_store_for(project, load_environment(project, environment)).latest()
ecs = aws_client("ecs", region=region)
keys = ("family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes",
        "requiresCompatibilities", "cpu", "memory")
for service in checkpoint.ecs_services:
    good = ecs.describe_task_definition(taskDefinition=service.task_definition_arn)["taskDefinition"]
    request = {key: good[key] for key in keys if good.get(key)}
    for container in request["containerDefinitions"]:
        container["image"] = container["image"].rsplit(":", 1)[0] + ":broken"
    bad = ecs.register_task_definition(**request)["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(cluster=service.cluster, service=service.service, taskDefinition=bad)
    print(f"{service.cluster}/{service.service} now on {bad.rsplit('/', 1)[-1]} (image :broken)")
PYTHON

step "toolkit rollback $ENVIRONMENT --tier immediate (dry run: what would change)"
"$TOOLKIT" rollback "$ENVIRONMENT" --tier immediate

step "toolkit rollback $ENVIRONMENT --tier immediate --yes"
"$TOOLKIT" rollback "$ENVIRONMENT" --tier immediate --yes --poll-interval 1

step "toolkit rollback $ENVIRONMENT --journal"
"$TOOLKIT" rollback "$ENVIRONMENT" --journal

step "verify: the service runs the checkpoint's revision again"
"$PY" - <<'PYTHON'
import os, sys
from toolkit.aws import aws_client
from toolkit.records.places import checkpoint_store_for
from toolkit.config import load_environment
from toolkit.project import Project

environment = os.environ["ENVIRONMENT"]
project = Project.discover()
region = load_environment(project, environment).settings.aws_region
checkpoint = checkpoint_store_for(project, load_environment(project, environment)).latest()
ecs = aws_client("ecs", region=region)
for service in checkpoint.ecs_services:
    now = ecs.describe_services(cluster=service.cluster, services=[service.service])["services"][0]
    label = now["taskDefinition"].rsplit("/", 1)[-1]
    if now["taskDefinition"] != service.task_definition_arn:
        sys.exit(f"demo_rollback: {service.service} is on {label}, expected the checkpoint's "
                 f"{service.task_definition_arn.rsplit('/', 1)[-1]}")
    print(f"OK: {service.cluster}/{service.service} back on {label}, running "
          f"{now['runningCount']}/{now['desiredCount']}")
PYTHON

step "toolkit rollback $ENVIRONMENT --step autoscaling --resume --yes (scaling back on after the incident)"
"$TOOLKIT" rollback "$ENVIRONMENT" --step autoscaling --resume --yes
