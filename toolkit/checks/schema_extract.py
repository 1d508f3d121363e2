"""Extract the AWS provider schema from the npm @cdktn/provider-aws jsii assembly into a compact JSON.

The assembly (~150 MB) describes every resource, data source and ephemeral resource of the provider as a
`<Name>Config` interface whose properties are the Terraform arguments and nested blocks. Reading it takes a
few seconds and ~0.7 GB of memory, so it is done once per package version and the compact result (~1 MB
gzipped) is cached under `.cache/schema/`; later runs load only that.

Compact format (version 1):

    {"format": 1, "package": "@cdktn/provider-aws", "package_version": "25.7.0",
     "provider_version": "6.66.0",
     "resource": {"aws_s3_bucket": BLOCK, ...}, "data": {...}, "ephemeral": {...}, "provider": {"aws": BLOCK}}

    BLOCK = {"a": {argument: FLAGS}, "b": {block: [FLAGS, max_one, BLOCK | null]}, "o": {argument: BLOCK}}

FLAGS is a bit set: 1 = required, 2 = object-typed argument (also accepted in block syntax, e.g. security
group `ingress`); "o" (present only when non-empty) holds those arguments' object shapes. The package
marks no provider argument as deprecated, so deprecations are not part of the schema. A nested BLOCK of
null means the package does not describe its content (deep recursive blocks such as wafv2 `statement`),
so it is not checked further.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError

PACKAGE_NAME = "@cdktn/provider-aws"
FORMAT_VERSION = 1
REQUIRED = 1
OBJECT_ARGUMENT = 2

# `{@link https://registry.terraform.io/.../docs/resources/s3_bucket#bucket_prefix S3Bucket#bucket_prefix}`
_ARGUMENT_LINK = re.compile(r"\{@link https://registry\.terraform\.io/\S+#(\w+) ")
_BLOCK_SUMMARY = re.compile(r"^(\w+) block\.")
# `Represents a {@link https://registry.terraform.io/.../docs/resources/s3_bucket aws_s3_bucket}.`
_TYPE_LINK = re.compile(r"\{@link https://registry\.terraform\.io/\S+ (aws\w*)\}")
_PROVIDER_VERSION = re.compile(r"registry\.terraform\.io/providers/hashicorp/aws/([0-9][\w.]*)/docs")
_KIND_BY_BASE = {
    "cdktn.TerraformResource": "resource",
    "cdktn.TerraformDataSource": "data",
    "cdktn.TerraformEphemeralResource": "ephemeral",
    "cdktn.TerraformProvider": "provider",
}


class SchemaError(ToolkitError):
    """The provider schema is missing or cannot be read."""


@dataclass(frozen=True)
class ExtractionStats:
    """What an extraction produced, for the report and `toolkit check --schema --verbose`."""

    types: dict[str, int]
    arguments_named_by_guess: int


def default_package_dir(cache_dir: Path) -> Path:
    return cache_dir / "npm" / "node_modules" / "@cdktn" / "provider-aws"


def package_version(package_dir: Path) -> str | None:
    """The installed npm package's version (cheap: reads package.json, not the assembly)."""
    manifest = package_dir / "package.json"
    if not manifest.is_file():
        return None
    return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])


def assembly_path(package_dir: Path) -> Path | None:
    for name in (".jsii", ".jsii.gz"):
        candidate = package_dir / name
        if candidate.is_file():
            return candidate
    return None


def _load_assembly(path: Path) -> dict[str, Any]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as stream:
            return json.load(stream)
    except (OSError, ValueError) as error:
        raise SchemaError(f"cannot read the provider schema package {path}: {error}") from error


def _camel_to_snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _struct_fqn(type_ref: dict[str, Any]) -> tuple[str | None, bool]:
    """The provider struct a property refers to (if any) and whether it is a single object (max one)."""
    if "fqn" in type_ref:
        fqn = type_ref["fqn"]
        return (fqn, True) if fqn.startswith(PACKAGE_NAME + ".") else (None, False)
    if "collection" in type_ref:
        fqn, _ = _struct_fqn(type_ref["collection"]["elementtype"])
        return fqn, False
    if "union" in type_ref:
        for member in type_ref["union"]["types"]:
            fqn, single = _struct_fqn(member)
            if fqn:
                return fqn, single
    return None, False


def _config_fqn(class_fqn: str, definition: dict[str, Any]) -> str:
    """The struct the constructor takes as `config`: usually `<Class>Config`, but renamed when that name is
    taken by a nested block (aws_wafv2_web_acl_association's is `Wafv2WebAclAssociationConfigA`)."""
    for parameter in definition.get("initializer", {}).get("parameters", []):
        if parameter.get("name") == "config" and "fqn" in parameter.get("type", {}):
            return parameter["type"]["fqn"]
    return class_fqn + "Config"


