"""The provider schema the stub serves, compiled once into files that load in milliseconds.

Source: Terraform's own `providers schema -json` format (gzip), one provider per file. `compile_schema`
turns it into, per provider, a folder with
  schema.pb     the serialized GetProviderSchema response (answered as bytes, never rebuilt),
  metadata.pb   the serialized GetMetadata response,
  blocks.json   one line per resource/data source type: its block JSON (decoded only when used),
  index.json    {kind: {type: [offset, length]}} into blocks.json, plus the provider block and version.
So a provider process reads a small index at start and one block per type it is asked about.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stub_provider.cty import CtyType

RESOURCE = "resource_schemas"
DATA_SOURCE = "data_source_schemas"
KINDS = (RESOURCE, DATA_SOURCE)
NESTING_MODES = {"single": 1, "list": 2, "set": 3, "map": 4, "group": 5}
COMPILED_FORMAT = 1


def block_type(block: dict[str, Any]) -> CtyType:
    """The cty object type a block's values have (Terraform's Block.ImpliedType)."""
    attributes: dict[str, CtyType] = {}
    for name, attribute in block.get("attributes", {}).items():
        attributes[name] = attribute_type(attribute)
    for name, nested in block.get("block_types", {}).items():
        inner = block_type(nested.get("block", {}))
        mode = nested.get("nesting_mode", "list")
        attributes[name] = inner if mode in ("single", "group") else [mode, inner]
    return ["object", attributes]


def attribute_type(attribute: dict[str, Any]) -> CtyType:
    if "type" in attribute:
        return attribute["type"]
    nested = attribute.get("nested_type")
    if nested is None:
        return "dynamic"
    inner = ["object", {name: attribute_type(child) for name, child in nested.get("attributes", {}).items()}]
    mode = nested.get("nesting_mode", "single")
    return inner if mode == "single" else [mode, inner]


def _proto_block(pb: Any, block: dict[str, Any]) -> Any:
    message = pb.Schema.Block(version=0)
    for name in sorted(block.get("attributes", {})):
        attribute = block["attributes"][name]
        message.attributes.append(pb.Schema.Attribute(
            name=name,
            type=json.dumps(attribute_type(attribute), separators=(",", ":")).encode(),
            required=bool(attribute.get("required")),
            optional=bool(attribute.get("optional")),
            computed=bool(attribute.get("computed")),
            sensitive=bool(attribute.get("sensitive")),
            deprecated=bool(attribute.get("deprecated")),
        ))
    for name in sorted(block.get("block_types", {})):
        nested = block["block_types"][name]
        message.block_types.append(pb.Schema.NestedBlock(
            type_name=name,
            block=_proto_block(pb, nested.get("block", {})),
            nesting=NESTING_MODES[nested.get("nesting_mode", "list")],
            min_items=int(nested.get("min_items", 0)),
            max_items=int(nested.get("max_items", 0)),
        ))
    if block.get("deprecated"):
        message.deprecated = True
    return message


def load_source(path: Path) -> tuple[str, dict[str, Any], str]:
    """(provider source address, its schema, provider version) from a `providers schema -json` file (plain or
    gzip'd), read by the loader `toolkit check --schema` uses too (toolkit/provider_schema.py): a file holding
    several providers is searched for the one named like the file (`aws.json.gz` -> `.../aws`); an unreadable
    one raises its SchemaError (a ToolkitError: `Error: …` at the CLI)."""
    from toolkit import provider_schema

    loaded = provider_schema.load(path.name.split(".", 1)[0], path)
    schema = loaded.document()["provider_schemas"][loaded.address]
    return loaded.address, schema, loaded.info.provider_version or "0.0.0"


def compile_schema(source: Path, target: Path) -> str:
    """Write the compiled folder for one provider schema file; returns the provider version."""
    from tf.gen import tfplugin_pb2 as pb  # only needed here and in the server, not when merely reading

    address, schema, version = load_source(source)
    target.mkdir(parents=True, exist_ok=True)
    response = pb.GetProviderSchema.Response(
        provider=pb.Schema(version=0, block=_proto_block(pb, schema["provider"]["block"])),
        server_capabilities=pb.ServerCapabilities(get_provider_schema_optional=True),
    )
    metadata = pb.GetMetadata.Response(
        server_capabilities=pb.ServerCapabilities(get_provider_schema_optional=True))
    index: dict[str, Any] = {"format": COMPILED_FORMAT, "address": address, "version": version,
                             "provider": schema["provider"]["block"]}
    offset = 0
    lines: list[bytes] = []
    for kind in KINDS:
        index[kind] = {}
        for name in sorted(schema.get(kind) or {}):
            entry = schema[kind][name]
            proto = pb.Schema(version=int(entry.get("version", 0)), block=_proto_block(pb, entry["block"]))
            if kind == RESOURCE:
                response.resource_schemas[name].CopyFrom(proto)
                metadata.resources.append(pb.GetMetadata.ResourceMetadata(type_name=name))
            else:
                response.data_source_schemas[name].CopyFrom(proto)
                metadata.data_sources.append(pb.GetMetadata.DataSourceMetadata(type_name=name))
            line = json.dumps({"version": int(entry.get("version", 0)), "block": entry["block"]},
                              separators=(",", ":"), sort_keys=True).encode() + b"\n"
            index[kind][name] = [offset, len(line)]
            offset += len(line)
            lines.append(line)
    _write(target / "blocks.json", b"".join(lines))
    _write(target / "schema.pb", response.SerializeToString(deterministic=True))
    _write(target / "metadata.pb", metadata.SerializeToString(deterministic=True))
    _write(target / "index.json", json.dumps(index, separators=(",", ":"), sort_keys=True).encode())
    return version


def _write(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


@dataclass
class TypeSchema:
    """One resource or data source type: its block and the cty type of its values."""

    name: str
    version: int
    block: dict[str, Any]
    type: CtyType


@dataclass
class CompiledSchema:
    """Reads a compiled folder lazily: the index at start, a type's block the first time it is used."""

    folder: Path
    index: dict[str, Any] = field(default_factory=dict)
    _cache: dict[tuple[str, str], TypeSchema] = field(default_factory=dict)

    @classmethod
    def open(cls, folder: Path) -> CompiledSchema:
        index = json.loads((folder / "index.json").read_bytes())
        return cls(folder, index)

    @property
    def address(self) -> str:
        return str(self.index["address"])

    @property
    def provider_block(self) -> dict[str, Any]:
        return self.index["provider"]

    @property
    def provider_type(self) -> CtyType:
        return block_type(self.provider_block)

    def schema_bytes(self) -> bytes:
        return (self.folder / "schema.pb").read_bytes()

    def metadata_bytes(self) -> bytes:
        return (self.folder / "metadata.pb").read_bytes()

    def get(self, kind: str, name: str) -> TypeSchema | None:
        key = (kind, name)
        if key not in self._cache:
            location = self.index[kind].get(name)
            if location is None:
                return None
            with open(self.folder / "blocks.json", "rb") as handle:
                handle.seek(location[0])
                entry = json.loads(handle.read(location[1]))
            self._cache[key] = TypeSchema(name, entry["version"], entry["block"], block_type(entry["block"]))
        return self._cache[key]
