"""The provider schema the stub serves: the project's one typed schema (stub_provider.schema_file, read lazily
per type) plus, compiled once per schema file, what only the stub needs:
  schema.pb     the serialized GetProviderSchema response (answered as bytes, never rebuilt),
  metadata.pb   the serialized GetMetadata response,
  source.json   the schema file it came from, the provider address, version and provider block.
So a provider process reads a small file at start and decodes one type's block the first time it is used.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stub_provider.cty import CtyType
from stub_provider.schema_file import ProviderSchema, read

RESOURCE = "resource_schemas"
DATA_SOURCE = "data_source_schemas"
KINDS = (RESOURCE, DATA_SOURCE)
NESTING_MODES = {"single": 1, "list": 2, "set": 3, "map": 4, "group": 5}
COMPILED_FORMAT = 2


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


def compile_schema(provider: str, source: Path, target: Path, schema: ProviderSchema | None = None) -> str:
    """Write the compiled folder for one provider schema file (`schema`: that file, already read); returns the
    provider version."""
    from tf.gen import tfplugin_pb2 as pb  # only needed here and in the server, not when merely reading

    loaded = schema or read(provider, source)
    document = loaded.document()
    schema = document["provider_schemas"][loaded.address]
    # A schema without the extractor's `toolkit` key (e.g. a real `terraform providers schema -json`) gets 0.0.0.
    version = str((document.get("toolkit") or {}).get("provider_version") or "0.0.0")
    target.mkdir(parents=True, exist_ok=True)
    response = pb.GetProviderSchema.Response(
        provider=pb.Schema(version=0, block=_proto_block(pb, schema["provider"]["block"])),
        server_capabilities=pb.ServerCapabilities(get_provider_schema_optional=True),
    )
    metadata = pb.GetMetadata.Response(
        server_capabilities=pb.ServerCapabilities(get_provider_schema_optional=True))
    for kind in KINDS:
        for name in sorted(schema.get(kind) or {}):
            entry = schema[kind][name]
            proto = pb.Schema(version=int(entry.get("version", 0)), block=_proto_block(pb, entry["block"]))
            if kind == RESOURCE:
                response.resource_schemas[name].CopyFrom(proto)
                metadata.resources.append(pb.GetMetadata.ResourceMetadata(type_name=name))
            else:
                response.data_source_schemas[name].CopyFrom(proto)
                metadata.data_sources.append(pb.GetMetadata.DataSourceMetadata(type_name=name))
    _write(target / "schema.pb", response.SerializeToString(deterministic=True))
    _write(target / "metadata.pb", metadata.SerializeToString(deterministic=True))
    source_info = {"format": COMPILED_FORMAT, "provider": provider, "source": str(source.resolve()),
                   "address": loaded.address, "version": version,
                   "provider_block": schema["provider"]["block"]}
    _write(target / "source.json", json.dumps(source_info, separators=(",", ":"), sort_keys=True).encode())
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
    """A compiled folder: the answers prepared in advance, and each type's block from the schema on first use."""

    folder: Path
    info: dict[str, Any] = field(default_factory=dict)
    _cache: dict[tuple[str, str], TypeSchema] = field(default_factory=dict)

    @classmethod
    def open(cls, folder: Path) -> CompiledSchema:
        return cls(folder, json.loads((folder / "source.json").read_bytes()))

    @property
    def address(self) -> str:
        return str(self.info["address"])

    @property
    def provider_block(self) -> dict[str, Any]:
        return self.info["provider_block"]

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
            section = "resource" if kind == RESOURCE else "data"
            entry = read(self.info["provider"], Path(self.info["source"])).type_schema(section, name)
            if entry is None:
                return None
            block = entry["block"]
            self._cache[key] = TypeSchema(name, int(entry.get("version", 0)), block, block_type(block))
        return self._cache[key]
