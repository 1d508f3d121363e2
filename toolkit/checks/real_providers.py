"""The real AWS provider 6 and random provider (built by `make setup` from the Go module proxy) for
`toolkit check --validate`: `terraform validate` then runs the provider's own validators (conflicting
arguments, enum values, exactly-one-of), which the schema stub cannot.

Validate needs no credentials and calls no API, so the real provider is safe here. It is served from a
mirror of its own under `.toolkit/real-providers/` (links to the cached builds) with a CLI config that
installs from that mirror only. `$TOOLKIT_VALIDATE_PROVIDERS` picks: `auto` (the default: real when both
builds are present and intact, else the stub), `real` (an error when they are not) or `stub` (the schema stub
only, ~4x faster: for a quick offline loop).
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import ConfigError, ToolkitError
from toolkit.go_builds import GoBuild, go_build
from toolkit.stub_mirror import StubMirror, prepare_mirror

CHOICE_VARIABLE = "TOOLKIT_VALIDATE_PROVIDERS"
CHOICES = ("auto", "real", "stub")
DEFAULT_CHOICE = "auto"
PROVIDERS = ("aws", "random")
HOSTNAMES = ("registry.terraform.io", "registry.opentofu.org")


@dataclass(frozen=True)
class RealMirror(StubMirror):
    """Same shape as the stub's mirror (validate and module tests take either)."""

    kind: str = "real"


def built_providers() -> dict[str, GoBuild] | None:
    builds = {name: go_build(name) for name in PROVIDERS}
    return builds if all(build.record() is not None for build in builds.values()) else None


def provider_choice() -> str:
    choice = os.environ.get(CHOICE_VARIABLE, DEFAULT_CHOICE).strip().lower() or DEFAULT_CHOICE
    if choice not in CHOICES:
        raise ConfigError(f"{CHOICE_VARIABLE}={choice}: expected one of {', '.join(CHOICES)}")
    return choice


def prepare_validate_mirror(project_root: Path) -> StubMirror:
    """The real providers' mirror when chosen and present, else the stub's."""
    choice = provider_choice()
    builds = built_providers() if choice != "stub" else None
    if builds is None:
        if choice == "real":
            raise ToolkitError(f"{CHOICE_VARIABLE}=real but the AWS provider 6 and random builds are missing or "
                               "damaged: run `make setup` (toolkit doctor shows them)")
        return prepare_mirror(project_root)
    return _real_mirror(project_root, builds)


def _real_mirror(project_root: Path, builds: dict[str, GoBuild]) -> RealMirror:
    root = project_root / ".toolkit" / "real-providers"
    root.mkdir(parents=True, exist_ok=True)
    versions = {name: build.release for name, build in builds.items()}
    mirror = RealMirror(root, versions)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for build in builds.values():
            for hostname in HOSTNAMES:
                link = build.mirror_path(mirror.mirror_dir, hostname)
                if link.is_symlink() and Path(os.readlink(link)) == build.path:
                    continue
                link.parent.mkdir(parents=True, exist_ok=True)
                temporary = link.with_name(f".{link.name}.{os.getpid()}")
                temporary.unlink(missing_ok=True)
                temporary.symlink_to(build.path)
                os.replace(temporary, link)
        addresses = [f"{hostname}/{build.provider}" for build in builds.values() for hostname in HOSTNAMES]
        text = ("# Written by toolkit: the real providers built by make setup, for check --validate only.\n"
                "disable_checkpoint = true\n"
                "provider_installation {\n"
                "  filesystem_mirror {\n"
                f'    path    = "{mirror.mirror_dir}"\n'
                f"    include = [{', '.join(json.dumps(address) for address in addresses)}]\n"
                "  }\n"
                "}\n")
        if not mirror.cli_config.is_file() or mirror.cli_config.read_text(encoding="utf-8") != text:
            mirror.cli_config.write_text(text, encoding="utf-8")
    return mirror
