"""What the rules read of a plan: the resources it creates, updates or replaces, and the configuration's
expressions, so a value known only after apply can still be traced to what the configuration sets it from.

Built incrementally (`add_change` per `resource_changes` entry, `set_configuration` once), so the review's
streaming reader can feed it while it reads the file, and `toolkit plan` from the document it already holds.
Only the resources of the types some rule reads are kept, whatever the size of the plan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from toolkit.awsrules.base import Resource

# Actions that send something to AWS; a no-op or a destroy has nothing for these rules to refuse.
_SENT_ACTIONS = frozenset({"create", "update"})
_INSTANCE_KEY = re.compile(r"\[[^\]]*\]")
_OUTPUT_REFERENCE = re.compile(r"^module\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$")
_RESOURCE_REFERENCE = re.compile(r"^(aws_[A-Za-z0-9_]+)\.([A-Za-z0-9_-]+)(\[[^\]]*\])?(?:\.([A-Za-z0-9_]+))?")
# How far a reference is followed through module inputs and outputs (a cycle cannot exist, a bug could).
_MAX_DEPTH = 12

NULL = "null"
SET = "set"
ABSENT = "absent"


def module_path(module_address: str) -> tuple[str, ...]:
    """`module.audit[0].module.kms` → ("audit", "kms"): the configuration's module path, without keys."""
    if not module_address:
        return ()
    parts = _INSTANCE_KEY.sub("", module_address).split(".")
    return tuple(parts[index + 1] for index in range(0, len(parts) - 1, 2) if parts[index] == "module")


@dataclass(frozen=True)
class Traced:
    """Where a configured value comes from: the resources (module path, `type.name`, attribute) it reads,
    whether a constant or a null flows in, and whether something could not be followed (a local, a function
    of several inputs): then the value is assumed set."""

    resources: tuple[tuple[tuple[str, ...], str, str], ...] = ()
    constants: tuple[Any, ...] = ()
    opaque: tuple[str, ...] = ()

    @property
    def state(self) -> str:
        """SET when anything non-null flows in, NULL when only nulls do."""
        if self.resources or self.opaque or any(value is not None for value in self.constants):
            return SET
        return NULL


@dataclass
class _Module:
    expressions: dict[str, Any] = field(default_factory=dict)  # the call's inputs, in the caller
    variables: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)  # type.name → expressions


