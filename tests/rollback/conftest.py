"""Fixtures for the rollback tests: a moto server over HTTP, the fault proxy in front of it, a throw-away
project copy, and an AWS "world" (ECS, autoscaling, RDS, Aurora, S3 state + DynamoDB lock table) with a
checkpoint taken before a bad apply."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from typer.testing import CliRunner

from tests.support.fault_proxy import FaultProxy
from tests.support.git_repo import init_repository
from tests.support.moto_server import start_moto_server, stop_moto_server
from toolkit.project import Project
from toolkit.records.checkpoints import (
    ApplyRecord,
    CheckpointStore,
    EcsServiceRef,
    LiveConfiguration,
    ScalableTargetRef,
    StateVersion,
    Targets,
    capture,
)

REPO = Path(__file__).resolve().parents[2]
REGION = "sa-east-1"  # envs/defaults.yaml
ENVIRONMENT = "sandbox"
CLUSTER, SERVICE = "edu-sandbox", "web"
# The key the sandbox's backend renders (toolkit.engine.render.state_key): rollback restores only that object.
STATE_BUCKET, LOCK_TABLE = "toolkit-sandbox-state", "toolkit-sandbox-locks"
STATE_KEY = "edu-platform/sandbox/terraform.tfstate"
PARAMETER_GROUP, DB_INSTANCE = "edu-sandbox-pg", "edu-sandbox-db"
CLUSTER_PARAMETER_GROUP, DB_CLUSTER = "edu-sandbox-aurora-pg", "edu-sandbox-aurora"
LINEAGE = "6f1c2a7e-0000-4000-8000-000000000001"
# The checkpoint of the apply that built the good state (only its kept tfvars are written).
GOOD_APPLY_CHECKPOINT = "20261126T120000Z-0a0a"
GOOD_TFVARS = 'environment = "sandbox"\n'

# moto reports this many running tasks for every ECS service (its documented MOTO_ECS_SERVICE_RUNNING switch).
MOTO_RUNNING_TASKS = 2


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto_server of its own (ECS tasks reported running) on a free 127.0.0.1 port for the whole session."""
    server = start_moto_server(tmp_path_factory.mktemp("moto"),
                               {"MOTO_ECS_SERVICE_RUNNING": str(MOTO_RUNNING_TASKS)})
    try:
        yield server.endpoint_url
    finally:
        stop_moto_server(server)


def toolkit_records(method: str, path: str) -> bool:
    """The toolkit's own records beside the state (checkpoints, journal) and the bucket versioning check: the
    tests observe and fault the calls a rollback makes on the infrastructure and the state, not its bookkeeping."""
    decoded = urllib.parse.unquote(path)
    return "/toolkit/" in decoded or "prefix=sandbox/toolkit/" in decoded or decoded.endswith("?versioning")


