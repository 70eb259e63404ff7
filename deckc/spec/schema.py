"""A small declarative schema: each field is declared once and gives both validation
(with every problem located at FILE:LINE:COL and its field path) and the JSON Schema
that `deckc schema` prints for editors.

Validation never stops at the first problem: a bad value reports itself and returns
INVALID, and the enclosing object keeps checking its other fields.
"""
from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any, Callable

from ..diagnostics import Diagnostics
from ..errors import MarkupError
from ..markup import parse_markup
from .scalar_position import locate
from .yaml_source import Node

INVALID = object()


class Ctx:
    def __init__(self, diags: Diagnostics):
        self.diags = diags

    def error(self, node: Node, path: str, message: str) -> object:
        self.diags.error(node.line, node.col, path, message)
        return INVALID

    def error_inside(self, node: Node, value: str, offset: int, path: str, detail: str, message: str) -> object:
        """A problem at value[offset]: reported at that character's own line and column when the
        scalar's style lets it be mapped back (`detail`), else at the value's start (`message`)."""
        at = locate(node, value, offset)
        if at is None:
            return self.error(node, path, message)
        self.diags.error(at[0], at[1], path, detail)
        return INVALID

    def warning(self, node: Node, path: str, message: str) -> None:
        self.diags.warning(node.line, node.col, path, message)


def _type_name(node: Node) -> str:
    if node.kind == "map":
        return "a mapping"
    if node.kind == "seq":
        return "a list"
    v = node.value
    if v is None:
        return "nothing (null)"
    if isinstance(v, bool):
        return f"{str(v).lower()} (a boolean)"
    if isinstance(v, (int, float)):
        return f"{v!r} (a number)"
    return f"{v!r}" if len(str(v)) < 40 else "text"


def did_you_mean(word: str, options) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


class Schema:
    doc: str = ""

    def check(self, node: Node, path: str, ctx: Ctx) -> Any:
        raise NotImplementedError

    def json(self) -> dict:
        raise NotImplementedError


@dataclass
class Text(Schema):
    """A text scalar. With markup=True it may use **bold**, *italic*, `code` and ==highlight==."""

    doc: str = ""
    markup: bool = True
    max_len: int = 2000
    min_len: int = 1

    def check(self, node, path, ctx):
        if node.kind != "scalar" or node.value is None or isinstance(node.value, bool):
            return ctx.error(node, path, f"expected text, got {_type_name(node)}")
        value = node.value if isinstance(node.value, str) else str(node.value)
        if len(value.strip()) < self.min_len:
            return ctx.error(node, path, "must not be empty")
        if len(value) > self.max_len:
            return ctx.error(node, path, f"is {len(value):,} characters long; at most {self.max_len:,} allowed")
        if self.markup:
            try:
                parse_markup(value)
            except MarkupError as e:
                if e.offset is None:
                    return ctx.error(node, path, str(e))
                return ctx.error_inside(node, value, e.offset, path, e.detail, str(e))
        return value

    def json(self):
        out = {"type": "string", "minLength": self.min_len, "maxLength": self.max_len}
        if self.doc:
            out["description"] = self.doc + (" Inline markup: **bold**, *italic*, `code`, ==highlight==, $math$ (TeX)."
                                             if self.markup else "")
        return out


@dataclass
class Slug(Schema):
    """An identifier that is safe as a file or folder name: lowercase letters, digits, '-' and '_'."""

    doc: str = ""

    def check(self, node, path, ctx):
        v = node.value if node.kind == "scalar" else None
        if not isinstance(v, str) or not v or len(v) > 80 or not all(c.islower() or c.isdigit() or c in "-_" for c in v) \
                or not v[0].isalnum() or not v.isascii():
            return ctx.error(node, path, f"expected an id of lowercase letters, digits, '-' or '_' "
                                         f"(like 'the-sequence-problem'), got {_type_name(node)}")
        return v

    def json(self):
        return {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,79}$", "description": self.doc}


@dataclass
class LanguageTag(Schema):
    """A BCP 47 language tag (en, en-GB, pt-BR, zh-Hant): the decks' /Lang, the PPTX runs' lang and
    the web page's <html lang> (screen readers pick their voice from it)."""

    doc: str = ""
    PATTERN = "^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"

    def check(self, node, path, ctx):
        import re

        v = node.value if node.kind == "scalar" else None
        if not isinstance(v, str) or len(v) > 35 or not re.match(self.PATTERN, v):
            return ctx.error(node, path, f"expected a BCP 47 language tag (like en, en-GB, de, ar, ja), "
                                         f"got {_type_name(node)}")
        return v

    def json(self):
        return {"type": "string", "pattern": self.PATTERN, "description": self.doc}


