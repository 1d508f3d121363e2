"""`toolkit envs list|show|diff`: what environments exist and how they differ."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer

from toolkit.cli.options import Environment, JsonAlias, TextOrJson, TextOrJsonFormat, wants_json


class ShowFormat(StrEnum):
    yaml = "yaml"
    json = "json"


envs_app = typer.Typer(help="List, show and compare environments.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(envs_app, name="envs")


@envs_app.command("list")
def list_command() -> None:
    """List the environments (envs/NAME.yaml): root module, backend, lock and protection.

    Example: toolkit envs list
    """
    from toolkit.config import list_environments, load_environment
    from toolkit.project import Project

    project = Project.discover()
    for name in list_environments(project):
        config = load_environment(project, name)
        flags = "protected" if config.protected else ""
        backend = config.settings.backend
        where = f"{backend.type} lock={backend.lock}" if backend.lock else backend.type
        typer.echo(f"{name:<12} root={config.settings.terraform.root:<20} backend={where:<16} {flags}".rstrip())


@envs_app.command("show")
def show_command(
    environment: Environment,
    output_format: ShowFormat = typer.Option(ShowFormat.yaml, "--format", "-f", help="yaml, or json (for CI and "
                                             "scripts)."),
    json_alias: JsonAlias = False,
) -> None:
    """Print the merged, validated configuration of an environment.

    Example: toolkit envs show prod --format json
    """
    import yaml

    from toolkit.config import load_environment
    from toolkit.project import Project

    config = load_environment(Project.discover(), environment)
    values = config.settings.model_dump(mode="json")
    if wants_json(output_format, json_alias):
        typer.echo(json.dumps(values, indent=2))
    else:
        typer.echo(yaml.safe_dump(values, sort_keys=False, default_flow_style=False).rstrip())


@envs_app.command("diff")
def diff_command(
    left: Annotated[str, typer.Argument(metavar="ENV", help="First environment, e.g. staging.", show_default=False)],
    right: Annotated[str, typer.Argument(metavar="ENV", help="Second environment, e.g. prod.", show_default=False)],
    output_format: TextOrJsonFormat = TextOrJson.text,
    json_alias: JsonAlias = False,
) -> None:
    """Show what differs between two environments, key by key (after merging the defaults).

    Example: toolkit envs diff staging prod
    """
    from toolkit.config import load_environment
    from toolkit.config.diff import diff_values, is_absent
    from toolkit.project import Project

    project = Project.discover()
    left_values = load_environment(project, left).settings.model_dump(mode="json")
    right_values = load_environment(project, right).settings.model_dump(mode="json")
    differences = diff_values(left_values, right_values)

    def shown(value: object) -> str:
        return "(absent)" if is_absent(value) else json.dumps(value)

    if wants_json(output_format, json_alias):
        typer.echo(json.dumps([{"key": d.key, left: None if is_absent(d.left) else d.left,
                                right: None if is_absent(d.right) else d.right} for d in differences], indent=2))
        return
    if not differences:
        typer.echo(f"{left} and {right} are identical")
        return
    width = max(len(d.key) for d in differences)
    left_width = max(len(left), *(len(shown(d.left)) for d in differences))
    typer.echo(f"{'key':<{width}}  {left:<{left_width}}  {right}")
    for difference in differences:
        typer.echo(f"{difference.key:<{width}}  {shown(difference.left):<{left_width}}  {shown(difference.right)}")
    typer.echo(f"\n{len(differences)} keys differ")
