"""Remove sensitive values from a `terraform show -json` document before it is written to plan.json.

Terraform puts sensitive values in clear text into the JSON and marks them beside it
(`after_sensitive`, `sensitive_values`, `"sensitive": true` on variables and outputs). plan.json is
read by reviewers and CI, so every marked value is replaced by REDACTED; the binary plan file, which
terraform needs to apply, keeps the real values (its folder is private to the user).
"""

from __future__ import annotations

from typing import Any

from toolkit.secrets import MASK, mask_value

REDACTED = MASK


def redact_plan(plan: dict[str, Any]) -> dict[str, Any]:
    """The same document with every value terraform marks as sensitive replaced (in place, returned)."""
    sensitive_variables = {
        name for name, declaration in plan.get("configuration", {}).get("root_module", {}).get("variables", {}).items()
        if declaration.get("sensitive")
    }
    for name in sensitive_variables:
        if name in plan.get("variables", {}):
            plan["variables"][name]["value"] = REDACTED
        declaration = plan["configuration"]["root_module"]["variables"][name]
        if "default" in declaration:
            declaration["default"] = REDACTED
    for section in ("resource_changes", "resource_drift"):
        for change in plan.get(section, []):
            _redact_change(change.get("change", {}))
    for change in plan.get("output_changes", {}).values():
        _redact_change(change)
    # planned_values holds root_module/outputs directly; prior_state holds them under "values".
    for values in (plan.get("planned_values", {}), plan.get("prior_state", {}).get("values", {})):
        _redact_module(values.get("root_module", {}))
        for output in values.get("outputs", {}).values():
            if output.get("sensitive"):
                output["value"] = REDACTED
    # Then the values that are secrets whatever the provider says: URLs with passwords, PEM blocks, AWS keys.
    return mask_value(plan)


def _redact_change(change: dict[str, Any]) -> None:
    for side in ("before", "after"):
        if side in change:
            change[side] = masked(change[side], change.get(f"{side}_sensitive", False))


def _redact_module(module: dict[str, Any]) -> None:
    for resource in module.get("resources", []):
        if "values" in resource:
            resource["values"] = masked(resource["values"], resource.get("sensitive_values", {}))
    for child in module.get("child_modules", []):
        _redact_module(child)


def masked(value: Any, mask: Any) -> Any:
    """`value` with the parts where `mask` is true replaced (mask mirrors value's shape, or is a bool)."""
    if mask is True:
        return REDACTED if value is not None else None
    if isinstance(value, dict) and isinstance(mask, dict):
        return {key: masked(item, mask.get(key, False)) for key, item in value.items()}
    if isinstance(value, list) and isinstance(mask, list):
        return [masked(item, mask[index] if index < len(mask) else False) for index, item in enumerate(value)]
    return value
