"""`toolkit render ENV|--all`: write terraform.tfvars and the backend files into build/ENV."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from toolkit.cli.options import OptionalEnvironment
from toolkit.errors import UsageError

if TYPE_CHECKING:
    from toolkit.engine.terraform import TerraformBinary
    from toolkit.project import Project


def register(app: typer.Typer) -> None:
    app.command("render")(render_command)


def render_command(
    environment: OptionalEnvironment = None,
    all_environments: bool = typer.Option(False, "--all", help="Render every environment."),
) -> None:
    """Validate an environment and render build/ENV/terraform.tfvars, backend.tf and backend.hcl.

    Nothing is written when validation fails. Output is deterministic, so diffs stay clean.

    Example: toolkit render prod    (or: toolkit render --all)
    """
    from toolkit.config import list_environments, load_environment
    from toolkit.engine.render import prepare_render
    from toolkit.project import Project

    if all_environments == (environment is not None):
        raise UsageError("give an environment name or --all (not both)")
    project = Project.discover()
    names = list_environments(project) if all_environments else [environment]
    configs = [load_environment(project, name) for name in names]
    if all_environments:
        for config in [c for c in configs if c.missing_endpoint_variable()]:
            typer.echo(f"{config.name}: skipped ({config.missing_endpoint_variable()} is not set: an emulator-only "
                       "environment; `make demo` renders it)")
        configs = [config for config in configs if not config.missing_endpoint_variable()]
    engine = _engine(project)
    # Check everything before writing anything, so --all never leaves a half-rendered set.
    prepared = [prepare_render(project, config, engine) for config in configs]
    for render in prepared:
        result = render.write()
        state = "written" if result.changed else "unchanged"
        typer.echo(f"{result.environment}: {result.tfvars_path.relative_to(project.root)} ({state}), "
                   f"sha256 {result.tfvars_sha256[:12]}")



def _engine(project: Project) -> TerraformBinary | None:
    """The terraform plan and apply will run, so the backend files use the settings it understands; None
    (the modern settings) when there is none yet."""
    from toolkit.engine.terraform import discover_binary
    from toolkit.errors import TerraformError

    try:
        return discover_binary(project.root)
    except TerraformError:
        return None
