"""Extract a full provider schema from a prebuilt cdktn/cdktf provider npm package.

The packages (`@cdktn/provider-aws`, `@cdktn/provider-random`, and the older `@cdktf/provider-*` ones) are
generated from `terraform providers schema -json`, and their `lib/<type>/index.js` keep what a schema needs:

- every attribute has a comment `// name - computed: X, optional: Y, required: Z`, followed by its getter;
  the getter gives the type (`getStringAttribute` -> string, `Fn.tolist(getListAttribute)` -> set(string), ...);
- nested blocks and object attributes are classes: `new XList(this, "name", wrapsSet)` is a list (a set when
  it wraps one), `new XOutputReference(this, "name")` is one object (a list/set block with max_items 1, a
  single block, or an object attribute);
- `synthesizeHclAttributes()` / `xToHclTerraform()` say for every argument whether it is a block
  (`isBlock`) and its exact storage type (`stringListList` -> set(list(string)), `XList` + `set`, ...);
- write-only arguments carry a `Write-only:` note.

Computed-only nested objects become attributes (as Terraform's SDK reports them), configurable ones blocks.
Required blocks get min_items 1. The package has no sensitivity markers and no schema versions: those come
from the overlay (`toolkit/data/provider_schemas/overlay-<provider>.yaml`) together with the real types of the
few arguments the package only knows as `any` (wafv2 `statement`, ...).

The result is Terraform's own `terraform providers schema -json` document for one provider plus a `toolkit`
key naming the package, gzip'd with sorted keys and mtime 0 so that the bytes depend only on the package.
Reading the whole AWS package (~330 MB of JavaScript) takes well under a minute; see `main()`.
"""

from __future__ import annotations

import argparse
import copy
import functools
import gzip
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from stub_provider.schema_file import SECTIONS
from toolkit.files import write_bytes_atomically
from toolkit.provider_schema import DATA_DIR, SchemaError

FORMAT_VERSION = "1.0"
MAX_RECURSION = 3


@dataclass(frozen=True)
class ProviderPackage:
    """Where one provider's npm package lives and which Terraform provider it describes."""

    name: str  # local provider name: "aws"
    package: str  # npm package: "@cdktn/provider-aws"
    npm_prefix: str  # folder under .cache where `npm install --prefix` put it

    def directory(self, cache_dir: Path) -> Path:
        return cache_dir / self.npm_prefix / "node_modules" / self.package

    @property
    def source(self) -> str:
        return f"registry.terraform.io/hashicorp/{self.name}"


# The packages scripts/setup.sh installs (step 5). Other versions: `--package-dir`.
PACKAGES = {
    "aws": ProviderPackage("aws", "@cdktn/provider-aws", "npm"),
    "random": ProviderPackage("random", "@cdktn/provider-random", "npm-random"),
}

_BASES = {
    "cdktn.TerraformResource": "resource_schemas",
    "cdktf.TerraformResource": "resource_schemas",
    "cdktn.TerraformDataSource": "data_source_schemas",
    "cdktf.TerraformDataSource": "data_source_schemas",
    "cdktn.TerraformEphemeralResource": "ephemeral_resource_schemas",
    "cdktf.TerraformEphemeralResource": "ephemeral_resource_schemas",
    "cdktn.TerraformProvider": "provider",
    "cdktf.TerraformProvider": "provider",
}
# Headers only: a body runs to the next "\n}\n" (top-level code is not indented in the generated files). Lazy
# `.*?^}` patterns over 330 MB cost seconds; str.find does not.
_CLASS = re.compile(r"class (\w+) extends ([\w.]+) \{\n")
_HCL_FUNCTION = re.compile(r"function (\w+)ToHclTerraform\(struct\) \{\n")
_HCL_ATTRIBUTE = re.compile(
    r"^ +(\w+): \{\n +value: (.*),\n +isBlock: (true|false),\n +type: \"(\w+)\",\n +storageClassType: \"(\w+)\",\n",
    re.M,
)
_MEMBER = re.compile(r"    // (\w+) - computed: (true|false), optional: (true|false), required: (true|false)\n")
_NEW = re.compile(r"^    _\w+ = new ([\w.]+)\(this, \"\w+\"(?:, (true|false))?\);$", re.M)
_GETTER = re.compile(r"^    get \w+\(\) \{\n        return (.*);$", re.M)
_TF_TYPE = re.compile(r"^    static tfResourceType = \"(\w+)\";$", re.M)
# Older @cdktf packages (provider-aws 21.x and before) assign it after the class instead.
_TF_TYPE_ASSIGNED = re.compile(r"^(\w+)\.tfResourceType = \"(\w+)\";$", re.M)
# ... and create nested blocks and computed lists in the constructor instead of as class fields.
_CONSTRUCTOR_MEMBER = re.compile(
    r"^        // (\w+) - computed: (true|false), optional: (true|false), required: (true|false)\n"
    r"        this\._\w+ = new ([\w.]+)\(this, \"\w+\"(?:, (true|false))?\);$",
    re.M,
)
_PROVIDER_VERSION = re.compile(r"providerVersion: '([^']+)'")
_STRUCT_PROPERTY = re.compile(r"^    readonly (\w+)(\??): ", re.M)
_PRIMITIVE_STORAGE = re.compile(r"(string|number|boolean|any)((?:List|Map)*)")
_SUFFIX = re.compile("List|Map")
_QUOTED_NAME = re.compile(r"'\w+'")
_CAMEL_VALUE = re.compile(r"(?:struct\.|this\._)(\w+)")