@dataclass
class Number(Schema):
    doc: str = ""
    integer: bool = False
    min: float | None = None
    max: float | None = None
    exclusive_min: bool = False          # min itself is not allowed (a positive number: min=0)

    def check(self, node, path, ctx):
        v = node.value if node.kind == "scalar" else None
        ok = isinstance(v, int) if self.integer else isinstance(v, (int, float))
        if isinstance(v, bool) or not ok or (isinstance(v, float) and not math.isfinite(v)):
            return ctx.error(node, path, f"expected {'a whole number' if self.integer else 'a number'}, "
                                         f"got {_type_name(node)}")
        if self.min is not None and self.exclusive_min and v <= self.min:
            return ctx.error(node, path, f"must be more than {self.min:g}, got {v!r}")
        if self.min is not None and v < self.min:
            return ctx.error(node, path, f"must be at least {self.min:g}, got {v!r}")
        if self.max is not None and v > self.max:
            return ctx.error(node, path, f"must be at most {self.max:g}, got {v!r}")
        return v

    def json(self):
        out: dict = {"type": "integer" if self.integer else "number"}
        if self.min is not None:
            out["exclusiveMinimum" if self.exclusive_min else "minimum"] = self.min
        if self.max is not None:
            out["maximum"] = self.max
        if self.doc:
            out["description"] = self.doc
        return out


@dataclass
class Bool(Schema):
    doc: str = ""

    def check(self, node, path, ctx):
        if node.kind != "scalar" or not isinstance(node.value, bool):
            return ctx.error(node, path, f"expected true or false, got {_type_name(node)}")
        return node.value

    def json(self):
        return {"type": "boolean", "description": self.doc}


@dataclass
class Enum(Schema):
    choices: tuple[str, ...] = ()
    doc: str = ""

    def check(self, node, path, ctx):
        v = node.value if node.kind == "scalar" else None
        if v not in self.choices or not isinstance(v, str):
            hint = did_you_mean(str(v), self.choices) if isinstance(v, str) else ""
            return ctx.error(node, path, f"expected one of [{', '.join(self.choices)}], got {_type_name(node)}{hint}")
        return v

    def json(self):
        return {"enum": list(self.choices), "description": self.doc}


@dataclass
class Seq(Schema):
    item: Schema = None
    doc: str = ""
    min_items: int = 0
    max_items: int = 500
    unique: bool = False        # no item twice (compared case-folded: ids become file names)
    noun: str = "items"         # what the items are, for "spec has 40,000 slides; at most 200"

    def check(self, node, path, ctx):
        if node.kind != "seq":
            return ctx.error(node, path, f"expected a list, got {_type_name(node)}")
        if len(node.value) < self.min_items:
            return ctx.error(node, path, f"needs at least {self.min_items} item{'s' * (self.min_items != 1)}, "
                                         f"got {len(node.value)}")
        if len(node.value) > self.max_items:
            return ctx.error(node, path, f"has {len(node.value)} items; at most {self.max_items} allowed")
        values = [self.item.check(v, f"{path}[{i}]", ctx) for i, v in enumerate(node.value)]
        if self.unique:
            seen: dict = {}
            for i, (v, n) in enumerate(zip(values, node.value)):
                key = v.casefold() if isinstance(v, str) else v
                if v is INVALID or not isinstance(key, (str, int, float)):
                    continue
                if key in seen:
                    first = node.value[seen[key]]
                    values[i] = ctx.error(n, f"{path}[{i}]", f"'{v}' is listed twice (first at line {first.line}, "
                                                             f"column {first.col})")
                else:
                    seen[key] = i
        return INVALID if any(v is INVALID for v in values) else values

    def json(self):
        out = {"type": "array", "items": self.item.json(), "minItems": self.min_items, "maxItems": self.max_items}
        if self.unique:
            out["uniqueItems"] = True
        if self.doc:
            out["description"] = self.doc
        return out


@dataclass
class Field:
    schema: Schema
    required: bool = False
    default: Any = None


