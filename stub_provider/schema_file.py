"""The `terraform providers schema -json` document of one provider, decoded per type on demand.

The one reader of these files: the stub providers serve what it reads, and toolkit.provider_schema (the
schemas bundled with the toolkit, `toolkit check --schema`) hands out the same objects. Decoding all of AWS
takes ~0.3 s and Terraform starts a provider several times per plan, so one type's JSON is decoded only when
it is first asked for; the whole document only when something needs every type (`names()`, `document()`).
"""

from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SECTIONS = {
    "resource": "resource_schemas",
    "data": "data_source_schemas",
    "ephemeral": "ephemeral_resource_schemas",
}
_DECODER = json.JSONDecoder()


class SchemaFileError(Exception):
    """A provider schema file cannot be read (missing, truncated, not a `providers schema -json` document)."""


@dataclass(frozen=True)
class SchemaInfo:
    """Where a schema came from (the `toolkit` key the extractor writes; empty for foreign files)."""

    package: str | None
    package_version: str | None
    provider_version: str | None


class ProviderSchema:
    """One provider's schema, decoded per type on demand."""

    def __init__(self, name: str, text: str, path: Path, error: type[Exception] = SchemaFileError) -> None:
        self.name = name
        self.error = error  # what a file that cannot be read raises (toolkit.provider_schema: its SchemaError)
        self.path = path
        self._text = text
        self._lock = threading.RLock()  # type_schema() may fall back to document() while holding it
        self._document: dict[str, Any] | None = None
        self._blocks: dict[tuple[str, str], dict[str, Any] | None] = {}
        self._ranges = self._section_ranges()
        self.address = self._provider_address()
        self.info = self._read_info()

    # ------------------------------------------------------------------ public API

    @property
    def provider_version(self) -> str:
        return self.info.provider_version or "unknown"

    def provider(self) -> dict[str, Any]:
        """The provider configuration block."""
        return self._entry()["provider"]["block"]

    def resource(self, type_name: str) -> dict[str, Any] | None:
        return self.block("resource", type_name)

    def data_source(self, type_name: str) -> dict[str, Any] | None:
        return self.block("data", type_name)

    def ephemeral(self, type_name: str) -> dict[str, Any] | None:
        return self.block("ephemeral", type_name)

    def block(self, kind: str, type_name: str) -> dict[str, Any] | None:
        """The block of one resource / data source / ephemeral resource type, or None if there is none."""
        entry = self.type_schema(kind, type_name)
        return entry["block"] if entry is not None else None

    def type_schema(self, kind: str, type_name: str) -> dict[str, Any] | None:
        """{"version": N, "block": {...}} of one type, or None."""
        if kind not in SECTIONS:
            raise ValueError(f"kind must be one of {', '.join(SECTIONS)}, not {kind!r}")
        key = (kind, type_name)
        with self._lock:
            if key not in self._blocks:
                self._blocks[key] = self._decode_one(kind, type_name)
            return self._blocks[key]

    def names(self, kind: str) -> list[str]:
        """Every type name of a kind, sorted (decodes the whole document once)."""
        return sorted(self._entry().get(SECTIONS[kind], {}))

    def document(self) -> dict[str, Any]:
        """The whole `providers schema -json` document (decoded once, ~0.3 s for AWS)."""
        with self._lock:
            if self._document is None:
                try:
                    self._document = json.loads(self._text)
                except ValueError as error:
                    raise self.error(f"cannot read the provider schema {self.path}: {error}") from error
            return self._document

    # ------------------------------------------------------------------ lazy decoding

    def _entry(self) -> dict[str, Any]:
        return self.document()["provider_schemas"][self.address]

    def _section_ranges(self) -> dict[str, tuple[int, int]] | None:
        """Text ranges of the three type sections, if each key occurs exactly once (else decode everything).

        The extractor writes compact JSON, so a type's key is `"<name>":{"block":` inside its section (the
        section before `resource_schemas` also holds the provider block, whose nested block names never equal
        a type name: the tests check every bundled type). A marker found twice, and foreign files (other
        formatting), fall back to a full decode, which is always right."""
        starts: list[tuple[int, str]] = []
        for section in SECTIONS.values():
            marker = f'"{section}":{{'
            if self._text.count(marker) != 1:
                return None
            starts.append((self._text.index(marker), section))
        starts.sort()
        ranges: dict[str, tuple[int, int]] = {}
        for index, (start, section) in enumerate(starts):
            end = starts[index + 1][0] if index + 1 < len(starts) else len(self._text)
            ranges[section] = (start, end)
        return ranges

    def _decode_one(self, kind: str, type_name: str) -> dict[str, Any] | None:
        section = SECTIONS[kind]
        if self._ranges is not None and '"' not in type_name and "\\" not in type_name:
            start, end = self._ranges[section]
            marker = f'"{type_name}":{{"block":'
            if self._text.count(marker, start, end) == 1:
                position = self._text.index(marker, start, end) + len(type_name) + 3
                try:
                    value, _ = _DECODER.raw_decode(self._text, position)
                except ValueError as error:
                    raise self.error(f"cannot read {type_name} in the provider schema {self.path}: {error}") from error
                return value
            if self._text.count(f'"{type_name}":', start, end) == 0:
                return None
        return self._entry().get(section, {}).get(type_name)

    def _provider_address(self) -> str:
        """The provider's source address; a file with several providers (a real `terraform providers schema
        -json` of a configuration) is searched for the one named like this schema (`.../aws`)."""
        marker = '"provider_schemas":{'
        if self._ranges is not None and self._text.count(marker) == 1:
            key, _ = _DECODER.raw_decode(self._text, self._text.index(marker) + len(marker))
            if isinstance(key, str):
                return key
        addresses = list(self.document().get("provider_schemas", {}))
        if len(addresses) == 1:
            return addresses[0]
        matching = [address for address in addresses if address.rsplit("/", 1)[-1] == self.name]
        if len(matching) != 1:
            raise self.error(
                f"{self.path}: expected the schema of provider {self.name!r}, found {', '.join(addresses) or 'none'}"
            )
        return matching[0]

    def _read_info(self) -> SchemaInfo:
        marker = '"toolkit":{'
        position = self._text.rfind(marker)
        info: Any = None
        if position >= 0:
            try:
                info, _ = _DECODER.raw_decode(self._text, position + len('"toolkit":'))
            except ValueError:
                info = None
        if not isinstance(info, dict):
            # Other formatting (an indented file) or no `toolkit` key (a real `terraform providers schema -json`).
            info = self.document().get("toolkit") or {}
        return SchemaInfo(info.get("package"), info.get("package_version"), info.get("provider_version"))


_CACHE: dict[tuple[Path, type[Exception]], ProviderSchema] = {}
_CACHE_LOCK = threading.Lock()


def read(name: str, path: Path, error: type[Exception] = SchemaFileError) -> ProviderSchema:
    """The schema of provider `name` in the file `path` (plain or gzip), cached per file for the process (~15 ms);
    a file that cannot be read raises `error`."""
    with _CACHE_LOCK:
        cached = _CACHE.get((path, error))
        if cached is not None:
            return cached
    try:
        raw = path.read_bytes()
        text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError) as failure:
        raise error(f"cannot read the provider schema {path}: {failure}") from failure
    if '"provider_schemas"' not in text:
        raise error(f"{path}: not a `terraform providers schema -json` document (no provider_schemas)")
    schema = ProviderSchema(name, text, path, error)
    with _CACHE_LOCK:
        _CACHE[(path, error)] = schema
    return schema
