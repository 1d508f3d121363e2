"""Where things live: the project root and the per-environment folders under it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import ConfigError

PROJECT_DIR_VARIABLE = "TOOLKIT_PROJECT_DIR"
MARKER = Path("envs") / "defaults.yaml"


@dataclass(frozen=True)
class Project:
    """A checkout of this repository (or any folder laid out like it)."""

    root: Path

    @classmethod
    def discover(cls, start: Path | None = None) -> Project:
        """Find the project from $TOOLKIT_PROJECT_DIR, else the nearest parent holding envs/defaults.yaml."""
        configured = os.environ.get(PROJECT_DIR_VARIABLE)
        if configured:
            root = Path(configured).resolve()
            if not (root / MARKER).is_file():
                raise ConfigError(f"{PROJECT_DIR_VARIABLE}={configured}: no {MARKER} there")
            return cls(root)
        here = (start or Path.cwd()).resolve()
        for candidate in (here, *here.parents):
            if (candidate / MARKER).is_file():
                return cls(candidate)
        raise ConfigError(
            f"no {MARKER} found in {here} or its parents: run inside the project or set {PROJECT_DIR_VARIABLE}"
        )

    def display(self, path: Path) -> str:
        """A path as users should read it in messages: relative to the project when inside it."""
        try:
            return str(path.resolve().relative_to(self.root))
        except ValueError:
            return str(path)

    @property
    def envs_dir(self) -> Path:
        return self.root / "envs"

    @property
    def cache_dir(self) -> Path:
        """Downloads made by `make setup`: terraform binary, provider mirror, schema."""
        return self.root / ".cache"

    @property
    def data_dir(self) -> Path:
        """Run-time data: local state, plans, checkpoints, journals (ignored by git)."""
        return self.root / ".toolkit"

    def build_dir(self, environment: str) -> Path:
        """Rendered terraform.tfvars and backend files of one environment."""
        return self.root / "build" / environment

    def state_dir(self, environment: str) -> Path:
        """Local-backend state of one environment (the offline default)."""
        return self.data_dir / "state" / environment

    def environment_data_dir(self, environment: str) -> Path:
        """Plans, checkpoints, journals and terraform's data directory of one environment."""
        return self.data_dir / "envs" / environment
