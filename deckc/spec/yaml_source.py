"""The one YAML entry point of deckc: bytes -> a tree of nodes that remember their line and column.

Every parse of a spec (check, build, the incremental fingerprints, watch) comes through
`load_yaml`, with the same bounds. The bounds are checked while libyaml's events stream in,
before anything is built from them, so any file up to MAX_FILE_BYTES is accepted or refused in
a fraction of a second and a few MB:
  - bytes: the file's size, before it is decoded;
  - nodes: values built (keys, items, texts), and items of one list or keys of one mapping
    (the schema's own limit where it declares one: "spec has 40,000 slides; at most 200");
  - depth: nesting levels;
  - aliases: the values that aliases would expand to, counted before any is expanded (an
    alias is shared, never copied, so "billion laughs" costs nothing to refuse).
Only plain YAML types are constructed (no tags that run code), and every reader, scanner or
parser error, every control character and every number a writer cannot take becomes a located
Diagnostic.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from ..diagnostics import Diagnostics

MAX_FILE_BYTES = 2 * 1024 * 1024     # a lesson is a few KB; 2 MB is generous and still instant
MAX_NODES = 30_000                   # values built; the seed lesson has ~1,000, 200 full slides ~10,000
MAX_EXPANDED = 30_000                # values once aliases are expanded (what the schema walks)
MAX_ITEMS = 1_000                    # items of one list or keys of one mapping, unless the schema says fewer
MAX_EVENTS = 300_000                 # events read in all, counting the rest of a too-long list
MAX_DEPTH = 64
MAX_INT = 2 ** 63 - 1                # what the writers (and numpy) can take

try:  # the C parser is ~10x faster; marks are identical
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

_SCALAR_TAGS = {
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null",
}
_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_STR_TAGS = ("tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp")
# Characters no writer can put in a document: C0 controls (XML 1.0 forbids them; tab, newline
# and carriage return are text), lone surrogates (not encodable as UTF-8), U+FFFE and U+FFFF.
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(slots=True)
class Node:
    """A YAML value with where it came from. `value` is a python scalar, list[Node] or dict[str, (Node, Node)].

    A node an alias refers to is shared by every place that names it (the tree is read-only)."""

    kind: str            # "map" | "seq" | "scalar"
    value: Any
    line: int            # 1-based
    col: int             # 1-based
    tag: str = ""
    style: str | None = None    # a text scalar's YAML style: None (plain), "'", '"', "|" or ">"
    raw: str = ""               # a text scalar as written, so a problem inside it can be located

    def plain(self) -> Any:
        """The value with positions stripped (for params passed straight to code)."""
        if self.kind == "map":
            return {k: v.plain() for k, (_, v) in self.value.items()}
        if self.kind == "seq":
            return [v.plain() for v in self.value]
        return self.value

    def at(self, *keys) -> "Node":
        """The node at a path of keys/indices, or the deepest one that exists (for locating a message)."""
        node = self
        for k in keys:
            if node.kind == "map" and k in node.value:
                node = node.value[k][1]
            elif node.kind == "seq" and isinstance(k, int) and k < len(node.value):
                node = node.value[k]
            else:
                break
        return node


class _Refused(Exception):
    """A bound was exceeded or the stream is not one YAML document: stop reading at once."""


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


def _scalars():
    """One shared SafeLoader: resolves plain scalars' tags and turns int/float/bool/null into values."""
    global _constructor
    if _constructor is None:
        _constructor = yaml.SafeLoader("")
    return _constructor


class _Frame:
    """A list or mapping being read."""

    __slots__ = ("node", "path", "anchor", "size", "key", "limit", "noun")

    def __init__(self, node: Node, path: str, anchor, limit: int, noun: str):
        self.node, self.path, self.anchor = node, path, anchor
        self.size, self.key, self.limit, self.noun = 1, None, limit, noun


