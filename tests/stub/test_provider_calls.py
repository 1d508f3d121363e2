"""The stub's Provider service called directly (no Terraform): the parts Terraform does not exercise alone."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from tf.gen import tfplugin_pb2 as pb

from stub_provider import cty
from stub_provider.provider import StubProvider
from toolkit.stub_mirror import StubMirror


@pytest.fixture
def aws(fixture_mirror: StubMirror) -> StubProvider:
    return StubProvider.load("aws", fixture_mirror.root / "schema" / "aws", threading.Event())


def test_state_upgrade_passes_the_json_through_without_attributes_the_schema_lacks(aws: StubProvider) -> None:
    raw = {"id": "vpc-1", "cidr_block": "10.0.0.0/16", "dropped_attribute": "x"}
    request = pb.UpgradeResourceState.Request(type_name="aws_vpc", version=0,
                                              raw_state=pb.RawState(json=json.dumps(raw).encode()))
    response = aws.UpgradeResourceState(pb, request)
    assert not response.diagnostics
    assert json.loads(response.upgraded_state.json) == {"id": "vpc-1", "cidr_block": "10.0.0.0/16"}


def test_an_unknown_resource_type_is_an_error_diagnostic(aws: StubProvider) -> None:
    response = aws.ValidateResourceConfig(pb, pb.ValidateResourceConfig.Request(type_name="aws_vpcc"))
    [diagnostic] = response.diagnostics
    assert (diagnostic.summary, diagnostic.detail) == ("Unknown resource type",
                                                       "The aws stub provider has no resource type 'aws_vpcc'.")


def test_configure_without_a_region_is_an_error(aws: StubProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    config = cty.encode({}, aws.schema.provider_type)
    response = aws.ConfigureProvider(pb, pb.ConfigureProvider.Request(config=pb.DynamicValue(msgpack=config)))
    [diagnostic] = response.diagnostics
    assert diagnostic.summary == "No AWS region"
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert not aws.ConfigureProvider(pb, pb.ConfigureProvider.Request(
        config=pb.DynamicValue(msgpack=config))).diagnostics
    assert aws.context.region == "eu-west-1"


def test_a_new_set_element_gets_unknowns_and_a_kept_one_keeps_its_values(aws: StubProvider) -> None:
    schema = aws.schema.get("resource_schemas", "aws_s3_bucket_lifecycle_configuration")
    assert schema is not None
    kept = {"days": 30, "date": None, "storage_class": "GLACIER"}
    rule = {"id": "r", "status": "Enabled", "prefix": "", "filter": [], "expiration": [],
            "transition": [kept]}
    prior = {"id": "b", "bucket": "b", "expected_bucket_owner": "", "rule": [rule]}
    added = {"days": None, "date": "2030-01-01", "storage_class": "DEEP_ARCHIVE"}
    proposed = {**prior, "rule": [{**rule, "transition": [kept, added]}]}
    request = pb.PlanResourceChange.Request(
        type_name=schema.name, prior_state=pb.DynamicValue(msgpack=cty.encode(prior, schema.type)),
        proposed_new_state=pb.DynamicValue(msgpack=cty.encode(proposed, schema.type)),
        config=pb.DynamicValue(msgpack=cty.encode(proposed, schema.type)))
    planned = cty.decode(aws.PlanResourceChange(pb, request).planned_state.msgpack, schema.type)
    assert planned["rule"][0]["transition"] == [kept, {**added, "days": cty.UNKNOWN}]
    assert planned["id"] == "b"


def test_the_schema_is_read_lazily(fixture_mirror: StubMirror, tmp_path: Path) -> None:
    provider = StubProvider.load("aws", fixture_mirror.root / "schema" / "aws", threading.Event())
    assert provider.schema._cache == {}
    provider.schema.get("resource_schemas", "aws_vpc")
    assert list(provider.schema._cache) == [("resource_schemas", "aws_vpc")]


def test_importing_a_bucket_by_its_name_gives_that_name_and_its_arn(aws: StubProvider) -> None:
    response = aws.ImportResourceState(pb, pb.ImportResourceState.Request(type_name="aws_s3_bucket", id="logs-1"))
    [imported] = response.imported_resources
    schema = aws.schema.get("resource_schemas", "aws_s3_bucket")
    assert schema is not None
    state = cty.decode(imported.state.msgpack, schema.type)
    assert (state["id"], state["bucket"], state["arn"]) == ("logs-1", "logs-1", "arn:aws:s3:::logs-1")
    assert state["bucket_regional_domain_name"] == "logs-1.s3.us-east-1.amazonaws.com"
