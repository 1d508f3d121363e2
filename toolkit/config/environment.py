"""Load one environment: envs/defaults.yaml merged with envs/NAME.yaml, validated against the schema."""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from toolkit.config.model import TOOLKIT_KEYS, TOOLKIT_SUBKEYS, RuleViolation, Settings
from toolkit.config.sources import environment_files, read_merged
from toolkit.config.yaml_source import KeyPath, Location, SourcedDocument
from toolkit.emulator_server import find_running_emulator
from toolkit.errors import ConfigError
from toolkit.project import Project


@dataclass(frozen=True)
class EnvironmentConfig:
    """A validated environment: its name, merged values and typed settings."""

    name: str
    settings: Settings
    values: dict[str, Any]
    files: tuple[Path, ...]

    @property
    def protected(self) -> bool:
        return self.settings.protected

    def missing_endpoint_variable(self) -> str | None:
        """The emulator endpoint variable this environment needs but the shell does not set, if any.

        `--all` commands skip such emulator-only environments (the sandbox) instead of failing.
        """
        variable = self.settings.backend.endpoint_from_env
        return variable if variable and not os.environ.get(variable) else None

    def terraform_variables(self) -> dict[str, Any]:
        """The root-module inputs: every validated top-level key except the toolkit's own settings."""
        ordered = _ordered(self.settings)
        variables = {"environment": self.name}
        variables.update((key, value) for key, value in ordered.items() if key not in TOOLKIT_KEYS)
        for key, own in TOOLKIT_SUBKEYS.items():
            if isinstance(variables.get(key), dict):
                variables[key] = {name: value for name, value in variables[key].items() if name not in own}
        return variables