class _Composer:
    """Builds Nodes from libyaml's events, counting against every bound as the events arrive."""

    def __init__(self, text: str, diags: Diagnostics, limits: dict):
        self.parser = _Loader(text)
        self.text = text
        self.diags, self.limits = diags, limits
        self.nodes = self.expanded = self.events = 0
        self.anchors: dict[str, tuple[Node, int]] = {}

    def next(self):
        self.events += 1
        if self.events > MAX_EVENTS:
            raise _Refused()
        return self.parser.get_event()

    def refuse(self, mark, path: str, message: str):
        self.diags.error(mark.line + 1, mark.column + 1, path, message)
        raise _Refused()

    def compose(self) -> Node | None:
        try:
            self.next()                                  # stream start
            ev = self.next()
            if isinstance(ev, yaml.StreamEndEvent):
                return None
            root = self._document()
            ev = self.next()
            if not isinstance(ev, yaml.StreamEndEvent):
                self.refuse(ev.start_mark, "", "YAML syntax error: expected a single document in the stream "
                                               "(but found another document)")
            return root
        finally:
            self.parser.dispose()

    def _document(self) -> Node:
        stack: list[_Frame] = []
        get = self.next
        root = None
        while True:
            ev = get()
            cls = type(ev)
            if cls is yaml.ScalarEvent:
                node, size = self._scalar(ev, stack), 1
                if ev.anchor:
                    self.anchors[ev.anchor] = (node, 1)
            elif cls is yaml.SequenceStartEvent or cls is yaml.MappingStartEvent:
                stack.append(self._open(ev, stack))
                continue
            elif cls is yaml.SequenceEndEvent or cls is yaml.MappingEndEvent:
                frame = stack.pop()
                node, size = frame.node, frame.size
                if frame.anchor:
                    self.anchors[frame.anchor] = (node, size)
            elif cls is yaml.AliasEvent:
                node, size = self._alias(ev, stack)
            elif cls is yaml.DocumentEndEvent:
                return root
            else:                                        # DocumentStart
                continue
            if not stack:
                root = node
                continue
            self._add(stack[-1], node, size, ev)

    def _count(self, ev, stack) -> None:
        self.nodes += 1
        self.expanded += 1
        if self.nodes > MAX_NODES:
            self.refuse(ev.start_mark, stack[-1].path if stack else "",
                        f"spec has more than {MAX_NODES:,} values (keys, items and texts); at most {MAX_NODES:,}")
        if self.expanded > MAX_EXPANDED:
            self._too_expanded(ev, stack)

    def _too_expanded(self, ev, stack):
        self.refuse(ev.start_mark, stack[-1].path if stack else "",
                    f"aliases expand the spec to more than {MAX_EXPANDED:,} values (an alias bomb); "
                    f"at most {MAX_EXPANDED:,}")

    def _scalar(self, ev, stack) -> Node:
        self._count(ev, stack)
        mark = ev.start_mark
        line, col = mark.line + 1, mark.column + 1
        tag, value = ev.tag, ev.value
        if tag is None or tag == "!":
            tag = _scalars().resolve(yaml.ScalarNode, value, ev.implicit)
        if tag not in _SCALAR_TAGS:
            self.diags.error(line, col, "", f"YAML tag '{tag}' is not allowed in lesson specs")
            return Node("scalar", None, line, col, tag)
        # Dates (2024-01-01) stay text: no field of a lesson is a date, and "expected text" is the kinder message.
        if tag in _STR_TAGS:
            bad = _BAD_CHARS.search(value)
            if bad:
                self.diags.error(line, col, self._path(stack), f"character U+{ord(bad.group()):04X} (a control "
                                 "character) is not allowed in text; remove it or write it out")
                return Node("scalar", None, line, col, tag)
            return Node("scalar", value, line, col, tag, ev.style,
                        self.text[mark.index:ev.end_mark.index])
        elif tag == "tag:yaml.org,2002:int" or tag == "tag:yaml.org,2002:float":
            value = self._number(tag, value, line, col, stack)
        else:
            value = _scalars().yaml_constructors[tag](_scalars(), yaml.ScalarNode(tag, value))
        return Node("scalar", value, line, col, tag)

    def _number(self, tag, text, line, col, stack):
        digits = sum(c.isdigit() for c in text)
        if digits > 40:       # int('9' * 5000) would take long or fail; no field needs such a number
            self.diags.error(line, col, self._path(stack), f"number with {digits:,} digits is out of range")
            return None
        value = _scalars().yaml_constructors[tag](_scalars(), yaml.ScalarNode(tag, text))
        if isinstance(value, int) and abs(value) > MAX_INT:
            self.diags.error(line, col, self._path(stack), f"number {text} is out of range "
                                                          f"(at most {MAX_INT:,} either way)")
            return None
        return value

    def _open(self, ev, stack) -> _Frame:
        self._count(ev, stack)
        mark = ev.start_mark
        is_map = type(ev) is yaml.MappingStartEvent
        tag = ev.tag
        if tag is None or tag == "!":
            tag = "tag:yaml.org,2002:map" if is_map else "tag:yaml.org,2002:seq"
        if tag not in _COLLECTION_TAGS:
            self.diags.error(mark.line + 1, mark.column + 1, "", f"YAML tag '{tag}' is not allowed in lesson specs")
        path = self._path(stack)
        if len(stack) >= MAX_DEPTH:
            self.refuse(mark, path, f"nesting is deeper than {MAX_DEPTH} levels; at most {MAX_DEPTH}")
        limit, noun = self.limits.get(path, (MAX_ITEMS, "keys" if is_map else "items"))
        node = Node("map" if is_map else "seq", {} if is_map else [], mark.line + 1, mark.column + 1, tag)
        return _Frame(node, path, ev.anchor, limit, noun)

    def _alias(self, ev, stack) -> tuple[Node, int]:
        found = self.anchors.get(ev.anchor)
        if found is None:
            self.refuse(ev.start_mark, self._path(stack), f"alias '*{ev.anchor}' names no anchor before it "
                                                          "(undefined, or an anchor that contains itself)")
        node, size = found
        self.expanded += size
        if self.expanded > MAX_EXPANDED:
            self._too_expanded(ev, stack)
        return node, size

    @staticmethod
    def _path(stack) -> str:
        """The field path of the value about to be added to the innermost open collection."""
        if not stack:
            return ""
        top = stack[-1]
        if top.node.kind == "seq":
            return f"{top.path}[{len(top.node.value)}]"
        if not top.key:                    # None: a key comes next; False: a refused key
            return top.path
        return f"{top.path}.{top.key.value}" if top.path else str(top.key.value)

    def _add(self, frame: _Frame, node: Node, size: int, ev) -> None:
        frame.size += size
        parent = frame.node
        if parent.kind == "seq":
            parent.value.append(node)
            if len(parent.value) > frame.limit:
                self._too_many(frame, len(parent.value), ev)
            return
        if frame.key is None:
            if node.tag == "tag:yaml.org,2002:merge":
                self.diags.error(node.line, node.col, "", "merge keys ('<<') are not supported in lesson specs")
                frame.key = False
            elif node.kind != "scalar" or not isinstance(node.value, (str, int, float, bool)):
                self.diags.error(node.line, node.col, "", "mapping keys must be plain text")
                frame.key = False
            else:
                node.value = str(node.value)
                frame.key = node
            return
        key, frame.key = frame.key, None
        if key is False:
            return
        items = parent.value
        if key.value in items:
            self.diags.error(key.line, key.col, "", f"duplicate key '{key.value}' "
                                                    f"(first at line {items[key.value][0].line})")
            return
        items[key.value] = (key, node)
        if len(items) > frame.limit:
            self._too_many(frame, len(items), ev)

    def _too_many(self, frame: _Frame, count: int, ev) -> None:
        """One list or mapping is longer than allowed: count the rest of it (cheaply, events only,
        within MAX_EVENTS) to say how long it is, and refuse the file."""
        depth, exact = 0, True
        pending_key = frame.node.kind == "map"
        values = 0
        try:
            while True:
                e = self.next()
                cls = type(e)
                if cls is yaml.SequenceStartEvent or cls is yaml.MappingStartEvent:
                    if depth == 0:
                        values += 1
                    depth += 1
                elif cls is yaml.SequenceEndEvent or cls is yaml.MappingEndEvent:
                    if depth == 0:
                        break
                    depth -= 1
                elif depth == 0:
                    values += 1
        except _Refused:
            exact = False
        count += values // 2 if pending_key else values
        where = "spec" if frame.path in self.limits else (frame.path or "spec")
        more = "" if exact else "more than "
        mark = frame.node
        self.diags.error(mark.line, mark.col, frame.path,
                         f"{where} has {more}{count:,} {frame.noun}; at most {frame.limit:,}")
        raise _Refused()


def load_yaml(data: bytes, diags: Diagnostics, limits: dict | None = None) -> Node | None:
    """Parse bytes into a located Node tree, or report why not (returns None).

    `limits` maps a field path ("slides") to (most items, what they are called): the schema's
    own limits, checked while reading so an oversized list is refused before it is built."""
    if len(data) > MAX_FILE_BYTES:
        diags.error(1, 1, "", f"file is {len(data):,} bytes; a lesson spec may be at most {MAX_FILE_BYTES:,}")
        return None
    text = _decode(data, diags)
    if text is None:
        return None
    composer = _Composer(text, diags, limits or {})
    try:
        root = composer.compose()
    except yaml.YAMLError as e:
        _yaml_error(e, text, diags)
        return None
    except _Refused:
        if not diags.errors:      # the event budget ran out outside any single list
            diags.error(1, 1, "", f"spec has more than {MAX_EVENTS:,} YAML events; refusing to read on")
        return None
    if root is None:
        diags.error(1, 1, "", "file is empty: expected a mapping with 'lesson' and 'slides'")
        return None
    return root
