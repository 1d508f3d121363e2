"""One environment ready for terraform: rendered, staged, initialised (shared by plan, apply, unlock)."""

from __future__ import annotations

import fcntl
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from toolkit.config import EnvironmentConfig, load_environment
from toolkit.engine.progress import Progress, SilentProgress
from toolkit.engine.render import render_environment, render_recorded
from toolkit.engine.source import CommitSource
from toolkit.engine.terraform import Terraform, TerraformBinary, discover_binary
from toolkit.engine.workspace import Workspace, prepare_workspace, run_dir
from toolkit.errors import TerraformError, ToolkitError
from toolkit.plans.saved import source_sha256
from toolkit.project import Project

INIT_STAMP = "toolkit-init.sha256"


@dataclass(frozen=True)
class Session:
    workspace: Workspace
    binary: TerraformBinary
    terraform: Terraform

    @property
    def config(self) -> EnvironmentConfig:
        return self.workspace.config

    @property
    def name(self) -> str:
        return self.workspace.name


def open_session(project: Project, environment: str, progress: Progress | None = None,
                 *, config: EnvironmentConfig | None = None, source: CommitSource | None = None) -> Session:
    """Load and render the environment, stage its root module and run `terraform init`.

    With a `source` (rollback --step full), the root module is that commit's and the tfvars are the ones
    its checkpoint kept; the backend is the environment's current one.
    """
    progress = progress or SilentProgress()
    config = config or load_environment(project, environment)
    # Find terraform first: a missing binary must fail before anything is rendered or staged.
    binary = discover_binary(project.root)
    if source is None:
        progress.step(environment, "render")
        render = render_environment(project, config, binary)
    else:
        progress.step(environment, f"commit {source.commit[:12]} with checkpoint {source.checkpoint}'s tfvars")
        render = render_recorded(project, config, source.root_dir, source.tfvars_text,
                                 run_dir(project, config.name, source) / "build", binary)
    workspace = prepare_workspace(project, config, render, source)
    terraform = workspace.terraform(binary, progress)
    init_unless_current(terraform, binary, project, render.root_dir, backend_config=render.backend_config_path,
                        inputs=(render.backend_block_path, workspace.cli_config_file),
                        data_dir=workspace.data_dir, terraform_data_dir=workspace.terraform_data_dir,
                        progress=progress)
    return Session(workspace, binary, terraform)


def init_unless_current(terraform: Terraform, binary: TerraformBinary, project: Project, root_dir: Path, *,
                        backend_config: Path, inputs: tuple[Path | None, ...], data_dir: Path,
                        terraform_data_dir: Path, progress: Progress, note: str = "") -> None:
    """`terraform init`, skipped when nothing it depends on changed since the last one in this data dir."""
    # Two toolkit runs of one environment share its TF_DATA_DIR: never let their inits interleave.
    with _exclusive(data_dir / ".init.lock"):
        stamp_file = terraform_data_dir / INIT_STAMP
        stamp = _init_stamp(binary, project, root_dir, (backend_config, *inputs, terraform.working_dir
                                                        / ".terraform.lock.hcl"))
        up_to_date = (stamp_file.is_file() and stamp_file.read_text(encoding="utf-8") == stamp
                      and (terraform.working_dir / ".terraform.lock.hcl").is_file())
        if up_to_date:
            progress.step(terraform.label, f"init: up to date ({binary.flavor} {binary.version}{note})")
        else:
            progress.step(terraform.label, f"init ({binary.flavor} {binary.version}{note})")
            stamp_file.unlink(missing_ok=True)
            try:
                terraform.init(backend_config)
            except TerraformError as error:
                raise provider_unavailable(terraform.label, error) or error from None
            stamp_file.write_text(stamp, encoding="utf-8")


# What `terraform init` says when it cannot get a provider (no registry, no mirror holding it).
_PROVIDER_FAILURES = ("Failed to query available provider packages", "Failed to install provider",
                      "could not connect to registry", "Incompatible provider version")


def provider_unavailable(environment: str, error: TerraformError) -> ToolkitError | None:
    """A clear way forward instead of terraform's provider-resolution error, or None for other init errors."""
    text = str(error)
    if not any(marker in text for marker in _PROVIDER_FAILURES):
        return None
    providers = sorted(set(re.findall(r"provider\s+(hashicorp/[a-z0-9-]+)", text))) or ["the providers"]
    first = next((line.strip() for line in text.splitlines()[1:] if line.strip().startswith("Error:")), "")
    return ToolkitError(
        f"{environment}: terraform init cannot get {', '.join(providers)}: the provider registry is not reachable "
        "from here and no provider mirror holds them. Nothing was planned.\n"
        f"  - Review the configuration without AWS or providers: toolkit plan {environment} --offline "
        "(add --against merge-base to see only what your branch changes)\n"
        "  - Plan for real: run where registry.terraform.io is reachable, or set TOOLKIT_PROVIDER_MIRROR to a "
        "folder made by `terraform providers mirror DIR` on a connected machine (`on`: this project's "
        ".cache/providers from make setup)\n"
        f"  (terraform: {first.removeprefix('Error: ')})")


def _init_stamp(binary: TerraformBinary, project: Project, root_dir: Path, files: tuple[Path | None, ...]) -> str:
    """What `terraform init` depends on; when none of it changed, the previous init still holds.

    Skipping a redundant init saves seconds per command (it re-hashes every provider package). Module calls
    live in the root and in the project's modules (a module that starts calling another needs an init), so
    both folders' sources count.
    """
    digest = hashlib.sha256()
    digest.update(f"{binary.path}\0{binary.version}\0".encode())
    for path in files:
        digest.update(path.read_bytes() if path is not None and path.is_file() else b"-")
        digest.update(b"\0")
    digest.update(source_sha256(root_dir).encode())
    modules = project.root / "modules"
    if modules.is_dir() and not root_dir.resolve().is_relative_to(modules.resolve()):
        digest.update(source_sha256(modules).encode())
    return digest.hexdigest()


@contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
