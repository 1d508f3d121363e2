"""Plausible AWS values (stub_provider/values.py): ids and ARNs agree with each other and with AWS's shapes."""

from __future__ import annotations

import re

from stub_provider.cty import UNKNOWN
from stub_provider.values import Context, Generator

SA_EAST = Context(region="sa-east-1")


def generator(type_name: str, **values: object) -> Generator:
    return Generator(type_name, b"seed", SA_EAST, {"id": UNKNOWN, "arn": UNKNOWN, **values})


def test_an_id_that_is_an_arn_is_the_same_arn() -> None:
    for type_name in ("aws_lb", "aws_ecs_cluster", "aws_sns_topic", "aws_secretsmanager_secret"):
        values = generator(type_name, name="edu-dev")
        assert values.resource_id() == values.string("arn"), type_name
    load_balancer = generator("aws_lb", name="edu-dev")
    assert re.fullmatch(r"arn:aws:elasticloadbalancing:sa-east-1:123456789012:loadbalancer/app/edu-dev/[0-9a-f]{16}",
                        load_balancer.arn())
    assert load_balancer.string("arn_suffix") == load_balancer.arn().split(":loadbalancer/")[1]


def test_arns_are_built_from_the_id_and_name() -> None:
    web_acl = generator("aws_wafv2_web_acl", name="edu", scope="REGIONAL")
    assert web_acl.arn() == f"arn:aws:wafv2:sa-east-1:123456789012:regional/webacl/edu/{web_acl.resource_id()}"
    cdn_acl = generator("aws_wafv2_web_acl", name="edu", scope="CLOUDFRONT")
    assert cdn_acl.arn().startswith("arn:aws:wafv2:us-east-1:123456789012:global/webacl/edu/")
    assert generator("aws_iam_role", name="task", path="/").arn() == "arn:aws:iam::123456789012:role/task"
    assert generator("aws_s3_bucket", bucket="logs").arn() == "arn:aws:s3:::logs"
    key = generator("aws_kms_key")
    assert key.arn() == f"arn:aws:kms:sa-east-1:123456789012:key/{key.resource_id()}"
    assert key.string("key_id") == key.resource_id()
    subnet = generator("aws_subnet")
    assert re.fullmatch(r"subnet-[0-9a-f]{17}", subnet.resource_id())
    assert subnet.arn() == f"arn:aws:ec2:sa-east-1:123456789012:subnet/{subnet.resource_id()}"


def test_a_secret_version_points_at_its_secret() -> None:
    secret = "arn:aws:secretsmanager:sa-east-1:123456789012:secret:db-AbCdEf"
    version = generator("aws_secretsmanager_secret_version", secret_id=secret, version_id=UNKNOWN)
    assert version.arn() == secret
    assert version.resource_id() == f"{secret}|{version.string('version_id')}"


def test_the_same_seed_gives_the_same_values() -> None:
    assert generator("aws_vpc").resource_id() == generator("aws_vpc").resource_id()
    assert Generator("aws_vpc", b"other", SA_EAST, {}).resource_id() != generator("aws_vpc").resource_id()