@pytest.fixture
def proxy(moto_endpoint: str) -> Iterator[FaultProxy]:
    started = FaultProxy(moto_endpoint, unobserved=toolkit_records).start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, proxy: FaultProxy) -> Project:
    """A project copy (envs/ only, in a throw-away git repository) so nothing is written into the repository;
    AWS goes through the proxy."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "envs", root / "envs")
    pin_lock(Project(root), "dynamodb")  # before the commit: the copy's own configuration, not an edit
    init_repository(root)
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(root))
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("TOOLKIT_ACTOR", "responder@test")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "4")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    return Project(root)


def pin_lock(project: Project, kind: str) -> None:
    """Pin the sandbox copy's backend.lock (the repository's sandbox uses lock files)."""
    env_file = project.root / "envs" / f"{ENVIRONMENT}.yaml"
    document = yaml.safe_load(env_file.read_text(encoding="utf-8"))
    document["backend"]["lock"] = kind
    if kind == "s3":
        document["backend"].pop("dynamodb_table", None)
    else:
        document["backend"]["dynamodb_table"] = LOCK_TABLE
    env_file.write_text("# Sandbox copy for the rollback tests.\n# Its lock kind is pinned by the test.\n"
                        + yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def direct(service: str, endpoint: str) -> Any:
    """A client straight to moto (not through the proxy), for fixtures and verification."""
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def state_document(serial: int, lineage: str = LINEAGE, marker: str = "") -> bytes:
    return json.dumps({"version": 4, "terraform_version": "1.0.3", "serial": serial, "lineage": lineage,
                       "outputs": {"marker": {"value": marker or f"serial-{serial}", "type": "string"}},
                       "resources": []}, indent=2).encode()


def restored_state(body: bytes, serial: int) -> dict[str, Any]:
    """What a restore of the state document `body` writes: its content at `serial` (the current serial + 1)."""
    return {**json.loads(body), "serial": serial}


def local_state_checkpoint(project: Project, current_state: bytes) -> Path:
    """dev's local state at `current_state` (serial 8) and a checkpoint of serial 7 taken before the one apply
    that made it 8 (so a restore undoes that apply alone); returns the state file."""
    from toolkit.records.checkpoints import Checkpoint

    state_path = project.state_dir("dev") / "terraform.tfstate"
    state_path.parent.mkdir(parents=True)
    state_path.write_bytes(current_state)
    store = CheckpointStore(project.environment_data_dir("dev") / "checkpoints")
    checkpoint = Checkpoint(id="20261126T030000Z-0abc", environment="dev", created_at="2026-11-26T03:00:00Z",
                            created_by="deployer@ci")
    backup = store.files_dir(checkpoint.id) / "terraform.tfstate"
    backup.write_bytes(state_document(7))
    checkpoint.state = StateVersion(backend="local", lineage="x", serial=7, local_backup=str(backup),
                                    local_path=str(state_path))
    checkpoint.apply = ApplyRecord(result="success", applied_by="deployer@ci", started_at="2026-11-26T03:00:01Z",
                                   state_serial_after=8)
    store.save(checkpoint)
    return state_path


def container(image: str, *, cache: bool = True) -> dict[str, Any]:
    environment = [{"name": "APP_ENV", "value": "sandbox"}]
    if cache:
        environment += [{"name": "REDIS_URL", "value": "redis://:s3cr3t-pass@cache.internal:6379/0"},
                        {"name": "CACHE_ENABLED", "value": "true"}]
    return {"name": "app", "image": image, "essential": True, "memory": 512,
            "portMappings": [{"containerPort": 8080}], "environment": environment}


@dataclass
class World:
    endpoint: str
    project: Project
    store: CheckpointStore
    checkpoint_id: str
    good_arn: str
    bad_arn: str
    state_versions: tuple[str, str]          # (checkpoint's version, the bad apply's version)

    def client(self, service: str) -> Any:
        return direct(service, self.endpoint)

    def service(self) -> dict[str, Any]:
        return self.client("ecs").describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]

    def suspended(self) -> dict[str, bool]:
        targets = self.client("application-autoscaling").describe_scalable_targets(
            ServiceNamespace="ecs", ResourceIds=[f"service/{CLUSTER}/{SERVICE}"])["ScalableTargets"]
        return targets[0].get("SuspendedState", {})

    def parameters(self, kind: str = "instance") -> dict[str, str]:
        rds = self.client("rds")
        if kind == "instance":
            items = rds.describe_db_parameters(DBParameterGroupName=PARAMETER_GROUP)["Parameters"]
        else:
            items = rds.describe_db_cluster_parameters(
                DBClusterParameterGroupName=CLUSTER_PARAMETER_GROUP)["Parameters"]
        return {item["ParameterName"]: item["ParameterValue"] for item in items}

    def state_object(self) -> tuple[str, bytes]:
        answer = self.client("s3").get_object(Bucket=STATE_BUCKET, Key=STATE_KEY)
        return answer["VersionId"], answer["Body"].read()

    def journal(self) -> list[dict[str, Any]]:
        """The environment's journal, where rollback writes it (beside the state: the sandbox backend is S3)."""
        from dataclasses import asdict

        from toolkit.config import load_environment
        from toolkit.records.places import journal_for

        return [asdict(entry) for entry in journal_for(self.project, load_environment(self.project,
                                                                                      ENVIRONMENT)).read()]


def shared_store(project: Project) -> CheckpointStore:
    """The sandbox's checkpoints: beside its S3 state (what every apply writes and rollback reads)."""
    from toolkit.config import load_environment
    from toolkit.records.places import checkpoint_store_for

    return checkpoint_store_for(project, load_environment(project, ENVIRONMENT))


def reset_moto(endpoint: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).close()


