"""Plain command-line values without pydantic: the start-up time a 3 a.m. `toolkit rollback` does not need.

Typer 0.29 coerces every parameter through a pydantic TypeAdapter: parsing `toolkit rollback` imported
pydantic and built one adapter per option (~0.1 s of a 0.6 s rollback, bench B7). The values our commands
take are plain: strings, lists of strings, enum choices, and values with their own parser (durations). For
those, `use_plain_coercion` installs a coercion that gives exactly Typer's results and messages; anything
else (numbers, paths) keeps Typer's. With a Typer that has no such layer (older releases, or a newer one
that moved it), this does nothing.
"""

from __future__ import annotations

import types
import typing
from enum import Enum
from typing import Any

BOOLEAN_WORDS = {"1": True, "true": True, "t": True, "yes": True, "y": True, "on": True,
                 "0": False, "false": False, "f": False, "no": False, "n": False, "off": False}


def use_plain_coercion(command: Any, help_option_names: list[str]) -> None:
    """Give every plain parameter of `command` (and of its subcommands) the pydantic-free coercion.

    `help_option_names` are the app's (context_settings): the help option is made here, as Click would
    make it on first use, so that it gets the plain coercion too.
    """
    try:
        from typer._coercion import RuntimeParam
        from typer._param_types import coerce_cli_choice
    except ImportError:
        return
    plain = _plain_runtime_param(RuntimeParam, coerce_cli_choice)
    _install(command, plain, help_option_names)


def _install(command: Any, plain: type, help_option_names: list[str]) -> None:
    params = list(getattr(command, "params", []))
    if hasattr(command, "get_help_option") and getattr(command, "_help_option", "absent") is None:
        help_option = command.get_help_option(types.SimpleNamespace(help_option_names=help_option_names))
        params += [help_option] if help_option is not None else []
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is None or getattr(param, "_runtime_param", "absent") is not None:
            continue
        kind = _kind(descriptor.annotation, descriptor.parameter_info)
        if kind is not None:
            param._runtime_param = plain(parameter_info=descriptor.parameter_info, annotation=descriptor.annotation)
    for child in (getattr(command, "commands", None) or {}).values():
        _install(child, plain, help_option_names)


def _without_none(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [member for member in typing.get_args(annotation) if member is not type(None)]
        return members[0] if len(members) == 1 else None
    return annotation


def _kind(annotation: Any, parameter_info: Any) -> str | None:
    """What kind of plain value the parameter takes, or None to leave it to Typer."""
    if getattr(parameter_info, "parser", None) is not None:
        return "parser"
    inner = _without_none(annotation)
    if inner is str:
        return "str"
    if inner is bool:
        return "bool"
    if isinstance(inner, type) and issubclass(inner, Enum):
        return "enum"
    if typing.get_origin(inner) is list and typing.get_args(inner) == (str,):
        return "list"
    return None


def _plain_runtime_param(base: type, coerce_cli_choice: Any) -> type:
    from typer import BadParameter

    class PlainRuntimeParam(base):  # type: ignore[misc, valid-type]
        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            kind = _kind(self.annotation, self.parameter_info)
            if kind == "parser":
                return self.parameter_info.parser(value)
            if kind == "enum":
                try:
                    return coerce_cli_choice(value, choices=tuple(_without_none(self.annotation)),
                                             case_sensitive=self.parameter_info.case_sensitive, ctx=ctx)
                except ValueError as error:
                    # The message Typer's pydantic adapter gives, so errors read the same everywhere.
                    raise BadParameter(f"Value error, {error}", ctx=ctx, param=param) from None
            if kind == "list":
                return [str(item) for item in value]
            if kind == "bool":
                if isinstance(value, bool):
                    return value
                text = str(value).strip().lower()
                if text in BOOLEAN_WORDS:
                    return BOOLEAN_WORDS[text]
                raise BadParameter(f"{value!r} is not a valid boolean.", ctx=ctx, param=param)
            return str(value)

    return PlainRuntimeParam
