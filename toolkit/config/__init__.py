"""Per-environment configuration: load YAML with line numbers, merge over defaults, validate."""

from toolkit.config.environment import EnvironmentConfig, list_environments, load_environment

__all__ = ["EnvironmentConfig", "list_environments", "load_environment"]
