"""Per-environment working folders: the staged root module, terraform's data dir and the CLI config.

Root modules carry no backend block; render writes build/ENV/backend.tf. Terraform only reads
configuration from its working folder, so each environment gets a staging tree (Terragrunt's approach)
under .toolkit/envs/ENV/stage/ that mirrors the project: the root folder is a real folder of symlinks to
the root's files plus the generated backend block, and every sibling on the way up is a symlink, so
relative module sources such as `../modules/x` resolve exactly as in the repository. TF_DATA_DIR is
per environment too, so environments never share `.terraform/` and can run concurrently.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.config import EnvironmentConfig
from toolkit.emulator import (
    EMULATOR_LOG_VARIABLE,
    OVERRIDE_FILE,
    STAGED_OVERRIDE_FILE,
    TEST_CREDENTIALS,
    MissingApiWatch,
)
from toolkit.emulator_server import running as running_emulator
from toolkit.engine.progress import Progress, SilentProgress
from toolkit.engine.render import RenderResult
from toolkit.engine.terraform import Terraform, TerraformBinary
from toolkit.errors import ConfigError, GuardError
from toolkit.files import write_atomically
from toolkit.go_builds import go_build
from toolkit.plans.saved import STAGED_BACKEND_FILE
from toolkit.project import Project
from toolkit.state.local_runs import runs_of
from toolkit.stub_mirror import refuse_stub_config

if TYPE_CHECKING:
    from toolkit.engine.source import CommitSource

MIRROR_VARIABLE = "TOOLKIT_PROVIDER_MIRROR"
ENDPOINT_TERRAFORM_VARIABLE = "TF_VAR_aws_endpoint_url"
# Top-level folders that never hold terraform sources: not mirrored into the staging tree.
NOT_STAGED_AT_TOP = frozenset({".git", ".toolkit", ".venv", ".cache", "build", "__pycache__"})
# A commit's configuration (rollback --step full) runs in this subfolder of the environment's data dir:
# its own staging tree, terraform data dir and saved plans, so `toolkit apply ENV` never picks its plan up.
SOURCE_RUN_DIR = "rollback"
# Files of a root folder that belong to a local run, not to the configuration.
NOT_STAGED_IN_ROOT = frozenset({".terraform", "terraform.tfstate", "terraform.tfstate.backup",
                                ".terraform.tfstate.lock.info", "backend.tf"})
# A plan or apply reads no test file, and OpenTofu's init parses the root's tests/ (written for Terraform's test
# framework, which tofu refuses): plans stage the root without it.
NOT_STAGED_FOR_PLANS = frozenset({"tests"})


@dataclass(frozen=True)
class Workspace:
    """Everything terraform needs to run for one environment."""

    project: Project
    config: EnvironmentConfig
    render: RenderResult
    data_dir: Path
    stage_root: Path
    terraform_data_dir: Path
    cli_config_file: Path | None
    endpoint_url: str | None
    source: CommitSource | None = None

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def plans_dir(self) -> Path:
        return plans_dir(self.project, self.name, self.source)

    @property
    def checkpoints_dir(self) -> Path:
        return self.data_dir / "checkpoints"

    def environment_variables(self) -> dict[str, str]:
        inherited = os.environ.get("TF_CLI_CONFIG_FILE")
        # Real plans and applies never run against the offline stub providers (toolkit.stub_mirror).
        refuse_stub_config(self.cli_config_file or (Path(inherited) if inherited else None))
        variables = dict(os.environ)
        variables.update({"TF_DATA_DIR": str(self.terraform_data_dir), "TF_IN_AUTOMATION": "1", "TF_INPUT": "0"})
        if self.cli_config_file is not None:
            variables["TF_CLI_CONFIG_FILE"] = str(self.cli_config_file)
        if self.endpoint_url:
            # The emulator endpoint is not a secret and not a config value: it reaches the root as TF_VAR_*.
            variables[ENDPOINT_TERRAFORM_VARIABLE] = self.endpoint_url
        if self.config.settings.emulator is not None:
            # The emulator's test keys for the backend and providers: an operator's real ones never go there.
            for name in ("AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"):
                variables.pop(name, None)
            variables.update(TEST_CREDENTIALS)
        elif self.config.settings.backend.endpoint_from_env is None:
            # An environment with no emulator in its configuration talks to AWS: an AWS_ENDPOINT_URL left in the
            # shell (or set by a run of the local environment) must not point its providers at an emulator.
            for name in [name for name in variables if name == "AWS_ENDPOINT_URL" or name.startswith(
                    "AWS_ENDPOINT_URL_")]:
                variables.pop(name)
        return variables

    def terraform(self, binary: TerraformBinary, progress: Progress | None = None) -> Terraform:
        return Terraform(binary, self.stage_root, self.environment_variables(), self.name,
                         progress or SilentProgress(), runs_of(self.project, self.name),
                         emulator_watch=self._emulator_watch())

    def _emulator_watch(self) -> MissingApiWatch | None:
        """The emulator's log, for an emulator environment: $TOOLKIT_EMULATOR_LOG (make demo, tests), else the
        log of the server `toolkit emulator up` recorded when it is the one this run talks to."""
        if self.config.settings.emulator is None:
            return None
        given = os.environ.get(EMULATOR_LOG_VARIABLE)
        if given:
            return MissingApiWatch(Path(given))
        server = running_emulator(self.project)
        if server is None or (self.endpoint_url or "").rstrip("/") != server.endpoint_url.rstrip("/"):
            return None
        return MissingApiWatch(Path(server.log_file))


def plans_dir(project: Project, environment: str, source: CommitSource | None = None) -> Path:
    """Where an environment's saved plans go (a commit's configuration keeps its own)."""
    return run_dir(project, environment, source) / "plans"


def source_exports_dir(project: Project, environment: str) -> Path:
    """Where commits are exported for the environment (toolkit.engine.source.export_commit)."""
    return project.environment_data_dir(environment) / SOURCE_RUN_DIR / "source"


def run_dir(project: Project, environment: str, source: CommitSource | None = None) -> Path:
    data_dir = project.environment_data_dir(environment)
    return data_dir / SOURCE_RUN_DIR if source is not None else data_dir


def prepare_workspace(project: Project, config: EnvironmentConfig, render: RenderResult,
                      source: CommitSource | None = None) -> Workspace:
    """Create or refresh the environment's staging tree and CLI config; safe to run concurrently.

    With a `source`, the exported commit stands in for the project when staging (its relative module
    sources resolve inside the export), in a run folder of its own.
    """
    data_dir = project.environment_data_dir(config.name)
    folder = run_dir(project, config.name, source)
    terraform_data_dir = folder / "terraform"
    terraform_data_dir.mkdir(parents=True, exist_ok=True)
    tree = Project(source.tree) if source is not None else project
    override = render.build_dir / OVERRIDE_FILE
    if config.settings.emulator is not None and provider_mirror(project) is not None:
        _require_built_providers(config.name)
    if config.settings.emulator is None and override.is_file():
        raise GuardError(f"{project.display(override)}: an emulator provider override beside {config.name}, which is "
                         "not an emulator environment: re-render it (`toolkit render "
                         f"{config.name}`) and look at who wrote that file")
    stage_root = stage_root_module(tree, render.root_dir, render.backend_block_path, folder / "stage",
                                   exclude=NOT_STAGED_FOR_PLANS)
    endpoint_variable = config.settings.backend.endpoint_from_env
    endpoint_url = os.environ.get(endpoint_variable) if endpoint_variable else None
    return Workspace(project, config, render, data_dir, stage_root, terraform_data_dir,
                     write_cli_config(project, emulator=_runs_on_an_emulator(config)), endpoint_url, source)


def _require_built_providers(environment: str) -> None:
    """An emulator environment runs the real root on the providers built by make setup: say so before init."""
    missing = [build for build in (go_build("aws"), go_build("random")) if build.record() is None]
    if missing:
        names = ", ".join(f"{build.provider} {build.release}" for build in missing)
        raise ConfigError(f"{environment} runs the real root against the emulator with the providers built from "
                          f"the Go module proxy, and {names} {'is' if len(missing) == 1 else 'are'} not built on this "
                          "machine yet: run `make setup` (the AWS provider takes long the first time; `toolkit "
                          "doctor` shows the builds). Until then `toolkit plan ENV --offline` plans the real root "
                          "against the stub, and the sandbox environment runs on the emulator with provider 3.39")


def _runs_on_an_emulator(config: EnvironmentConfig) -> bool:
    """Emulator environments (and the sandbox, whose backend names an emulator endpoint) install providers
    from the project's mirror; the others only when TOOLKIT_PROVIDER_MIRROR asks for it."""
    return config.settings.emulator is not None or bool(config.settings.backend.endpoint_from_env)