# Getter bodies (attribute name removed) -> cty type; None: the package only knows `any`.
_GETTER_TYPES: dict[str, Any] = {
    "this.getStringAttribute()": "string",
    "this.getNumberAttribute()": "number",
    "this.getBooleanAttribute()": "bool",
    "this.getListAttribute()": ["list", "string"],
    "cdktn.Fn.tolist(this.getListAttribute())": ["set", "string"],
    "this.getNumberListAttribute()": ["list", "number"],
    "cdktn.Token.asNumberList(cdktn.Fn.tolist(this.getNumberListAttribute()))": ["set", "number"],
    "this.getBooleanListAttribute()": ["list", "bool"],
    "this.getStringMapAttribute()": ["map", "string"],
    "this.getNumberMapAttribute()": ["map", "number"],
    "this.getBooleanMapAttribute()": ["map", "bool"],
    "this.getAnyMapAttribute()": ["map", "dynamic"],
    "this.interpolationForAttribute()": "dynamic",
    "cdktn.Token.asAny(cdktn.Fn.tolist(this.interpolationForAttribute()))": ["set", "dynamic"],
}
_MAP_CLASSES = {"StringMap": "string", "NumberMap": "number", "BooleanMap": "bool", "AnyMap": "dynamic"}


@dataclass
class _Member:
    name: str
    computed: bool
    optional: bool
    required: bool
    new_class: str | None = None
    wraps_set: bool = False
    getter: str | None = None
    write_only: bool = False


@dataclass(frozen=True)
class _Hcl:
    camel: str
    is_block: bool
    kind: str  # simple | list | set | map | struct
    storage: str


@dataclass
class _Module:
    """One lib/<type>/ folder: its classes, HCL functions and (for provider structs) d.ts optionality."""

    path: Path
    classes: dict[str, tuple[str, str]] = field(default_factory=dict)
    hcl_functions: dict[str, str] = field(default_factory=dict)
    declarations: str = ""
    assigned_types: dict[str, str] = field(default_factory=dict)


@dataclass
class ExtractionStats:
    """What one extraction produced, for the report and the tests."""

    counts: dict[str, int] = field(default_factory=dict)
    attributes: int = 0
    untyped: list[str] = field(default_factory=list)  # `any` in the package, before the overlay
    overlaid: list[str] = field(default_factory=list)
    normalised_flags: int = 0
    truncated: list[str] = field(default_factory=list)
    overlay_skipped: list[str] = field(default_factory=list)


def _camel_first_lower(name: str) -> str:
    return name[:1].lower() + name[1:]


