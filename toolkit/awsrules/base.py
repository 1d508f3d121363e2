"""The vocabulary of the AWS apply-time rules: a rule, its finding, and the planned resource it reads.

A rule checks what Terraform will send to AWS (the plan's `after` values, after evaluation: merged tags in
`tags_all`, computed names) against a limit that only AWS's API enforces. Unknown values (known after apply) and
values the plan marks sensitive are never guessed at: a rule that cannot see a value says nothing about it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

ERROR = "error"
WARNING = "warning"


class _Unknown:
    """A value Terraform knows only after apply, or one the plan hides as sensitive."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Any = _Unknown()


@dataclass(frozen=True)
class Source:
    """Where a rule comes from: an AWS document or API reference (and the botocore shape, when it is a limit)."""

    title: str
    url: str
    shape: str = ""


@dataclass(frozen=True)
class RuleFinding:
    rule_id: str
    address: str
    message: str
    severity: str = ERROR
    # Filled in by the waiver file (toolkit.awsrules.waivers): the reason this finding does not fail the plan.
    waived_because: str = ""

    @property
    def blocking(self) -> bool:
        return self.severity == ERROR and not self.waived_because

    def text(self) -> str:
        marker = "warning: " if self.severity == WARNING else ""
        waived = f" (waived: {self.waived_because})" if self.waived_because else ""
        return f"{self.address}: {marker}[{self.rule_id}] {self.message}{waived}"

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule_id, "address": self.address, "severity": self.severity, "message": self.message,
                "waived": bool(self.waived_because), "waiver_reason": self.waived_because or None}


@dataclass
class Resource:
    """One managed resource the plan creates, updates or replaces, with its planned values."""

    address: str
    type: str
    name: str
    module_address: str
    after: dict[str, Any]
    after_unknown: Any = False
    after_sensitive: Any = False
    index: Any = None
    actions: tuple[str, ...] = ("create",)
    # The prior values of an update or a replacement (None for a create); sensitive ones are left out.
    before: dict[str, Any] | None = None

    def before_value(self, attribute: str) -> Any:
        return self.before.get(attribute) if isinstance(self.before, dict) else None

    @property
    def replaced_destroy_first(self) -> bool:
        return self.actions == ("delete", "create")

    @property
    def replaced_create_first(self) -> bool:
        return self.actions == ("create", "delete")

    @property
    def config_address(self) -> str:
        """`aws_db_instance.replica`: the address in its module's configuration, without instance keys."""
        return f"{self.type}.{self.name}"

    def get(self, *path: str | int) -> Any:
        """The planned value at `path`; UNKNOWN when known only after apply or sensitive; None when null/absent."""
        value: Any = self.after
        unknown: Any = self.after_unknown
        sensitive: Any = self.after_sensitive
        for step in path:
            unknown = _child(unknown, step)
            sensitive = _child(sensitive, step)
            if unknown is True or sensitive is True:
                return UNKNOWN
            if isinstance(value, dict):
                value = value.get(step) if isinstance(step, str) else None
            elif isinstance(value, list) and isinstance(step, int):
                value = value[step] if -len(value) <= step < len(value) else None
            else:
                return None
            if value is None:
                return None
        if _contains_true(sensitive):
            return _masked(value, sensitive)
        return value

    def blocks(self, *path: str | int) -> list[dict[str, Any]]:
        """The nested blocks at `path` (a list of objects), each known one; unknown blocks are left out."""
        value = self.get(*path)
        if not isinstance(value, list):
            return []
        return [item for item in value if isinstance(item, dict)]


def _child(mask: Any, key: Any) -> Any:
    if key is None:
        return mask
    if isinstance(mask, dict):
        return mask.get(key, False)
    if isinstance(mask, list) and isinstance(key, int) and -len(mask) <= key < len(mask):
        return mask[key]
    return False


def _contains_true(mask: Any) -> bool:
    if mask is True:
        return True
    if isinstance(mask, dict):
        return any(_contains_true(item) for item in mask.values())
    if isinstance(mask, list):
        return any(_contains_true(item) for item in mask)
    return False


def _masked(value: Any, sensitive: Any) -> Any:
    """A copy with the sensitive parts replaced by UNKNOWN: rules never read (nor print) them."""
    if sensitive is True:
        return UNKNOWN
    if isinstance(value, dict):
        return {key: _masked(item, _child(sensitive, key)) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item, _child(sensitive, index)) for index, item in enumerate(value)]
    return value


@dataclass(frozen=True)
class Problem:
    """What a check found on one resource; the engine adds the rule id and the address."""

    message: str
    severity: str = ERROR


# The second argument is the plan's toolkit.awsrules.plan_view.PlanView (which imports this module, so it is
# not named here: no import circle).
Check = Callable[["Resource", Any], Iterator[Problem]]


@dataclass(frozen=True)
class Rule:
    """One apply-time rule: an id, the resource types it reads, its source, and the check."""

    id: str
    title: str
    resource_types: tuple[str, ...]
    sources: tuple[Source, ...]
    check: Check = field(compare=False)
    # "*" in resource_types: every AWS resource type (the tag rules).
    # Deferred rules run once the whole plan and its configuration are read (they follow references).
    deferred: bool = False
    # Other types a deferred rule looks up (the SNS topics an ElastiCache group notifies).
    reads_types: tuple[str, ...] = ()

    def applies_to(self, resource_type: str) -> bool:
        # "*": every AWS type (other providers' `tags` mean something else, e.g. Datadog's list of strings).
        return ("*" in self.resource_types and resource_type.startswith("aws_")) or resource_type in self.resource_types