def stage_root_module(project: Project, root_dir: Path, backend_block: Path | None, stage_dir: Path,
                      *, exclude: frozenset[str] = frozenset()) -> Path:
    """Mirror the path from the project root to `root_dir` under `stage_dir`; return the staged root.

    `backend_block` None stages no backend file; `exclude` leaves more of the root's files out (the stub runs
    leave out a committed .terraform.lock.hcl: its hashes are the real providers')."""
    root_dir = root_dir.resolve()
    project_root = project.root.resolve()
    try:
        relative_parts = root_dir.relative_to(project_root).parts
    except ValueError:
        # A root outside the project: stage the folder alone (its relative module sources must be absolute).
        relative_parts = (root_dir.name,)
        project_root = root_dir.parent
    if not relative_parts:
        raise ConfigError(f"terraform.root must name a folder inside the project, not the project itself "
                          f"({project_root})")
    real_dir, staged_dir = project_root, stage_dir
    staged_dir.mkdir(parents=True, exist_ok=True)
    for depth, part in enumerate(relative_parts):
        excluded = NOT_STAGED_AT_TOP if depth == 0 else frozenset()
        links = {entry.name: entry for entry in real_dir.iterdir() if entry.name not in excluded and entry.name != part}
        _sync_folder(staged_dir, links, keep={part})
        real_dir, staged_dir = real_dir / part, staged_dir / part
        if staged_dir.is_symlink() or (staged_dir.exists() and not staged_dir.is_dir()):
            staged_dir.unlink()
        staged_dir.mkdir(exist_ok=True)
    links = {entry.name: entry for entry in real_dir.iterdir() if entry.name not in NOT_STAGED_IN_ROOT | exclude}
    if backend_block is not None:
        links[STAGED_BACKEND_FILE] = backend_block.resolve()
        # An emulator environment's provider override (toolkit/emulator.py) is rendered beside its backend.
        override = backend_block.parent / OVERRIDE_FILE
        if override.is_file():
            links[STAGED_OVERRIDE_FILE] = override.resolve()
    # Terraform writes its dependency lock file into the working folder: keep the staged one.
    _sync_folder(staged_dir, links, keep={".terraform.lock.hcl"})
    return staged_dir


