"""Plausible values for what AWS would compute: ids, ARNs in each service's shape, endpoints, DNS names.

Everything derives from a seed (a hash of the resource type and its planned values), so the same plan
applies to the same values, and different resources get different ids. The account id is fixed.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from stub_provider.cty import UNKNOWN, Dynamic

ACCOUNT_ID = "123456789012"
PARTITION = "aws"
DNS_SUFFIX = "amazonaws.com"

# type: (service, ARN resource part, global?) — {name} is the resource's name attribute, {id} its id.
# Shapes from the AWS service authorization reference ("Resource types defined by ...").
ARN_SHAPES: dict[str, tuple[str, str, bool]] = {
    "aws_vpc": ("ec2", "vpc/{id}", False),
    "aws_subnet": ("ec2", "subnet/{id}", False),
    "aws_security_group": ("ec2", "security-group/{id}", False),
    "aws_default_security_group": ("ec2", "security-group/{id}", False),
    "aws_vpc_security_group_ingress_rule": ("ec2", "security-group-rule/{id}", False),
    "aws_vpc_security_group_egress_rule": ("ec2", "security-group-rule/{id}", False),
    "aws_internet_gateway": ("ec2", "internet-gateway/{id}", False),
    "aws_nat_gateway": ("ec2", "natgateway/{id}", False),
    "aws_eip": ("ec2", "elastic-ip/{id}", False),
    "aws_route_table": ("ec2", "route-table/{id}", False),
    "aws_vpc_endpoint": ("ec2", "vpc-endpoint/{id}", False),
    "aws_flow_log": ("ec2", "vpc-flow-log/{id}", False),
    "aws_kms_key": ("kms", "key/{id}", False),
    "aws_kms_alias": ("kms", "{name}", False),
    "aws_iam_role": ("iam", "role{path}{name}", True),
    "aws_iam_policy": ("iam", "policy{path}{name}", True),
    "aws_cloudwatch_log_group": ("logs", "log-group:{name}", False),
    "aws_cloudwatch_metric_alarm": ("cloudwatch", "alarm:{name}", False),
    "aws_s3_bucket": ("s3", "{name}", True),
    "aws_db_instance": ("rds", "db:{name}", False),
    "aws_db_subnet_group": ("rds", "subgrp:{name}", False),
    "aws_db_parameter_group": ("rds", "pg:{name}", False),
    "aws_rds_cluster": ("rds", "cluster:{name}", False),
    "aws_rds_cluster_instance": ("rds", "db:{name}", False),
    "aws_rds_cluster_parameter_group": ("rds", "cluster-pg:{name}", False),
    "aws_elasticache_replication_group": ("elasticache", "replicationgroup:{name}", False),
    "aws_elasticache_subnet_group": ("elasticache", "subnetgroup:{name}", False),
    "aws_elasticache_parameter_group": ("elasticache", "parametergroup:{name}", False),
    "aws_ecs_cluster": ("ecs", "cluster/{name}", False),
    "aws_ecs_service": ("ecs", "service/{cluster}/{name}", False),
    "aws_ecs_task_definition": ("ecs", "task-definition/{name}:1", False),
    "aws_lb": ("elasticloadbalancing", "loadbalancer/app/{name}/{hex16}", False),
    "aws_lb_target_group": ("elasticloadbalancing", "targetgroup/{name}/{hex16}", False),
    "aws_lb_listener": ("elasticloadbalancing", "listener/app/{hex8}/{hex16}/{other16}", False),
    "aws_lb_listener_rule": ("elasticloadbalancing", "listener-rule/app/{hex8}/{hex16}/{other16}/{third16}", False),
    "aws_lambda_function": ("lambda", "function:{name}", False),
    "aws_sns_topic": ("sns", "{name}", False),
    "aws_sns_topic_subscription": ("sns", "{hex8}:{uuid}", False),
    "aws_secretsmanager_secret": ("secretsmanager", "secret:{name}-{suffix6}", False),
    "aws_wafv2_web_acl": ("wafv2", "regional/webacl/{name}/{id}", False),
    "aws_appautoscaling_target": ("application-autoscaling", "scalable-target/{hex16}", False),
    "aws_appautoscaling_policy": ("autoscaling", "scalingPolicy:{uuid}:resource/{resource_id}:policyName/{name}",
                                  False),
    "aws_cloudfront_distribution": ("cloudfront", "distribution/{id}", True),
    "aws_cloudwatch_dashboard": ("cloudwatch", "dashboard/{name}", True),
    "aws_budgets_budget": ("budgets", "budget/{name}", True),
    "aws_vpc_data": ("ec2", "vpc/{id}", False),
}
# The attribute holding a resource's name, in the order they are tried.
NAME_ATTRIBUTES = ("name", "bucket", "identifier", "cluster_identifier", "replication_group_id", "function_name",
                   "alarm_name", "dashboard_name", "family", "topic_name", "role")
# EC2-style ids: prefix + 17 hex digits.
ID_PREFIXES = {
    "aws_vpc": "vpc-", "aws_subnet": "subnet-", "aws_security_group": "sg-", "aws_default_security_group": "sg-",
    "aws_vpc_security_group_ingress_rule": "sgr-", "aws_vpc_security_group_egress_rule": "sgr-",
    "aws_internet_gateway": "igw-", "aws_nat_gateway": "nat-", "aws_eip": "eipalloc-", "aws_route_table": "rtb-",
    "aws_route_table_association": "rtbassoc-", "aws_vpc_endpoint": "vpce-", "aws_flow_log": "fl-",
    "aws_db_instance": "db-", "aws_rds_cluster_instance": "db-", "aws_route": "r-rtb-", "aws_vpc_data": "vpc-",
}
# Resources whose id is a UUID.
UUID_IDS = {"aws_kms_key", "aws_wafv2_web_acl", "aws_secretsmanager_secret_version"}
# Resources whose id is their ARN.
ARN_IDS = {"aws_ecs_cluster", "aws_ecs_service", "aws_lb", "aws_lb_target_group", "aws_lb_listener",
           "aws_lb_listener_rule", "aws_sns_topic", "aws_sns_topic_subscription", "aws_secretsmanager_secret",
           "aws_iam_policy"}


@dataclass
class Context:
    """What the provider was configured with."""

    region: str = "us-east-1"
    default_tags: dict[str, Any] | None = None


class Generator:
    """Values for one object (a resource's or data source's), derived from one seed."""

    def __init__(self, type_name: str, seed: bytes, context: Context, values: dict[str, Any]) -> None:
        self.type_name = type_name
        self.context = context
        self.values = values
        self.digest = hashlib.sha256(type_name.encode() + b"\0" + seed).hexdigest()
        self.counter = 0
        self._arn: str | None = None
        self._id: str | None = None

    def hex(self, length: int) -> str:
        self.counter += 1
        text = hashlib.sha256(f"{self.digest}:{self.counter}".encode()).hexdigest()
        return text[:length]

    def uuid(self) -> str:
        return str(uuid.UUID(self.hex(32)))

    def known(self, name: str) -> Any:
        value = self.values.get(name)
        return None if value is UNKNOWN or isinstance(value, Dynamic) else value

    def name(self) -> str:
        for attribute in NAME_ATTRIBUTES:
            value = self.known(attribute)
            if isinstance(value, str) and value:
                return value
        return f"terraform-{self.hex(20)}"

    def resource_id(self) -> str:
        """The object's id, invented once (its ARN and other attributes are built from it)."""
        known = self.known("id")
        if isinstance(known, str):
            return known
        if self._id is None:
            self._id = self._invent_id()
        return self._id

    def _invent_id(self) -> str:
        if self.type_name == "aws_appautoscaling_target" and self.known("resource_id"):
            return str(self.known("resource_id"))
        if self.type_name in ("aws_sns_topic_policy",) and self.known("arn"):
            return str(self.known("arn"))
        if self.type_name == "aws_secretsmanager_secret_version" and self.known("secret_id"):
            return f"{self.known('secret_id')}|{self.version_id()}"
        prefix = ID_PREFIXES.get(self.type_name)
        if prefix is not None:
            return prefix + self.hex(17)
        if self.type_name in UUID_IDS:
            return self.uuid()
        if self.type_name == "aws_cloudfront_distribution":
            return "E" + self.hex(13).upper()
        if self.type_name in ARN_IDS:
            return self.arn()
        if self.type_name == "aws_kms_alias":
            return self.name()
        if self.type_name == "aws_iam_role_policy":
            return f"{self.known('role') or 'role'}:{self.name()}"
        if self.type_name in ("aws_caller_identity",):
            return ACCOUNT_ID
        if self.type_name in ("aws_region", "aws_availability_zones"):
            return self.context.region
        if self.type_name == "aws_partition":
            return PARTITION
        for attribute in NAME_ATTRIBUTES:
            value = self.known(attribute)
            if isinstance(value, str) and value:
                return value
        return f"{self.type_name.removeprefix('aws_').replace('_', '-')}-{self.hex(12)}"

    def version_id(self) -> str:
        known = self.known("version_id")
        if isinstance(known, str):
            return known
        if "_version_id" not in self.__dict__:
            self.__dict__["_version_id"] = self.uuid()
        return str(self.__dict__["_version_id"])

    def arn(self) -> str:
        """The object's ARN, invented once in its service's shape."""
        known = self.known("arn")
        if isinstance(known, str) and known.startswith("arn:"):
            return known
        if self._arn is None:
            self._arn = self._invent_arn()
        return self._arn

    def _invent_arn(self) -> str:
        if self.type_name == "aws_secretsmanager_secret_version" and str(self.known("secret_id")).startswith("arn:"):
            return str(self.known("secret_id"))
        shape = ARN_SHAPES.get(self.type_name)
        identifier = self.hex(17) if self.type_name in ARN_IDS else self.resource_id()
        if shape is None:
            service = self.type_name.removeprefix("aws_").split("_")[0]
            resource = f"{self.type_name.removeprefix('aws_' + service + '_').replace('_', '-')}/{self.name()}"
            region = self.context.region
        else:
            service, template, is_global = shape
            path = self.known("path") or "/"
            cluster = str(self.known("cluster") or "cluster").rsplit("/", 1)[-1]
            resource = template.format(id=identifier, name=self.name(), path=path, cluster=cluster,
                                       hex8=self.hex(8), hex16=self.hex(16), other16=self.hex(16),
                                       third16=self.hex(16), uuid=self.uuid(), suffix6=self.hex(6),
                                       resource_id=self.known("resource_id") or self.hex(8))
            region = "" if is_global else self.context.region
            if self.type_name == "aws_wafv2_web_acl" and self.known("scope") == "CLOUDFRONT":
                resource, region = resource.replace("regional/", "global/", 1), "us-east-1"
            if self.type_name == "aws_s3_bucket":
                return f"arn:{PARTITION}:s3:::{resource}"
        account = "" if service == "s3" else ACCOUNT_ID
        return f"arn:{PARTITION}:{service}:{region}:{account}:{resource}"

    def string(self, attribute: str) -> str:
        region = self.context.region
        if attribute == "id":
            return self.resource_id()
        if attribute in ("arn", "dashboard_arn"):
            return self.arn()
        if attribute in NAME_ATTRIBUTES or attribute == "name_prefix":
            return self.name()
        if attribute in ("region", "aws_region"):
            return region
        if attribute in ("owner_id", "account_id", "owner_account_id", "registry_id"):
            return ACCOUNT_ID
        if attribute in ("partition",):
            return PARTITION
        if attribute == "dns_suffix":
            return DNS_SUFFIX
        if attribute == "arn_suffix":
            return self.arn().split(":", 5)[-1].split("/", 1)[-1]
        if attribute == "dns_name":
            return f"{self.name()[:20]}-{int(self.hex(8), 16) % 10**9}.{region}.elb.{DNS_SUFFIX}"
        if attribute in ("zone_id", "hosted_zone_id"):
            return "Z35SXDOTRQ7X7K"
        if attribute == "domain_name":
            return f"{self.hex(14)}.cloudfront.net"
        if attribute == "bucket_domain_name":
            return f"{self.name()}.s3.{DNS_SUFFIX}"
        if attribute == "bucket_regional_domain_name":
            return f"{self.name()}.s3.{region}.{DNS_SUFFIX}"
        if attribute in ("address", "endpoint", "primary_endpoint_address", "reader_endpoint",
                         "reader_endpoint_address", "configuration_endpoint_address"):
            service = "cache" if "elasticache" in self.type_name else "rds"
            host = f"{self.name()}.{self.hex(12)}.{region}.{service}.{DNS_SUFFIX}"
            if attribute == "endpoint" and self.type_name == "aws_db_instance":
                return f"{host}:{self.known('port') or 5432}"
            return host
        if attribute in ("invoke_arn",):
            return f"arn:{PARTITION}:apigateway:{region}:lambda:path/2015-03-31/functions/{self.arn()}/invocations"
        if attribute == "qualified_arn":
            return f"{self.arn()}:1"
        if attribute == "version":
            return "1"
        if attribute in ("unique_id", "user_id"):
            return "AROA" + self.hex(17).upper()
        if attribute == "key_id" and self.type_name == "aws_kms_key":
            return str(self.known("id") or self.resource_id())
        if attribute == "availability_zone_id":
            zone = str(self.known("availability_zone") or f"{region}a")
            return f"{region.replace('-', '')[:2]}{region.split('-')[1][0]}{region[-1]}-az{'abcdef'.find(zone[-1]) + 1}"
        if attribute in ("policy", "assume_role_policy", "access_policies"):
            return '{"Version":"2012-10-17","Statement":[]}'
        if attribute.endswith("_prefix") and attribute not in ("reverse_dns_prefix",):
            return ""
        if attribute == "version_id":
            return self.version_id()
        if attribute in ("uuid", "key_id", "lock_token"):
            return self.uuid()
        if attribute in ("cidr_block",):
            return "10.0.0.0/16"
        if attribute.endswith("_id"):
            return f"{attribute.removesuffix('_id').replace('_', '-')[:8]}-{self.hex(17)}"
        if attribute in ("etag", "source_code_hash", "checksum", "hash"):
            return self.hex(32)
        if attribute.endswith("_date") or attribute.endswith("_time") or attribute in ("created", "last_modified"):
            return "2026-01-01T00:00:00Z"
        return f"stub-{attribute.replace('_', '-')}-{self.hex(8)}"

    def number(self, attribute: str) -> int:
        if attribute == "port":
            return 5432 if "db" in self.type_name or "rds" in self.type_name else 443
        if attribute in ("revision", "latest_revision"):
            return 1
        return 0


