"""AWS WAF: managed rule groups of vendor AWS that exist, and rule names inside them that exist (an override of a
rule the group does not have is refused by CreateWebACL/UpdateWebACL with WAFInvalidParameterException)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from importlib import resources as package_files
from typing import Any

import yaml

from toolkit.awsrules.base import Problem, Resource, Rule, Source

LIST = Source("AWS WAF Developer Guide: AWS Managed Rules rule groups list",
              "https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-list.html")
CRS = Source("AWS WAF Developer Guide: baseline rule groups (core rule set rules)",
             "https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html")
BOT = Source("AWS WAF Developer Guide: Bot Control rule group (rules)",
             "https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-bot.html")


@cache
def catalogue() -> dict[str, Any]:
    text = package_files.files("toolkit.awsrules").joinpath("data/waf_managed_rule_groups.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def _managed_statements(rule: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for statement in rule.get("statement") or []:
        if isinstance(statement, dict):
            for managed in statement.get("managed_rule_group_statement") or []:
                if isinstance(managed, dict):
                    yield managed


def check_managed_groups(resource: Resource, view: Any) -> Iterator[Problem]:
    groups = set(catalogue()["rule_groups"])
    for rule in resource.blocks("rule"):
        for managed in _managed_statements(rule):
            name, vendor = managed.get("name"), managed.get("vendor_name")
            if vendor == "AWS" and isinstance(name, str) and name not in groups:
                close = sorted(group for group in groups if group.lower() == name.lower())
                hint = f' (did you mean "{close[0]}"?)' if close else ""
                yield Problem(f'rule "{rule.get("name")}": AWS has no managed rule group "{name}"{hint}; use a name '
                              "from the AWS Managed Rules list")


def check_rule_overrides(resource: Resource, view: Any) -> Iterator[Problem]:
    known = catalogue()["rules"]
    for rule in resource.blocks("rule"):
        for managed in _managed_statements(rule):
            group = managed.get("name")
            if managed.get("vendor_name") != "AWS" or group not in known:
                continue
            names = set(known[group]["names"])
            for override in managed.get("rule_action_override") or []:
                name = override.get("name") if isinstance(override, dict) else None
                if isinstance(name, str) and name not in names:
                    yield Problem(f'rule "{rule.get("name")}": {group} has no rule "{name}" to override; use one of '
                                  f"its rule names ({', '.join(sorted(names)[:6])}, ...)")


RULES = (
    Rule("AWS-WAF-001", "WAF managed rule groups exist", ("aws_wafv2_web_acl",), (LIST,), check_managed_groups),
    Rule("AWS-WAF-002", "WAF rule_action_override names exist in CommonRuleSet and BotControlRuleSet",
         ("aws_wafv2_web_acl",), (CRS, BOT), check_rule_overrides),
)
