"""Render an environment into build/ENV: terraform.tfvars, backend.tf and backend.hcl.

Values are checked against the root module's variable declarations first (unknown variable,
missing required variable, wrong type, sensitive variable given a value): a config that fails
renders nothing.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit import emulator
from toolkit.config import EnvironmentConfig
from toolkit.config.backend import state_key
from toolkit.errors import ConfigError, RenderError
from toolkit.files import write_atomically
from toolkit.hcl_writer import hcl_key, hcl_value
from toolkit.project import Project
from toolkit.secrets import secret_shaped_paths
from toolkit.terraform_types import TypeSpec, parse_type, type_errors

if TYPE_CHECKING:
    from toolkit.engine.terraform import TerraformBinary

TFVARS = "terraform.tfvars"
BACKEND_BLOCK = "backend.tf"
BACKEND_CONFIG = "backend.hcl"


@dataclass(frozen=True)
class VariableDeclaration:
    name: str
    type: TypeSpec
    required: bool
    sensitive: bool
    file: Path


@dataclass(frozen=True)
class RenderResult:
    environment: str
    build_dir: Path
    root_dir: Path
    tfvars_path: Path
    backend_block_path: Path
    backend_config_path: Path
    tfvars_sha256: str
    changed: bool


def read_variable_declarations(root_dir: Path, shown_as: str | None = None) -> dict[str, VariableDeclaration]:
    """Parse every `variable` block of a root module with python-hcl2."""
    from toolkit.hcl_reader import load_hcl

    if not root_dir.is_dir():
        raise RenderError(f"{shown_as or root_dir}: root module folder not found (terraform.root in the "
                          "environment file)")
    declarations: dict[str, VariableDeclaration] = {}
    for tf_file in sorted(root_dir.glob("*.tf")):
        try:
            document = load_hcl(tf_file.read_text(encoding="utf-8"))
        except Exception as error:  # hcl2 raises lark errors of several types
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise RenderError(f"{tf_file}: cannot parse HCL: {first_line}") from None
        for block in document.get("variable", []):
            for quoted_name, body in block.items():
                name = quoted_name.strip('"')
                type_text = body.get("type", "any")
                try:
                    spec = parse_type(type_text)
                except ValueError as error:
                    raise RenderError(f"{tf_file}: variable {name!r}: cannot read its type: {error}") from None
                declarations[name] = VariableDeclaration(
                    name=name,
                    type=spec,
                    required="default" not in body,
                    sensitive=body.get("sensitive") in (True, "true"),
                    file=tf_file,
                )
    return declarations


def check_variables(values: dict[str, Any], declarations: dict[str, VariableDeclaration],
                    root_dir: str, environment: str) -> None:
    """Raise one RenderError listing every mismatch between values and declarations."""
    problems: list[str] = []
    declared = ", ".join(sorted(declarations)) or "none"
    for name in values:
        if name not in declarations:
            problems.append(f"{name}: the root module {root_dir} declares no such variable (declared: {declared})")

    for name in values:
        for path in secret_shaped_paths(values[name], name):
            problems.append(f"{path}: the value holds a secret (a URL with a password, a PEM block or an AWS secret "
                            "access key): secrets come from Secrets Manager or TF_VAR_*, never from environment files")
    for name, declaration in declarations.items():
        if name in values:
            if declaration.sensitive:
                problems.append(f"{name}: variable is sensitive: it must come from TF_VAR_{name} or "
                                "Secrets Manager, never from an environment file")
            problems.extend(type_errors(values[name], declaration.type, name))
        elif declaration.required and f"TF_VAR_{name}" not in os.environ:
            problems.append(f"{name}: required by {declaration.file.name} but has no value: add it to "
                            f"envs/{environment}.yaml (or set TF_VAR_{name} for a secret)")
    if problems:
        raise RenderError(f"environment {environment!r} does not fit the root module {root_dir}:\n  "
                          + "\n  ".join(problems))


def _render_tfvars(config: EnvironmentConfig, values: dict[str, Any]) -> str:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    templates = Environment(loader=PackageLoader("toolkit", "templates"), undefined=StrictUndefined,
                            keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    sources = [f"envs/{path.name}" for path in config.files]
    assignments = [(hcl_key(name), hcl_value(value)) for name, value in values.items()]
    text = templates.get_template("terraform.tfvars.j2").render(
        environment=config.name, sources=sources, assignments=assignments
    )
    # Blank line between variables, none at the end: the layout `terraform fmt` keeps.
    return text.replace("\n\n\n", "\n\n").rstrip("\n") + "\n"


# Engine releases that changed the s3 backend's settings (the same numbers hold for OpenTofu).
ENDPOINTS_SINCE = (1, 6)    # `endpoints = { s3 = …, dynamodb = … }` and `use_path_style` replaced `endpoint`…
LOCK_FILE_SINCE = (1, 10)   # `use_lockfile = true`: the <key>.tflock lock file (the table is deprecated in 1.11)


def version_tuple(version: str) -> tuple[int, int]:
    """`1.15.5` -> (1, 15); anything unreadable counts as (0, 0), the oldest."""
    parts = version.lstrip("v").split(".")
    try:
        return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        return 0, 0


def backend_settings(project: Project, config: EnvironmentConfig,
                     engine: TerraformBinary | None = None) -> tuple[str, dict[str, Any]]:
    """The backend type and its -backend-config values; one state key per environment.

    `engine` is the terraform the files are for: the setting names follow what it understands (modern ones
    when it is None). The lock kind never follows the engine: an engine too old for the pinned lock is an error.
    """
    backend = config.settings.backend
    if backend.type == "local":
        state_file = project.state_dir(config.name) / "terraform.tfstate"
        return "local", {"path": str(state_file)}
    release = version_tuple(engine.version) if engine else LOCK_FILE_SINCE
    if backend.uses_lock_file and engine is not None and release < LOCK_FILE_SINCE:
        raise ConfigError(f"envs/{config.name}.yaml: backend.lock is {backend.lock}: S3 lock files (use_lockfile) "
                          f"need Terraform or OpenTofu >= 1.10, and the engine is {engine.description}. Use a "
                          "newer engine (TOOLKIT_TERRAFORM=/path/to/terraform) or pin backend.lock: dynamodb")
    settings: dict[str, Any] = {
        "bucket": backend.bucket,
        "key": state_key(config),
        "region": backend.region or config.settings.aws_region,
        "encrypt": backend.encrypt,
    }
    if backend.uses_lock_file:
        settings["use_lockfile"] = True
    if backend.uses_lock_table:
        settings["dynamodb_table"] = backend.dynamodb_table
    if backend.kms_key_id:
        settings["kms_key_id"] = backend.kms_key_id
    if backend.endpoint_from_env:
        endpoint = os.environ.get(backend.endpoint_from_env)
        if not endpoint:
            raise RenderError(f"envs/{config.name}.yaml: backend.endpoint_from_env names "
                              f"{backend.endpoint_from_env}, which is not set: export it (the emulator's URL), or "
                              "for an emulator environment start one with `toolkit emulator up`; this "
                              "environment's state is never looked for in real AWS")
        # An emulator's endpoint only: a planted one never sends an environment's state to another host.
        emulator.check_loopback(config.name, f"backend.endpoint_from_env: {backend.endpoint_from_env}", endpoint)
        settings.update(_endpoint_settings(endpoint, backend.uses_lock_table, release))
    return "s3", settings


def _endpoint_settings(endpoint: str, lock_table: bool, release: tuple[int, int]) -> dict[str, Any]:
    """An emulator's endpoint in the names the engine understands, so a normal run prints no deprecation."""
    if release >= ENDPOINTS_SINCE:
        endpoints = {"s3": endpoint, **({"dynamodb": endpoint} if lock_table else {})}
        return {"endpoints": endpoints, "use_path_style": True, "skip_credentials_validation": True,
                "skip_metadata_api_check": True, "skip_region_validation": True, "skip_requesting_account_id": True}
    # Terraform 1.0 to 1.5.
    return {"endpoint": endpoint, **({"dynamodb_endpoint": endpoint} if lock_table else {}),
            "force_path_style": True, "skip_credentials_validation": True, "skip_metadata_api_check": True,
            "skip_region_validation": True}