class PlanView:
    def __init__(self, kept_types: Iterable[str] | None = None) -> None:
        # The types rules read after the whole plan is in (cross-resource rules); None keeps every resource.
        self.kept_types = None if kept_types is None else frozenset(kept_types)
        self.resources: list[Resource] = []
        # Kept types only, unchanged by the plan: looked up by rules, never checked themselves.
        self.unchanged: list[Resource] = []
        self._modules: dict[tuple[str, ...], _Module] = {}
        self.resource_count = 0

    # -- building -------------------------------------------------------------------------------

    def add_change(self, entry: dict[str, Any]) -> Resource | None:
        """One `resource_changes` entry; returns it as a Resource when it sends something to AWS."""
        if not isinstance(entry, dict) or entry.get("mode", "managed") != "managed" or entry.get("deposed"):
            return None
        change = entry.get("change")
        if not isinstance(change, dict):
            return None
        actions = change.get("actions") or []
        actions = tuple(str(action) for action in actions) if isinstance(actions, list) else ()
        resource_type = str(entry.get("type", ""))
        after = change.get("after")
        if not isinstance(after, dict):
            return None
        before = change.get("before")
        resource = Resource(
            address=str(entry.get("address", "")), type=resource_type, name=str(entry.get("name", "")),
            module_address=str(entry.get("module_address") or ""), after=after,
            after_unknown=change.get("after_unknown", False), after_sensitive=change.get("after_sensitive", False),
            index=entry.get("index"), actions=actions,
            before=before if isinstance(before, dict) and change.get("before_sensitive") is not True else None,
        )
        kept = self.kept_types is None or resource_type in self.kept_types
        if not _SENT_ACTIONS.intersection(actions):
            # Unchanged resources send nothing, but a cross-resource rule may need them (what uses a group).
            if kept and actions == ("no-op",):
                self.unchanged.append(resource)
            return None
        self.resource_count += 1
        if kept:
            self.resources.append(resource)
        return resource

    def set_configuration(self, configuration: Any) -> None:
        """The plan's `configuration` (small: one entry per block, not per instance)."""
        self._modules = {}
        if isinstance(configuration, dict):
            self._index_module((), configuration.get("root_module") or {}, {})

    def _index_module(self, path: tuple[str, ...], module: dict[str, Any], call_expressions: dict[str, Any]) -> None:
        if not isinstance(module, dict):
            return
        entry = _Module(expressions=call_expressions if isinstance(call_expressions, dict) else {},
                        variables=module.get("variables") or {}, outputs=module.get("outputs") or {})
        for resource in module.get("resources") or []:
            if isinstance(resource, dict) and resource.get("mode", "managed") == "managed":
                entry.resources[f"{resource.get('type')}.{resource.get('name')}"] = resource.get("expressions") or {}
        self._modules[path] = entry
        for name, call in (module.get("module_calls") or {}).items():
            if isinstance(call, dict):
                self._index_module((*path, name), call.get("module") or {}, call.get("expressions") or {})

    # -- reading --------------------------------------------------------------------------------

    def of_type(self, *types: str, unchanged: bool = False) -> list[Resource]:
        """The changed resources of these types (and, with `unchanged`, the ones the plan leaves as they are)."""
        pool = self.resources + self.unchanged if unchanged else self.resources
        return [resource for resource in pool if resource.type in types]

    def expression(self, resource: Resource, attribute: str) -> Any:
        """The configuration's expression for a top-level argument of the resource, or None when not written."""
        module = self._modules.get(module_path(resource.module_address))
        if module is None:
            return None
        return (module.resources.get(resource.config_address) or {}).get(attribute)

    def has_configuration(self) -> bool:
        return bool(self._modules)

    def configured(self, resource: Resource, attribute: str) -> str:
        """ABSENT (not written), NULL (written, only nulls flow in) or SET (a value, maybe known only after apply)."""
        expression = self.expression(resource, attribute)
        if expression is None:
            return ABSENT
        return self.trace(expression, module_path(resource.module_address)).state

    def trace(self, expression: Any, path: tuple[str, ...], depth: int = 0) -> Traced:
        """Follow an expression through module inputs and outputs to constants and resource attributes."""
        if not isinstance(expression, dict) or depth > _MAX_DEPTH:
            return Traced(opaque=("?",))
        if "constant_value" in expression:
            return Traced(constants=(expression["constant_value"],))
        references = expression.get("references")
        if not isinstance(references, list) or not references:
            # A function of nothing known (e.g. a literal list of objects): assume it is set.
            return Traced(opaque=("expression",))
        resources: list[tuple[tuple[str, ...], str, str]] = []
        constants: list[Any] = []
        opaque: list[str] = []
        for reference in _most_specific(references):
            traced = self._trace_reference(reference, path, depth)
            resources.extend(traced.resources)
            constants.extend(traced.constants)
            opaque.extend(traced.opaque)
        return Traced(tuple(resources), tuple(constants), tuple(opaque))

    def _trace_reference(self, reference: str, path: tuple[str, ...], depth: int) -> Traced:
        module = self._modules.get(path)
        if reference.startswith("var."):
            name = reference[4:].split(".")[0].split("[")[0]
            if module is None:
                return Traced(opaque=(reference,))
            if name in module.expressions:
                return self.trace(module.expressions[name], path[:-1], depth + 1)
            declared = module.variables.get(name)
            if path == ():
                # Root variables come from tfvars: their values are in the plan's `variables`, not traced here.
                return Traced(opaque=(reference,))
            default = declared.get("default") if isinstance(declared, dict) else None
            return Traced(constants=(default,))
        matched = _OUTPUT_REFERENCE.match(reference)
        if matched:
            child = self._modules.get((*path, matched.group(1)))
            output = (child.outputs.get(matched.group(2)) if child else None) or {}
            if isinstance(output, dict) and isinstance(output.get("expression"), dict):
                return self.trace(output["expression"], (*path, matched.group(1)), depth + 1)
            return Traced(opaque=(reference,))
        matched = _RESOURCE_REFERENCE.match(reference)
        if matched:
            return Traced(resources=((path, f"{matched.group(1)}.{matched.group(2)}", matched.group(4) or ""),))
        return Traced(opaque=(reference,))

    def resources_at(self, path: tuple[str, ...], config_address: str) -> list[Resource]:
        """Every planned instance of one configuration block (`aws_sns_topic.this` in module path `path`)."""
        return [resource for resource in self.resources
                if resource.config_address == config_address and module_path(resource.module_address) == path]


def _most_specific(references: list[Any]) -> list[str]:
    """Terraform lists `a.b[0].arn`, `a.b[0]` and `a.b` for one reference: keep the longest of each family."""
    texts = [reference for reference in references if isinstance(reference, str)]
    return [reference for reference in texts
            if not any(other != reference and other.startswith(reference) and other[len(reference)] in ".["
                       for other in texts)]
