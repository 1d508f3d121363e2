"""Tag rules: keys unique ignoring case (IAM refuses `Environment` beside `environment`), and AWS's count, key
and value limits, read from botocore's shapes for the services that model them, AWS's general limits elsewhere.

They read `tags_all` (the provider's default_tags merged with the resource's tags, which is what is sent), or
`tags` where a type has no `tags_all`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from toolkit.awsrules.base import UNKNOWN, WARNING, Problem, Resource, Rule, Source
from toolkit.awsrules.botocore_limits import Limit, limit, list_max
from toolkit.awsrules.plan_view import PlanView

GENERAL_LIMITS = Source(
    "Tagging AWS resources: tag naming limits and requirements (50 user tags, key 128, value 256; aws: reserved)",
    "https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html#tag-conventions")
IAM_TAGGING = Source("Tagging IAM resources: tag keys of IAM users and roles are not case sensitive",
                     "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html")
GENERAL_MAX_TAGS = 50
GENERAL_MAX_KEY = 128
GENERAL_MAX_VALUE = 256


@dataclass(frozen=True)
class _TagShapes:
    service: str
    key: str
    value: str
    tag_list: str | None


# Terraform type prefix → the botocore shapes of that service's Tag structure (longest prefix wins).
_SHAPES = {
    "aws_iam_": _TagShapes("iam", "tagKeyType", "tagValueType", "tagListType"),
    "aws_lb": _TagShapes("elbv2", "TagKey", "TagValue", None),
    "aws_alb": _TagShapes("elbv2", "TagKey", "TagValue", None),
    "aws_ecs_": _TagShapes("ecs", "TagKey", "TagValue", "Tags"),
    "aws_sns_": _TagShapes("sns", "TagKey", "TagValue", None),
    "aws_kms_": _TagShapes("kms", "TagKeyType", "TagValueType", None),
    "aws_cloudwatch_metric_alarm": _TagShapes("cloudwatch", "TagKey", "TagValue", None),
    "aws_cloudwatch_log_group": _TagShapes("logs", "TagKey", "TagValue", "Tags"),
}
# Types whose service compares tag keys without case (a second key differing only in case is refused).
_CASE_INSENSITIVE_PREFIXES = ("aws_iam_",)


def _shapes_for(resource_type: str) -> _TagShapes | None:
    matches = [prefix for prefix in _SHAPES if resource_type.startswith(prefix)]
    return _SHAPES[max(matches, key=len)] if matches else None


def _tags(resource: Resource) -> dict[str, object] | None:
    """The tags sent to AWS: `tags_all`, or `tags` when `tags_all` is known only after apply (a mistake in
    `tags` is one in `tags_all` too); None when neither is known or the type has none."""
    for attribute in ("tags_all", "tags"):
        value = resource.get(attribute)
        if isinstance(value, dict):
            return value
    return None


def check_case_duplicates(resource: Resource, view: PlanView) -> Iterator[Problem]:
    tags = _tags(resource)
    if not tags:
        return
    by_folded: dict[str, list[str]] = {}
    for key in tags:
        if isinstance(key, str):
            by_folded.setdefault(key.casefold(), []).append(key)
    for keys in by_folded.values():
        if len(keys) < 2:
            continue
        listed = " and ".join(f'"{key}"' for key in sorted(keys))
        if resource.type.startswith(_CASE_INSENSITIVE_PREFIXES):
            yield Problem(f"tag keys {listed} differ only in case: IAM compares tag keys ignoring case and refuses "
                          f"the call (\"Duplicate tag keys found\"); keep one spelling (check the provider's "
                          f"default_tags and the resource's tags)")
        else:
            yield Problem(f"tag keys {listed} differ only in case: this service keeps both, but they read as one "
                          f"tag in cost allocation and tag policies, and IAM refuses the same pair; keep one "
                          f"spelling", WARNING)


def check_limits(resource: Resource, view: PlanView) -> Iterator[Problem]:
    tags = _tags(resource)
    if not tags:
        return
    shapes = _shapes_for(resource.type)
    key_limit: Limit | None = limit(shapes.service, shapes.key) if shapes else None
    value_limit: Limit | None = limit(shapes.service, shapes.value) if shapes else None
    max_tags = (list_max(shapes.service, shapes.tag_list) if shapes and shapes.tag_list else None) or GENERAL_MAX_TAGS
    user_keys = [key for key in tags if isinstance(key, str) and not key.lower().startswith("aws:")]
    if len(user_keys) > max_tags:
        cited = f" ({shapes.service}:{shapes.tag_list})" if shapes and shapes.tag_list else ""
        yield Problem(f"{len(user_keys)} tags: AWS allows at most {max_tags} per resource{cited}; drop tags from "
                      f"the provider's default_tags or the resource's tags")
    for key, value in tags.items():
        if not isinstance(key, str):
            continue
        if key.lower().startswith("aws:"):
            yield Problem(f'tag key "{key[:40]}" starts with "aws:", a prefix AWS reserves for its own tags; '
                          f"rename it")
        key_problems = key_limit.problems(key) if key_limit else _general(key, GENERAL_MAX_KEY, 1)
        for problem in key_problems:
            cited = f" ({key_limit.service}:{key_limit.shape})" if key_limit else ""
            yield Problem(f'tag key "{_short(key)}" {problem}{cited}; shorten or rename it')
        if value is UNKNOWN or value is None or not isinstance(value, str):
            continue
        value_problems = value_limit.problems(value) if value_limit else _general(value, GENERAL_MAX_VALUE, 0)
        for problem in value_problems:
            cited = f" ({value_limit.service}:{value_limit.shape})" if value_limit else ""
            yield Problem(f'the value of tag "{_short(key)}" {problem}{cited}; shorten it')


def _general(text: str, maximum: int, minimum: int) -> list[str]:
    if len(text) > maximum:
        return [f"is {len(text)} characters long (at most {maximum})"]
    if len(text) < minimum:
        return ["is empty"]
    return []


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


RULES = (
    Rule("AWS-TAG-001", "Tag keys are unique ignoring case", ("*",), (IAM_TAGGING, GENERAL_LIMITS),
         check_case_duplicates),
    Rule("AWS-TAG-002", "Tags within AWS's count, key and value limits", ("*",),
         (GENERAL_LIMITS, Source("IAM API Tag", "https://docs.aws.amazon.com/IAM/latest/APIReference/API_Tag.html",
                                 "iam:tagKeyType, iam:tagValueType, iam:tagListType; elbv2/ecs/sns/kms/cloudwatch/"
                                 "logs TagKey, TagValue")),
         check_limits),
)
