"""`toolkit cost ENV --set KEY=VALUE …`: what the environment would cost with other values.

The values are set into the environment's merged configuration and validated exactly like the files
(an unknown key or a wrong type is refused, naming the key and what is allowed); the variant is rendered
into its own folder, planned offline (the real root, the stub provider) and priced; the report is the
difference from the environment as it is (its newest offline plan, made first when there is none).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from toolkit.config.environment import EnvironmentConfig
from toolkit.config.model import Settings
from toolkit.errors import ToolkitError, UsageError
from toolkit.project import Project

# Keys that say how the toolkit reaches the environment, not what it runs: nothing to price.
_NOT_SETTABLE = frozenset({"terraform", "backend", "migrations", "protected", "allow_auto_apply", "project",
                           "emulator"})
_MAX_VALUE_CHARS = 4096
_MAX_SETS = 50


@dataclass(frozen=True)
class Assignment:
    key: str
    path: tuple[str, ...]
    value: Any

    @property
    def shown(self) -> str:
        from toolkit.secrets import is_secret_name, looks_like_secret

        # A value set under a secret-named key, or shaped like a secret, is never echoed back.
        secret = any(is_secret_name(part) for part in self.path) or (
            isinstance(self.value, str) and looks_like_secret(self.value))
        return f"{self.key}=(value hidden)" if secret else f"{self.key}={_short(self.value)}"


def _short(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    text = text.removesuffix("\n...").strip()
    return text if len(text) <= 60 else text[:57] + "…"


def parse_assignments(items: list[str]) -> list[Assignment]:
    """KEY=VALUE items, the value read as YAML (15 is a number, true a boolean, {low: 1, high: 2} a mapping)."""
    if len(items) > _MAX_SETS:
        raise UsageError(f"--set: at most {_MAX_SETS} values at once (got {len(items)})")
    found: list[Assignment] = []
    seen: set[str] = set()
    for item in items:
        key, separator, text = item.partition("=")
        key = key.strip()
        if not separator or not key:
            raise UsageError(f"--set {item!r}: expected KEY=VALUE, such as compute.max_tasks=15")
        if len(text) > _MAX_VALUE_CHARS:
            raise UsageError(f"--set {key}: the value is longer than {_MAX_VALUE_CHARS} characters")
        parts = tuple(key.split("."))
        if any(not part for part in parts):
            raise UsageError(f"--set {key}: an empty key part (write section.key, such as cache.node_type)")
        if key in seen:
            raise UsageError(f"--set {key}: given twice")
        seen.add(key)
        try:
            value = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError as error:
            raise UsageError(f"--set {key}: the value is not valid YAML ({getattr(error, 'problem', error)})") from None
        if isinstance(value, float) and value != value:
            raise UsageError(f"--set {key}: NaN is not a value")
        _check_path(key, parts)
        found.append(Assignment(key, parts, value))
    return found


def _check_path(key: str, parts: tuple[str, ...]) -> None:
    """The key names a setting of the schema (free-form maps accept any name; the schema checks it)."""
    if parts[0] in _NOT_SETTABLE:
        raise UsageError(f"--set {key}: {parts[0]} says how the toolkit reaches the environment, not what it "
                         "runs; it has no cost to compare")
    model: type[BaseModel] | None = Settings
    for depth, part in enumerate(parts):
        if model is None:
            return  # inside a free-form map or a list: the schema validation names what is wrong
        fields = model.model_fields
        if part not in fields:
            where = ".".join(parts[:depth]) or "the top level"
            allowed = sorted(name for name in fields if depth or name not in _NOT_SETTABLE)
            raise UsageError(f"--set {key}: unknown key {part!r} under {where}; allowed: {', '.join(allowed)}")
        annotation = fields[part].annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        elif depth < len(parts) - 1 and not _is_mapping(annotation):
            raise UsageError(f"--set {key}: {'.'.join(parts[:depth + 1])} is a single value, it has no keys")
        else:
            model = _model_inside(annotation)


def _is_mapping(annotation: Any) -> bool:
    return getattr(annotation, "__origin__", None) is dict or _model_inside(annotation) is not None


def _model_inside(annotation: Any) -> type[BaseModel] | None:
    """The model of an optional sub-section (`IncreaseGate | None`), else None."""
    for member in getattr(annotation, "__args__", ()):
        if isinstance(member, type) and issubclass(member, BaseModel):
            return member
    return None


def apply_assignments(project: Project, environment: str, assignments: list[Assignment]) -> EnvironmentConfig:
    """The environment's configuration with the values set, validated like the files."""
    from toolkit.config.environment import _describe, _merge_union_errors
    from toolkit.config.sources import environment_files, read_merged
    from toolkit.config.yaml_source import Location
    from toolkit.errors import ConfigError

    defaults_file, env_file = environment_files(project, environment)
    merged = read_merged(project, environment)
    marker = project.root / "--set"
    for number, assignment in enumerate(assignments, start=1):
        target = merged.data
        for part in assignment.path[:-1]:
            child = target.get(part)
            if child is None:
                child = target[part] = {}
            if not isinstance(child, dict):
                raise UsageError(f"--set {assignment.key}: {part} is not a section in envs/{environment}.yaml")
            target = child
        target[assignment.path[-1]] = assignment.value
        merged.locations[assignment.path] = Location(marker, number)
    try:
        settings = Settings.model_validate(merged.data)
    except ValidationError as error:
        messages = [_describe(item, merged, env_file, project) for item in _merge_union_errors(error.errors())]
        shown = [_from_set(message, assignments) for message in dict.fromkeys(messages)]
        raise ConfigError(f"--set: {environment} with {', '.join(a.shown for a in assignments)} is not valid:\n  "
                          + "\n  ".join(shown)) from None
    return EnvironmentConfig(environment, settings, merged.data, (defaults_file, env_file))


