"""Find and merge an environment's files without the schema: envs/defaults.yaml under envs/NAME.yaml.

`toolkit.config.environment` validates the merged values against the pydantic schema. The rollback runbook
only needs an environment's name, protection and region to start, and a responder at 3 a.m. should not
wait for the schema to import: it reads `EnvironmentFacts` here, and validates in full only when a step
needs more (terraform-state's backend, full's root module).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.config.regions import region_problem
from toolkit.config.yaml_source import Location, SourcedDocument, deep_merge, load_sourced
from toolkit.errors import ConfigError
from toolkit.project import Project

ENVIRONMENT_NAME = re.compile(r"[a-z][a-z0-9-]{0,30}\Z")
ALWAYS_PROTECTED = frozenset({"prod"})
# The environments of real AWS accounts: emulator settings (endpoints, test credentials) never reach them.
REAL_ACCOUNT_ENVIRONMENTS = frozenset({"dev", "staging", "prod"})
EMULATOR_ONLY_KEYS = (("emulator",), ("backend", "endpoint_from_env"))
DEFAULTS_FILE = "defaults.yaml"


def list_environments(project: Project) -> list[str]:
    """Environment names, one per envs/*.yaml except the defaults, sorted."""
    if not project.envs_dir.is_dir():
        raise ConfigError(f"{project.envs_dir}: folder not found")
    return sorted(p.stem for p in project.envs_dir.glob("*.yaml") if p.name != DEFAULTS_FILE)


def environment_files(project: Project, name: str) -> tuple[Path, Path]:
    """(defaults file, environment file); an unknown name is an error with a did-you-mean."""
    known = list_environments(project)
    if not ENVIRONMENT_NAME.match(name) or name not in known:
        hint = difflib.get_close_matches(name, known, n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise ConfigError(f"unknown environment {name!r}{suggestion}: choose one of {', '.join(known)} "
                          f"(files in {project.display(project.envs_dir)}/)")
    return project.envs_dir / DEFAULTS_FILE, project.envs_dir / f"{name}.yaml"


def read_merged(project: Project, name: str) -> SourcedDocument:
    """The environment over the defaults, with every key's file and line; prod is always protected."""
    defaults_file, env_file = environment_files(project, name)
    defaults = load_sourced(defaults_file, project.display(defaults_file))
    _refuse_emulator_settings_in_defaults(project, defaults)
    merged = deep_merge(defaults, load_sourced(env_file, project.display(env_file)))
    if name in ALWAYS_PROTECTED:
        if merged.data.get("protected") is False:
            location = merged.locations.get(("protected",), Location(env_file, 1))
            raise ConfigError(f"{project.display(location.file)}:{location.line}: protected: false is not allowed: "
                              f"{name} is always protected")
        merged.data["protected"] = True
    _refuse_emulator_settings_in_real_accounts(project, name, merged)
    _switch_off_emulator_features(project, merged)
    return merged


def _has_path(data: Any, path: tuple[str, ...]) -> bool:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return False
        data = data[part]
    return True


def _refuse_emulator_settings_in_defaults(project: Project, defaults: SourcedDocument) -> None:
    for path in EMULATOR_ONLY_KEYS:
        # The data decides (a merge key or alias must not hide one); the recorded location says where.
        location = defaults.locations.get(path) or (
            defaults.locations.get(path[:1], Location(Path(DEFAULTS_FILE), 1)) if _has_path(defaults.data, path)
            else None)
        if location is not None:
            raise ConfigError(f"{project.display(location.file)}:{location.line}: {'.'.join(path)}: emulator settings "
                              f"are not allowed in {DEFAULTS_FILE} (every environment reads it): put them in the "
                              "emulator environment's own file, e.g. envs/local.yaml")


def _refuse_emulator_settings_in_real_accounts(project: Project, name: str, merged: SourcedDocument) -> None:
    """Emulator-only keys (endpoints, test credentials) never reach an environment of a real AWS account."""
    if name not in REAL_ACCOUNT_ENVIRONMENTS and merged.data.get("protected") is not True:
        return
    # backend.endpoint_from_env alone only moves the state to an endpoint on this machine (render refuses any
    # other; the tests of protected environments use it on the emulator), and a protected environment is held to
    # the AWS rules all the same: the emulator section is what points the providers at an emulator.
    for path in (("emulator",),):
        location = merged.locations.get(path) or (Location(Path(f"envs/{name}.yaml"), 1)
                                                  if _has_path(merged.data, path) else None)
        if location is not None:
            raise ConfigError(f"{project.display(location.file)}:{location.line}: {'.'.join(path)}: emulator "
                              f"settings are not allowed in {name}, an environment of a real AWS account (or a "
                              "protected one): they point AWS calls at a local emulator with test credentials")


def _switch_off_emulator_features(project: Project, merged: SourcedDocument) -> None:
    """`emulator.features_off: {backup.enabled: reason}` sets each named setting to false, before validation."""
    emulator = merged.data.get("emulator")
    features = emulator.get("features_off") if isinstance(emulator, dict) else None
    if not isinstance(features, dict):
        return
    from toolkit.config.model import feature_switch_problem  # only emulator environments pay for the schema

    for dotted in features:
        if not isinstance(dotted, str) or not dotted:
            continue  # the schema reports it
        problem = feature_switch_problem(dotted)
        if problem is not None:
            location = merged.locations.get(("emulator", "features_off", dotted)) or merged.locations.get(
                ("emulator", "features_off"), Location(Path("envs"), 0))
            raise ConfigError(f"{project.display(location.file)}:{location.line}: emulator.features_off.{dotted}: "
                              f"{problem}")
        *parents, leaf = dotted.split(".")
        target = merged.data
        for part in parents:
            target = target.setdefault(part, {}) if isinstance(target, dict) else None
            if not isinstance(target, dict):
                break
        if isinstance(target, dict):
            target[leaf] = False
            origin = merged.locations.get(("emulator", "features_off", dotted))
            if origin is not None:
                merged.locations[tuple(dotted.split("."))] = origin


@dataclass(frozen=True)
class EnvironmentFacts:
    """What a rollback needs to start: the name, whether it is protected, and its region."""

    name: str
    protected: bool
    aws_region: str
    values: dict[str, Any]


def read_facts(project: Project, name: str) -> EnvironmentFacts:
    merged = read_merged(project, name)
    _, env_file = environment_files(project, name)
    problems = []
    region = merged.data.get("aws_region")
    protected = merged.data.get("protected", False)
    for key, value, wanted in (("aws_region", region, str), ("protected", protected, bool)):
        if not isinstance(value, wanted):
            location = merged.locations.get((key,), Location(env_file, 1))
            problems.append(f"{project.display(location.file)}:{location.line}: {key} = {value!r}: "
                            f"{'required: a region such as sa-east-1' if value is None else 'wrong type'}")
    if isinstance(region, str) and (unknown := region_problem(region)):
        location = merged.locations.get(("aws_region",), Location(env_file, 1))
        problems.append(f"{project.display(location.file)}:{location.line}: aws_region = {region!r}: {unknown}")
    if problems:
        raise ConfigError("; ".join(problems))
    return EnvironmentFacts(name, protected, region, merged.data)
