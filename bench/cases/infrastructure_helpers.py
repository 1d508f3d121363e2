"""Helpers for bench/cases/infrastructure.py, run as a script by the venv's python inside the bench project
(TOOLKIT_PROJECT_DIR and the emulator's AWS_ENDPOINT_URL set). Each prints JSON on stdout.

    terraform-run ENV             what `toolkit plan ENV` runs terraform with: binary, folder, variables, files
    rollback-scenario ENV         checkpoint the good deployment, register a bad revision (scripts/demo_rollback.sh)
    deploy-bad SCENARIO.json      put the service on the bad revision and resume scaling (before each run)
    baseline-rollback SCENARIO    the minimal boto3 rollback (B7's baseline)
    count-calls toolkit ARGS…     run `toolkit ARGS…` in-process and list its AWS API calls
    count-calls baseline SCENARIO the same for the baseline script
    service-state SCENARIO.json   the service's current task definition
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

REGION = "sa-east-1"
# The rollback tier's default: first poll at once, then every 5 s (toolkit/rollback/ecs.py ROLLOUT_POLL_S).
POLL_SECONDS = 5.0
ROLLOUT_TIMEOUT_SECONDS = 600.0
TASK_DEFINITION_KEYS = ("family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes",
                        "requiresCompatibilities", "cpu", "memory")


def terraform_run(environment: str) -> dict[str, Any]:
    from toolkit.engine.session import open_session
    from toolkit.project import Project

    session = open_session(Project.discover(), environment)
    workspace = session.workspace
    return {
        "terraform": str(session.binary.path),
        "terraform_version": session.binary.version,
        "working_dir": str(workspace.stage_root),
        "environment": workspace.environment_variables(),
        "backend_config": str(workspace.render.backend_config_path),
        "var_file": str(workspace.render.tfvars_path),
    }


def rollback_scenario(environment: str) -> dict[str, Any]:
    """As scripts/demo_rollback.sh: a checkpoint of the good deployment, then a bad revision registered."""
    from toolkit.aws import aws_client
    from toolkit.clock import iso, utc_now
    from toolkit.config import load_environment
    from toolkit.engine.render import backend_settings
    from toolkit.project import Project
    from toolkit.records.checkpoints import ApplyRecord, StateVersion, capture, targets_from_state
    from toolkit.records.places import checkpoint_store_for, journal_for

    project = Project.discover()
    config = load_environment(project, environment)
    region = config.settings.aws_region
    _, backend = backend_settings(project, config)
    state_object = aws_client("s3", region=region).get_object(Bucket=backend["bucket"], Key=backend["key"])
    state = json.loads(state_object["Body"].read())
    checkpoint = capture(environment, targets_from_state(state), region=region)
    if len(checkpoint.ecs_services) != 1 or len(checkpoint.autoscaling) != 1:
        raise SystemExit(f"expected one ECS service and one scalable target in {environment}'s state, found "
                         f"{len(checkpoint.ecs_services)} and {len(checkpoint.autoscaling)}")
    checkpoint.state = StateVersion(backend="s3", lineage=state["lineage"], serial=state["serial"],
                                    s3_bucket=backend["bucket"], s3_key=backend["key"],
                                    s3_version_id=state_object.get("VersionId"),
                                    dynamodb_table=backend.get("dynamodb_table"))
    store = checkpoint_store_for(project, load_environment(project, environment))
    store.save(checkpoint)
    store.update_apply(checkpoint.id, ApplyRecord(result="success", applied_by=checkpoint.created_by,
                                                  started_at=iso(utc_now()), summary="bench: bad image deployed"))
    service = checkpoint.ecs_services[0]
    ecs = aws_client("ecs", region=region)
    good = ecs.describe_task_definition(taskDefinition=service.task_definition_arn)["taskDefinition"]
    request = {key: good[key] for key in TASK_DEFINITION_KEYS if good.get(key)}
    for container in request["containerDefinitions"]:
        container["image"] = container["image"].rsplit(":", 1)[0] + ":broken"
    bad = ecs.register_task_definition(**request)["taskDefinition"]["taskDefinitionArn"]
    scalable = checkpoint.autoscaling[0]
    journal = journal_for(project, load_environment(project, environment))
    return {"region": region, "cluster": service.cluster, "service": service.service,
            "good": service.task_definition_arn, "bad": bad, "desired_count": service.desired_count,
            "records": {"bucket": store.records.bucket, "checkpoints": store.records.prefix,  # type: ignore[attr-defined]
                        "journal": journal.records.prefix},  # type: ignore[attr-defined]
            "scalable": {"namespace": scalable.namespace, "resource_id": scalable.resource_id,
                         "dimension": scalable.dimension}}


def _clients(scenario: dict[str, Any]) -> tuple[Any, Any]:
    import boto3

    return (boto3.client("ecs", region_name=scenario["region"]),
            boto3.client("application-autoscaling", region_name=scenario["region"]))


def deploy_bad(scenario: dict[str, Any]) -> None:
    ecs, autoscaling = _clients(scenario)
    ecs.update_service(cluster=scenario["cluster"], service=scenario["service"], taskDefinition=scenario["bad"])
    scalable = scenario["scalable"]
    autoscaling.register_scalable_target(
        ServiceNamespace=scalable["namespace"], ResourceId=scalable["resource_id"],
        ScalableDimension=scalable["dimension"],
        SuspendedState={"DynamicScalingInSuspended": False, "DynamicScalingOutSuspended": False,
                        "ScheduledScalingSuspended": False})


def baseline_rollback(scenario: dict[str, Any]) -> None:
    """The same job in a plain script: the same API calls the toolkit makes on the service, and the records a script
    that can be resumed and audited must keep, made as cheaply as boto3 allows.

    Issue 7 defines B7's baseline as "a minimal boto3 script making the same API calls"; issue 24 asks that every
    call be counted on both sides, S3 records included. So the script reads its target from the newest checkpoint
    (ListObjectsV2, GetObject), writes its run record before it changes anything and again at the end (two
    PutObject), checks (service, target revision, scaling), rolls back, waits, holds scaling and verifies.
    """
    import boto3

    ecs, autoscaling = _clients(scenario)
    s3 = boto3.client("s3", region_name=scenario["region"])
    records = scenario["records"]
    listing = s3.list_objects_v2(Bucket=records["bucket"], Prefix=records["checkpoints"])
    newest = max(item["Key"] for item in listing.get("Contents", []) if item["Key"].endswith(".json"))
    checkpoint = json.loads(s3.get_object(Bucket=records["bucket"], Key=newest)["Body"].read())
    cluster, service = scenario["cluster"], scenario["service"]
    good = next(item["task_definition_arn"] for item in checkpoint["ecs_services"] if item["service"] == service)
    scalable = scenario["scalable"]
    target = {"ServiceNamespace": scalable["namespace"], "ResourceIds": [scalable["resource_id"]],
              "ScalableDimension": scalable["dimension"]}
    # Beside the toolkit's journal, not in it (the toolkit would name these lines as not its own).
    run_key = f"{records['journal'].rstrip('/')}-baseline/{time.time_ns()}.jsonl"
    journal = json.dumps({"event": "run-start", "checkpoint": checkpoint["id"]}) + "\n"
    ecs.describe_services(cluster=cluster, services=[service])
    ecs.describe_task_definition(taskDefinition=good)
    autoscaling.describe_scalable_targets(**target)
    s3.put_object(Bucket=records["bucket"], Key=run_key, Body=journal.encode(), ServerSideEncryption="AES256")
    ecs.update_service(cluster=cluster, service=service, taskDefinition=good)
    deadline = time.monotonic() + ROLLOUT_TIMEOUT_SECONDS
    while True:
        current = ecs.describe_services(cluster=cluster, services=[service])["services"][0]
        if (current["taskDefinition"] == good and len(current.get("deployments", [])) <= 1
                and current.get("runningCount") == current.get("desiredCount")):
            break
        if time.monotonic() + POLL_SECONDS > deadline:
            raise SystemExit(f"{service} not stable after {ROLLOUT_TIMEOUT_SECONDS:.0f}s")
        time.sleep(POLL_SECONDS)
    autoscaling.register_scalable_target(
        ServiceNamespace=scalable["namespace"], ResourceId=scalable["resource_id"],
        ScalableDimension=scalable["dimension"],
        SuspendedState={"DynamicScalingInSuspended": True, "DynamicScalingOutSuspended": True,
                        "ScheduledScalingSuspended": True})
    autoscaling.describe_scalable_targets(**target)
    journal += json.dumps({"event": "run-end", "result": "finished"}) + "\n"
    s3.put_object(Bucket=records["bucket"], Key=run_key, Body=journal.encode(), ServerSideEncryption="AES256")


def count_calls(side: str, arguments: list[str]) -> list[str]:
    """Every botocore API call made while running one side in this process (retries not counted)."""
    import botocore.client

    calls: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def counting(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        calls.append(f"{client.meta.service_model.service_name}:{operation_name}")
        return original(client, operation_name, api_params)

    botocore.client.BaseClient._make_api_call = counting  # type: ignore[method-assign]
    if side == "baseline":
        baseline_rollback(_load(arguments[0]))
        return calls
    from toolkit.cli import main as toolkit_main

    sys.argv = ["toolkit", *arguments]
    try:
        toolkit_main()
    except SystemExit as exit_status:
        if exit_status.code not in (0, None):
            raise
    return calls


def service_state(scenario: dict[str, Any]) -> dict[str, Any]:
    ecs, _ = _clients(scenario)
    current = ecs.describe_services(cluster=scenario["cluster"], services=[scenario["service"]])["services"][0]
    return {"task_definition": current["taskDefinition"], "running": current.get("runningCount"),
            "deployments": len(current.get("deployments", []))}


def _load(path: str) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def main(arguments: list[str]) -> None:
    command, rest = arguments[0], arguments[1:]
    if command == "terraform-run":
        result: Any = terraform_run(rest[0])
    elif command == "rollback-scenario":
        result = rollback_scenario(rest[0])
    elif command == "deploy-bad":
        result = deploy_bad(_load(rest[0]))
    elif command == "baseline-rollback":
        result = baseline_rollback(_load(rest[0]))
    elif command == "count-calls":
        # The toolkit prints its report on stdout; keep stdout for this helper's JSON alone.
        real_stdout = sys.stdout
        sys.stdout = sys.stderr
        try:
            result = count_calls(rest[0], rest[1:])
        finally:
            sys.stdout = real_stdout
    elif command == "service-state":
        result = service_state(_load(rest[0]))
    else:
        raise SystemExit(f"unknown command {command}: see the docstring")
    if result is not None:
        print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
