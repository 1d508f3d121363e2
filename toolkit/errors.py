"""Exception types raised by the library; the CLI turns them into `Error: …` and an exit code in one place."""

from __future__ import annotations


class ToolkitError(Exception):
    """Base class: a message for the user, already complete, and the exit code to leave with."""

    exit_code: int = 1

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class ConfigError(ToolkitError):
    """An environment file is missing, unreadable or invalid."""


class RenderError(ToolkitError):
    """Rendered values do not fit the root module's variable declarations."""


class UsageError(ToolkitError):
    """Command-line arguments that conflict or name something that does not exist.

    Exit 1 like every other error: 2 is reserved for "changes present" / "drift found", which CI treats as success.
    """


class TerraformError(ToolkitError):
    """The terraform binary is missing or one of its runs failed."""


class GuardError(ToolkitError):
    """A safety guard refused the operation (prod approval, stale or tampered plan, destroy)."""


class LockError(ToolkitError):
    """Another run holds the state lock or the migration lock."""


class AwsError(ToolkitError):
    """An AWS API call failed after its retries."""


class MigrationError(ToolkitError):
    """A database migration could not be validated or applied."""


class DeploymentError(ToolkitError):
    """terraform applied, but the deployment did not happen: an ECS service rolled back, failed or is stuck, or a
    parameter group is pending-reboot. Its own exit code, 4 (1 is any other error, 2 "changes present")."""

    exit_code = 4
