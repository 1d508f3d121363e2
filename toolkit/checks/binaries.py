"""The checks' view of toolkit.binaries: the same discovery, but a missing program is an error."""

from __future__ import annotations

import os
from pathlib import Path

from toolkit import binaries
from toolkit.binaries import CHECKOV_VARIABLE, TERRAFORM_VARIABLE
from toolkit.errors import TerraformError, ToolkitError


def find_terraform(project_root: Path | None = None) -> Path:
    """The terraform (or tofu) binary the toolkit uses; raises with how to get one."""
    found = binaries.find_terraform(project_root)
    if found is not None:
        return found
    configured = os.environ.get(TERRAFORM_VARIABLE)
    if configured:
        raise TerraformError(f"{TERRAFORM_VARIABLE}={configured}: not an executable file")
    raise TerraformError(
        f"no terraform binary: set {TERRAFORM_VARIABLE}, run scripts/setup.sh (installs .cache/bin/terraform), "
        "or put terraform or tofu on PATH"
    )


def find_checkov(project_root: Path | None = None) -> Path:
    """The checkov binary; raises with how to get one."""
    found = binaries.find_checkov(project_root)
    if found is not None:
        return found
    configured = os.environ.get(CHECKOV_VARIABLE)
    if configured:
        raise ToolkitError(f"{CHECKOV_VARIABLE}={configured}: not an executable file")
    raise ToolkitError(
        f"no checkov: set {CHECKOV_VARIABLE}, run scripts/setup.sh (installs .cache/checkov-venv), "
        "or put checkov on PATH"
    )
