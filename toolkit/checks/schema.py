"""Offline schema validation: the stand-in for `terraform validate` against AWS provider 6.x.

Every `resource`, `data`, `ephemeral` and `provider "aws"` block under the checked directories is compared
with the typed provider schema bundled with the toolkit (toolkit/provider_schema.py, the same one the offline
stub provider serves): unknown arguments and blocks (with a did-you-mean), missing required ones, blocks
written as arguments and arguments written as blocks, arguments the provider computes (read-only), and
repeated single blocks. `dynamic "name" { content { ... } }` counts as block `name`; meta-arguments are
allowed; `module` blocks and non-AWS types are skipped. Value types are Terraform's job (`check --validate`).
"""

from __future__ import annotations

import difflib
import os
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stub_provider.schema_file import ProviderSchema
from toolkit import provider_schema
from toolkit.checks.findings import FAILED, CheckResult, Finding, relative
from toolkit.checks.hcl import Argument, Block, HclParseError, parse_file
from toolkit.provider_schema import SchemaError

__all__ = ["SchemaError", "load_provider_schema", "run_schema_check", "validate_block"]

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


@dataclass(frozen=True)
class SchemaLoad:
    """The schema used this time and how long loading it took, for the report."""

    schema: ProviderSchema
    seconds: float


def load_provider_schema() -> SchemaLoad:
    """The AWS schema: $TOOLKIT_AWS_SCHEMA (any `terraform providers schema -json` file), else the bundled one."""
    started = time.perf_counter()
    schema = provider_schema.load("aws")
    schema.document()  # every type is looked up by name and suggested from: decode once, up front
    return SchemaLoad(schema, time.perf_counter() - started)


@dataclass(frozen=True)
class _Shape:
    """What the validator needs of one Terraform schema block."""

    arguments: dict[str, dict[str, Any]]  # configurable attributes
    computed: set[str]  # attributes only the provider sets
    blocks: dict[str, dict[str, Any]]

    @classmethod
    def of(cls, block: dict[str, Any]) -> _Shape:
        attributes = block.get("attributes", {})
        computed = {
            name
            for name, spec in attributes.items()
            if spec.get("computed") and not spec.get("optional") and not spec.get("required")
        }
        arguments = {name: spec for name, spec in attributes.items() if name not in computed}
        return cls(arguments, computed, block.get("block_types", {}))

    def known(self) -> list[str]:
        return [*self.arguments, *self.blocks]


def object_shape(cty: Any) -> dict[str, Any] | None:
    """The attributes of an object type, or of the objects in a list/set of objects (None otherwise): such
    arguments may also be written as blocks (Terraform's attributes-as-blocks mode, e.g. security group
    `ingress`), and their keys are checked."""
    if isinstance(cty, list) and cty and cty[0] in ("list", "set") and len(cty) == 2:
        cty = cty[1]
    if isinstance(cty, list) and cty and cty[0] == "object":
        members = cty[1]
        return {
            "attributes": {
                name: {"type": member, "optional": True} for name, member in members.items()
            }
        }
    return None


