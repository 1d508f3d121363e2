"""The shared AWS client (retries, timeouts, error messages) and the journal's sanitising."""

from __future__ import annotations

import boto3
import pytest

from tests.rollback.conftest import ENVIRONMENT, LOCK_TABLE, STATE_BUCKET, STATE_KEY, World, invoke, state_document
from tests.support.fault_proxy import FaultProxy
from toolkit.aws import DEFAULT_MAX_ATTEMPTS, ApiCallRecorder, aws_client, call
from toolkit.errors import AwsError
from toolkit.records.journal import MASK, sanitise


def test_client_has_bounded_standard_retries_and_timeouts(monkeypatch) -> None:
    monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    client = aws_client("ecs", region="sa-east-1")
    config = client.meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": DEFAULT_MAX_ATTEMPTS}
    assert (config.connect_timeout, config.read_timeout) == (5, 30)
    assert client.meta.endpoint_url == "http://127.0.0.1:9"
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    explicit = aws_client("rds", region="us-east-1", endpoint_url="http://127.0.0.1:10")
    assert explicit.meta.config.retries["total_max_attempts"] == 3
    assert (explicit.meta.endpoint_url, explicit.meta.region_name) == ("http://127.0.0.1:10", "us-east-1")


def test_recorder_counts_logical_calls_not_retries(project, proxy: FaultProxy) -> None:
    proxy.inject("503", 2, match="ListClusters")
    recorder = ApiCallRecorder()
    client = aws_client("ecs", region="sa-east-1", recorder=recorder)
    client.list_clusters()
    assert [str(item) for item in recorder.calls] == ["ecs:ListClusters"]
    assert recorder.mutating_calls == []
    assert [item.injected for item in proxy.calls] == [True, True, False]


def test_missing_credentials_are_explained(project, monkeypatch) -> None:
    # Against real AWS (no endpoint): an emulator on loopback gets its test keys and needs none of the operator's;
    # the missing keys are found while signing, before anything is sent.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # boto3's default session caches credentials for the process; start from a fresh one as the CLI does.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    client = aws_client("ecs", region="sa-east-1")
    with pytest.raises(AwsError) as raised:
        call("ecs:ListClusters", client.list_clusters)
    assert str(raised.value) == ("ecs:ListClusters: no AWS credentials found (set AWS_PROFILE, run `aws sso login`, "
                                 "or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)")


def test_sanitise_masks_secrets_and_keeps_identifiers() -> None:
    request = {"cluster": "edu", "MasterUserPassword": "hunter2", "url": "redis://:pw@cache:6379/0",
               "containerDefinitions": [{"name": "app", "environment": [{"name": "REDIS_URL", "value": "x"}],
                                         "secrets": [{"name": "DB", "valueFrom": "arn:secret"}]}],
               "nested": {"api_token": "t", "count": 3}}
    assert sanitise(request) == {
        "cluster": "edu", "MasterUserPassword": MASK, "url": f"redis://:{MASK}@cache:6379/0",
        "containerDefinitions": [{"name": "app", "environment": [{"name": "REDIS_URL", "value": MASK}],
                                  "secrets": [{"name": "DB", "value": MASK}]}],
        "nested": {"api_token": MASK, "count": 3}}


def test_state_lock_is_released_when_the_write_fails(world: World, cli, proxy: FaultProxy, monkeypatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    proxy.inject("500", 1, match=f"PutObject /{STATE_BUCKET}/{STATE_KEY}")
    result = invoke(cli, "rollback", ENVIRONMENT, "--step", "terraform-state", "--yes")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: step terraform-state failed: s3:PutObject state: InternalFailure: "
                                    "injected fault\n")
    dynamodb = world.client("dynamodb")
    assert dynamodb.get_item(TableName=LOCK_TABLE, Key={"LockID": {"S": f"{STATE_BUCKET}/{STATE_KEY}"}}).get(
        "Item") is None
    assert world.state_object()[1] == state_document(8)
    actions = [(entry["action"], entry["result"]) for entry in world.journal() if entry["event"] == "action"]
    # The write is journaled before it is made (an undo survives a kill right after it), then its outcome.
    assert actions == [("dynamodb:PutItem", "ok"), ("s3:PutObject state", "started"), ("s3:PutObject state", "error"),
                       ("dynamodb:DeleteItem", "ok")]


def test_shared_fault_proxy_fixture(fault_proxy: FaultProxy, moto_server) -> None:
    """The registered `fault_proxy` fixture fronts the session's shared moto server (tests.support.moto_server)."""
    fault_proxy.inject("throttle", 1, match="DescribeDBInstances")
    rds = boto3.client("rds", region_name="sa-east-1", endpoint_url=fault_proxy.url, aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    rds.describe_db_instances()
    assert [(call.action, call.status, call.injected) for call in fault_proxy.calls] == [
        ("DescribeDBInstances", 400, True), ("DescribeDBInstances", 200, False)]
