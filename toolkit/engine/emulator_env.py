"""Ready an emulator environment on a running emulator: its endpoint known, its state bucket created."""

from __future__ import annotations

import os

from toolkit.config import load_environment
from toolkit.emulator_server import EmulatorServer
from toolkit.engine.bootstrap import ensure_state_backend
from toolkit.errors import ConfigError
from toolkit.project import Project


def prepare_emulator_environment(project: Project, environment: str, server: EmulatorServer) -> str:
    config = load_environment(project, environment)
    if config.settings.emulator is None:
        raise ConfigError(f"envs/{environment}.yaml has no `emulator:` section: it is not an emulator environment "
                          "(envs/local.yaml is)")
    os.environ[config.settings.emulator.endpoint_from_env] = server.endpoint_url  # this process only
    if config.settings.backend.type != "s3":
        return f"{environment}: local state, no bucket needed"
    return ensure_state_backend(project, environment)
