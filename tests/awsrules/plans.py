"""Synthetic plan JSON for the rule tests: one resource change (or a few) in the shape `terraform show -json`
writes, with a configuration section when a rule follows references."""

from __future__ import annotations

from typing import Any


def change(address: str, after: dict[str, Any], *, unknown: dict[str, Any] | None = None,
           sensitive: dict[str, Any] | None = None, actions: tuple[str, ...] = ("create",),
           module: str = "") -> dict[str, Any]:
    local = address[len(module) + 1:] if module else address
    resource_type, name = local.split(".")[0], local.split(".")[1].split("[")[0]
    entry: dict[str, Any] = {
        "address": address, "mode": "managed", "type": resource_type, "name": name,
        "change": {"actions": list(actions), "before": None, "after": after,
                   "after_unknown": unknown or {}, "after_sensitive": sensitive or {}},
    }
    if module:
        entry["module_address"] = module
    return entry


def plan(*changes: dict[str, Any], configuration: dict[str, Any] | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {"format_version": "1.2", "resource_changes": list(changes)}
    if configuration is not None:
        document["configuration"] = configuration
    return document
