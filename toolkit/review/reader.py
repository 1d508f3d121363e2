"""Read `terraform show -json` plan output without building the whole document in memory.

A plan JSON holds the same resources up to four times (`prior_state`, `planned_values`,
`configuration`, `resource_changes`). The review needs only `resource_changes`,
`resource_drift`, `output_changes`, `checks`, `variables` and the declared variables'
`sensitive` flags, so the reader walks the top-level object with the stdlib C scanner:
each resource change is parsed on its own into a compact record plus its character span
in the text, and re-parsed later only when its attribute diff is shown. Sections the
review does not need are parsed member by member and dropped, so peak memory stays near
the size of the text plus one resource.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.review.errors import PlanFormatError

SUPPORTED_MAJOR_VERSIONS = ("0", "1")

_WHITESPACE = json.decoder.WHITESPACE
_scan_string = json.decoder.scanstring
_scan_value: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(json.JSONDecoder())

# Sections walked member by member instead of parsed whole, down to this depth, so that
# dropping them never builds a tree bigger than one resource or one module.
_SKIP_STREAM_DEPTH = 4


@dataclass(slots=True)
class ChangeRecord:
    """What the review keeps of one `resource_changes` / `resource_drift` entry."""

    address: str
    module: str
    mode: str
    type: str
    name: str
    actions: tuple[str, ...]
    action_reason: str | None
    previous_address: str | None
    importing_id: str | None
    deposed: str | None
    replace_paths: tuple[tuple[str | int, ...], ...]
    start: int
    end: int


@dataclass
class PlanDocument:
    """The parts of a plan JSON the review uses; changes keep spans into `text` for lazy diffs."""

    source: Path
    text: str
    format_version: str
    terraform_version: str | None
    resource_changes: list[ChangeRecord] = field(default_factory=list)
    resource_drift: list[ChangeRecord] = field(default_factory=list)
    output_changes: dict[str, Any] = field(default_factory=dict)
    checks: list[Any] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    sensitive_variable_names: set[str] = field(default_factory=set)
    errored: bool = False

    def load_change(self, record: ChangeRecord) -> dict[str, Any]:
        """The full `change` object of one record, parsed again from its span."""
        entry, _ = _scan_value(self.text, record.start)
        change = entry.get("change")
        return change if isinstance(change, dict) else {}


def read_plan(path: Path) -> PlanDocument:
    """Read and validate a plan JSON file; raise PlanFormatError with a message for the user."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PlanFormatError(f"{path}: no such file") from None
    except OSError as error:
        raise PlanFormatError(f"{path}: cannot read: {error.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PlanFormatError(
            f"{path} is not JSON: byte {error.start} is not UTF-8 (is it a binary plan file? "
            "convert it with `terraform show -json PLANFILE`)"
        ) from None
    del raw
    return parse_plan_text(text, path)


def parse_plan_text(text: str, source: Path) -> PlanDocument:
    """Parse plan JSON held in `text`; `source` names it in error messages."""
    parser = _PlanParser(text, source)
    return parser.parse()


