"""Finding the external programs the checks run: terraform (or OpenTofu) and checkov.

Shared with the engine: `find_terraform(project_root)` is the one place that decides which terraform binary
the toolkit uses.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from toolkit.errors import TerraformError, ToolkitError

TERRAFORM_VARIABLE = "TOOLKIT_TERRAFORM"
CHECKOV_VARIABLE = "TOOLKIT_CHECKOV"


def find_terraform(project_root: Path | None = None) -> Path:
    """$TOOLKIT_TERRAFORM, else the project's .cache/bin/terraform, else `terraform` on PATH, else `tofu`."""
    configured = os.environ.get(TERRAFORM_VARIABLE)
    if configured:
        path = Path(configured)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise TerraformError(f"{TERRAFORM_VARIABLE}={configured}: not an executable file")
        return path
    if project_root is not None:
        bundled = project_root / ".cache" / "bin" / "terraform"
        if bundled.is_file() and os.access(bundled, os.X_OK):
            return bundled
    for name in ("terraform", "tofu"):
        found = shutil.which(name)
        if found:
            return Path(found)
    raise TerraformError(
        f"no terraform binary: set {TERRAFORM_VARIABLE}, run scripts/setup.sh (installs .cache/bin/terraform), "
        "or put terraform or tofu on PATH"
    )


def find_checkov(project_root: Path | None = None) -> Path:
    """$TOOLKIT_CHECKOV, else the project's .cache/checkov-venv/bin/checkov, else `checkov` on PATH."""
    configured = os.environ.get(CHECKOV_VARIABLE)
    if configured:
        path = Path(configured)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise ToolkitError(f"{CHECKOV_VARIABLE}={configured}: not an executable file")
        return path
    if project_root is not None:
        bundled = project_root / ".cache" / "checkov-venv" / "bin" / "checkov"
        if bundled.is_file() and os.access(bundled, os.X_OK):
            return bundled
    found = shutil.which("checkov")
    if found:
        return Path(found)
    raise ToolkitError(
        f"no checkov: set {CHECKOV_VARIABLE}, run scripts/setup.sh (installs .cache/checkov-venv), "
        "or put checkov on PATH"
    )
