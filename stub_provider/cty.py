"""cty values on the wire: Terraform's msgpack encoding of typed values, driven by the cty JSON type.

Types are cty's JSON form: "string", "number", "bool", "dynamic", ["list", T], ["set", T], ["map", T],
["object", {name: T}] (optionally a third element naming optional attributes) and ["tuple", [T, ...]].
Values decode to None (null), UNKNOWN, str, int/float, bool, list (list, set, tuple), dict (map, object).
A value of type "dynamic" travels as [type-json, value]; it decodes to `Dynamic(type, value)` so that it
re-encodes unchanged. An unknown is msgpack extension 0; Terraform may send a refined unknown as
extension 12 (go-cty's refinements), which decodes to UNKNOWN too (the stub keeps no refinements).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import msgpack

CtyType = Any  # str | list: the cty JSON type as decoded by json.loads
DYNAMIC = "dynamic"
UNKNOWN_EXTENSION = 0
REFINED_UNKNOWN_EXTENSION = 12


class _Unknown:
    """The single unknown value (a value known only after apply)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __deepcopy__(self, memo: dict[int, Any]) -> _Unknown:
        return self


UNKNOWN = _Unknown()


@dataclass
class Dynamic:
    """A value of a "dynamic"-typed attribute: its concrete type travels with it."""

    type: CtyType
    value: Any


class CtyError(ValueError):
    """A value does not match the type it was decoded or encoded with."""


def _ext_hook(code: int, data: bytes) -> Any:
    if code in (UNKNOWN_EXTENSION, REFINED_UNKNOWN_EXTENSION):
        return UNKNOWN
    raise CtyError(f"unexpected msgpack extension type {code}")


def unpack(data: bytes) -> Any:
    """Raw msgpack → Python, unknowns already turned into UNKNOWN (no type applied yet)."""
    return msgpack.unpackb(data, raw=False, ext_hook=_ext_hook, strict_map_key=False)


def decode(data: bytes, cty_type: CtyType) -> Any:
    """Terraform's msgpack bytes of a value of `cty_type` → Python value."""
    if not data:
        return None
    return from_wire(unpack(data), cty_type)


def from_wire(raw: Any, cty_type: CtyType) -> Any:
    if raw is None or raw is UNKNOWN:
        return raw
    if cty_type == DYNAMIC:
        if not isinstance(raw, list) or len(raw) != 2:
            raise CtyError("a dynamic value must be [type, value]")
        inner_type = json.loads(raw[0])
        return Dynamic(inner_type, from_wire(raw[1], inner_type))
    if cty_type == "string":
        if not isinstance(raw, str):
            raise CtyError(f"expected a string, got {type(raw).__name__}")
        return raw
    if cty_type == "number":
        if isinstance(raw, str):  # go-cty sends numbers beyond float64 precision as strings
            try:
                return int(raw)
            except ValueError:
                return float(raw)
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise CtyError(f"expected a number, got {type(raw).__name__}")
        return raw
    if cty_type == "bool":
        if not isinstance(raw, bool):
            raise CtyError(f"expected a bool, got {type(raw).__name__}")
        return raw
    kind = cty_type[0]
    if kind in ("list", "set"):
        return [from_wire(item, cty_type[1]) for item in raw]
    if kind == "map":
        return {key: from_wire(item, cty_type[1]) for key, item in raw.items()}
    if kind == "object":
        return {name: from_wire(raw.get(name), attribute_type) for name, attribute_type in cty_type[1].items()}
    if kind == "tuple":
        return [from_wire(item, element_type) for item, element_type in zip(raw, cty_type[1], strict=True)]
    raise CtyError(f"unknown cty type {cty_type!r}")


def to_wire(value: Any, cty_type: CtyType) -> Any:
    """Python value → the structure msgpack packs for `cty_type` (objects get every attribute)."""
    if value is None:
        return None
    if value is UNKNOWN:
        return msgpack.ExtType(UNKNOWN_EXTENSION, b"\x00")
    if cty_type == DYNAMIC:
        if isinstance(value, Dynamic):
            return [json.dumps(value.type, separators=(",", ":")).encode(), to_wire(value.value, value.type)]
        inner_type = implied_type(value)
        return [json.dumps(inner_type, separators=(",", ":")).encode(), to_wire(value, inner_type)]
    if cty_type == "number":
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
            return int(value)
        if isinstance(value, int) and not -(2**63) <= value < 2**64:
            return str(value)  # beyond msgpack's integers: go-cty reads numbers from strings too
        return value
    if cty_type in ("string", "bool"):
        return value
    kind = cty_type[0]
    if kind in ("list", "set"):
        return [to_wire(item, cty_type[1]) for item in value]
    if kind == "map":
        return {key: to_wire(item, cty_type[1]) for key, item in value.items()}
    if kind == "object":
        return {name: to_wire(value.get(name), attribute_type) for name, attribute_type in cty_type[1].items()}
    if kind == "tuple":
        return [to_wire(item, element_type) for item, element_type in zip(value, cty_type[1], strict=True)]
    raise CtyError(f"unknown cty type {cty_type!r}")


def encode(value: Any, cty_type: CtyType) -> bytes:
    return msgpack.packb(to_wire(value, cty_type), use_bin_type=True)


def implied_type(value: Any) -> CtyType:
    """The cty type of a plain Python value (for values put into "dynamic" attributes)."""
    if isinstance(value, Dynamic):
        return value.type
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return ["tuple", [implied_type(item) for item in value]]
    if isinstance(value, dict):
        return ["object", {key: implied_type(item) for key, item in value.items()}]
    return DYNAMIC


def is_wholly_known(value: Any) -> bool:
    if value is UNKNOWN:
        return False
    if isinstance(value, Dynamic):
        return is_wholly_known(value.value)
    if isinstance(value, list):
        return all(is_wholly_known(item) for item in value)
    if isinstance(value, dict):
        return all(is_wholly_known(item) for item in value.values())
    return True
