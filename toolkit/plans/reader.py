"""Read `terraform show -json` plan output without building the whole document in memory.

A plan JSON holds the same resources up to four times (`prior_state`, `planned_values`,
`configuration`, `resource_changes`). The review needs only `resource_changes`,
`resource_drift`, `output_changes`, `checks`, `variables` and the declared variables'
`sensitive` flags. The reader decodes the file through a sliding window of a few MB and
walks the top-level object with the stdlib C scanner: each resource change is parsed on its
own into a compact record plus its byte span in the file, and read and parsed again only
when its attribute diff is shown. Sections the review does not need are parsed resource by
resource and dropped. Peak memory is the window plus the compact records, whatever the size
of the plan.
"""

from __future__ import annotations

import codecs
import gc
import json
import json.decoder
import json.scanner
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from toolkit.plans.errors import PlanFormatError

SUPPORTED_MAJOR_VERSIONS = ("0", "1")

_WHITESPACE = json.decoder.WHITESPACE
_scan_string = json.decoder.scanstring
_scan_value: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(json.JSONDecoder())

# Skipped sections are walked member by member down to this depth (module nesting), deeper
# values are parsed whole and dropped.
_SKIP_STREAM_DEPTH = 12


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
    # Byte offsets of the entry in the plan file, to parse it again for its attribute diff.
    start: int
    end: int
    # Attribute diffs computed while reading (read_plan's on_entry), not yet redacted; None: parse again.
    diffs: Any = None


@dataclass
class PlanDocument:
    """The parts of a plan JSON the review uses; changes keep byte spans into the file for lazy diffs."""

    source: Path
    format_version: str
    terraform_version: str | None
    resource_changes: list[ChangeRecord] = field(default_factory=list)
    resource_drift: list[ChangeRecord] = field(default_factory=list)
    output_changes: dict[str, Any] = field(default_factory=dict)
    checks: list[Any] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    sensitive_variable_names: set[str] = field(default_factory=set)
    # `default` values of sensitive variables: configuration holds them in plain text.
    sensitive_variable_defaults: list[Any] = field(default_factory=list)
    errored: bool = False

    _handle: BinaryIO | None = field(default=None, repr=False, compare=False)

    def load_change(self, record: ChangeRecord) -> dict[str, Any]:
        """The full `change` object of one record, read and parsed again from its span in the file."""
        if self._handle is None:
            self._handle = self.source.open("rb")
        raw = os.pread(self._handle.fileno(), record.end - record.start, record.start)
        try:
            entry = json.loads(raw)
        except ValueError:
            entry = None
        if not isinstance(entry, dict) or entry.get("address", "") != record.address:
            raise PlanFormatError(f"{self.source} changed while it was being reviewed: run the review again")
        change = entry.get("change")
        return change if isinstance(change, dict) else {}

    def close(self) -> None:
        """Close the file kept open for load_change (it is opened again when needed)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __del__(self) -> None:
        self.close()


# The file is decoded and parsed through a window of about this many characters, so memory
# stays near one chunk plus the kept records however big the plan is.
CHUNK_BYTES = 4 << 20


# Called with ("resource_changes" or "resource_drift", the parsed entry, its record) while reading.
EntryHook = Callable[[str, dict[str, Any], ChangeRecord], None]


def read_plan(path: Path, chunk_bytes: int = CHUNK_BYTES, on_entry: EntryHook | None = None) -> PlanDocument:
    """Read and validate a plan JSON file; raise PlanFormatError with a message for the user.

    `on_entry` sees every change entry while it is parsed anyway (to avoid reading it again later).
    """
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise PlanFormatError(f"{path}: no such file") from None
    except OSError as error:
        raise PlanFormatError(f"{path}: cannot read: {error.strerror}") from None
    with handle, without_garbage_collection():
        return _PlanParser(_Window(handle, path, chunk_bytes), path, on_entry).parse()


@contextmanager
def without_garbage_collection() -> Iterator[None]:
    """Parsing creates millions of objects and no cycles; the cyclic collector would re-scan
    them again and again (it triples the parse time of a 50k-change plan)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Window:
    """A sliding window of decoded text over the file, addressed by absolute character positions.

    Text before the parser's cursor is dropped once it exceeds a chunk; positions are translated
    to byte offsets (for re-reading a change later) while their text is still in the window.
    """

    def __init__(self, handle: BinaryIO, source: Path, chunk_bytes: int) -> None:
        self.handle = handle
        self.source = source
        self.chunk_bytes = chunk_bytes
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.text = ""
        self.base = 0  # absolute character position of text[0]
        self.byte_base = 0  # byte offset of text[0]
        self.bytes_read = 0
        self.eof = False
        self.dropped_lines = 0
        self.last_dropped_newline = -1  # absolute position of the last newline dropped
        # Last position translated to bytes, so non-ASCII windows are encoded once, not per lookup.
        self.mark = (0, 0)

    @property
    def end(self) -> int:
        """Absolute position just after the text read so far."""
        return self.base + len(self.text)

    def more(self) -> bool:
        """Append the next chunk; False at the end of the file."""
        while not self.eof:
            # Doubling when the window is already big keeps a value longer than a chunk linear.
            raw = self.handle.read(max(self.chunk_bytes, len(self.text)))
            try:
                decoded = self.decoder.decode(raw, final=not raw)
            except UnicodeDecodeError as error:
                raise PlanFormatError(
                    f"{self.source} is not JSON: byte {self.bytes_read + error.start} is not UTF-8 (is it a "
                    "binary plan file? convert it with `terraform show -json PLANFILE`)"
                ) from None
            self.bytes_read += len(raw)
            if not raw:
                self.eof = True
            if decoded:
                self.text = self.text + decoded if self.text else decoded
                return True
        return False

    def drop_before(self, position: int) -> None:
        """Forget text before `position` once that is more than a chunk: the parser never goes back."""
        keep_from = position - self.base
        if keep_from < self.chunk_bytes:
            return
        dropped = self.text[:keep_from]
        newline = dropped.rfind("\n")
        if newline >= 0:
            self.dropped_lines += dropped.count("\n")
            self.last_dropped_newline = self.base + newline
        self.byte_base = self.byte_of(position)
        self.text = self.text[keep_from:]
        self.base = position
        self.mark = (position, self.byte_base)

    def byte_of(self, position: int) -> int:
        """The byte offset in the file of an absolute character position inside the window."""
        if self.text.isascii():
            return self.byte_base + (position - self.base)
        mark_position, mark_byte = self.mark
        if mark_position < self.base or mark_position > position:
            mark_position, mark_byte = self.base, self.byte_base
        offset = mark_byte + len(self.text[mark_position - self.base : position - self.base].encode("utf-8"))
        self.mark = (position, offset)
        return offset

    def line_and_column(self, position: int) -> tuple[int, int]:
        local = position - self.base
        newline = self.text.rfind("\n", 0, local)
        line = self.dropped_lines + self.text.count("\n", 0, local) + 1
        line_start = self.base + newline + 1 if newline >= 0 else self.last_dropped_newline + 1
        return line, position - line_start + 1


