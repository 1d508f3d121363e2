"""ElastiCache: the SNS topic for event notifications must not be encrypted (ElastiCache cannot publish to it)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from toolkit.awsrules.base import UNKNOWN, Problem, Resource, Rule, Source
from toolkit.awsrules.plan_view import PlanView, module_path

SOURCE = Source("ElastiCache User Guide: Event notifications and Amazon SNS (the topic cannot be encrypted)",
                "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/ElastiCacheSNS.html")
_TOPIC_NAME = re.compile(r"^arn:[^:]+:sns:[^:]*:[^:]*:(.+)$")


def _topics(resource: Resource, view: PlanView) -> list[Resource]:
    """The planned SNS topics the notification target refers to, by reference or by a known ARN's name."""
    arn = resource.get("notification_topic_arn")
    topics = view.of_type("aws_sns_topic")
    if isinstance(arn, str):
        matched = _TOPIC_NAME.match(arn)
        return [topic for topic in topics if matched and topic.get("name") == matched.group(1)]
    if arn is not UNKNOWN:
        return []
    expression = view.expression(resource, "notification_topic_arn")
    if expression is None:
        return []
    found: list[Resource] = []
    for path, config_address, _attribute in view.trace(expression, module_path(resource.module_address)).resources:
        if config_address.startswith("aws_sns_topic."):
            found.extend(view.resources_at(path, config_address))
    return found


def check_encrypted_topic(resource: Resource, view: PlanView) -> Iterator[Problem]:
    for topic in _topics(resource, view):
        key = topic.get("kms_master_key_id")
        # kms_master_key_id is optional and not computed: unknown means the configuration sets it to a key.
        if (isinstance(key, str) and key) or key is UNKNOWN:
            yield Problem(f"notifications go to {topic.address}, which is encrypted with KMS "
                          "(kms_master_key_id): ElastiCache cannot publish to an encrypted topic (it shows as "
                          "inactive); use an unencrypted topic for ElastiCache events, or route them through an "
                          "EventBridge rule to the encrypted topic")


RULES = (
    Rule("AWS-EC-001", "ElastiCache notifications go to an unencrypted SNS topic",
         ("aws_elasticache_replication_group", "aws_elasticache_cluster"), (SOURCE,), check_encrypted_topic,
         deferred=True, reads_types=("aws_sns_topic",)),
)