def _sync_folder(folder: Path, links: dict[str, Path], keep: set[str]) -> None:
    """Make `folder` hold exactly these symlinks (plus `keep`); replacements are atomic renames."""
    for entry in folder.iterdir():
        if entry.name in keep or entry.name in links:
            continue
        if entry.is_symlink() or entry.is_file():
            entry.unlink()
        elif entry.is_dir():
            shutil.rmtree(entry)
    for name, target in links.items():
        link = folder / name
        if link.is_symlink() and Path(os.readlink(link)) == target:
            continue
        temporary = folder / f".{name}.{os.getpid()}.tmp"
        if temporary.is_symlink():
            temporary.unlink()
        temporary.symlink_to(target, target_is_directory=target.is_dir())
        if link.is_dir() and not link.is_symlink():
            shutil.rmtree(link)
        os.replace(temporary, link)


def provider_mirror(project: Project, *, emulator: bool = True) -> Path | None:
    """The filesystem mirror to install hashicorp providers from, or None to download them.

    $TOOLKIT_PROVIDER_MIRROR=off downloads from the registry; `on` uses the project's mirror; a path selects
    another mirror. Unset, the project's .cache/providers (made by `make setup`: AWS 3.39 and the AWS 6 and
    random providers built from source) is used for emulator environments only: a real environment's plan
    never picks up a locally built provider unless asked.
    """
    configured = os.environ.get(MIRROR_VARIABLE, "").strip()
    if configured.lower() in ("off", "none", "0", "false") or (not configured and not emulator):
        return None
    mirror = project.cache_dir / "providers" if configured.lower() in ("", "on") else Path(configured)
    if not mirror.is_dir():
        return None
    refuse_stub_config(None, mirror)
    return mirror.resolve()


def write_cli_config(project: Project, *, emulator: bool = True) -> Path | None:
    """A terraform CLI config installing hashicorp/* from the mirror (offline) and others directly."""
    mirror = provider_mirror(project, emulator=emulator)
    if mirror is None:
        return None
    text = (
        "# Written by toolkit: hashicorp providers come from the filesystem mirror, others from their registry.\n"
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{mirror}"\n'
        '    include = ["registry.terraform.io/hashicorp/*", "registry.opentofu.org/hashicorp/*"]\n'
        "  }\n"
        "  direct {\n"
        '    exclude = ["registry.terraform.io/hashicorp/*", "registry.opentofu.org/hashicorp/*"]\n'
        "  }\n"
        "}\n"
    )
    path = project.data_dir / "terraform.rc"
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, text)
    return path
