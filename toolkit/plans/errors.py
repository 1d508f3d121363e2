"""Errors about plans: a file that is not a readable plan JSON, an environment with no saved plan yet."""

from __future__ import annotations

from toolkit.errors import ToolkitError


class PlanFormatError(ToolkitError):
    """The file is not a readable plan JSON (not JSON, truncated, not a plan, unknown format)."""


class PlanNotFoundError(ToolkitError):
    """No saved plan for the environment: the user has to run `toolkit plan ENV` first."""