def build_world(endpoint: str, project: Project, *, desired_count: int = MOTO_RUNNING_TASKS) -> World:
    """Resources as the sandbox apply leaves them, a checkpoint, then a 'bad apply' on top."""
    reset_moto(endpoint)
    ecs, scaling, rds = direct("ecs", endpoint), direct("application-autoscaling", endpoint), direct("rds", endpoint)
    s3, dynamodb = direct("s3", endpoint), direct("dynamodb", endpoint)
    ecs.create_cluster(clusterName=CLUSTER)
    definition = {"family": "edu-sandbox-app", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc",
                  "cpu": "256", "memory": "512"}
    good = ecs.register_task_definition(**definition, containerDefinitions=[container("app:1.0")])
    good_arn = good["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition=good_arn, desiredCount=desired_count,
                       launchType="FARGATE")
    scaling.register_scalable_target(ServiceNamespace="ecs", ResourceId=f"service/{CLUSTER}/{SERVICE}",
                                     ScalableDimension="ecs:service:DesiredCount", MinCapacity=1, MaxCapacity=3)
    rds.create_db_parameter_group(DBParameterGroupName=PARAMETER_GROUP, DBParameterGroupFamily="postgres15",
                                  Description="sandbox")
    rds.modify_db_parameter_group(DBParameterGroupName=PARAMETER_GROUP, Parameters=[
        {"ParameterName": "max_connections", "ParameterValue": "200", "ApplyMethod": "pending-reboot"},
        {"ParameterName": "work_mem", "ParameterValue": "16384", "ApplyMethod": "immediate"}])
    rds.create_db_instance(DBInstanceIdentifier=DB_INSTANCE, DBInstanceClass="db.t3.micro", Engine="postgres",
                           MasterUsername="app", MasterUserPassword="not-a-real-secret", AllocatedStorage=20,
                           DBParameterGroupName=PARAMETER_GROUP)
    rds.create_db_snapshot(DBInstanceIdentifier=DB_INSTANCE, DBSnapshotIdentifier=f"{DB_INSTANCE}-before-apply")
    rds.create_db_cluster_parameter_group(DBClusterParameterGroupName=CLUSTER_PARAMETER_GROUP,
                                          DBParameterGroupFamily="aurora-postgresql15", Description="sandbox")
    rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName=CLUSTER_PARAMETER_GROUP, Parameters=[
        {"ParameterName": "log_min_duration_statement", "ParameterValue": "1000", "ApplyMethod": "immediate"}])
    rds.create_db_cluster(DBClusterIdentifier=DB_CLUSTER, Engine="aurora-postgresql", MasterUsername="app",
                          MasterUserPassword="not-a-real-secret", DBClusterParameterGroupName=CLUSTER_PARAMETER_GROUP,
                          ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 4})
    rds.create_db_instance(DBInstanceIdentifier=f"{DB_CLUSTER}-1", DBInstanceClass="db.serverless",
                           Engine="aurora-postgresql", DBClusterIdentifier=DB_CLUSTER)
    rds.create_db_cluster_snapshot(DBClusterIdentifier=DB_CLUSTER,
                                   DBClusterSnapshotIdentifier=f"{DB_CLUSTER}-before-apply")
    s3.create_bucket(Bucket=STATE_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=STATE_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=STATE_BUCKET, Key=STATE_KEY, Body=state_document(7))["VersionId"]
    dynamodb.create_table(TableName=LOCK_TABLE, KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
                          BillingMode="PAY_PER_REQUEST")

    targets = Targets(ecs_services=[EcsServiceRef(CLUSTER, SERVICE)], db_instances=[DB_INSTANCE],
                      db_clusters=[DB_CLUSTER], db_parameter_groups=[PARAMETER_GROUP],
                      db_cluster_parameter_groups=[CLUSTER_PARAMETER_GROUP],
                      autoscaling_targets=[ScalableTargetRef("ecs", f"service/{CLUSTER}/{SERVICE}",
                                                             "ecs:service:DesiredCount")])
    checkpoint = capture(ENVIRONMENT, targets, region=REGION, endpoint_url=endpoint)
    checkpoint.git_commit = "0123456789abcdef0123456789abcdef01234567"
    checkpoint.tfvars_sha256 = "ab" * 32
    # What was live: the throw-away repository's commit and the tfvars its apply's checkpoint kept.
    store = shared_store(project)
    store.save_tfvars(GOOD_APPLY_CHECKPOINT, GOOD_TFVARS)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project.root, capture_output=True, text=True,
                          check=True).stdout.strip()
    checkpoint.live = LiveConfiguration(GOOD_APPLY_CHECKPOINT, head, hashlib.sha256(GOOD_TFVARS.encode()).hexdigest(),
                                        "examples/sandbox")
    checkpoint.state = StateVersion(backend="s3", lineage=LINEAGE, serial=7, s3_bucket=STATE_BUCKET,
                                    s3_key=STATE_KEY, s3_version_id=first, dynamodb_table=LOCK_TABLE)
    store.save(checkpoint)

    # The bad apply: a new task definition revision, changed parameters, a newer state version.
    bad = ecs.register_task_definition(**definition, containerDefinitions=[container("app:2.0-broken")])
    bad_arn = bad["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=bad_arn)
    rds.modify_db_parameter_group(DBParameterGroupName=PARAMETER_GROUP, Parameters=[
        {"ParameterName": "max_connections", "ParameterValue": "500", "ApplyMethod": "pending-reboot"},
        {"ParameterName": "work_mem", "ParameterValue": "65536", "ApplyMethod": "immediate"}])
    rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName=CLUSTER_PARAMETER_GROUP, Parameters=[
        {"ParameterName": "log_min_duration_statement", "ParameterValue": "250", "ApplyMethod": "immediate"}])
    second = s3.put_object(Bucket=STATE_BUCKET, Key=STATE_KEY, Body=state_document(8))["VersionId"]
    store.update_apply(checkpoint.id, ApplyRecord(result="success", applied_by="deployer@ci",
                                                  started_at=checkpoint.created_at, finished_at=checkpoint.created_at,
                                                  duration_s=42.0, summary="0 added, 3 changed, 0 destroyed"))
    return World(endpoint, project, store, checkpoint.id, good_arn, bad_arn, (first, second))


@pytest.fixture
def world(moto_endpoint: str, project: Project) -> World:
    return build_world(moto_endpoint, project)


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


def invoke(cli: CliRunner, *args: str, input: str | None = None, terminal: bool | None = None) -> Any:
    """Run the CLI; `input` is typed by a person at a terminal (unless `terminal=False`: piped input)."""
    from unittest import mock

    from toolkit.cli import app

    at_terminal = input is not None if terminal is None else terminal
    with mock.patch("toolkit.cli.options.stdin_is_terminal", return_value=at_terminal):
        return cli.invoke(app, list(args), input=input)