@dataclass(frozen=True)
class PreparedRender:
    """Checked, rendered texts of one environment, not yet written."""

    environment: str
    build_dir: Path
    root_dir: Path
    files: dict[str, str]

    def write(self) -> RenderResult:
        """Write the files; unchanged files are not rewritten."""
        self.build_dir.mkdir(parents=True, exist_ok=True)
        changed = False
        for name, text in self.files.items():
            changed |= _write_if_changed(self.build_dir / name, text)
        # Only an emulator environment's render holds the provider override: never leave a stale one.
        stale = self.build_dir / emulator.OVERRIDE_FILE
        if emulator.OVERRIDE_FILE not in self.files and stale.is_file():
            stale.unlink()
            changed = True
        return RenderResult(
            environment=self.environment,
            build_dir=self.build_dir,
            root_dir=self.root_dir,
            tfvars_path=self.build_dir / TFVARS,
            backend_block_path=self.build_dir / BACKEND_BLOCK,
            backend_config_path=self.build_dir / BACKEND_CONFIG,
            tfvars_sha256=hashlib.sha256(self.files[TFVARS].encode()).hexdigest(),
            changed=changed,
        )


def prepare_render(project: Project, config: EnvironmentConfig, engine: TerraformBinary | None = None, *,
                   root_dir: Path | None = None, check: bool = True) -> PreparedRender:
    """Check the values against the root module and render the texts; raises before anything is written."""
    root_dir = root_dir or (project.root / config.settings.terraform.root).resolve()
    values = config.terraform_variables()
    if check:
        shown = project.display(root_dir)
        check_variables(values, read_variable_declarations(root_dir, shown), shown, config.name)
    override = None
    if config.settings.emulator is not None:  # first: its error says how to start the emulator
        endpoint = emulator.emulator_endpoint(config.name, config.settings.emulator.endpoint_from_env)
        override = emulator.override_text(config.name, endpoint)
    backend_type, backend_values = backend_settings(project, config, engine)
    backend_block = f"# Rendered by toolkit: the backend type of environment {config.name}.\n" \
                    f'terraform {{\n  backend "{backend_type}" {{}}\n}}\n'
    backend_config = f"# Rendered by toolkit: backend settings of environment {config.name}.\n" + "\n".join(
        f"{key} = {hcl_value(value)}" for key, value in backend_values.items()) + "\n"
    files = {TFVARS: _render_tfvars(config, values), BACKEND_BLOCK: backend_block, BACKEND_CONFIG: backend_config}
    if override is not None:
        files[emulator.OVERRIDE_FILE] = override
    return PreparedRender(config.name, project.build_dir(config.name), root_dir, files)


def render_recorded(project: Project, config: EnvironmentConfig, root_dir: Path, tfvars_text: str,
                    build_dir: Path, engine: TerraformBinary | None = None) -> RenderResult:
    """Recorded tfvars (a checkpoint's) with today's backend files, for a root module other than the working tree's.

    The tfvars were rendered and checked against that root when they were applied; the backend (where the
    state lives) is the environment's current one.
    """
    prepared = prepare_render(project, config, engine, root_dir=root_dir, check=False)
    files = {**prepared.files, TFVARS: tfvars_text}
    return PreparedRender(config.name, build_dir, root_dir, files).write()


def render_environment(project: Project, config: EnvironmentConfig,
                       engine: TerraformBinary | None = None) -> RenderResult:
    """Check and write one environment's rendered files (for `engine`, see backend_settings)."""
    return prepare_render(project, config, engine).write()


def _write_if_changed(path: Path, text: str) -> bool:
    """Write atomically, and only when the content differs (keeps mtimes and diffs quiet)."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    write_atomically(path, text)
    return True
