"""S3: what PutBucketLifecycleConfiguration refuses (transition minimums, repeated rule ids, rules without an
action) and PutBucketPolicy's size limit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from toolkit.awsrules.base import Problem, Resource, Rule, Source

TRANSITION = Source("Amazon S3 API: Transition, Days (STANDARD_IA and ONEZONE_IA need at least 30)",
                    "https://docs.aws.amazon.com/AmazonS3/latest/API/API_Transition.html")
CONSTRAINTS = Source("Amazon S3 User Guide: constraints and considerations for transitions (30 days in "
                     "STANDARD_IA/ONEZONE_IA before the next transition)",
                     "https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html")
RULE_ELEMENTS = Source("Amazon S3 User Guide: lifecycle configuration elements (the ID uniquely identifies a rule; "
                       "each rule has one or more actions)",
                       "https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-rules.html")
PUT_LIFECYCLE = Source("Amazon S3 API: PutBucketLifecycleConfiguration",
                       "https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html")
POLICY_SIZE = Source("Amazon S3 User Guide: bucket policies and user policies (bucket policies are limited to 20 KB)",
                     "https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-iam-policies.html")
POLICY_LIMIT_BYTES = 20 * 1024
ACTIONS = ("expiration", "transition", "noncurrent_version_expiration", "noncurrent_version_transition",
           "abort_incomplete_multipart_upload")
INFREQUENT = ("STANDARD_IA", "ONEZONE_IA")
MINIMUM_DAYS = 30


def _days(transition: dict[str, Any], key: str) -> int | None:
    value = transition.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _check_transitions(rule_id: str, transitions: list[dict[str, Any]], key: str, what: str,
                       expiration_days: int | None) -> Iterator[Problem]:
    known = [(days, str(item.get("storage_class"))) for item in transitions
             if (days := _days(item, key)) is not None and isinstance(item.get("storage_class"), str)]
    for days, storage_class in known:
        if storage_class in INFREQUENT and days < MINIMUM_DAYS:
            yield Problem(f'rule "{rule_id}": {what} to {storage_class} after {days} day(s): S3 refuses fewer than '
                          f"{MINIMUM_DAYS} days for {storage_class}; set {key} to {MINIMUM_DAYS} or more")
    for days, storage_class in known:
        for later_days, later_class in known:
            too_soon = days <= later_days < days + MINIMUM_DAYS
            if storage_class in INFREQUENT and later_class != storage_class and too_soon:
                yield Problem(f'rule "{rule_id}": {what} to {later_class} on day {later_days} is less than '
                              f"{MINIMUM_DAYS} days after the one to {storage_class} (day {days}): S3 refuses it; "
                              f"move it to day {days + MINIMUM_DAYS} or later")
    if expiration_days is not None:
        for days, storage_class in known:
            if expiration_days <= days:
                yield Problem(f'rule "{rule_id}": expiration after {expiration_days} day(s) is not after the '
                              f"{what} to {storage_class} (day {days}): S3 refuses it; expire later or drop the "
                              "transition")


def check_lifecycle(resource: Resource, view: Any) -> Iterator[Problem]:
    for index, rule in enumerate(resource.blocks("rule")):
        if rule.get("status") == "Disabled":
            continue
        rule_id = str(rule.get("id") or f"rule[{index}]")
        expirations = [item for item in rule.get("expiration") or [] if isinstance(item, dict)]
        expiration_days = next((days for item in expirations if (days := _days(item, "days")) is not None), None)
        noncurrent_expirations = [item for item in rule.get("noncurrent_version_expiration") or []
                                  if isinstance(item, dict)]
        noncurrent_days = next((days for item in noncurrent_expirations
                                if (days := _days(item, "noncurrent_days")) is not None), None)
        transitions = [item for item in rule.get("transition") or [] if isinstance(item, dict)]
        yield from _check_transitions(rule_id, transitions, "days", "the transition", expiration_days)
        noncurrent = [item for item in rule.get("noncurrent_version_transition") or [] if isinstance(item, dict)]
        yield from _check_transitions(rule_id, noncurrent, "noncurrent_days", "the noncurrent-version transition",
                                      noncurrent_days)


def check_rule_ids_and_actions(resource: Resource, view: Any) -> Iterator[Problem]:
    rules = resource.get("rule")
    if not isinstance(rules, list):
        return
    ids: dict[str, int] = {}
    for index, rule in enumerate(rules):
        rule_id = resource.get("rule", index, "id")
        if isinstance(rule_id, str):  # disabled rules too: S3 checks every rule of the configuration
            ids[rule_id] = ids.get(rule_id, 0) + 1
        blocks = [resource.get("rule", index, action) for action in ACTIONS]
        if isinstance(rule, dict) and all(block is None or block == [] for block in blocks):
            name = rule_id if isinstance(rule_id, str) else f"rule[{index}]"
            yield Problem(f'rule "{name}" has no action (expiration, transition, noncurrent version expiration or '
                          'transition, abort incomplete multipart upload): S3 refuses it ("At least one action '
                          'needs to be specified in a rule"); give it one or drop it')
    for rule_id, count in ids.items():
        if count > 1:
            yield Problem(f'rule id "{rule_id}" is used by {count} rules: S3 refuses repeated ids ("Rule ID must be '
                          'unique"); rename all but one')


def check_policy_size(resource: Resource, view: Any) -> Iterator[Problem]:
    policy = resource.get("policy")
    if not isinstance(policy, str):
        return
    try:
        # The provider sends the policy compacted (NormalizeJsonString), so indentation does not count.
        sent = json.dumps(json.loads(policy), separators=(",", ":"), ensure_ascii=False)
    except ValueError:
        return
    size = len(sent.encode("utf-8"))
    if size > POLICY_LIMIT_BYTES:
        bucket = resource.get("bucket")
        where = f' of bucket "{bucket}"' if isinstance(bucket, str) else ""
        yield Problem(f"the policy{where} is {size} bytes as S3 receives it, at most {POLICY_LIMIT_BYTES}: "
                      "PutBucketPolicy refuses it; merge statements (one statement with a list of resources or "
                      "principals) or move grants to IAM policies")


RULES = (
    Rule("AWS-S3-001", "S3 lifecycle transitions respect AWS's minimum days",
         ("aws_s3_bucket_lifecycle_configuration",), (TRANSITION, CONSTRAINTS), check_lifecycle),
    Rule("AWS-S3-002", "S3 lifecycle rule ids are unique and every rule has an action",
         ("aws_s3_bucket_lifecycle_configuration",), (RULE_ELEMENTS, PUT_LIFECYCLE), check_rule_ids_and_actions),
    Rule("AWS-S3-003", "S3 bucket policies within 20 KB", ("aws_s3_bucket_policy",), (POLICY_SIZE,),
         check_policy_size),
)
