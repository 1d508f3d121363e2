"""Per-environment configuration: load YAML with line numbers, merge over defaults, validate.

The validated configuration (pydantic) loads on first use: `from toolkit.config import list_environments`
or `toolkit.config.sources` alone do not import the schema (the rollback path starts without it).
"""

from __future__ import annotations

from typing import Any

from toolkit.config.sources import list_environments

__all__ = ["EnvironmentConfig", "list_environments", "load_environment"]


def __getattr__(name: str) -> Any:
    if name in ("EnvironmentConfig", "load_environment"):
        from toolkit.config import environment

        return getattr(environment, name)
    raise AttributeError(f"module 'toolkit.config' has no attribute {name!r}")
