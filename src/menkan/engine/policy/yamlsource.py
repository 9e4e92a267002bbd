"""YAML reading that remembers the line of every node, so errors can name file, line and path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml


class LineMap:
    """The line of every node of a parsed document, worked out only when a message asks for one: documents can
    be large (a generated policy can have ~60,000 nodes) and errors are rare."""

    __slots__ = ("_node", "_table")

    def __init__(self, node: yaml.Node | None) -> None:
        self._node = node
        self._table: dict[tuple[Any, ...], int] | None = None

    def table(self) -> dict[tuple[Any, ...], int]:
        if self._table is None:
            self._table = {}
            if self._node is not None:
                _record(self._node, (), self._table)
            self._node = None
        return self._table


# libyaml's parser when PyYAML has it (its wheels do): a generated policy can be ~650 kB of YAML, which the
# pure-Python parser takes seconds to read.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):  # type: ignore[valid-type,misc]
    """SafeLoader that keeps timestamps and term-like values as plain strings."""


# Terms such as 114-1 must stay strings; YAML 1.1 would read some scalars as dates or sexagesimal numbers.
_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml_with_lines(text: str) -> tuple[Any, LineMap]:
    """Parse YAML text into plain data plus a map from each node's path to its 1-based line."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, LineMap(None)
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    return data, LineMap(node)


def _record(node: yaml.Node, path: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*path, key)] = key_node.start_mark.line + 1
            _record(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record(item, (*path, index), lines)


def line_of(lines: LineMap, path: Sequence[Any]) -> int | None:
    """The line of the deepest existing node on `path` (a missing field is reported at its parent)."""
    table = lines.table()
    steps = tuple(path)
    while True:
        if steps in table:
            return table[steps]
        if not steps:
            return None
        steps = steps[:-1]
