"""Generate realistic `terraform show -json` plan documents of any size, deterministic by seed.

The document has what a real plan has: `resource_changes` with a mix of create, update,
replace, delete and no-op (some moved or imported), nested modules, nested attributes (tags,
blocks as lists of objects), sensitive and unknown values, replace paths and action reasons;
`resource_drift`, `output_changes`, `checks`, `variables` (one sensitive), and the
`prior_state`, `planned_values` and `configuration` sections that repeat the resources, so the
file size per change is close to a real plan's. Resources are written one at a time, so
generating 50,000 changes needs little memory.

    python -m bench.plan_generator --changes 10000 --out /tmp/plan.json [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

# Planted in every sensitive value so tests can assert that no output ever contains it.
SECRET_CANARY = "GENERATED-SECRET-CANARY"

ACTION_WEIGHTS = (
    ("create", 30),
    ("update", 30),
    ("replace", 8),
    ("delete", 7),
    ("no-op", 25),
)

STATEFUL_TYPES = ("aws_db_instance", "aws_s3_bucket", "aws_kms_key", "aws_dynamodb_table", "aws_ebs_volume")
STATELESS_TYPES = (
    "aws_instance",
    "aws_security_group",
    "aws_iam_role",
    "aws_lambda_function",
    "aws_subnet",
    "aws_route_table",
    "aws_cloudwatch_metric_alarm",
    "aws_lb_target_group",
)
REPLACE_REASONS = ("replace_because_cannot_update", "replace_because_tainted", "replace_by_request")

_encode = json.JSONEncoder(separators=(",", ":")).encode


@dataclass
class _Resource:
    address: str
    module: str
    type: str
    name: str
    index: int
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    sensitive: dict[str, Any]
    unknown: dict[str, Any]
    replace_paths: list[list[str | int]]
    reason: str | None
    previous_address: str | None
    importing: bool


def _module_of(position: int, rng: random.Random) -> str:
    if rng.random() < 0.15:
        return ""
    service = position % 40
    if rng.random() < 0.4:
        return f"module.service_{service}.module.part_{position % 3}"
    return f"module.service_{service}"


def _attributes(resource_type: str, name: str, position: int, rng: random.Random) -> dict[str, Any]:
    tags = {
        "Name": f"{name}-{position}",
        "Environment": "bench",
        "Team": rng.choice(("platform", "data", "web", "payments")),
        "CostCenter": str(rng.randint(1000, 9999)),
    }
    return {
        "id": f"{resource_type[4:12]}-{position:08x}",
        "arn": f"arn:aws:service:eu-west-1:123456789012:{resource_type}/{name}-{position}",
        "name": f"{name}-{position}",
        "description": f"Generated {resource_type} number {position} for benchmarks",
        "size": rng.choice((8, 16, 32, 64, 128)),
        "enabled": rng.random() < 0.8,
        "password": f"{SECRET_CANARY}-{position}",
        "tags": tags,
        "tags_all": dict(tags, ManagedBy="terraform"),
        "ingress": [
            {
                "from_port": port,
                "to_port": port,
                "protocol": "tcp",
                "cidr_blocks": [f"10.{rng.randint(0, 255)}.0.0/16"],
                "description": f"port {port}",
            }
            for port in rng.sample((22, 80, 443, 5432, 6379, 8080), 2)
        ],
        "settings": {"retention_days": rng.choice((7, 14, 30)), "log_level": rng.choice(("info", "debug"))},
    }


def _sensitive_mask(values: dict[str, Any] | None) -> dict[str, Any] | bool:
    if values is None:
        return False
    blocks = [{"cidr_blocks": [False]} for _ in values["ingress"]]
    return {"password": True, "tags": {}, "tags_all": {}, "ingress": blocks}


def _resource(position: int, rng: random.Random, stateful_share: float) -> _Resource:
    action = rng.choices([name for name, _ in ACTION_WEIGHTS], weights=[w for _, w in ACTION_WEIGHTS])[0]
    stateful = rng.random() < stateful_share
    resource_type = rng.choice(STATEFUL_TYPES if stateful else STATELESS_TYPES)
    name = "this" if rng.random() < 0.5 else f"item_{position % 7}"
    module = _module_of(position, rng)
    address = f"{module + '.' if module else ''}{resource_type}.{name}[{position}]"
    current = _attributes(resource_type, name, position, rng)
    before: dict[str, Any] | None = current
    after: dict[str, Any] | None = current
    unknown: dict[str, Any] = {}
    replace_paths: list[list[str | int]] = []
    reason = None
    if action in ("update", "replace"):
        after = dict(current)
        after["tags"] = dict(current["tags"], Team="changed")
        after["tags_all"] = dict(current["tags_all"], Team="changed")
        after["size"] = current["size"] * 2
        after["ingress"] = [dict(current["ingress"][0], from_port=1024, to_port=1024), current["ingress"][1]]
        after["password"] = f"{SECRET_CANARY}-rotated-{position}"
        after["settings"] = dict(current["settings"], retention_days=90)
    if action == "create":
        before = None
        after = dict(current)
        for attribute in ("id", "arn"):
            after.pop(attribute)
            unknown[attribute] = True
    elif action == "replace":
        for attribute in ("id", "arn"):
            after.pop(attribute)  # type: ignore[union-attr]
            unknown[attribute] = True
        replace_paths = [["size"], ["ingress", 0, "from_port"]]
        reason = rng.choice(REPLACE_REASONS)
    elif action == "delete":
        after = None
        reason = "delete_because_no_resource_config" if rng.random() < 0.5 else None
    previous = None
    importing = False
    if action == "no-op" and rng.random() < 0.1:
        previous = address.replace(f".{name}[", f".old_{name}[")
    elif action == "no-op" and rng.random() < 0.05:
        importing = True
    return _Resource(
        address=address,
        module=module,
        type=resource_type,
        name=name,
        index=position,
        action=action,
        before=before,
        after=after,
        sensitive={"before": _sensitive_mask(before), "after": _sensitive_mask(after)},
        unknown=unknown,
        replace_paths=replace_paths,
        reason=reason,
        previous_address=previous,
        importing=importing,
    )


def _actions(action: str, position: int) -> list[str]:
    if action == "replace":
        return ["create", "delete"] if position % 4 == 0 else ["delete", "create"]
    return [action]


def _change_entry(resource: _Resource) -> dict[str, Any]:
    change: dict[str, Any] = {
        "actions": _actions(resource.action, resource.index),
        "before": resource.before,
        "after": resource.after,
        "after_unknown": resource.unknown,
        "before_sensitive": resource.sensitive["before"],
        "after_sensitive": resource.sensitive["after"],
    }
    if resource.replace_paths:
        change["replace_paths"] = resource.replace_paths
    if resource.importing:
        change["importing"] = {"id": resource.before["id"] if resource.before else "imported"}
    entry: dict[str, Any] = {"address": resource.address}
    if resource.previous_address:
        entry["previous_address"] = resource.previous_address
    if resource.module:
        entry["module_address"] = resource.module
    entry.update(
        mode="managed",
        type=resource.type,
        name=resource.name,
        index=resource.index,
        provider_name="registry.terraform.io/hashicorp/aws",
        change=change,
    )
    if resource.reason:
        entry["action_reason"] = resource.reason
    return entry


def _state_entry(resource: _Resource, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "address": resource.address,
        "mode": "managed",
        "type": resource.type,
        "name": resource.name,
        "index": resource.index,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "schema_version": 1,
        "values": values,
        "sensitive_values": {"password": True, "tags": {}, "tags_all": {}, "ingress": [{}, {}]},
    }


def _config_entry(resource: _Resource) -> dict[str, Any]:
    return {
        "address": resource.address.split("[", 1)[0],
        "mode": "managed",
        "type": resource.type,
        "name": resource.name,
        "provider_config_key": "aws",
        "expressions": {
            "name": {"constant_value": resource.name},
            "password": {"references": ["var.db_password"]},
            "tags": {"references": ["local.tags"]},
        },
        "schema_version": 1,
        "count_expression": {"constant_value": 1},
    }


def _write_array(out: TextIO, items: Iterator[dict[str, Any]]) -> None:
    out.write("[")
    first = True
    for item in items:
        if not first:
            out.write(",\n")
        out.write(_encode(item))
        first = False
    out.write("]")


def write_plan(out: TextIO, changes: int, *, seed: int = 0, stateful_share: float = 0.1) -> None:
    """Write a plan JSON document with `changes` resource changes to `out`."""
    rng = random.Random(seed)
    resources = [_resource(position, rng, stateful_share) for position in range(changes)]
    out.write('{"format_version":"1.2","terraform_version":"1.9.8",')
    out.write('"variables":{"environment":{"value":"bench"},"db_password":{"value":"')
    out.write(f'{SECRET_CANARY}-variable"}}}},\n"planned_values":{{"outputs":{{}},"root_module":{{"resources":')
    _write_array(out, (_state_entry(r, r.after) for r in resources if r.after is not None))
    out.write("}},\n")
    drifted = [r for r in resources if r.before is not None and r.index % 50 == 7]
    out.write('"resource_drift":')
    _write_array(out, (_drift_entry(r) for r in drifted))
    out.write(',\n"resource_changes":')
    _write_array(out, (_change_entry(r) for r in resources))
    out.write(',\n"output_changes":')
    out.write(_encode(_output_changes()))
    out.write(',\n"prior_state":{"format_version":"1.0","terraform_version":"1.9.8","values":{"root_module":{"resources":')
    _write_array(out, (_state_entry(r, r.before) for r in resources if r.before is not None))
    out.write("}}},\n")
    out.write('"configuration":{"provider_config":{"aws":{"name":"aws"}},"root_module":{"resources":')
    _write_array(out, (_config_entry(r) for r in resources))
    out.write(',"variables":{"environment":{},"db_password":{"sensitive":true}}}},\n')
    out.write('"checks":')
    out.write(_encode(_checks()))
    out.write(',"timestamp":"2026-11-26T12:00:00Z","applyable":true,"complete":true,"errored":false}\n')


def _drift_entry(resource: _Resource) -> dict[str, Any]:
    before = resource.before or {}
    drifted = dict(before, tags=dict(before["tags"], Owner="console-edit"))
    return {
        "address": resource.address,
        **({"module_address": resource.module} if resource.module else {}),
        "mode": "managed",
        "type": resource.type,
        "name": resource.name,
        "index": resource.index,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {
            "actions": ["update"],
            "before": before,
            "after": drifted,
            "after_unknown": {},
            "before_sensitive": _sensitive_mask(before),
            "after_sensitive": _sensitive_mask(drifted),
        },
    }


def _output_changes() -> dict[str, Any]:
    return {
        "endpoint": {"actions": ["update"], "before": "old.example.com", "after": None, "after_unknown": True,
                     "before_sensitive": False, "after_sensitive": False},
        "db_password": {"actions": ["update"], "before": f"{SECRET_CANARY}-output-before",
                        "after": f"{SECRET_CANARY}-output-after", "after_unknown": False,
                        "before_sensitive": True, "after_sensitive": True},
        "bucket_names": {"actions": ["create"], "before": None, "after": ["a", "b"], "after_unknown": False,
                         "before_sensitive": False, "after_sensitive": False},
    }


def _checks() -> list[dict[str, Any]]:
    return [
        {
            "address": {"kind": "check", "name": "health", "to_display": "check.health"},
            "status": "fail",
            "instances": [
                {"address": {"to_display": "check.health"}, "status": "fail",
                 "problems": [{"message": "Health endpoint returned 503."}]}
            ],
        }
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.plan_generator", description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, required=True, help="Number of resource changes.")
    parser.add_argument("--out", type=Path, help="File to write (default: stdout).")
    parser.add_argument("--seed", type=int, default=0, help="Random seed (same seed, same file).")
    parser.add_argument("--stateful-share", type=float, default=0.1, help="Share of stateful resource types.")
    arguments = parser.parse_args(argv)
    if arguments.out is None:
        write_plan(sys.stdout, arguments.changes, seed=arguments.seed, stateful_share=arguments.stateful_share)
        return 0
    with arguments.out.open("w", encoding="utf-8") as handle:
        write_plan(handle, arguments.changes, seed=arguments.seed, stateful_share=arguments.stateful_share)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