class _Extractor:
    def __init__(self, types: dict[str, Any]) -> None:
        self.types = types
        self.arguments_named_by_guess = 0

    def block(self, fqn: str, seen: tuple[str, ...] = ()) -> dict[str, Any] | None:
        interface = self.types.get(fqn)
        if interface is None or fqn in seen:
            return None
        arguments: dict[str, int] = {}
        blocks: dict[str, list[Any]] = {}
        objects: dict[str, Any] = {}
        for prop in interface.get("properties", []):
            if prop.get("static"):
                continue
            docs = prop.get("docs", {})
            summary = docs.get("summary", "")
            flags = 0 if prop.get("optional") else REQUIRED
            struct, max_one = _struct_fqn(prop["type"])
            block_name = _BLOCK_SUMMARY.match(summary)
            if block_name:
                nested = self.block(struct, (*seen, fqn)) if struct else None
                blocks[block_name.group(1)] = [flags, int(max_one), nested]
                continue
            link = _ARGUMENT_LINK.search(summary + " " + docs.get("remarks", ""))
            if link:
                name = link.group(1)
            else:
                self.arguments_named_by_guess += 1
                name = _camel_to_snake(prop["name"])
            if struct:
                flags |= OBJECT_ARGUMENT
                shape = self.block(struct, (*seen, fqn))
                if shape is not None:
                    objects[name] = shape
            arguments[name] = flags
        block: dict[str, Any] = {"a": arguments, "b": blocks}
        if objects:
            block["o"] = objects
        return block


def extract_schema(assembly_file: Path) -> tuple[dict[str, Any], ExtractionStats]:
    """Read the jsii assembly and build the compact schema (seconds; ~0.7 GB peak memory)."""
    assembly = _load_assembly(assembly_file)
    types: dict[str, Any] = assembly.get("types", {})
    extractor = _Extractor(types)
    schema: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "package": assembly.get("name", PACKAGE_NAME),
        "package_version": assembly.get("version"),
        "provider_version": None,
        "resource": {},
        "data": {},
        "ephemeral": {},
        "provider": {},
    }
    for fqn, definition in types.items():
        kind = _KIND_BY_BASE.get(definition.get("base", ""))
        if definition.get("kind") != "class" or kind is None:
            continue
        summary = definition.get("docs", {}).get("summary", "")
        if kind == "provider":
            type_name = "aws"
        else:
            match = _TYPE_LINK.search(summary)
            if not match:
                continue
            type_name = match.group(1)
        version = _PROVIDER_VERSION.search(summary)
        if version and not schema["provider_version"]:
            schema["provider_version"] = version.group(1)
        block = extractor.block(_config_fqn(fqn, definition))
        if block is not None:
            schema[kind][type_name] = block
    for kind in ("resource", "data", "ephemeral"):
        schema[kind] = dict(sorted(schema[kind].items()))
    stats = ExtractionStats(
        types={kind: len(schema[kind]) for kind in ("resource", "data", "ephemeral", "provider")},
        arguments_named_by_guess=extractor.arguments_named_by_guess,
    )
    return schema, stats


def write_schema(schema: dict[str, Any], path: Path) -> None:
    """Write gzip'd compact JSON atomically (mtime 0 so the bytes depend only on the content)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    data = json.dumps(schema, separators=(",", ":"), sort_keys=False).encode("utf-8")
    with open(temporary, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as stream:
        stream.write(data)
    temporary.replace(path)


def read_schema(path: Path) -> dict[str, Any]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as stream:
            schema = json.load(stream)
    except (OSError, ValueError) as error:
        raise SchemaError(f"cannot read the cached provider schema {path}: {error}") from error
    if schema.get("format") != FORMAT_VERSION:
        raise SchemaError(f"{path}: schema format {schema.get('format')}, expected {FORMAT_VERSION}")
    return schema


def write_bundled_schema(schema: dict[str, Any], path: Path) -> None:
    """Write plain JSON with one resource type per line, so a provider upgrade reads as a per-type diff."""
    lines = ["{"]
    header = {key: value for key, value in schema.items() if not isinstance(value, dict)}
    lines.extend(f"{json.dumps(key)}: {json.dumps(value)}," for key, value in header.items())
    sections = [key for key, value in schema.items() if isinstance(value, dict)]
    for section_index, section in enumerate(sections):
        lines.append(f"{json.dumps(section)}: {{")
        items = list(schema[section].items())
        for index, (name, block) in enumerate(items):
            comma = "," if index < len(items) - 1 else ""
            lines.append(f"{json.dumps(name)}: {json.dumps(block, separators=(',', ':'))}{comma}")
        lines.append("}," if section_index < len(sections) - 1 else "}")
    lines.append("}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    """Maintainers: refresh toolkit/data/aws_provider_schema.json from the installed npm package."""
    import sys

    root = Path(__file__).resolve().parents[2]
    assembly = assembly_path(default_package_dir(root / ".cache"))
    if assembly is None:
        sys.exit(f"no {PACKAGE_NAME} assembly under {root / '.cache'}: run scripts/setup.sh")
    schema, stats = extract_schema(assembly)
    target = Path(__file__).resolve().parents[1] / "data" / "aws_provider_schema.json"
    write_bundled_schema(schema, target)
    print(f"wrote {target}: provider {schema['provider_version']}, {stats.types}")


if __name__ == "__main__":
    main()