class _PlanParser:
    def __init__(self, window: _Window, source: Path, on_entry: EntryHook | None = None) -> None:
        self.window = window
        self.source = source
        self.on_entry = on_entry
        self._cursor = 0

    # -- errors -------------------------------------------------------------------------------

    def _error_at(self, position: int, problem: str) -> PlanFormatError:
        window = self.window
        while window.more():
            pass
        if position >= window.base + len(window.text.rstrip()):
            return PlanFormatError(
                f"{self.source} is truncated: the JSON ends after {window.end} characters before the "
                "document is complete (was the plan written completely? re-run `terraform show -json`)"
            )
        line, column = window.line_and_column(position)
        # json's own "Unterminated string starting at" already ends in "at".
        problem = problem.removesuffix(" at")
        return PlanFormatError(f"{self.source} is not valid JSON: {problem} at line {line} column {column}")

    # -- primitives on absolute positions (each loads more text when it runs off the window) ----

    def _char(self, index: int) -> str:
        window = self.window
        while index >= window.end:
            if not window.more():
                return ""
        return window.text[index - window.base]

    def _skip_whitespace(self, index: int) -> int:
        window = self.window
        while True:
            local = index - window.base
            if local < len(window.text) and window.text[local] not in " \t\n\r":
                return index
            local_end = _WHITESPACE.match(window.text, max(index - window.base, 0)).end()
            index = window.base + local_end
            if index < window.end or not window.more():
                return index

    def _expect(self, index: int, character: str, what: str) -> int:
        index = self._skip_whitespace(index)
        if self._char(index) != character:
            raise self._error_at(index, f"expected {what}")
        return index + 1

    def _value(self, index: int) -> tuple[Any, int]:
        window = self.window
        while True:
            local = index - window.base
            try:
                value, local_end = _scan_value(window.text, local)
            except StopIteration as stop:
                if window.more():
                    continue
                raise self._error_at(window.base + stop.value, "expected a value") from None
            except json.JSONDecodeError as error:
                if window.more():
                    continue
                raise self._error_at(window.base + error.pos, error.msg) from None
            except RecursionError:
                raise PlanFormatError(f"{self.source} is nested too deeply to be a plan") from None
            # A number that ends with the window may go on in the next chunk.
            if local_end == len(window.text) and window.more():
                continue
            return value, window.base + local_end

    def _string(self, index: int) -> tuple[str, int]:
        if self._char(index) != '"':
            raise self._error_at(index, "expected a property name in double quotes")
        window = self.window
        while True:
            try:
                value, local_end = _scan_string(window.text, index - window.base + 1)
            except json.JSONDecodeError as error:
                if window.more():
                    continue
                raise self._error_at(window.base + error.pos, error.msg) from None
            return value, window.base + local_end

    # -- structure walkers --------------------------------------------------------------------

    def _members(self, index: int) -> Iterator[tuple[str, int]]:
        """Yield (key, value_start) of the object starting at `index`; the caller must consume
        each value and report its end through `self._cursor`."""
        index = self._expect(index, "{", "'{'")
        index = self._skip_whitespace(index)
        if self._char(index) == "}":
            self._cursor = index + 1
            return
        while True:
            index = self._skip_whitespace(index)
            key, index = self._string(index)
            index = self._expect(index, ":", "':'")
            index = self._skip_whitespace(index)
            yield key, index
            index = self._skip_whitespace(self._cursor)
            character = self._char(index)
            if character == ",":
                index += 1
                continue
            if character == "}":
                self._cursor = index + 1
                return
            raise self._error_at(index, "expected ',' or '}' after a property value")

    def _elements(self, index: int) -> Iterator[int]:
        """Yield the start of each element of the array at `index` (same protocol as _members).
        Text before each element is released: nothing earlier is read again."""
        index = self._expect(index, "[", "'['")
        index = self._skip_whitespace(index)
        if self._char(index) == "]":
            self._cursor = index + 1
            return
        window = self.window
        while True:
            index = self._skip_whitespace(index)
            if index - window.base >= window.chunk_bytes:
                window.drop_before(index)
            yield index
            index = self._cursor
            # Fast path for compact JSON: the separator follows the element directly.
            local = index - window.base
            text = window.text
            character = text[local] if local < len(text) else ""
            if character not in (",", "]"):
                index = self._skip_whitespace(index)
                character = self._char(index)
            if character == ",":
                index += 1
                continue
            if character == "]":
                self._cursor = index + 1
                return
            raise self._error_at(index, "expected ',' or ']' after an array element")

    def _skip(self, index: int, depth: int = 0, whole_elements: bool = False) -> None:
        """Consume one value without keeping it. Containers are walked rather than built, except
        the elements of `resources` arrays (one resource each, small), so dropping a section never
        builds more than one resource or one small object at a time."""
        character = self._char(index)
        if depth < _SKIP_STREAM_DEPTH and character == "{":
            for key, value_start in self._members(index):
                self._skip(value_start, depth + 1, key == "resources")
            return
        if depth < _SKIP_STREAM_DEPTH and character == "[":
            for element_start in self._elements(index):
                if whole_elements:
                    _, self._cursor = self._value(element_start)
                else:
                    self._skip(element_start, depth + 1)
            return
        _, self._cursor = self._value(index)

    def _take(self, index: int) -> Any:
        value, self._cursor = self._value(index)
        return value

    # -- the plan -----------------------------------------------------------------------------

    def parse(self) -> PlanDocument:
        start = self._skip_whitespace(0)
        first = self._char(start)
        if not first:
            raise PlanFormatError(f"{self.source} is empty, not a plan JSON")
        if first != "{":
            raise PlanFormatError(
                f"{self.source} is not a plan JSON: it does not start with '{{' "
                "(expected the output of `terraform show -json PLANFILE`)"
            )
        plan = PlanDocument(source=self.source, format_version="", terraform_version=None)
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
                plan.sensitive_variable_names, plan.sensitive_variable_defaults = self._sensitive_variables(
                    value_start
                )
            else:
                self._skip(value_start)
        trailing = self._skip_whitespace(self._cursor)
        if self._char(trailing):
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
        character = self._char(index)
        if character == "n" and self._take(index) is None:
            return []
        if character != "[":
            if not character:
                raise self._error_at(index, "expected '['")
            raise PlanFormatError(f"{self.source}: '{key}' is not an array, so this is not a plan JSON")
        window = self.window
        records: list[ChangeRecord] = []
        for element_start in self._elements(index):
            entry = self._take(element_start)
            if not isinstance(entry, dict):
                raise PlanFormatError(f"{self.source}: an entry of '{key}' is not an object")
            record = _record(entry, window.byte_of(element_start), window.byte_of(self._cursor))
            if self.on_entry is not None:
                self.on_entry(key, entry, record)
            records.append(record)
        return records

    def _sensitive_variables(self, index: int) -> tuple[set[str], list[Any]]:
        """Names and defaults of root variables declared `sensitive = true` (configuration.root_module)."""
        names: set[str] = set()
        defaults: list[Any] = []
        for key, value_start in self._members(index):
            if key != "root_module":
                self._skip(value_start, 1)
                continue
            for module_key, module_value in self._members(value_start):
                if module_key != "variables":
                    self._skip(module_value, 2, module_key == "resources")
                    continue
                declared = self._take(module_value)
                if not isinstance(declared, dict):
                    continue
                for name, declaration in declared.items():
                    if isinstance(declaration, dict) and declaration.get("sensitive") is True:
                        names.add(name)
                        defaults.append(declaration.get("default"))
        return names, defaults


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
