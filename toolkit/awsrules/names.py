"""Name rules: the length and character limits AWS applies to the names and identifiers the plan sets.

Where botocore's service model carries the limit (IAM role and policy names, log groups, WAF names, alarm names)
it is read from the shape; where the model has only a `string` (ELB, S3, ElastiCache, RDS, Lambda's short name)
the constraint is the API reference's text, written here once with its page. A name known only after apply
(`name_prefix`, a computed name) is not checked.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from toolkit.awsrules.base import Problem, Resource, Rule, Source
from toolkit.awsrules.botocore_limits import limit
from toolkit.awsrules.plan_view import PlanView


@dataclass(frozen=True)
class NameSpec:
    attribute: str
    what: str
    source: Source
    check: Callable[[str], list[str]]


def _botocore(service: str, shape: str) -> Callable[[str], list[str]]:
    def check(value: str) -> list[str]:
        return limit(service, shape).problems(value)

    return check


def _identifier(maximum: int) -> Callable[[str], list[str]]:
    """RDS and ElastiCache identifiers: 1..max letters, digits or hyphens; a letter first; no trailing hyphen, no
    two consecutive hyphens."""

    def check(value: str) -> list[str]:
        found = []
        if not 1 <= len(value) <= maximum:
            found.append(f"is {len(value)} characters long (1 to {maximum})")
        if not re.fullmatch(r"[A-Za-z0-9-]*", value):
            found.append("may contain only letters, digits and hyphens")
        if value and not (value[0].isascii() and value[0].isalpha()):
            found.append("must start with a letter")
        if value.endswith("-") or "--" in value:
            found.append("must not end with a hyphen or contain two consecutive hyphens")
        return found

    return check


def _elb_name(internal_prefix: bool) -> Callable[[str], list[str]]:
    def check(value: str) -> list[str]:
        found = []
        if not 1 <= len(value) <= 32:
            found.append(f"is {len(value)} characters long (at most 32)")
        if not re.fullmatch(r"[A-Za-z0-9-]*", value):
            found.append("may contain only letters, digits and hyphens")
        if value.startswith("-") or value.endswith("-"):
            found.append("must not begin or end with a hyphen")
        if internal_prefix and value.startswith("internal-"):
            found.append('must not begin with "internal-"')
        return found

    return check


_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def _bucket(value: str) -> list[str]:
    found = []
    if not 3 <= len(value) <= 63:
        found.append(f"is {len(value)} characters long (3 to 63)")
    if not re.fullmatch(r"[a-z0-9.-]*", value):
        found.append("may contain only lowercase letters, digits, dots and hyphens")
    if value and (not value[0].isalnum() or not value[-1].isalnum()):
        found.append("must begin and end with a letter or digit")
    if ".." in value:
        found.append("must not contain two adjacent dots")
    try:
        ipaddress.IPv4Address(value)
        found.append("must not be formatted as an IP address")
    except ValueError:
        pass
    if value.startswith(_BUCKET_PREFIXES) or value.endswith(_BUCKET_SUFFIXES):
        found.append("uses a prefix or suffix S3 reserves")
    return found


def _lambda_name(value: str) -> list[str]:
    # botocore's FunctionName allows 140 characters for a full ARN; a plain name is limited to 64 (same page).
    found = limit("lambda", "FunctionName").problems(value)
    if ":" not in value and len(value) > 64:
        found.append(f"is {len(value)} characters long (a function name, not an ARN, is at most 64)")
    return found


def _sns_topic(value: str) -> list[str]:
    base = value.removesuffix(".fifo")
    found = []
    if not 1 <= len(value) <= 256:
        found.append(f"is {len(value)} characters long (1 to 256)")
    if not re.fullmatch(r"[A-Za-z0-9_-]*", base):
        found.append("may contain only letters, digits, hyphens and underscores (and .fifo at the end)")
    return found


def _task_family(value: str) -> list[str]:
    found = []
    if not 1 <= len(value) <= 255:
        found.append(f"is {len(value)} characters long (1 to 255)")
    if not re.fullmatch(r"[A-Za-z0-9_-]*", value):
        found.append("may contain only letters, digits, hyphens and underscores")
    return found


_ELBV2 = "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/"
_RDS = "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/"
_ELASTICACHE = "https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/"

NAMES: dict[str, tuple[NameSpec, ...]] = {
    "aws_lb": (NameSpec("name", "load balancer name",
                        Source("Elastic Load Balancing API: CreateLoadBalancer, Name",
                               _ELBV2 + "API_CreateLoadBalancer.html"),
                        _elb_name(True)),),
    "aws_lb_target_group": (NameSpec("name", "target group name",
                                     Source("Elastic Load Balancing API: CreateTargetGroup, Name",
                                            _ELBV2 + "API_CreateTargetGroup.html"), _elb_name(False)),),
    "aws_iam_role": (NameSpec("name", "IAM role name",
                              Source("IAM API: CreateRole, RoleName",
                                     "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html",
                                     "iam:roleNameType"), _botocore("iam", "roleNameType")),
                     NameSpec("path", "IAM role path", Source("IAM API: CreateRole, Path",
                              "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html",
                              "iam:pathType"), _botocore("iam", "pathType"))),
    "aws_iam_policy": (NameSpec("name", "IAM policy name",
                                Source("IAM API: CreatePolicy, PolicyName",
                                       "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html",
                                       "iam:policyNameType"), _botocore("iam", "policyNameType")),),
    "aws_iam_role_policy": (NameSpec("name", "inline policy name",
                                     Source("IAM API: PutRolePolicy, PolicyName",
                                            "https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html",
                                            "iam:policyNameType"), _botocore("iam", "policyNameType")),),
    "aws_iam_instance_profile": (NameSpec("name", "instance profile name",
                                          Source("IAM API: CreateInstanceProfile, InstanceProfileName",
                                                 "https://docs.aws.amazon.com/IAM/latest/APIReference/"
                                                 "API_CreateInstanceProfile.html", "iam:instanceProfileNameType"),
                                          _botocore("iam", "instanceProfileNameType")),),
    "aws_s3_bucket": (NameSpec("bucket", "bucket name",
                               Source("Amazon S3 User Guide: general purpose bucket naming rules",
                                      "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html"),
                               _bucket),),
    "aws_elasticache_replication_group": (NameSpec("replication_group_id", "replication group id",
                                                   Source("ElastiCache API: CreateReplicationGroup, ReplicationGroupId",
                                                          _ELASTICACHE + "API_CreateReplicationGroup.html"),
                                                   _identifier(40)),),
    "aws_elasticache_cluster": (NameSpec("cluster_id", "cache cluster id",
                                         Source("ElastiCache API: CreateCacheCluster, CacheClusterId",
                                                _ELASTICACHE + "API_CreateCacheCluster.html"), _identifier(50)),),
    "aws_db_instance": (NameSpec("identifier", "DB instance identifier",
                                 Source("RDS API: CreateDBInstance, DBInstanceIdentifier",
                                        _RDS + "API_CreateDBInstance.html"), _identifier(63)),),
    "aws_rds_cluster": (NameSpec("cluster_identifier", "DB cluster identifier",
                                 Source("RDS API: CreateDBCluster, DBClusterIdentifier",
                                        _RDS + "API_CreateDBCluster.html"), _identifier(63)),),
    "aws_rds_cluster_instance": (NameSpec("identifier", "DB instance identifier",
                                          Source("RDS API: CreateDBInstance, DBInstanceIdentifier",
                                                 _RDS + "API_CreateDBInstance.html"), _identifier(63)),),
    "aws_lambda_function": (NameSpec("function_name", "function name",
                                     Source("Lambda API: CreateFunction, FunctionName",
                                            "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html",
                                            "lambda:FunctionName"), _lambda_name),),
    "aws_sns_topic": (NameSpec("name", "topic name",
                               Source("SNS API: CreateTopic, Name",
                                      "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html"), _sns_topic),),
    "aws_cloudwatch_log_group": (NameSpec("name", "log group name",
                                          Source("CloudWatch Logs API: CreateLogGroup, logGroupName",
                                                 "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/"
                                                 "API_CreateLogGroup.html", "logs:LogGroupName"),
                                          _botocore("logs", "LogGroupName")),),
    "aws_cloudwatch_metric_alarm": (NameSpec("alarm_name", "alarm name",
                                             Source("CloudWatch API: PutMetricAlarm, AlarmName",
                                                    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/"
                                                    "API_PutMetricAlarm.html", "cloudwatch:AlarmName"),
                                             _botocore("cloudwatch", "AlarmName")),),
    "aws_wafv2_web_acl": (NameSpec("name", "web ACL name",
                                   Source("AWS WAFV2 API: CreateWebACL, Name",
                                          "https://docs.aws.amazon.com/waf/latest/APIReference/API_CreateWebACL.html",
                                          "wafv2:EntityName"), _botocore("wafv2", "EntityName")),),
    "aws_ecs_task_definition": (NameSpec("family", "task definition family",
                                         Source("Amazon ECS API: RegisterTaskDefinition, family",
                                                "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/"
                                                "API_RegisterTaskDefinition.html"), _task_family),),
}
NAMES["aws_alb"] = NAMES["aws_lb"]
NAMES["aws_alb_target_group"] = NAMES["aws_lb_target_group"]


def check_names(resource: Resource, view: PlanView) -> Iterator[Problem]:
    for spec in NAMES.get(resource.type, ()):
        value = resource.get(spec.attribute)
        if not isinstance(value, str):
            continue  # unknown (name_prefix, computed) or not set
        problems = spec.check(value)
        if problems:
            cited = f" ({spec.source.shape})" if spec.source.shape else ""
            yield Problem(f'{spec.what} "{value[:80]}" {"; ".join(problems)}{cited}: AWS refuses it; change '
                          f"`{spec.attribute}` (or the name it is built from)")


def _sources() -> tuple[Source, ...]:
    seen: dict[str, Source] = {}
    for specs in NAMES.values():
        for spec in specs:
            seen.setdefault(spec.source.url + spec.source.shape, spec.source)
    return tuple(seen.values())


RULES = (
    Rule("AWS-NAME-001", "Names and identifiers within AWS's length and character limits", tuple(sorted(NAMES)),
         _sources(), check_names),
)
