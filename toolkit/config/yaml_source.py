"""YAML loading that remembers where every key came from (file and line) for error messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from toolkit.errors import ConfigError

KeyPath = tuple[str | int, ...]

# Far beyond any environment file (a few levels, a few hundred values), far below what hurts: nesting deeper
# than this overflows PyYAML's recursive composer, and anchors re-used inside anchors (an "alias bomb", nine
# levels of nine aliases) expand to billions of values from a few lines.
MAX_NESTING = 64
MAX_EXPANDED_VALUES = 100_000


@dataclass(frozen=True)
class Location:
    file: Path
    line: int


@dataclass
class SourcedDocument:
    """A parsed YAML mapping plus the location of every key path in it."""

    data: dict[str, Any]
    locations: dict[KeyPath, Location] = field(default_factory=dict)


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys instead of silently keeping the last one."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *defaults`: construct_mapping merges it
            continue
        if not isinstance(key_node, yaml.ScalarNode):
            kind = "list" if isinstance(key_node, yaml.SequenceNode) else "mapping"
            raise yaml.constructor.ConstructorError(
                None, None, f"a key must be a plain name or number, not a {kind} (`? [a, b]` or `? {{a: b}}`)",
                key_node.start_mark)
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first at line {seen[key]})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

# libyaml's parser, when PyYAML was built with it, reads a file about ten times faster (every command reads the
# environment's two files). It is tried first; a file it refuses is read again by the pure-Python loader, whose
# messages (line, problem) are the ones the errors quote. Both build values with the same resolver and constructors.
_FAST_LOADER: type | None = None
if getattr(yaml, "CSafeLoader", None) is not None:
    class _UniqueKeyFastLoader(yaml.CSafeLoader):  # type: ignore[name-defined,misc]
        """CSafeLoader with the same duplicate-key rule."""

    _UniqueKeyFastLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _FAST_LOADER = _UniqueKeyFastLoader


def _record_locations(node: yaml.Node, path: KeyPath, file: Path, out: dict[KeyPath, Location]) -> None:
    out[path] = Location(file, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                # `<<: *base` (or a list of them) puts its keys here: record them at this path, where the data has
                # them, so no check keyed on a path (e.g. the emulator refusals) misses a merged key. Keys written
                # out beside it win in the data; they are recorded after (below) and win here too.
                merged = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for source in merged:
                    if isinstance(source, yaml.MappingNode):
                        _record_locations(source, path, file, out)
                out[path] = Location(file, node.start_mark.line + 1)
                continue
            key = key_node.value
            out[(*path, key)] = Location(file, key_node.start_mark.line + 1)
            _record_locations(value_node, (*path, key), file, out)
            out[(*path, key)] = Location(file, key_node.start_mark.line + 1)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_locations(item, (*path, index), file, out)


def _check_nesting(text: str, name: str, loader: type = _UniqueKeyLoader) -> None:
    """Refuse nesting deeper than MAX_NESTING before the recursive composer sees it (events come one by one)."""
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_NESTING:
                raise ConfigError(f"{name}:{event.start_mark.line + 1}: nested more than {MAX_NESTING} levels deep; "
                                  "an environment file needs a few") from None
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _check_expanded_size(root: yaml.Node, name: str) -> None:
    """Refuse a document whose aliases expand to more than MAX_EXPANDED_VALUES values (counted once per node)."""
    sizes: dict[int, int] = {}
    # Post-order without recursion; an alias is the same node object as its anchor, so each is counted once.
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = ([part for pair in node.value for part in pair] if isinstance(node, yaml.MappingNode)
                    else list(node.value) if isinstance(node, yaml.SequenceNode) else [])
        if not children_done:
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        sizes[id(node)] = 1 + sum(sizes.get(id(child), 0) for child in children)
        if sizes[id(node)] > MAX_EXPANDED_VALUES:
            raise ConfigError(f"{name}:{node.start_mark.line + 1}: anchors and aliases here expand to more than "
                              f"{MAX_EXPANDED_VALUES:,} values (an alias bomb?); write the values out or use fewer "
                              "nested aliases") from None


def load_sourced(file: Path, shown_as: str | None = None) -> SourcedDocument:
    """Parse one YAML file that must hold a mapping; errors name the file (as `shown_as`) and line."""
    name = shown_as or str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{name}: file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{name}: cannot read: {error}") from None
    parsed = None
    if _FAST_LOADER is not None:
        try:
            parsed = _parse(text, name, _FAST_LOADER)
        except (yaml.YAMLError, ConfigError):
            parsed = None  # read again below: the pure-Python loader's message is the one shown
    try:
        node, data = parsed if parsed is not None else _parse(text, name, _UniqueKeyLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f":{mark.line + 1}" if mark else ""
        problem = error.problem or error.context or "invalid YAML"
        raise ConfigError(f"{name}{line}: YAML syntax error: {problem}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{name}: YAML syntax error: {error}") from None
    if data is None:
        return SourcedDocument({}, {})
    if not isinstance(data, dict):
        raise ConfigError(f"{name}:1: the top level must be a mapping of keys, not {type(data).__name__}")
    locations: dict[KeyPath, Location] = {}
    _record_locations(node, (), file, locations)
    return SourcedDocument(data, locations)


def _parse(text: str, name: str, loader: type) -> tuple[yaml.Node | None, Any]:
    _check_nesting(text, name, loader)
    node = yaml.compose(text, Loader=loader)
    if node is not None:
        _check_expanded_size(node, name)
    return node, yaml.load(text, Loader=loader)


# Maps whose entries an environment may remove by setting them to null (elsewhere null is a value: `existing_vpc_id`).
REMOVABLE_ENTRIES: frozenset[KeyPath] = frozenset({("storage", "buckets")})


def _forget(locations: dict[KeyPath, Location], path: KeyPath) -> None:
    for key in [k for k in locations if k[: len(path)] == path]:
        del locations[key]


def deep_merge(base: SourcedDocument, override: SourcedDocument) -> SourcedDocument:
    """Overlay `override` on `base`: mappings merge key by key; lists and scalars replace; an entry of a map in
    REMOVABLE_ENTRIES set to null is removed."""

    def merge(left: Any, right: Any, path: KeyPath, locations: dict[KeyPath, Location]) -> Any:
        if isinstance(left, dict) and isinstance(right, dict):
            merged = dict(left)
            for key, value in right.items():
                if value is None and path in REMOVABLE_ENTRIES:
                    # `storage.buckets.NAME: null` removes an inherited entry in this environment.
                    merged.pop(key, None)
                    _forget(locations, (*path, key))
                    continue
                merged[key] = merge(left.get(key), value, (*path, key), locations) if key in left else value
            return merged
        # A replaced subtree takes the override's locations only.
        for key in [k for k in locations if len(k) > len(path) and k[: len(path)] == path]:
            del locations[key]
        return right

    locations = dict(base.locations)
    data = merge(base.data, override.data, (), locations)
    removed = [(*path, key) for path in REMOVABLE_ENTRIES for key, value in _at(override.data, path).items()
               if value is None]
    locations.update((key, location) for key, location in override.locations.items()
                     if not any(key[: len(entry)] == entry for entry in removed))
    return SourcedDocument(data, locations)


def _at(data: Any, path: KeyPath) -> dict[Any, Any]:
    for step in path:
        data = data.get(step) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}