def _headers(text: str, marker: str, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
    """Matches of a line-start pattern, found with str.find (far faster than a MULTILINE regex scan)."""
    first = pattern.match(text, 0)
    if first:
        yield first
    position = text.find(marker)
    while position >= 0:
        match = pattern.match(text, position + 1)
        if match:
            yield match
        position = text.find(marker, position + 1)


def _body(text: str, start: int) -> str:
    end = text.find("\n}\n", start - 1)
    return text[start : end + 1 if end >= 0 else len(text)]


def _read_module(directory: Path) -> _Module:
    module = _Module(directory)
    for script in sorted(directory.rglob("*.js")):
        text = script.read_text(encoding="utf-8")
        for match in _headers(text, "\nclass ", _CLASS):
            module.classes[match.group(1)] = (match.group(2), _body(text, match.end()))
        for match in _headers(text, "\nfunction ", _HCL_FUNCTION):
            module.hcl_functions[match.group(1)] = _body(text, match.end())
        if ".tfResourceType = " in text:
            module.assigned_types.update(_TF_TYPE_ASSIGNED.findall(text))
    declarations = directory / "index.d.ts"
    if declarations.is_file():
        module.declarations = declarations.read_text(encoding="utf-8")
    return module


def _members(body: str) -> dict[str, _Member]:
    members: dict[str, _Member] = {}
    matches = list(_headers(body, "\n    // ", _MEMBER))
    for index, match in enumerate(matches):
        name, computed, optional, required = match.groups()
        rest = body[match.end() : matches[index + 1].start() if index + 1 < len(matches) else len(body)]
        member = _Member(name, computed == "true", optional == "true", required == "true")
        created = _NEW.search(rest)
        if created:
            member.new_class = created.group(1)
            member.wraps_set = created.group(2) == "true"
        getter = _GETTER.search(rest)
        if getter:
            member.getter = _QUOTED_NAME.sub("", getter.group(1))
        member.write_only = "Write-only:" in rest
        members[name] = member
    if "\n        this._" in body:
        for name, computed, optional, required, new_class, wraps_set in _CONSTRUCTOR_MEMBER.findall(body):
            members.setdefault(name, _Member(name, computed == "true", optional == "true", required == "true",
                                             new_class=new_class, wraps_set=wraps_set == "true"))
    return members


def _hcl_attributes(body: str) -> dict[str, _Hcl]:
    attributes: dict[str, _Hcl] = {}
    for match in _HCL_ATTRIBUTE.finditer(body):
        name, value, is_block, kind, storage = match.groups()
        camel = _CAMEL_VALUE.search(value)
        attributes[name] = _Hcl(camel.group(1) if camel else "", is_block == "true", kind, storage)
    return attributes


@functools.cache  # a handful of distinct storage types; the returned types are never mutated
def _storage_type(kind: str, storage: str) -> Any | None:
    """`stringListList` stored as a set -> ["set", ["list", "string"]]; None for provider structs."""
    match = _PRIMITIVE_STORAGE.fullmatch(storage)
    if not match:
        return None
    cty: Any = {"string": "string", "number": "number", "boolean": "bool", "any": "dynamic"}[match.group(1)]
    suffixes = _SUFFIX.findall(match.group(2))
    for index, suffix in enumerate(suffixes):
        if suffix == "Map":
            cty = ["map", cty]
        else:
            outermost = index == len(suffixes) - 1
            cty = [kind if outermost and kind in ("list", "set") else "list", cty]
    return cty


def contains_dynamic(cty: Any) -> bool:
    """Whether a cty type is or contains `dynamic` (the package's `any`)."""
    if cty == "dynamic":
        return True
    if isinstance(cty, list) and len(cty) > 1:
        inner = cty[1]
        if cty[0] == "object" and isinstance(inner, dict):
            return any(contains_dynamic(member) for member in inner.values())
        return contains_dynamic(inner)
    return False


def block_to_object_type(block: dict[str, Any]) -> Any:
    """A block's value as a cty object type (nested blocks as list/set of objects, single as object)."""
    members: dict[str, Any] = {name: spec["type"] for name, spec in block.get("attributes", {}).items()}
    for name, nested in block.get("block_types", {}).items():
        inner = block_to_object_type(nested["block"])
        mode = nested["nesting_mode"]
        members[name] = inner if mode == "single" else [mode, inner]
    return ["object", members]


class _Extractor:
    def __init__(self, stats: ExtractionStats) -> None:
        self.stats = stats

    def flags(self, computed: bool, optional: bool, required: bool) -> dict[str, bool]:
        """Exactly one of required / optional / computed / optional+computed, as Terraform requires."""
        if required:
            if computed or optional:
                self.stats.normalised_flags += 1
            return {"required": True}
        if optional and computed:
            return {"optional": True, "computed": True}
        if optional:
            return {"optional": True}
        if computed:
            return {"computed": True}
        self.stats.normalised_flags += 1
        return {"optional": True}

    def block(
        self,
        module: _Module,
        members: dict[str, _Member],
        hcl: dict[str, _Hcl],
        where: str,
        struct: str | None = None,
        seen: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        attributes: dict[str, Any] = {}
        block_types: dict[str, Any] = {}
        optional_properties = self._optional_properties(module, struct) if struct and not members else {}
        for name in sorted({*members, *hcl}):
            member = members.get(name)
            entry = hcl.get(name)
            if member is None:
                # Provider structs have no classes: the d.ts `?` says optional or required.
                assert entry is not None
                required = optional_properties.get(entry.camel) is False
                member = _Member(name, False, not required, required)
            path = f"{where}.{name}"
            nested = self._nested(member, entry)
            if nested is not None:
                struct_name, container, single = nested
                if seen.count(struct_name) >= MAX_RECURSION:
                    # A self-referencing struct (aws_wafv2_web_acl_rule `statement`): Terraform schemas are
                    # finite, the provider nests these three levels deep, so deeper levels are dropped.
                    self.stats.truncated.append(path)
                    continue
                inner = self.struct_block(module, struct_name, path, (*seen, struct_name))
                computed_only = member.computed and not member.optional and not member.required
                # A map of objects is always an attribute (SDK TypeMap of a Resource), even if cdktn says block.
                is_map = container == "map" or (entry is not None and entry.kind == "map")
                # Terraform blocks cannot be computed, so a configurable nested object flagged computed is an
                # attribute (SDK ConfigModeAttr: aws_security_group `ingress`, aws_route_table `route`).
                if computed_only or is_map or member.computed or (entry is not None and not entry.is_block):
                    object_type = block_to_object_type(inner)
                    kind = entry.kind if entry is not None and not computed_only else container
                    cty = object_type if kind in ("struct", "single") else [kind, object_type]
                    attributes[name] = {"type": cty, **self.flags(member.computed, member.optional, member.required)}
                    continue
                mode = {"struct": "single"}.get(entry.kind, entry.kind) if entry is not None else container
                if mode not in ("list", "set", "single"):
                    raise SchemaError(f"{module.path}: {path}: unexpected block nesting {mode!r}")
                spec: dict[str, Any] = {"nesting_mode": mode, "block": inner}
                if mode != "single":
                    if member.required:
                        spec["min_items"] = 1
                    if single:
                        spec["max_items"] = 1
                block_types[name] = spec
                continue
            cty = self._type(member, entry, module, path)
            attribute: dict[str, Any] = {"type": cty, **self.flags(member.computed, member.optional, member.required)}
            if member.write_only:
                attribute["write_only"] = True
            if contains_dynamic(cty):
                self.stats.untyped.append(path)
            attributes[name] = attribute
            self.stats.attributes += 1
        block: dict[str, Any] = {}
        if attributes:
            block["attributes"] = attributes
        if block_types:
            block["block_types"] = block_types
        return block

    def struct_block(self, module: _Module, struct: str, where: str, seen: tuple[str, ...]) -> dict[str, Any]:
        reference = module.classes.get(struct + "OutputReference")
        members = _members(reference[1]) if reference else {}
        function = module.hcl_functions.get(_camel_first_lower(struct), "")
        return self.block(module, members, _hcl_attributes(function), where, struct, seen)

    @staticmethod
    def _nested(member: _Member, entry: _Hcl | None) -> tuple[str, str, bool] | None:
        """(struct name, list|set|single|map, max one) when the member is a nested object."""
        if member.new_class and not member.new_class.startswith(("cdktn.", "cdktf.")):
            cls = member.new_class.rsplit(".", 1)[-1]
            if cls.endswith("OutputReference"):
                return cls.removesuffix("OutputReference"), "single", True
            if cls.endswith("List"):
                return cls.removesuffix("List"), "set" if member.wraps_set else "list", False
            if cls.endswith("Map"):
                return cls.removesuffix("Map"), "map", False
        if entry is not None and _storage_type(entry.kind, entry.storage) is None:
            suffix = {"list": "List", "set": "List", "map": "Map"}.get(entry.kind, "")
            return entry.storage.removesuffix(suffix), entry.kind if suffix else "single", False
        return None

    @staticmethod
    def _type(member: _Member, entry: _Hcl | None, module: _Module, path: str) -> Any:
        if member.new_class and member.new_class.startswith(("cdktn.", "cdktf.")):
            element = _MAP_CLASSES.get(member.new_class.split(".", 1)[1])
            if element is None:
                raise SchemaError(f"{module.path}: {path}: unknown attribute class {member.new_class}")
            return ["map", element]
        # Older @cdktf packages spell the same helpers `cdktf.`.
        from_getter = _GETTER_TYPES.get((member.getter or "").replace("cdktf.", "cdktn."))
        if entry is not None:
            from_storage = _storage_type(entry.kind, entry.storage)
            # The storage type is exact (`stringMapList`); the getter only says `any` for those.
            if from_storage is not None and not (from_storage == "dynamic" and from_getter not in (None, "dynamic")):
                return from_storage
        if from_getter is None:
            raise SchemaError(f"{module.path}: {path}: cannot type getter {member.getter!r}")
        return from_getter

    @staticmethod
    def _optional_properties(module: _Module, struct: str) -> dict[str, bool]:
        interface = re.search(
            rf"^export interface {re.escape(struct)} \{{\n(.*?)^\}}", module.declarations, re.M | re.S
        )
        if not interface:
            return {}
        return {name: mark == "?" for name, mark in _STRUCT_PROPERTY.findall(interface.group(1))}


def _modules(package_dir: Path) -> Iterator[Path]:
    lib = package_dir / "lib"
    for child in sorted(lib.iterdir()):
        if child.is_dir() and (child / "index.js").is_file():
            yield child


def _manifest(package_dir: Path) -> dict[str, Any] | None:
    path = package_dir / "package.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and "version" in manifest else None


def package_version(package_dir: Path) -> str | None:
    """The installed npm package's version (cheap: reads package.json only)."""
    manifest = _manifest(package_dir)
    return str(manifest["version"]) if manifest else None


_NPM_NAME = re.compile(r"(@[a-z0-9][\w.-]*/)?[a-z0-9][\w.-]*")
_NPM_VERSION = re.compile(r"[0-9][\w.+-]*")


def install_package(spec: str, cache_dir: Path) -> Path:
    """`npm install NAME@VERSION` into its own prefix under .cache/npm-schemas/ (once); returns the package folder.

    For schemas of other provider releases, e.g. `@cdktf/provider-aws@19.0.0` (AWS provider 5.x/6.x); the
    package is only read, its install scripts never run."""
    name, _, version = spec.rpartition("@")
    if not _NPM_NAME.fullmatch(name) or not _NPM_VERSION.fullmatch(version):
        raise SchemaError(f"--npm {spec!r}: expected NAME@VERSION, e.g. @cdktf/provider-aws@19.0.0")
    prefix = cache_dir / "npm-schemas" / f"{name.replace('/', '__')}@{version}"
    package_dir = prefix / "node_modules" / name
    if package_version(package_dir) == version:
        return package_dir
    npm = shutil.which("npm")
    if npm is None:
        raise SchemaError(f"npm is not installed: cannot fetch {spec}")
    prefix.mkdir(parents=True, exist_ok=True)
    command = [npm, "install", "--silent", "--no-audit", "--no-fund", "--ignore-scripts", "--omit=peer",
               "--prefix", str(prefix), spec]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    except subprocess.TimeoutExpired as error:
        raise SchemaError(f"npm install {spec} did not finish in {error.timeout:.0f}s") from error
    if result.returncode != 0 or package_version(package_dir) != version:
        detail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise SchemaError(f"npm install {spec} failed (exit {result.returncode}): {' / '.join(detail) or 'no output'}")
    return package_dir


def extract(
    provider: ProviderPackage, package_dir: Path, overlay: Path | None = None, strict: bool = True
) -> tuple[dict[str, Any], ExtractionStats]:
    """Build the `providers schema -json` document for one provider from its npm package."""
    manifest = _manifest(package_dir)
    if manifest is None or not (package_dir / "lib").is_dir():
        raise SchemaError(f"no {provider.package} package at {package_dir}: run scripts/setup.sh (make setup)")
    stats = ExtractionStats()
    extractor = _Extractor(stats)
    sections: dict[str, dict[str, Any]] = {
        "resource_schemas": {},
        "data_source_schemas": {},
        "ephemeral_resource_schemas": {},
    }
    provider_block: dict[str, Any] | None = None
    provider_version: str | None = None
    for directory in _modules(package_dir):
        module = _read_module(directory)
        for class_name, (base, body) in module.classes.items():
            section = _BASES.get(base)
            if section is None:
                continue
            type_match = _TF_TYPE.search(body)
            type_name = type_match.group(1) if type_match else module.assigned_types.get(class_name)
            if type_name is None:
                continue
            if provider_version is None:
                found = _PROVIDER_VERSION.search(body)
                provider_version = found.group(1) if found else None
            hcl_start = body.find("synthesizeHclAttributes()")
            hcl = _hcl_attributes(body[hcl_start:]) if hcl_start >= 0 else {}
            members = _members(body[: hcl_start if hcl_start >= 0 else len(body)])
            where = {"provider": "provider", "data_source_schemas": f"data.{type_name}"}.get(section, type_name)
            block = extractor.block(module, members, hcl, where, class_name + "Config")
            if section == "provider":
                # cdktn adds the `alias` meta-argument to every provider class; it is not in the schema.
                block.get("attributes", {}).pop("alias", None)
                provider_block = block
            else:
                sections[section][type_name] = {"version": 0, "block": block}
    if provider_block is None:
        raise SchemaError(f"{package_dir}: no provider class found in lib/provider")
    schema_entry: dict[str, Any] = {"provider": {"version": 0, "block": provider_block}, **sections}
    if overlay is not None and overlay.is_file():
        apply_overlay(schema_entry, overlay, stats, strict)
    stats.counts = {section: len(entries) for section, entries in sections.items()}
    document = {
        "format_version": FORMAT_VERSION,
        "provider_schemas": {provider.source: schema_entry},
        "toolkit": {
            "package": str(manifest.get("name", provider.package)),
            "package_version": str(manifest.get("version")),
            "provider_version": provider_version,
        },
    }
    return document, stats


# ---------------------------------------------------------------------------------------------- overlay


def _walk(schema_entry: dict[str, Any], kind: str, type_name: str, path: str) -> tuple[dict[str, Any], str]:
    """The block holding the last element of `path` (dot-separated block names) and that element's name."""
    if kind == "provider":
        block = schema_entry["provider"]["block"]
    else:
        section = SECTIONS[kind]
        if type_name not in schema_entry[section]:
            raise SchemaError(f"overlay: {kind} {type_name} is not in the package")
        block = schema_entry[section][type_name]["block"]
    *parents, last = path.split(".")
    for name in parents:
        nested = block.get("block_types", {}).get(name)
        if nested is None:
            raise SchemaError(f"overlay: {kind} {type_name}: no block {name!r} on the way to {path}")
        block = nested["block"]
    return block, last


def _apply_entry(schema_entry: dict[str, Any], entry: dict[str, Any], label: str) -> None:
    block, name = _walk(schema_entry, entry["kind"], entry.get("type", ""), entry["path"])
    current = block.get("attributes", {}).get(name)
    if "block" in entry:
        if current is None or current["type"] != "dynamic":
            raise SchemaError(f"overlay: {label}: not an `any` attribute in the package")
        del block["attributes"][name]
        if not block["attributes"]:
            del block["attributes"]
        # YAML anchors share objects between entries: copy so that no two blocks alias each other.
        block.setdefault("block_types", {})[name] = copy.deepcopy(entry["block"])
    elif "attribute" in entry:
        if current is None:
            raise SchemaError(f"overlay: {label}: no such attribute in the package")
        current.update(copy.deepcopy(entry["attribute"]))
    elif "block_spec" in entry:
        nested = block.get("block_types", {}).get(name)
        if nested is None:
            raise SchemaError(f"overlay: {label}: no such block in the package")
        nested.update(copy.deepcopy(entry["block_spec"]))
    elif entry.get("keep_dynamic"):
        if current is None or not contains_dynamic(current["type"]):
            raise SchemaError(f"overlay: {label}: not an `any` attribute in the package")
    else:
        raise SchemaError(f"overlay: {label}: needs `block`, `attribute`, `block_spec` or `keep_dynamic`")


def apply_overlay(schema_entry: dict[str, Any], overlay: Path, stats: ExtractionStats, strict: bool = True) -> None:
    """Apply the hand-written corrections (see the overlay file's header): real types for `any` arguments,
    sensitive flags, provider max_items. Strict (the bundled package): an entry naming something the package
    does not have is an error, so an upgrade that renames or types an argument is noticed instead of keeping a
    stale correction. Not strict (another package version, e.g. an older 6.x): such entries are skipped and
    listed in `stats.overlay_skipped`."""
    try:
        document = yaml.safe_load(overlay.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise SchemaError(f"cannot read the schema overlay {overlay}: {error}") from error
    covered: set[str] = set()
    # `sensitive:` is a compact list of "KIND TYPE PATH" lines, each an `attribute: {sensitive: true}` entry.
    compact = [
        {"kind": kind, "type": type_name, "path": path, "attribute": {"sensitive": True}}
        for kind, type_name, path in (line.split() for line in document.get("sensitive", []))
    ]
    for entry in [*document.get("entries", []), *compact]:
        kind, type_name, path = entry["kind"], entry.get("type", ""), entry["path"]
        label = " ".join(part for part in (kind, type_name, path) if part)
        try:
            _apply_entry(schema_entry, entry, label)
        except SchemaError as error:
            if strict:
                raise
            stats.overlay_skipped.append(str(error))
            continue
        prefix = {"data": f"data.{type_name}.", "provider": "provider."}.get(kind, f"{type_name}.")
        covered.add(prefix + path)
        stats.overlaid.append(label)
    stats.untyped = [path for path in stats.untyped if path not in covered]


# ---------------------------------------------------------------------------------------------- output


def encode(document: dict[str, Any]) -> bytes:
    """Deterministic gzip: sorted keys, compact separators, no file name, mtime 0."""
    data = json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return gzip.compress(data, compresslevel=9, mtime=0)


def output_path(provider: str, data_dir: Path = DATA_DIR) -> Path:
    return data_dir / f"{provider}.json.gz"


def overlay_path(provider: str, data_dir: Path = DATA_DIR) -> Path:
    return data_dir / f"overlay-{provider}.yaml"


def main(argv: list[str] | None = None) -> int:
    """Re-extract toolkit/data/provider_schemas/<provider>.json.gz from the installed npm package, or extract
    another package version (e.g. an older @cdktf/provider-aws for provider 6.x) with --package-dir/--output."""
    parser = argparse.ArgumentParser(prog="python -m toolkit.checks.schema_extract", description=main.__doc__)
    parser.add_argument("providers", nargs="*", default=sorted(PACKAGES), help="aws, random (default: both)")
    parser.add_argument("--package-dir", type=Path, help="an installed npm package folder; needs --output")
    parser.add_argument("--npm", metavar="NAME@VERSION",
                        help="fetch that package with npm into .cache/npm-schemas/ and extract it; needs --output")
    parser.add_argument("--output", type=Path, help="where to write (default: the bundled file)")
    parser.add_argument("--cache-dir", type=Path, default=Path(__file__).resolve().parents[2] / ".cache")
    arguments = parser.parse_args(argv)
    if (arguments.package_dir or arguments.npm or arguments.output) and len(arguments.providers) != 1:
        parser.error("--package-dir/--npm/--output need exactly one provider")
    if arguments.package_dir and arguments.npm:
        parser.error("--package-dir and --npm are exclusive")
    if (arguments.package_dir or arguments.npm) and not arguments.output:
        parser.error("--package-dir/--npm need --output: the bundled file is extracted from the set-up package only")
    for name in arguments.providers:
        if name not in PACKAGES:
            parser.error(f"unknown provider {name!r} (known: {', '.join(sorted(PACKAGES))})")
        provider = PACKAGES[name]
        started = time.perf_counter()
        other_package = arguments.package_dir or arguments.npm
        try:
            package_dir = arguments.package_dir or provider.directory(arguments.cache_dir)
            if arguments.npm:
                package_dir = install_package(arguments.npm, arguments.cache_dir)
            document, stats = extract(provider, package_dir, overlay_path(name), strict=not other_package)
        except SchemaError as error:
            print(f"Error: {error}", file=sys.stderr)
            return 1
        target = arguments.output or output_path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = encode(document)
        write_bytes_atomically(target, data, mode=0o644)
        info = document["toolkit"]
        print(
            f"wrote {target} ({len(data):,} bytes): {info['package']} {info['package_version']} "
            f"(provider {info['provider_version']}), {stats.counts}, {stats.attributes} attributes, "
            f"{len(stats.overlaid)} overlay entries, still untyped: {stats.untyped or 'none'}, "
            f"{time.perf_counter() - started:.1f}s"
        )
        for skipped in stats.overlay_skipped:
            print(f"  overlay entry skipped: {skipped}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