class _PlanParser:
    def __init__(self, text: str, source: Path) -> None:
        self.text = text
        self.source = source

    # -- errors -------------------------------------------------------------------------------

    def _error_at(self, position: int, problem: str) -> PlanFormatError:
        text = self.text
        if position >= len(text.rstrip()):
            return PlanFormatError(
                f"{self.source} is truncated: the JSON ends after {len(text)} characters before the "
                "document is complete (was the plan written completely? re-run `terraform show -json`)"
            )
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        return PlanFormatError(f"{self.source} is not valid JSON: {problem} at line {line} column {column}")

    def _skip_whitespace(self, index: int) -> int:
        return _WHITESPACE.match(self.text, index).end()

    def _expect(self, index: int, character: str, what: str) -> int:
        index = self._skip_whitespace(index)
        if index >= len(self.text) or self.text[index] != character:
            raise self._error_at(index, f"expected {what}")
        return index + 1

    def _value(self, index: int) -> tuple[Any, int]:
        try:
            return _scan_value(self.text, index)
        except StopIteration as stop:
            raise self._error_at(stop.value, "expected a value") from None
        except json.JSONDecodeError as error:
            raise self._error_at(error.pos, error.msg) from None
        except RecursionError:
            raise PlanFormatError(f"{self.source} is nested too deeply to be a plan") from None

    def _string(self, index: int) -> tuple[str, int]:
        if index >= len(self.text) or self.text[index] != '"':
            raise self._error_at(index, "expected a property name in double quotes")
        try:
            return _scan_string(self.text, index + 1)
        except json.JSONDecodeError as error:
            raise self._error_at(error.pos, error.msg) from None

    # -- structure walkers --------------------------------------------------------------------

    def _members(self, index: int) -> Iterator[tuple[str, int]]:
        """Yield (key, value_start) of the object starting at `index`; the caller must consume
        each value and report its end through `self._cursor`."""
        index = self._expect(index, "{", "'{'")
        index = self._skip_whitespace(index)
        if index < len(self.text) and self.text[index] == "}":
            self._cursor = index + 1
            return
        while True:
            index = self._skip_whitespace(index)
            key, index = self._string(index)
            index = self._expect(index, ":", "':'")
            index = self._skip_whitespace(index)
            yield key, index
            index = self._skip_whitespace(self._cursor)
            if index >= len(self.text):
                raise self._error_at(index, "expected ',' or '}'")
            if self.text[index] == ",":
                index += 1
                continue
            if self.text[index] == "}":
                self._cursor = index + 1
                return
            raise self._error_at(index, "expected ',' or '}' after a property value")

    def _elements(self, index: int) -> Iterator[int]:
        """Yield the start of each element of the array at `index` (same protocol as _members)."""
        index = self._expect(index, "[", "'['")
        index = self._skip_whitespace(index)
        if index < len(self.text) and self.text[index] == "]":
            self._cursor = index + 1
            return
        while True:
            index = self._skip_whitespace(index)
            yield index
            index = self._skip_whitespace(self._cursor)
            if index >= len(self.text):
                raise self._error_at(index, "expected ',' or ']'")
            if self.text[index] == ",":
                index += 1
                continue
            if self.text[index] == "]":
                self._cursor = index + 1
                return
            raise self._error_at(index, "expected ',' or ']' after an array element")

    def _skip(self, index: int, depth: int = 0) -> None:
        """Consume one value without keeping it; big containers are walked, not built."""
        character = self.text[index] if index < len(self.text) else ""
        if depth < _SKIP_STREAM_DEPTH and character == "{":
            for _key, value_start in self._members(index):
                self._skip(value_start, depth + 1)
            return
        if depth < _SKIP_STREAM_DEPTH and character == "[":
            for element_start in self._elements(index):
                self._skip(element_start, depth + 1)
            return
        _, self._cursor = self._value(index)

    def _take(self, index: int) -> Any:
        value, self._cursor = self._value(index)
        return value

    # -- the plan -----------------------------------------------------------------------------

    def parse(self) -> PlanDocument:
        start = self._skip_whitespace(0)
        if start >= len(self.text):
            raise PlanFormatError(f"{self.source} is empty, not a plan JSON")
        if self.text[start] != "{":
            raise PlanFormatError(
                f"{self.source} is not a plan JSON: it does not start with '{{' "
                "(expected the output of `terraform show -json PLANFILE`)"
            )
        plan = PlanDocument(source=self.source, text=self.text, format_version="", terraform_version=None)
        seen: set[str] = set()
        for key, value_start in self._members(start):
            seen.add(key)
            if key == "format_version":
                plan.format_version = str(self._take(value_start))
                self._check_version(plan.format_version)
            elif key == "terraform_version":
                plan.terraform_version = str(self._take(value_start))
            elif key == "resource_changes":
                plan.resource_changes = self._changes(value_start, key)
            elif key == "resource_drift":
                plan.resource_drift = self._changes(value_start, key)
            elif key == "output_changes":
                plan.output_changes = self._object(value_start, key)
            elif key == "checks":
                checks = self._take(value_start)
                plan.checks = checks if isinstance(checks, list) else []
            elif key == "variables":
                plan.variables = self._object(value_start, key)
            elif key == "errored":
                plan.errored = self._take(value_start) is True
            elif key == "configuration":
                plan.sensitive_variable_names = self._sensitive_variables(value_start)
            else:
                self._skip(value_start)
        trailing = self._skip_whitespace(self._cursor)
        if trailing < len(self.text):
            raise self._error_at(trailing, "extra data after the JSON document")
        missing = [key for key in ("format_version", "resource_changes") if key not in seen]
        # Terraform omits an empty resource_changes, but every plan has planned_values.
        if "format_version" in missing or ("resource_changes" in missing and "planned_values" not in seen):
            raise PlanFormatError(
                f"{self.source} is JSON but not a Terraform plan: it has no {' and no '.join(missing)} "
                "(expected the output of `terraform show -json PLANFILE`)"
            )
        return plan

    def _check_version(self, version: str) -> None:
        major = version.split(".", 1)[0]
        if major not in SUPPORTED_MAJOR_VERSIONS:
            raise PlanFormatError(
                f"{self.source}: format_version {version} is not supported: "
                "this toolkit reads plan JSON format 0.x/1.x"
            )

    def _object(self, index: int, key: str) -> dict[str, Any]:
        value = self._take(index)
        if not isinstance(value, dict):
            raise PlanFormatError(f"{self.source}: '{key}' is not an object, so this is not a plan JSON")
        return value

    def _changes(self, index: int, key: str) -> list[ChangeRecord]:
        if self.text.startswith("null", index):
            self._cursor = index + 4
            return []
        if index >= len(self.text) or self.text[index] != "[":
            if index >= len(self.text):
                raise self._error_at(index, "expected '['")
            raise PlanFormatError(f"{self.source}: '{key}' is not an array, so this is not a plan JSON")
        records: list[ChangeRecord] = []
        for element_start in self._elements(index):
            entry = self._take(element_start)
            if not isinstance(entry, dict):
                raise PlanFormatError(f"{self.source}: an entry of '{key}' is not an object")
            records.append(_record(entry, element_start, self._cursor))
        return records

    def _sensitive_variables(self, index: int) -> set[str]:
        """Names of root variables declared `sensitive = true`, from configuration.root_module."""
        names: set[str] = set()
        for key, value_start in self._members(index):
            if key != "root_module":
                self._skip(value_start, 1)
                continue
            for module_key, module_value in self._members(value_start):
                if module_key != "variables":
                    self._skip(module_value, 2)
                    continue
                declared = self._take(module_value)
                if isinstance(declared, dict):
                    names.update(
                        name
                        for name, declaration in declared.items()
                        if isinstance(declaration, dict) and declaration.get("sensitive") is True
                    )
        return names


def _record(entry: dict[str, Any], start: int, end: int) -> ChangeRecord:
    change = entry.get("change") or {}
    actions = change.get("actions") or ["no-op"]
    importing = change.get("importing")
    importing_id = None
    if isinstance(importing, dict):
        importing_id = str(importing.get("id") or importing.get("identity") or "")
    replace_paths = change.get("replace_paths") or ()
    address = str(entry.get("address", ""))
    module = entry.get("module_address") or ""
    return ChangeRecord(
        address=address,
        module=str(module),
        mode=str(entry.get("mode", "managed")),
        type=str(entry.get("type", "")),
        name=str(entry.get("name", "")),
        actions=tuple(str(action) for action in actions),
        action_reason=entry.get("action_reason"),
        previous_address=entry.get("previous_address"),
        importing_id=importing_id,
        deposed=entry.get("deposed"),
        replace_paths=tuple(tuple(path) for path in replace_paths if isinstance(path, list)),
        start=start,
        end=end,
    )
