"""What an emulator environment (`emulator:` in its file, e.g. envs/local.yaml) adds to the real root.

The real root (terraform/) has plain `provider "aws"` blocks. For an emulator environment, render writes
`build/ENV/emulator_override.tf`, staged into the root as `toolkit_emulator_override.tf`: Terraform merges a
`*_override.tf` file into the blocks it names, so the same root gets every service endpoint pointed at the
emulator, the emulator's test credentials and the account checks skipped, without a line of it in the
root. Nothing here is rendered for any other environment, and the config refuses `emulator:` where it
could reach dev, staging or prod (toolkit/config/sources.py).

The endpoint must be on this machine (loopback): an emulator environment never talks to a remote address,
and one whose endpoint variable is unset is refused before any AWS call.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from toolkit.aws import is_loopback_url
from toolkit.errors import RenderError
from toolkit.hcl_writer import hcl_string

OVERRIDE_FILE = "emulator_override.tf"
STAGED_OVERRIDE_FILE = "toolkit_emulator_override.tf"
# The emulator accepts any signature; these are moto's documented test keys, never real ones.
TEST_ACCESS_KEY = "testing"
TEST_SECRET_KEY = "testing"
TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": TEST_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": TEST_SECRET_KEY,
                    "AWS_SESSION_TOKEN": "testing"}
# Every service the modules call (provider 6 `endpoints` names), so none falls through to a real AWS endpoint.
SERVICES = (
    "acm", "appautoscaling", "backup", "budgets", "cloudfront", "cloudtrail", "cloudwatch", "codedeploy", "ec2",
    "ecr", "ecs", "elasticache", "elbv2", "events", "firehose", "iam", "kms", "lambda", "logs", "rds", "route53",
    "s3", "secretsmanager", "sns", "sqs", "ssm", "sts", "wafv2", "xray",
)
# The root's provider configurations (terraform/providers.tf): the default one and CloudFront's us-east-1.
PROVIDER_ALIASES = (None, "us_east_1")


def emulator_endpoint(environment: str, variable: str) -> str:
    """The emulator's URL from `variable`; refused unless set and on a loopback address."""
    value = os.environ.get(variable, "").strip()
    if not value:
        raise RenderError(f"envs/{environment}.yaml: emulator.endpoint_from_env names {variable}, which is not set, "
                          "and no emulator is running: start it (`toolkit emulator up`); an emulator environment "
                          "never falls back to real AWS")
    check_loopback(environment, variable, value)
    return value.rstrip("/")


# Scheme, loopback host and port, nothing else: the value is written into HCL and a URL with more in it (quotes,
# `${...}`, a path, a host that only starts with 127.0.0.1) is no emulator on this machine.
EMULATOR_URL = re.compile(r"^https?://(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\]):\d{1,5}/?$")


def check_loopback(environment: str, variable: str, value: str) -> None:
    parts = urlsplit(value)
    if (not EMULATOR_URL.match(value) or parts.scheme not in ("http", "https") or not is_loopback_url(value)
            or parts.username or parts.password):
        raise RenderError(f"envs/{environment}.yaml: {variable}={value!r} is not an emulator on this machine: an "
                          "emulator environment only talks to http://127.0.0.1:PORT (or localhost, [::1])")


def override_text(environment: str, endpoint: str) -> str:
    """The provider override of one emulator environment, in `terraform fmt` layout."""
    width = max(len(service) for service in SERVICES)
    # check_loopback already refused anything but scheme, host and port; escaped all the same.
    endpoints = "\n".join(f"    {service.ljust(width)} = {hcl_string(endpoint)}" for service in SERVICES)
    blocks = []
    for alias in PROVIDER_ALIASES:
        alias_line = f'  alias = "{alias}"\n\n' if alias else ""
        blocks.append(
            'provider "aws" {\n'
            f"{alias_line}"
            f'  access_key                  = "{TEST_ACCESS_KEY}"\n'
            f'  secret_key                  = "{TEST_SECRET_KEY}"\n'
            "  skip_credentials_validation = true\n"
            "  skip_metadata_api_check     = true\n"
            "  skip_region_validation      = true\n"
            # Provider 6 reads bucket tags through S3 Control at http://ACCOUNT.HOST/ (a host prefix no loopback
            # name resolves); with no account id it reads them with GetBucketTagging instead.
            "  skip_requesting_account_id  = true\n"
            "  s3_use_path_style           = true\n\n"
            f"  endpoints {{\n{endpoints}\n  }}\n"
            "}\n"
        )
    header = (f"# Rendered by toolkit for the emulator environment {environment} only: every AWS endpoint of the\n"
              "# real root points at the emulator on this machine, with its test credentials.\n")
    return header + "\n".join(blocks)


# What moto 5.2.6 does not echo back to provider 6.47.1 (measured on envs/local.yaml; docs/ENGINE.md, "What moto
# does not echo"): (resource type, attribute) -> whether an apply stores it (True) or every plan shows it (False).
MOTO_ECHO_GAPS: dict[tuple[str, str], bool] = {
    ("aws_s3_bucket", "tags"): True,             # CreateBucket's tags are ignored
    ("aws_s3_bucket", "tags_all"): True,
    ("aws_ecs_service", "health_check_grace_period_seconds"): True,  # dropped by CreateService
    ("aws_ecs_service", "enable_ecs_managed_tags"): True,
    ("aws_vpc_security_group_egress_rule", "description"): True,
    ("aws_vpc_security_group_ingress_rule", "description"): True,
    # Answered as ACCOUNT/sg-...: with no account id (skip_requesting_account_id, above) the provider reads a
    # same-account group as another account's.
    ("aws_vpc_security_group_egress_rule", "referenced_security_group_id"): False,
    ("aws_vpc_security_group_ingress_rule", "referenced_security_group_id"): False,
    ("aws_db_parameter_group", "parameter"): False,  # no parameters are listed
}