def _ordered(value: Any) -> Any:
    """Models keep their declared field order; free-form maps are sorted, so renders are stable."""
    if isinstance(value, BaseModel):
        return {name: _ordered(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, dict):
        return {key: _ordered(value[key]) for key in sorted(value)}
    if isinstance(value, list | tuple):
        return [_ordered(item) for item in value]
    return value


def load_environment(project: Project, name: str) -> EnvironmentConfig:
    """Load, merge and validate; every problem is reported with file, line, key, value and what is allowed."""
    defaults_file, env_file = environment_files(project, name)
    merged = read_merged(project, name)
    settings = _validate(merged, env_file, project)
    if settings.emulator is not None:
        find_running_emulator(project, settings.emulator.endpoint_from_env)
    return EnvironmentConfig(name, settings, merged.data, (defaults_file, env_file))


def _validate(document: SourcedDocument, env_file: Path, project: Project) -> Settings:
    try:
        return Settings.model_validate(document.data)
    except ValidationError as error:
        messages = [_describe(item, document, env_file, project) for item in _merge_union_errors(error.errors())]
        unique = list(dict.fromkeys(messages))
        header = f"{project.display(env_file)}: {len(unique)} problem{'s' if len(unique) > 1 else ''}"
        raise ConfigError(header + "\n  " + "\n  ".join(unique)) from None


_UNION_MEMBERS = {"str": "a string", "int": "an integer", "float": "a number", "bool": "a boolean"}


def _merge_union_errors(errors: list[Any]) -> list[Any]:
    """A value failing every member of `str | int | float` gives one message, not one per member."""
    merged: list[Any] = []
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for item in errors:
        loc = tuple(item["loc"])
        if loc and loc[-1] in _UNION_MEMBERS:
            key = loc[:-1]
            if key in seen:
                seen[key]["members"].append(_UNION_MEMBERS[loc[-1]])
                continue
            entry = {**item, "loc": key, "members": [_UNION_MEMBERS[loc[-1]]]}
            seen[key] = entry
            merged.append(entry)
        else:
            merged.append(item)
    for entry in seen.values():
        members = entry.pop("members")
        allowed = members[0] if len(members) == 1 else ", ".join(members[:-1]) + " or " + members[-1]
        entry.update(type="union", msg=f"Input should be {allowed}")
    return merged


def _describe(item: dict[str, Any], document: SourcedDocument, env_file: Path, project: Project) -> str:
    path: KeyPath = tuple(item["loc"])
    message = item["msg"]
    violation = item.get("ctx", {}).get("error")
    if isinstance(violation, RuleViolation):
        path = (*path, *violation.path)
        message = str(violation)
    elif message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    if path and path[-1] == "[key]":
        path = path[:-1]
        message = f"invalid name: {message}"
    if item["type"] == "extra_forbidden":
        message = "unknown key" + _did_you_mean(path)
    value = _value_at(document.data, path)
    location = _nearest_location(document, path, env_file)
    key = ".".join(str(part) for part in path) or "(top level)"
    shown = f" = {value!r}" if value is not _MISSING and not isinstance(value, dict | list) else ""
    if shown and _holds_secret(path, value):
        shown = " = (value hidden)"
    return f"{project.display(location.file)}:{location.line}: {key}{shown}: {message}"


_MISSING = object()


def _holds_secret(path: KeyPath, value: Any) -> bool:
    """A refused or masked value is never printed: a secret-named key, or a secret-shaped value."""
    from toolkit.secrets import is_secret_name, looks_like_secret

    return any(isinstance(part, str) and is_secret_name(part) for part in path) or (
        isinstance(value, str) and looks_like_secret(value))


def _value_at(data: Any, path: KeyPath) -> Any:
    for part in path:
        in_mapping = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and part < len(data)
        if in_mapping or in_list:
            data = data[part]
        else:
            return _MISSING
    return data


def _nearest_location(document: SourcedDocument, path: KeyPath, env_file: Path) -> Location:
    for length in range(len(path), 0, -1):
        if path[:length] in document.locations:
            return document.locations[path[:length]]
    return Location(env_file, 1)


# The modules' former names of envs keys (issue 26: one name per input from envs/ to the module): a key copied from
# an older module README or example names the key to write instead.
FORMER_MODULE_NAMES: dict[tuple[str, str], str] = {
    ("database", "allocated_storage"): "database.allocated_storage_gb",
    ("database", "max_allocated_storage"): "database.max_allocated_storage_gb",
    ("database", "read_replica_count"): "database.read_replicas",
    ("database", "serverless_min_capacity"): "database.serverless_min_acu",
    ("database", "serverless_max_capacity"): "database.serverless_max_acu",
    ("database", "backup_retention_period"): "database.backup_retention_days",
    ("database", "performance_insights_enabled"): "database.performance_insights",
    ("database", "monitoring_interval"): "database.enhanced_monitoring_interval_seconds",
    ("cache", "cluster_mode_enabled"): "cache.cluster_mode",
    ("cache", "num_node_groups"): "cache.shards",
    ("cache", "replicas_per_node_group"): "cache.replicas_per_shard",
    ("network", "availability_zone_count"): "network.availability_zones",
    ("network", "flow_log_retention_days"): "monitoring.log_retention_days",
    ("compute", "min_capacity"): "compute.min_tasks",
    ("compute", "max_capacity"): "compute.max_tasks",
    ("compute", "enable_autoscaling"): "compute.autoscaling",
    ("compute", "memory"): "compute.memory_mib",
    ("monitoring", "min_running_tasks"): "compute.min_tasks",
}


def _did_you_mean(path: KeyPath) -> str:
    """Suggest the closest allowed key at the same level, and list what is allowed."""
    if len(path) == 2 and (former := FORMER_MODULE_NAMES.get((str(path[0]), str(path[1])))) is not None:
        return (f": the modules' former name of {former} (one name from envs/ to the module now); write "
                f"{former}")
    model: type[BaseModel] | None = Settings
    for part in path[:-1]:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            model = None
            break
        annotation = model.model_fields[part].annotation
        model = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    if model is None:
        return ""
    allowed = sorted(model.model_fields)
    close = difflib.get_close_matches(str(path[-1]), allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{hint}; allowed: {', '.join(allowed)}"
