"""What `toolkit db lint ENV|DIR` lints: a folder with the runner's defaults, or an environment's folder with
its settings. Kept apart from toolkit/db/commands.py so the lint loads neither the runner nor the driver."""

from __future__ import annotations

from pathlib import Path

from toolkit.db.lint.findings import LintReport
from toolkit.db.lint.service import LintSettings, lint_directory
from toolkit.errors import ConfigError, UsageError


def lint_settings_for(environment: str | None) -> tuple[Path | None, LintSettings]:
    """(migrations folder, LintSettings) of an environment; (None, defaults) when `environment` is None."""
    if environment is None:
        return None, LintSettings()
    from toolkit.config import load_environment
    from toolkit.project import Project

    project = Project.discover()
    settings = load_environment(project, environment).settings
    return (project.root / settings.migrations.directory,
            LintSettings(lock_timeout_ms=settings.migrations.statement_lock_timeout_ms,
                         pg_version=settings.database.engine_version.split(".")[0]))


def lint(target: str, only: list[str] | None = None) -> LintReport:
    """`toolkit db lint ENV|DIR`: an existing folder is linted with the runner's defaults, else ENV's folder with
    ENV's settings (its lock_timeout, its PostgreSQL version)."""
    path = Path(target)
    if path.is_dir():
        directory, settings = lint_settings_for(None)
        directory = path
    elif path.exists():
        raise UsageError(f"{target} is a file, not a folder: pass the migrations folder or an environment name "
                         "(lint some files of a folder with --only NAME)")
    else:
        try:
            directory, settings = lint_settings_for(target)
        except ConfigError as error:
            raise UsageError(f"{target} is neither a migrations folder nor an environment: {error}") from error
    assert directory is not None
    return lint_directory(directory, settings, only)
