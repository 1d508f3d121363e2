"""Reading the toolkit's own JSON records back (checkpoints, plan metadata, journal lines) with every field
type-checked: the records live in folders and buckets anyone with access can edit, so a record that is not
what the toolkit wrote is refused with the field and what it holds, never passed on to crash later.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from typing import Any


class RecordError(ValueError):
    """A record that is not one the toolkit wrote: the message names the field and why."""


def parse_json(body: bytes | str) -> Any:
    """JSON, or a RecordError (also for nesting deeper than Python's recursion limit: `[[[[…`)."""
    try:
        return json.loads(body)
    except RecursionError:
        raise RecordError("not a toolkit record: nested too deeply") from None
    except ValueError as error:
        raise RecordError(f"not JSON ({error})") from None


def build(kind: Any, data: Any, where: str = "") -> Any:
    """Rebuild a dataclass (nested ones, lists, dicts, optionals) from JSON, checking each field's type. Unknown
    keys (from newer toolkits) are ignored; a missing field without a default is an error."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        if data is None and type(None) in typing.get_args(kind):
            return None
        options = [option for option in typing.get_args(kind) if option is not type(None)]
        errors = []
        for option in options:
            try:
                return build(option, data, where)
            except RecordError as error:
                errors.append(str(error))
        raise RecordError(errors[0] if len(errors) == 1 else f"{where or 'value'}: {_shown(data)} is none of "
                          f"{', '.join(_name(option) for option in options)}")
    if origin is list:
        (item,) = typing.get_args(kind)
        _expect(isinstance(data, list), where, "a list", data)
        return [build(item, value, f"{where}[{index}]") for index, value in enumerate(data)]
    if origin is dict:
        key_type, item = typing.get_args(kind)
        _expect(isinstance(data, dict), where, "an object", data)
        return {build(key_type, key, f"{where} key"): build(item, value, f"{where}.{key}")
                for key, value in data.items()}
    if dataclasses.is_dataclass(kind):
        _expect(isinstance(data, dict), where, "an object", data)
        hints = typing.get_type_hints(kind)
        values = {}
        for item in dataclasses.fields(kind):
            if item.name in data:
                values[item.name] = build(hints[item.name], data[item.name], _join(where, item.name))
            elif item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING:
                raise RecordError(f"{_join(where, item.name)}: missing")
        return kind(**values)
    if kind is Any:
        return data
    if kind is bool:
        _expect(isinstance(data, bool), where, "true or false", data)
    elif kind is int:
        _expect(isinstance(data, int) and not isinstance(data, bool), where, "a whole number", data)
    elif kind is float:
        _expect(isinstance(data, int | float) and not isinstance(data, bool) and math.isfinite(data), where,
                "a number", data)
        return float(data)
    elif kind is str:
        _expect(isinstance(data, str), where, "a string", data)
    return data


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _name(kind: Any) -> str:
    return getattr(kind, "__name__", str(kind))


def _shown(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, str | int | float | bool) or value is None else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _expect(condition: bool, where: str, what: str, data: Any) -> None:
    if not condition:
        raise RecordError(f"{where or 'value'} must be {what}, not {_shown(data)}")
