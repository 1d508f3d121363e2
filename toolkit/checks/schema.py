"""Offline schema validation: the stand-in for `terraform validate` against AWS provider 6.x.

Every `resource`, `data`, `ephemeral` and `provider "aws"` block under the checked directories is compared
with the provider schema (see schema_extract): unknown arguments and blocks (with a did-you-mean), missing
required ones, blocks written as arguments and arguments written as blocks, and repeated single blocks.
`dynamic "name" { content { ... } }` counts as block `name`; meta-arguments are allowed; `module` blocks
and non-AWS types are skipped.
"""

from __future__ import annotations

import difflib
import json
import os
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.checks import schema_extract
from toolkit.checks.findings import FAILED, CheckResult, Finding, relative
from toolkit.checks.hcl import Argument, Block, HclParseError, parse_file
from toolkit.checks.schema_extract import OBJECT_ARGUMENT, REQUIRED, SchemaError

BUNDLED_SCHEMA = Path(__file__).resolve().parents[1] / "data" / "aws_provider_schema.json"
SCHEMA_FILE_VARIABLE = "TOOLKIT_AWS_SCHEMA"

META_ARGUMENTS = {
    "resource": {"count", "for_each", "provider", "depends_on"},
    "data": {"count", "for_each", "provider", "depends_on"},
    "ephemeral": {"count", "for_each", "provider", "depends_on"},
    "provider": {"alias"},
}
META_BLOCKS = {
    "resource": {"lifecycle", "provisioner", "connection"},
    "data": {"lifecycle"},
    "ephemeral": {"lifecycle"},
    "provider": set(),
}
LIFECYCLE_ARGUMENTS = {"create_before_destroy", "prevent_destroy", "ignore_changes", "replace_triggered_by"}
LIFECYCLE_BLOCKS = {"precondition", "postcondition"}
DYNAMIC_ARGUMENTS = {"for_each", "iterator", "labels"}
DOCS_KIND = {"resource": "resources", "data": "data-sources", "ephemeral": "ephemeral-resources"}
LIST_ALLOWED_UP_TO = 12
SKIPPED_DIRECTORIES = {".terraform", ".git", "node_modules"}


@dataclass
class ProviderSchema:
    """The compact schema plus where it came from."""

    data: dict[str, Any]
    source: str

    @property
    def provider_version(self) -> str:
        return str(self.data.get("provider_version"))

    def types(self, kind: str) -> dict[str, Any]:
        return self.data.get(kind, {})


@dataclass(frozen=True)
class SchemaLoad:
    """How the schema was obtained this time, measured for the report."""

    schema: ProviderSchema
    extracted: bool
    seconds: float


def cache_file(cache_dir: Path, version: str) -> Path:
    return cache_dir / "schema" / f"cdktn-provider-aws-{version}.json.gz"


def load_provider_schema(cache_dir: Path) -> SchemaLoad:
    """The compact schema: $TOOLKIT_AWS_SCHEMA, else the cache for the installed npm package (built from
    its assembly on first use), else the copy bundled with the toolkit (for machines without npm)."""
    started = time.perf_counter()
    explicit = os.environ.get(SCHEMA_FILE_VARIABLE)
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise SchemaError(f"{SCHEMA_FILE_VARIABLE}={explicit}: no such file")
        data = _read_any(path)
        return SchemaLoad(ProviderSchema(data, str(path)), False, time.perf_counter() - started)
    package_dir = schema_extract.default_package_dir(cache_dir)
    version = schema_extract.package_version(package_dir)
    assembly = schema_extract.assembly_path(package_dir)
    if version and assembly:
        cached = cache_file(cache_dir, version)
        if cached.is_file():
            data = schema_extract.read_schema(cached)
            return SchemaLoad(ProviderSchema(data, str(cached)), False, time.perf_counter() - started)
        data, _ = schema_extract.extract_schema(assembly)
        schema_extract.write_schema(data, cached)
        return SchemaLoad(ProviderSchema(data, str(cached)), True, time.perf_counter() - started)
    if BUNDLED_SCHEMA.is_file():
        data = _read_any(BUNDLED_SCHEMA)
        return SchemaLoad(ProviderSchema(data, str(BUNDLED_SCHEMA)), False, time.perf_counter() - started)
    raise SchemaError(
        f"no AWS provider schema: neither {package_dir} (run scripts/setup.sh) nor {BUNDLED_SCHEMA} exists"
    )


