"""Backend settings derived from an environment's configuration: the S3 key of its state (one per environment).

Read from the validated configuration or from the merged values alone (the rollback path loads no schema): both
spell the key the same way here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from toolkit.config import EnvironmentConfig

STATE_FILE = "terraform.tfstate"


def _key(prefix: object, environment: str) -> str:
    return f"{prefix}/{environment}/{STATE_FILE}"


def state_key(config: EnvironmentConfig) -> str:
    """The S3 key of an environment's state: one per environment."""
    return _key(config.settings.backend.key_prefix or config.settings.project, config.name)


def state_key_from_values(environment: str, values: dict[str, Any]) -> str:
    """The same key from the merged environment values (defaults + the environment's file), without the schema."""
    backend = values.get("backend") if isinstance(values.get("backend"), dict) else {}
    return _key(backend.get("key_prefix") or values.get("project"), environment)
