"""Terraform against the offline stub providers, in a throw-away local state: what an offline plan and the base
of an offline review (toolkit.engine.offline, toolkit.engine.offline_base) both run."""

from __future__ import annotations

from pathlib import Path

from toolkit.engine.progress import Progress
from toolkit.engine.session import init_unless_current
from toolkit.engine.terraform import Terraform, TerraformBinary
from toolkit.engine.workspace import NOT_STAGED_FOR_PLANS, stage_root_module
from toolkit.files import write_atomically
from toolkit.plans.saved import OFFLINE_BACKEND_MARK, OFFLINE_FOLDER, offline_data_dir
from toolkit.project import Project
from toolkit.stub_mirror import StubMirror, timeout_seconds

OFFLINE_BACKEND_BLOCK = (
    f"{OFFLINE_BACKEND_MARK}: an empty throw-away local state, never the real backend.\n"
    'terraform {\n  backend "local" {}\n}\n'
)


def stub_terraform(project: Project, environment: str, root_dir: Path, run_dir: Path, *, binary: TerraformBinary,
                   mirror: StubMirror, progress: Progress, tree: Project | None = None,
                   folder: str = OFFLINE_FOLDER) -> Terraform:
    """Terraform for a root (of the project, or of an exported `tree`) against the stub providers, initialised,
    with a local backend whose state is `run_dir`/state/terraform.tfstate."""
    run_dir.mkdir(parents=True, exist_ok=True)
    backend_block = offline_data_dir(project, environment, folder) / "backend.tf"
    if not backend_block.is_file() or backend_block.read_text(encoding="utf-8") != OFFLINE_BACKEND_BLOCK:
        write_atomically(backend_block, OFFLINE_BACKEND_BLOCK)
    # A lock file committed in the root holds the real providers' hashes: the stub's own is made in the stage.
    stage_root = stage_root_module(tree or project, root_dir, backend_block, run_dir / "stage",
                                   exclude=frozenset({".terraform.lock.hcl"}) | NOT_STAGED_FOR_PLANS)
    backend_config = run_dir / "backend.hcl"
    backend_text = f'path = "{run_dir / "state" / "terraform.tfstate"}"\n'
    if not backend_config.is_file() or backend_config.read_text(encoding="utf-8") != backend_text:
        write_atomically(backend_config, backend_text)
    terraform_data_dir = run_dir / "terraform"
    terraform = Terraform(binary, stage_root, mirror.environment(terraform_data_dir), environment, progress,
                          time_limit_seconds=timeout_seconds())
    init_unless_current(terraform, binary, tree or project, root_dir, backend_config=backend_config,
                        inputs=(backend_block, mirror.cli_config), data_dir=run_dir,
                        terraform_data_dir=terraform_data_dir, progress=progress, note=", stub providers")
    return terraform