@dataclass(frozen=True)
class EchoGaps:
    """The changed (type, attribute) pairs of a plan on the emulator, split into moto's known gaps and the rest."""

    known: frozenset[tuple[str, str]]
    unexplained: frozenset[tuple[str, str]]

    def text(self, environment: str) -> str:
        if not self.known:
            return ""
        named = ", ".join(f"{kind}.{attribute}" for kind, attribute in sorted(self.known))
        rest = ("none" if not self.unexplained
                else ", ".join(f"{kind}.{attribute}" for kind, attribute in sorted(self.unexplained)))
        return (f"  emulator: {len(self.known)} changed attribute(s) are ones moto does not echo back "
                f"(docs/ENGINE.md): {named}; other changes: {rest}")


def changed_attributes(plan: dict[str, Any]) -> set[tuple[str, str]]:
    """(type, top-level attribute) of every managed resource the plan changes (no-ops left out)."""
    found: set[tuple[str, str]] = set()
    for change in plan.get("resource_changes") or []:
        found |= {(str(change.get("type")), key) for key in _changed_keys(change)}
    return found


def only_echo_gaps(change: dict[str, Any]) -> bool:
    """Whether a resource change (`terraform show -json`) updates nothing but attributes moto does not echo back:
    on the emulator such an update is moto's, not the configuration's (triage leaves it out)."""
    body = change.get("change") or {}
    keys = _changed_keys(change)
    return body.get("actions") == ["update"] and bool(keys) and all(
        (str(change.get("type")), key) in MOTO_ECHO_GAPS for key in keys)


def _changed_keys(change: dict[str, Any]) -> set[str]:
    body = change.get("change") or {}
    if change.get("mode") != "managed" or body.get("actions") in (["no-op"], ["read"]):
        return set()
    before, after = body.get("before") or {}, body.get("after") or {}
    unknown = body.get("after_unknown") or {}
    if not isinstance(before, dict) or not isinstance(after, dict) or not isinstance(unknown, dict):
        return set()
    return {key for key in set(before) | set(after) if before.get(key) != after.get(key) or unknown.get(key)}


def echo_gaps(plan: dict[str, Any]) -> EchoGaps:
    """The plan's updates split into moto's echo gaps and the rest. Only updates: a gap is something applied before
    that moto did not echo back, so a first plan (all creations) names none (a newcomer read its note as a fault)."""
    updates = [change for change in plan.get("resource_changes") or []
               if (change.get("change") or {}).get("actions") == ["update"]]
    changed = changed_attributes({"resource_changes": updates})
    known = frozenset(pair for pair in changed if pair in MOTO_ECHO_GAPS)
    return EchoGaps(known, frozenset(changed - known))


# moto's answer to an API it lacks is a 500 the provider retries for minutes ("Still creating..."). The known
# ones and the setting that switches their feature off (envs/local.yaml, docs/ENGINE.md).
KNOWN_MISSING_APIS: dict[str, str] = {
    "create_cache_parameter_group": "cache.enabled",
    "describe_cache_clusters": "cache.enabled",
    "describe_subscribers_for_notification": "budget.enabled",
    "list_tags_for_resource": "compute.autoscaling",
}
EMULATOR_LOG_VARIABLE = "TOOLKIT_EMULATOR_LOG"
_NOT_IMPLEMENTED = re.compile(rb"NotImplementedError: The (\w+) action has not been implemented")


class MissingApiWatch:
    """Reads the emulator's log as terraform runs and names the first API moto does not implement."""

    def __init__(self, log_file: Path) -> None:
        self.log_file = log_file
        try:
            self.offset = log_file.stat().st_size  # only what this run causes
        except OSError:
            self.offset = 0
        self.reported: set[str] = set()

    def poll(self, waiting_on: list[str]) -> str | None:
        """A message for an API seen missing since the last poll (once per API), else None."""
        try:
            with self.log_file.open("rb") as log:
                log.seek(self.offset)
                chunk = log.read(4 * 1024 * 1024)
        except OSError:
            return None
        self.offset += len(chunk)
        for match in _NOT_IMPLEMENTED.finditer(chunk):
            action = match.group(1).decode("ascii", "replace")
            if action in self.reported:
                continue
            self.reported.add(action)
            setting = KNOWN_MISSING_APIS.get(action)
            switch = (f"switch it off with `emulator.features_off: {{{setting}: <reason>}}`" if setting else
                      "switch the feature of that resource off in `emulator.features_off` (a setting and its reason)")
            resources = ", ".join(waiting_on[:5]) or "the resources being created"
            return (f"the emulator does not implement {action} (moto answers 500 and the provider retries it until "
                    f"its timeout): waiting on it: {resources}; {switch} in the environment's file "
                    "(docs/ENGINE.md, \"Emulator environments\"), then Ctrl-C this run")
        return None
