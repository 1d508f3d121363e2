"""Programs `make setup` builds from Go modules: tflint, the AWS and random providers, OpenTofu and Terraform 1.5.

One home for their versions (`toolkit/data/go_builds.json`) and for where the builds are kept: a cache
outside the clone (`$TOOLKIT_BUILD_CACHE`, else `$XDG_CACHE_HOME/toolkit`, else `~/.cache/toolkit`), one
folder per name and module version, so every clone on a machine reuses one build. A build counts only
when its `build.json` exists and the binary's sha256 matches the one recorded there: a half-finished or
corrupted build is never taken for an installed one (scripts/go_build.py rebuilds it).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

BUILD_CACHE_VARIABLE = "TOOLKIT_BUILD_CACHE"
SPEC_FILE = Path(__file__).parent / "data" / "go_builds.json"
RECORD = "build.json"
PLATFORM = "linux_amd64"


@dataclass(frozen=True)
class GoBuild:
    """One program built from a Go module at one version."""

    name: str
    module: str
    version: str            # the module version the Go proxy serves (a pseudo-version where no tag is served)
    package: str            # the main package inside the module ("." or "./cmd/tofu")
    binary: str             # the file name of the built program
    release: str            # the version the program reports and, for a provider, its mirror folder
    provider: str | None    # "hashicorp/aws" for a provider, None for a program
    version_variable: str | None  # -X target that stamps `release` into the binary
    commit: str | None
    note: str
    label: str = ""         # what doctor calls a program ("OpenTofu"); a provider is named by its address
    used_by: str = ""       # what runs a program, for doctor

    @property
    def folder(self) -> Path:
        return build_cache() / "go-builds" / self.name / self.version

    @property
    def path(self) -> Path:
        return self.folder / self.binary

    def record(self) -> dict[str, Any] | None:
        """The build record when the build is complete and its binary unchanged, else None."""
        try:
            record = json.loads((self.folder / RECORD).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("module_version") != self.version:
            return None
        if not self.path.is_file() or record.get("sha256") != sha256_of(self.path):
            return None
        return record

    def mirror_path(self, mirror: Path, hostname: str = "registry.terraform.io") -> Path:
        """Where a provider goes in a filesystem mirror (unpacked layout)."""
        assert self.provider is not None, self.name
        namespace, kind = self.provider.split("/")
        return mirror / hostname / namespace / kind / self.release / PLATFORM / f"{self.binary}_v{self.release}"


def build_cache() -> Path:
    configured = os.environ.get(BUILD_CACHE_VARIABLE, "").strip()
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "toolkit"


@cache
def _spec() -> dict[str, dict[str, Any]]:
    return json.loads(SPEC_FILE.read_text(encoding="utf-8"))["builds"]


def go_build(name: str) -> GoBuild:
    entry = _spec()[name]
    return GoBuild(name=name, module=entry["module"], version=entry["version"], package=entry["package"],
                   binary=entry["binary"], release=entry["release"], provider=entry.get("provider"),
                   version_variable=entry.get("version_variable"), commit=entry.get("commit"),
                   note=entry.get("note", ""), label=entry.get("label", ""), used_by=entry.get("used_by", ""))


def go_builds() -> list[GoBuild]:
    return [go_build(name) for name in _spec()]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
