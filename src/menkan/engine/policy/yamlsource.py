"""YAML reading that remembers the line of every node, so errors can name file, line and path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

LineMap = dict[tuple[Any, ...], int]


class _Loader(yaml.SafeLoader):
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
        lines: LineMap = {}
        if node is None:
            return None, lines
        _record(node, (), lines)
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    return data, lines


def _record(node: yaml.Node, path: tuple[Any, ...], lines: LineMap) -> None:
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
    steps = tuple(path)
    while True:
        if steps in lines:
            return lines[steps]
        if not steps:
            return None
        steps = steps[:-1]
