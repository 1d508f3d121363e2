"""Every AWS apply-time rule, in one list: one module per family, each exporting RULES."""

from __future__ import annotations

from functools import cache

from toolkit.awsrules import cloudwatch, ecs, elasticache, names, parameter_groups, rds, s3, tags, waf
from toolkit.awsrules.base import Rule
from toolkit.errors import UsageError


@cache
def all_rules() -> tuple[Rule, ...]:
    return (*tags.RULES, *names.RULES, *rds.RULES, *elasticache.RULES, *s3.RULES, *ecs.RULES, *waf.RULES,
            *cloudwatch.RULES, *parameter_groups.RULES)


def rule_by_id(rule_id: str) -> Rule:
    for rule in all_rules():
        if rule.id == rule_id:
            return rule
    raise UsageError(f"unknown AWS rule {rule_id!r}: the rules are {', '.join(rule.id for rule in all_rules())}")