def _single(spec: dict[str, Any]) -> bool:
    return spec.get("nesting_mode") == "single" or spec.get("max_items") == 1


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
        shape = _Shape.of(schema)
        prefix = f"{where}: " if where else ""
        known = shape.known()
        seen: set[str] = set()
        for argument in block.argument_order:
            self._argument(argument, shape, meta_arguments, known, prefix, seen)
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
            self._child(child, name, shape, known, prefix, where)
        for name, count in given_blocks.items():
            if name in shape.blocks and _single(shape.blocks[name]) and count > 1:
                self.report(block.line, f'{prefix}block "{name}" may appear only once, found {count}')
        for name, spec in shape.arguments.items():
            written_as_block = object_shape(spec["type"]) is not None and name in given_blocks
            if spec.get("required") and name not in seen and not written_as_block:
                self.report(block.line, f'{prefix}missing required argument "{name}"')
        for name, spec in shape.blocks.items():
            if spec.get("min_items", 0) > 0 and name not in given_blocks:
                self.report(block.line, f'{prefix}missing required block "{name}"')

    def _argument(
        self,
        argument: Argument,
        shape: _Shape,
        meta_arguments: Collection[str],
        known: list[str],
        prefix: str,
        seen: set[str],
    ) -> None:
        name = argument.name
        if name in seen:
            self.report(argument.line, f'{prefix}argument "{name}" is set more than once')
            return
        seen.add(name)
        if name in meta_arguments:
            return
        if name in shape.arguments:
            nested = object_shape(shape.arguments[name]["type"])
            if nested is not None:
                self._object_literal(argument, nested, prefix)
            return
        if name in shape.blocks:
            self.report(
                argument.line,
                f'{prefix}"{name}" is a block, not an argument: write `{name} {{ ... }}` '
                f'(or `dynamic "{name}"`) instead of `{name} = ...`',
            )
            return
        if name in shape.computed:
            self.report(
                argument.line,
                f'{prefix}"{name}" is read-only: the provider computes it, so it cannot be set',
            )
            return
        hint = _suggest(name, known) or _allowed(shape.arguments, self.docs_url)
        self.report(argument.line, f'{prefix}unknown argument "{name}"{hint}')

    def _object_literal(self, argument: Argument, shape: dict[str, Any], prefix: str) -> None:
        """Literal keys of `x = {...}` / `x = [{...}]` for an object-typed argument must exist in its type."""
        allowed = list(shape["attributes"])
        for keys in argument.object_keys:
            for key, line in keys:
                if key not in allowed:
                    hint = _suggest(key, allowed) or _allowed(allowed, self.docs_url)
                    self.report(line, f'{prefix}{argument.name}: unknown attribute "{key}"{hint}')

    def _child(
        self,
        child: Block,
        name: str,
        shape: _Shape,
        known: list[str],
        prefix: str,
        where: str,
    ) -> None:
        path = f"{where}.{name}" if where else name
        if name in shape.blocks:
            self.validate(child, shape.blocks[name]["block"], path)
            return
        if name in shape.arguments:
            nested = object_shape(shape.arguments[name]["type"])
            if nested is not None:
                # Object-typed arguments in block syntax: every key of the object type is optional there,
                # so only unknown keys are checked, not missing ones.
                self.validate(child, nested, path)
                return
            self.report(
                child.line,
                f'{prefix}"{name}" is an argument, not a block: write `{name} = ...` instead of `{name} {{ ... }}`',
            )
            return
        hint = _suggest(name, known) or _allowed(shape.blocks, self.docs_url)
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
        type_name, address, type_schema = "aws", 'provider "aws"', schema.provider()
        docs_url = f"https://registry.terraform.io/providers/hashicorp/aws/{schema.provider_version}/docs"
    else:
        if len(block.labels) != 2:
            return [Finding(path, block.line, kind, f"a {kind} block needs two labels, type and name")]
        type_name, name = block.labels
        address = f"{type_name}.{name}" if kind == "resource" else f"{kind}.{type_name}.{name}"
        if not type_name.startswith("aws_"):
            counts.skipped += 1
            return []
        type_schema = schema.block(kind, type_name)
        docs_url = (
            f"https://registry.terraform.io/providers/hashicorp/aws/{schema.provider_version}/docs/"
            f"{DOCS_KIND[kind]}/{type_name.removeprefix('aws_')}"
        )
        if type_schema is None:
            hint = _suggest(type_name, schema.names(kind))
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


def run_schema_check(root: Path, directories: Iterable[Path]) -> CheckResult:
    """Validate every resource/data/ephemeral/provider block in the .tf files under `directories`."""
    started = time.perf_counter()
    result = CheckResult(name="schema")
    load = load_provider_schema()
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
    result.notes.append(
        f"AWS provider {schema.provider_version} schema loaded in {load.seconds:.2f}s "
        f"from {relative(schema.path, root)}"
    )
    if result.errors:
        result.status = FAILED
    result.seconds = time.perf_counter() - started
    return result
