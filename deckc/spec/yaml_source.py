"""Read a YAML file into a tree of nodes that remember their line and column.

PyYAML's composer gives us marks; we never construct arbitrary objects (only the
plain YAML types), bound the size of the file and of alias expansion, and turn
every reader/scanner/parser error into a located Diagnostic.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from ..diagnostics import Diagnostics

MAX_FILE_BYTES = 2 * 1024 * 1024     # a lesson is a few KB; 2 MB is generous and still instant
MAX_NODES = 200_000                   # bounds alias expansion ("billion laughs")
MAX_DEPTH = 64

try:  # the C composer is ~10x faster; marks are identical
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

_SCALAR_TAGS = {
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null",
}
_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


@dataclass
class Node:
    """A YAML value with where it came from. `value` is a python scalar, list[Node] or dict[str, (Node, Node)]."""

    kind: str            # "map" | "seq" | "scalar"
    value: Any
    line: int            # 1-based
    col: int             # 1-based
    tag: str = ""

    def plain(self) -> Any:
        """The value with positions stripped (for params passed straight to code)."""
        if self.kind == "map":
            return {k: v.plain() for k, (_, v) in self.value.items()}
        if self.kind == "seq":
            return [v.plain() for v in self.value]
        return self.value


class _TooBig(Exception):
    pass


def _decode(data: bytes, diags: Diagnostics) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        diags.error(line, col, "", f"not UTF-8 text: byte 0x{data[e.start]:02x} cannot be decoded "
                                   "(is this a binary file?)")
        return None
    if "\x00" in text:
        i = text.index("\x00")
        diags.error(text.count("\n", 0, i) + 1, i - (text.rfind("\n", 0, i) + 1) + 1, "",
                    "NUL character: this looks like a binary file, not a YAML lesson spec")
        return None
    return text


def _yaml_error(e: yaml.YAMLError, text: str, diags: Diagnostics) -> None:
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = getattr(e, "problem", None) or str(e)
    if isinstance(e, yaml.reader.ReaderError):
        line = text.count("\n", 0, e.position) + 1
        col = e.position - (text.rfind("\n", 0, e.position) + 1) + 1
        problem = f"character U+{e.character:04X} is not allowed in YAML" if isinstance(e.character, int) \
            else "unreadable character"
    elif "\t" in problem or "'\\t'" in problem or (mark is not None and _char_at(text, mark) == "\t"):
        problem = "tab character: YAML indentation must use spaces"
    else:
        context = getattr(e, "context", None)
        problem = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    diags.error(line, col, "", problem)


def _char_at(text: str, mark) -> str:
    lines = text.split("\n")
    if mark.line < len(lines) and mark.column < len(lines[mark.line]):
        return lines[mark.line][mark.column]
    return ""


_constructor = None


def _scalar_constructor():
    """One shared SafeLoader, used only to turn int/float/bool/null scalars into Python values."""
    global _constructor
    if _constructor is None:
        _constructor = yaml.SafeLoader("")
    return _constructor


def _convert(node: yaml.Node, diags: Diagnostics, budget: list[int], depth: int) -> Node:
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH:
        raise _TooBig(node)
    line, col = node.start_mark.line + 1, node.start_mark.column + 1
    if isinstance(node, yaml.CollectionNode) and node.tag not in _COLLECTION_TAGS:
        diags.error(line, col, "", f"YAML tag '{node.tag}' is not allowed in lesson specs")
    if isinstance(node, yaml.MappingNode):
        items: dict[str, tuple[Node, Node]] = {}
        for knode, vnode in node.value:
            if knode.tag == "tag:yaml.org,2002:merge":
                diags.error(knode.start_mark.line + 1, knode.start_mark.column + 1, "",
                            "merge keys ('<<') are not supported in lesson specs")
                continue
            key = _convert(knode, diags, budget, depth + 1)
            if key.kind != "scalar" or not isinstance(key.value, (str, int, float, bool)):
                diags.error(key.line, key.col, "", "mapping keys must be plain text")
                continue
            name = str(key.value)
            if name in items:
                diags.error(key.line, key.col, "", f"duplicate key '{name}' (first at line {items[name][0].line})")
                continue
            items[name] = (key, _convert(vnode, diags, budget, depth + 1))
        return Node("map", items, line, col, node.tag)
    if isinstance(node, yaml.SequenceNode):
        return Node("seq", [_convert(v, diags, budget, depth + 1) for v in node.value], line, col, node.tag)
    if node.tag not in _SCALAR_TAGS:
        diags.error(line, col, "", f"YAML tag '{node.tag}' is not allowed in lesson specs")
        return Node("scalar", None, line, col, node.tag)
    # Dates (2024-01-01) stay text: no field of a lesson is a date, and "expected text" is the kinder message.
    if node.tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"):
        value = node.value
    else:
        value = _scalar_constructor().construct_object(node)
    return Node("scalar", value, line, col, node.tag)


def load_yaml(data: bytes, diags: Diagnostics) -> Node | None:
    """Parse bytes into a located Node tree, or report why not (returns None)."""
    if len(data) > MAX_FILE_BYTES:
        diags.error(1, 1, "", f"file is {len(data):,} bytes; a lesson spec may be at most {MAX_FILE_BYTES:,}")
        return None
    text = _decode(data, diags)
    if text is None:
        return None
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as e:
        _yaml_error(e, text, diags)
        return None
    except RecursionError:
        diags.error(1, 1, "", f"YAML nesting is too deep (more than {MAX_DEPTH} levels)")
        return None
    if root is None:
        diags.error(1, 1, "", "file is empty: expected a mapping with 'lesson' and 'slides'")
        return None
    try:
        return _convert(root, diags, [MAX_NODES], 0)
    except (_TooBig, RecursionError) as e:
        mark = e.args[0].start_mark if e.args and hasattr(e.args[0], "start_mark") else None
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        diags.error(line, col, "", f"spec expands to more than {MAX_NODES:,} values or {MAX_DEPTH} levels "
                                   "(an alias bomb?); refusing to load it")
        return None