def _from_set(message: str, assignments: list[Assignment]) -> str:
    for number in range(1, len(assignments) + 1):
        prefix = f"--set:{number}: "
        if message.startswith(prefix):
            return "--set " + message.removeprefix(prefix)
    return message


@dataclass
class WhatIf:
    """The environment as it is and with the values set, both priced from offline plans."""

    environment: str
    assignments: list[Assignment]
    base: Any  # CostReport
    variant: Any  # CostReport

    @property
    def difference(self) -> tuple[float, float]:
        return self.variant.planned_low - self.base.planned_low, self.variant.planned_high - self.base.planned_high

    def changed(self) -> list[tuple[str, float, float, float, float]]:
        """(address, base low, base high, variant low, variant high) of every resource whose cost moves."""
        def totals(report: Any) -> dict[str, tuple[float, float]]:
            return {cost.address: (cost.planned.low, cost.planned.high) for cost in report.resources
                    if cost.planned is not None}

        base, variant = totals(self.base), totals(self.variant)
        rows = []
        for address in sorted(set(base) | set(variant)):
            before, after = base.get(address, (0.0, 0.0)), variant.get(address, (0.0, 0.0))
            if abs(before[0] - after[0]) >= 0.005 or abs(before[1] - after[1]) >= 0.005:
                rows.append((address, *before, *after))
        rows.sort(key=lambda row: -max(abs(row[3] - row[1]), abs(row[4] - row[2])))
        return rows


def what_if(environment: str, items: list[str], *, region: str | None = None, progress: Any = None) -> WhatIf:
    """Plan and price the environment with `items` set, and as it is."""
    from toolkit.config import load_environment
    from toolkit.cost.estimate import CostCollector
    from toolkit.cost.service import build_report, default_price_book, facts_of
    from toolkit.engine.offline import plan_offline
    from toolkit.plans.locate import locate_plan
    from toolkit.plans.reader import read_plan, without_garbage_collection
    from toolkit.plans.saved import WHAT_IF_FOLDER

    assignments = parse_assignments(items)
    project = Project.discover()
    variant_config = apply_assignments(project, environment, assignments)
    base_config = load_environment(project, environment)
    book = default_price_book()
    # Before any plan runs: a region the snapshot cannot price is refused now, not after two plans.
    book.check_region(region or variant_config.settings.aws_region)
    try:
        base_path = locate_plan(environment, offline=True).path
    except ToolkitError:
        base_path = None  # no offline plan yet: the environment as it is is planned first
    if base_path is None or not base_path.is_file():
        base_path = plan_offline(project, environment, progress=progress).saved.plan_json
    variant_path = plan_offline(project, environment, progress=progress, config=variant_config,
                               folder=WHAT_IF_FOLDER).saved.plan_json

    def priced(path: Any, config: EnvironmentConfig, source: str) -> Any:
        collector = CostCollector()
        with without_garbage_collection():
            plan = read_plan(path, on_entry=collector)
        try:
            return build_report(plan, collector, environment, region=region, book=book,
                                facts=facts_of(config.settings, source))
        finally:
            plan.close()

    base = priced(base_path, base_config, f"envs/{environment}.yaml")
    variant = priced(variant_path, variant_config, f"envs/{environment}.yaml with --set")
    return WhatIf(environment, assignments, base, variant)