@dataclass
class Obj(Schema):
    """A mapping with known keys; unknown keys are errors (with a 'did you mean')."""

    fields: dict[str, Field] = None
    build: Callable[..., Any] | None = None     # called with the checked values as keywords
    doc: str = ""
    name: str = ""                               # for messages: "a slide", "a callout"
    with_line: bool = False                      # pass the mapping's line to build (slides, for warnings)

    def check(self, node, path, ctx):
        if node.kind != "map":
            return ctx.error(node, path, f"expected {self.name or 'a mapping'} (a mapping of keys), "
                                         f"got {_type_name(node)}")
        return self.check_items(node, path, ctx, node.value)

    def check_items(self, node, path, ctx, items, skip=()):
        values: dict[str, Any] = {}
        ok = True
        for key, (knode, vnode) in items.items():
            if key in skip:
                continue
            sub = f"{path}.{key}" if path else key
            field = self.fields.get(key)
            if field is None:
                if ctx.diags.full:       # nothing more is recorded: skip the "did you mean" search
                    ok = False
                    continue
                ctx.error(knode, sub, f"unknown key '{key}'{did_you_mean(key, self.fields)} "
                                      f"(allowed: {', '.join(self.fields)})")
                ok = False
                continue
            v = field.schema.check(vnode, sub, ctx)
            ok &= v is not INVALID
            values[key] = v
        for key, field in self.fields.items():
            if key not in values and key not in items:
                if field.required:
                    ctx.error(node, path or "(top level)", f"missing required key '{key}'")
                    ok = False
                else:
                    values[key] = field.default() if callable(field.default) else field.default
        if not ok:
            return INVALID
        if self.with_line:
            values["line"] = node.line
        return self.build(**{k.replace("-", "_"): v for k, v in values.items()}) if self.build else values

    def json(self):
        out = {"type": "object", "properties": {k: f.schema.json() for k, f in self.fields.items()},
               "additionalProperties": False}
        req = [k for k, f in self.fields.items() if f.required]
        if req:
            out["required"] = req
        if self.doc:
            out["description"] = self.doc
        return out


@dataclass
class OneKey(Schema):
    """A mapping with exactly one key that names the variant, e.g. `- callout: {...}`.

    A bare scalar is accepted as the `shorthand` variant (a plain paragraph, say).
    """

    variants: dict[str, Schema] = None
    shorthand: tuple[str, Schema] | None = None
    doc: str = ""
    name: str = "an item"

    def check(self, node, path, ctx):
        if node.kind == "scalar" and self.shorthand:
            key, schema = self.shorthand
            return schema.check(node, path, ctx)
        if node.kind != "map" or len(node.value) != 1:
            got = f"{len(node.value)} keys ({', '.join(node.value)})" if node.kind == "map" else _type_name(node)
            return ctx.error(node, path, f"expected {self.name} written as a mapping with exactly one of the keys "
                                         f"[{', '.join(self.variants)}], got {got}")
        (key, (knode, vnode)), = node.value.items()
        schema = self.variants.get(key)
        if schema is None:
            return ctx.error(knode, f"{path}.{key}", f"unknown {self.name} '{key}'{did_you_mean(key, self.variants)} "
                                                     f"(allowed: {', '.join(self.variants)})")
        return schema.check(vnode, f"{path}.{key}", ctx)

    def json(self):
        options = [{"type": "object", "properties": {k: s.json()}, "required": [k], "additionalProperties": False}
                   for k, s in self.variants.items()]
        if self.shorthand:
            options.insert(0, self.shorthand[1].json())
        return {"oneOf": options, "description": self.doc}


@dataclass
class Tagged(Schema):
    """A mapping whose `kind` key picks which Obj checks the rest (slides)."""

    variants: dict[str, Obj] = None
    default: str = ""
    doc: str = ""
    name: str = "an item"

    def check(self, node, path, ctx):
        if node.kind != "map":
            return ctx.error(node, path, f"expected {self.name} (a mapping), got {_type_name(node)}")
        kind = self.default
        if "kind" in node.value:
            kind = Enum(tuple(self.variants)).check(node.value["kind"][1], f"{path}.kind", ctx)
            if kind is INVALID:
                return INVALID
        return self.variants[kind].check_items(node, path, ctx, node.value, skip=("kind",))

    def json(self):
        options = []
        for k, obj in self.variants.items():
            j = obj.json()
            j["properties"] = {"kind": {"const": k}, **j["properties"]}
            if k != self.default:
                j["required"] = ["kind"] + j.get("required", [])
            options.append(j)
        return {"oneOf": options, "description": self.doc}