def _read_any(path: Path) -> dict[str, Any]:
    if path.suffix == ".gz":
        return schema_extract.read_schema(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SchemaError(f"cannot read the provider schema {path}: {error}") from error
    if data.get("format") != schema_extract.FORMAT_VERSION:
        raise SchemaError(f"{path}: schema format {data.get('format')}, expected {schema_extract.FORMAT_VERSION}")
    return data


def _suggest(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.75)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _allowed(names: Iterable[str], docs_url: str) -> str:
    ordered = sorted(names)
    if len(ordered) <= LIST_ALLOWED_UP_TO:
        return f" (allowed: {', '.join(ordered) or 'none'})"
    return f" (see {docs_url})"


class _BlockValidator:
    """Walks one top-level block against its schema, collecting findings."""

    def __init__(self, path: str, address: str, docs_url: str) -> None:
        self.path = path
        self.address = address
        self.docs_url = docs_url
        self.findings: list[Finding] = []

    def report(self, line: int, message: str, severity: str = "error") -> None:
        self.findings.append(Finding(self.path, line, self.address, message, severity))

    def validate(
        self,
        block: Block,
        schema: dict[str, Any],
        where: str,
        meta_arguments: Collection[str] = (),
        meta_blocks: Collection[str] = (),
    ) -> None:
        arguments: dict[str, int] = schema["a"]
        blocks: dict[str, list[Any]] = schema["b"]
        prefix = f"{where}: " if where else ""
        known = [*arguments, *blocks]
        seen: set[str] = set()
        for argument in block.argument_order:
            self._argument(argument, schema, meta_arguments, known, prefix, seen)
        # Static occurrences per block type; a dynamic block counts as present but not as a repeat,
        # since `dynamic` with a zero-or-one for_each is the usual way to write an optional single block.
        given_blocks: dict[str, int] = {}
        for child in block.blocks:
            is_dynamic = child.type == "dynamic"
            name = child.labels[0] if is_dynamic and child.labels else child.type
            if is_dynamic:
                content = self._dynamic(child, prefix)
                if content is None:
                    continue
                child = content
            elif child.type in meta_blocks:
                self._meta_block(child, prefix)
                continue
            given_blocks[name] = given_blocks.get(name, 0) + (0 if is_dynamic else 1)
            self._child(child, name, schema, known, prefix, where)
        for name, count in given_blocks.items():
            if name in blocks and blocks[name][1] and count > 1:
                self.report(block.line, f'{prefix}block "{name}" may appear only once, found {count}')
        for name, flags in arguments.items():
            if flags & REQUIRED and name not in seen and not (flags & OBJECT_ARGUMENT and name in given_blocks):
                self.report(block.line, f'{prefix}missing required argument "{name}"')
        for name, (flags, _, _) in blocks.items():
            if flags & REQUIRED and name not in given_blocks:
                self.report(block.line, f'{prefix}missing required block "{name}"')

    def _argument(
        self,
        argument: Argument,
        schema: dict[str, Any],
        meta_arguments: Collection[str],
        known: list[str],
        prefix: str,
        seen: set[str],
    ) -> None:
        arguments: dict[str, int] = schema["a"]
        blocks: dict[str, list[Any]] = schema["b"]
        objects: dict[str, Any] = schema.get("o", {})
        name = argument.name
        if name in seen:
            self.report(argument.line, f'{prefix}argument "{name}" is set more than once')
            return
        seen.add(name)
        if name in meta_arguments:
            return
        if name in arguments:
            shape = objects.get(name)
            if shape is not None:
                self._object_literal(argument, shape, prefix)
            return
        if name in blocks:
            self.report(
                argument.line,
                f'{prefix}"{name}" is a block, not an argument: write `{name} {{ ... }}` '
                f'(or `dynamic "{name}"`) instead of `{name} = ...`',
            )
            return
        hint = _suggest(name, known) or _allowed(arguments, self.docs_url)
        self.report(argument.line, f'{prefix}unknown argument "{name}"{hint}')

    def _object_literal(self, argument: Argument, shape: dict[str, Any], prefix: str) -> None:
        """Literal keys of `x = {...}` / `x = [{...}]` for an object-typed argument must exist in its type."""
        allowed = [*shape["a"], *shape["b"]]
        for keys in argument.object_keys:
            for key, line in keys:
                if key not in allowed:
                    hint = _suggest(key, allowed) or _allowed(allowed, self.docs_url)
                    self.report(line, f'{prefix}{argument.name}: unknown attribute "{key}"{hint}')

    def _child(
        self,
        child: Block,
        name: str,
        schema: dict[str, Any],
        known: list[str],
        prefix: str,
        where: str,
    ) -> None:
        arguments: dict[str, int] = schema["a"]
        blocks: dict[str, list[Any]] = schema["b"]
        objects: dict[str, Any] = schema.get("o", {})
        if name in blocks:
            nested = blocks[name][2]
            if nested is not None:
                self.validate(child, nested, f"{where}.{name}" if where else name)
            return
        if name in arguments:
            if arguments[name] & OBJECT_ARGUMENT:
                # Object-typed arguments (attributes-as-blocks) list every key as optional, so only
                # unknown keys are checked, not missing ones.
                shape = objects.get(name)
                if shape is not None:
                    self.validate(child, shape, f"{where}.{name}" if where else name)
                return
            self.report(
                child.line,
                f'{prefix}"{name}" is an argument, not a block: write `{name} = ...` instead of `{name} {{ ... }}`',
            )
            return
        hint = _suggest(name, known) or _allowed(blocks, self.docs_url)
        self.report(child.line, f'{prefix}unknown block "{name}"{hint}')

    def _dynamic(self, block: Block, prefix: str) -> Block | None:
        if len(block.labels) != 1:
            self.report(block.line, f"{prefix}a dynamic block needs exactly one label, the block type")
            return None
        for argument in block.argument_order:
            if argument.name not in DYNAMIC_ARGUMENTS:
                self.report(
                    argument.line,
                    f'{prefix}dynamic "{block.labels[0]}": unknown argument "{argument.name}"'
                    f"{_suggest(argument.name, DYNAMIC_ARGUMENTS)} (allowed: for_each, iterator, labels)",
                )
        if "for_each" not in block.arguments:
            self.report(block.line, f'{prefix}dynamic "{block.labels[0]}": missing required argument "for_each"')
        contents = block.blocks_of("content")
        if len(contents) != 1:
            self.report(block.line, f'{prefix}dynamic "{block.labels[0]}": needs exactly one content block')
            return None
        content = contents[0]
        return Block(
            type=block.labels[0],
            labels=[],
            line=content.line,
            arguments=content.arguments,
            blocks=content.blocks,
            argument_order=content.argument_order,
        )

    def _meta_block(self, block: Block, prefix: str) -> None:
        if block.type != "lifecycle":
            return
        for argument in block.argument_order:
            if argument.name not in LIFECYCLE_ARGUMENTS:
                self.report(
                    argument.line,
                    f'{prefix}lifecycle: unknown argument "{argument.name}"'
                    f"{_suggest(argument.name, LIFECYCLE_ARGUMENTS)}"
                    f" (allowed: {', '.join(sorted(LIFECYCLE_ARGUMENTS))})",
                )
        for child in block.blocks:
            if child.type not in LIFECYCLE_BLOCKS:
                self.report(child.line, f'{prefix}lifecycle: unknown block "{child.type}"')


@dataclass
class SchemaCounts:
    files: int = 0
    validated: int = 0
    skipped: int = 0


def terraform_files_under(directories: Iterable[Path]) -> list[Path]:
    """Every .tf file below the directories (examples included), skipping .terraform caches."""
    found: list[Path] = []
    for directory in directories:
        if not directory.is_dir():
            continue
        for current, subdirectories, files in os.walk(directory):
            subdirectories[:] = sorted(name for name in subdirectories if name not in SKIPPED_DIRECTORIES)
            found.extend(Path(current) / name for name in sorted(files) if name.endswith(".tf"))
    return found


def validate_block(
    block: Block, schema: ProviderSchema, path: str, counts: SchemaCounts | None = None
) -> list[Finding]:
    """Findings for one top-level block of a parsed file (non-schema blocks give none)."""
    counts = counts or SchemaCounts()
    kind = block.type
    if kind not in META_ARGUMENTS:
        return []
    if kind == "provider":
        if block.labels != ["aws"]:
            counts.skipped += 1
            return []
        type_name, address, type_schema = "aws", 'provider "aws"', schema.types("provider").get("aws")
        docs_url = f"https://registry.terraform.io/providers/hashicorp/aws/{schema.provider_version}/docs"
    else:
        if len(block.labels) != 2:
            return [Finding(path, block.line, kind, f"a {kind} block needs two labels, type and name")]
        type_name, name = block.labels
        address = f"{type_name}.{name}" if kind == "resource" else f"{kind}.{type_name}.{name}"
        if not type_name.startswith("aws_"):
            counts.skipped += 1
            return []
        type_schema = schema.types(kind).get(type_name)
        docs_url = (
            f"https://registry.terraform.io/providers/hashicorp/aws/{schema.provider_version}/docs/"
            f"{DOCS_KIND[kind]}/{type_name.removeprefix('aws_')}"
        )
        if type_schema is None:
            hint = _suggest(type_name, schema.types(kind))
            label = {"resource": "resource type", "data": "data source", "ephemeral": "ephemeral resource"}[kind]
            return [
                Finding(
                    path,
                    block.line,
                    address,
                    f'unknown {label} "{type_name}" in AWS provider {schema.provider_version}{hint}',
                )
            ]
    counts.validated += 1
    validator = _BlockValidator(path, address, docs_url)
    validator.validate(block, type_schema, "", META_ARGUMENTS[kind], META_BLOCKS[kind])
    return validator.findings


def run_schema_check(root: Path, directories: Iterable[Path], cache_dir: Path) -> CheckResult:
    """Validate every resource/data/ephemeral/provider block in the .tf files under `directories`."""
    started = time.perf_counter()
    result = CheckResult(name="schema")
    load = load_provider_schema(cache_dir)
    schema = load.schema
    counts = SchemaCounts()
    for path in terraform_files_under(directories):
        shown = relative(path, root)
        counts.files += 1
        try:
            parsed = parse_file(path)
        except HclParseError as error:
            result.findings.append(error.finding(shown))
            continue
        for block in parsed.body.blocks:
            result.findings.extend(validate_block(block, schema, shown, counts))
    result.counts = {
        "files": counts.files,
        "blocks": counts.validated,
        "skipped": counts.skipped,
        "errors": len(result.errors),
        "warnings": len(result.findings) - len(result.errors),
    }
    action = "extracted from the npm assembly and cached" if load.extracted else "loaded"
    result.notes.append(
        f"AWS provider {schema.provider_version} schema {action} in {load.seconds:.2f}s from {schema.source}"
    )
    if result.errors:
        result.status = FAILED
    result.seconds = time.perf_counter() - started
    return result
