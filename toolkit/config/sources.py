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

ENVIRONMENT_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
ALWAYS_PROTECTED = frozenset({"prod"})
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
    merged = deep_merge(load_sourced(defaults_file, project.display(defaults_file)),
                        load_sourced(env_file, project.display(env_file)))
    if name in ALWAYS_PROTECTED:
        if merged.data.get("protected") is False:
            location = merged.locations.get(("protected",), Location(env_file, 1))
            raise ConfigError(f"{project.display(location.file)}:{location.line}: protected: false is not allowed: "
                              f"{name} is always protected")
        merged.data["protected"] = True
    return merged


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
