"""Find the external programs the toolkit drives (terraform or tofu, checkov, moto_server, PostgreSQL)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

TERRAFORM_VARIABLE = "TOOLKIT_TERRAFORM"
CHECKOV_VARIABLE = "TOOLKIT_CHECKOV"


def find_terraform(project_root: Path | None) -> Path | None:
    """$TOOLKIT_TERRAFORM, then the project's own install (.cache/bin), then terraform or tofu on PATH."""
    configured = os.environ.get(TERRAFORM_VARIABLE)
    if configured:
        path = Path(configured) if os.sep in configured else Path(shutil.which(configured) or configured)
        return path if path.is_file() and os.access(path, os.X_OK) else None
    if project_root is not None:
        local = project_root / ".cache" / "bin" / "terraform"
        if local.is_file() and os.access(local, os.X_OK):
            return local
    for name in ("terraform", "tofu"):
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def find_checkov(project_root: Path | None) -> Path | None:
    """$TOOLKIT_CHECKOV, then .cache/checkov-venv (its own venv: it pins a conflicting hcl2), then PATH."""
    configured = os.environ.get(CHECKOV_VARIABLE)
    if configured:
        path = Path(configured)
        return path if path.is_file() and os.access(path, os.X_OK) else None
    if project_root is not None:
        local = project_root / ".cache" / "checkov-venv" / "bin" / "checkov"
        if local.is_file():
            return local
    found = shutil.which("checkov")
    return Path(found) if found else None


def find_postgres_bin() -> Path | None:
    """The folder holding initdb/pg_ctl/postgres: PATH first, then Debian's versioned folders."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    return candidates[0].parent if candidates else None