def fill(value: Any, cty_type: Any, attribute: str, generator: Generator) -> Any:
    """Replace every unknown in `value` (of `cty_type`) with a plausible known value."""
    if value is UNKNOWN:
        return _invent(cty_type, attribute, generator)
    if value is None:
        return None
    if isinstance(value, Dynamic):
        return Dynamic(value.type, fill(value.value, value.type, attribute, generator))
    if isinstance(cty_type, list):
        kind = cty_type[0]
        if kind in ("list", "set"):
            return [fill(item, cty_type[1], attribute, generator) for item in value]
        if kind == "map":
            return {key: fill(item, cty_type[1], attribute, generator) for key, item in value.items()}
        if kind == "object":
            return {name: fill(value.get(name), inner, name, generator) for name, inner in cty_type[1].items()}
        if kind == "tuple":
            return [fill(item, inner, attribute, generator) for item, inner in zip(value, cty_type[1], strict=True)]
    return value


def _invent(cty_type: Any, attribute: str, generator: Generator) -> Any:
    if cty_type == "string":
        return generator.string(attribute)
    if cty_type == "number":
        return generator.number(attribute)
    if cty_type == "bool":
        return False
    if cty_type == "dynamic":
        return None
    kind = cty_type[0]
    if kind in ("list", "set", "tuple"):
        return [] if kind != "tuple" else [_invent(inner, attribute, generator) for inner in cty_type[1]]
    if kind == "map":
        return {}
    return {name: None for name in cty_type[1]}
