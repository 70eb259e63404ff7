"""Schemas of the blocks a lecture needs beyond text: TeX formulas (inline and display), code
listings' languages, nested bullets. Each says where a problem is, like every schema."""
from __future__ import annotations

from .. import model as m
from .schema import INVALID, Bool, Field, Obj, Schema, Seq, Text, did_you_mean


class TexSpec(Schema):
    """TeX in deckc's documented subset; an unknown command or a stray brace is located here."""

    doc = ("A LaTeX formula (the subset in the README, section 'Math'): fractions, scripts, roots, sums, "
           "matrices, Greek, accents, \\mathbf, \\text, \\left( \\right).")

    def check(self, node, path, ctx):
        from ..texmath.subset import TexError, check_tex

        value = Text(markup=False, max_len=2000).check(node, path, ctx)
        if value is INVALID:
            return value
        try:
            check_tex(value)
        except TexError as e:
            where = f" (at character {e.offset + 1})" if e.offset else ""
            return ctx.error_inside(node, value, e.offset, path, str(e), f"{e}{where}")
        return value

    def json(self):
        return {"type": "string", "minLength": 1, "maxLength": 2000, "description": self.doc}


_TEX = TexSpec()
_MATH_OBJ = Obj(fields={
    "tex": Field(_TEX, required=True),
    "caption": Field(Text(doc="Shown under the formula.")),
}, build=m.Math, name="a formula")


class MathSpec(Schema):
    """`math: '<tex>'` or `math: {tex: '<tex>', caption: ...}`."""

    doc = "A display formula, centred: `math: '<tex>'` or `math: {tex, caption}`."

    def check(self, node, path, ctx):
        if node.kind == "scalar":
            tex = _TEX.check(node, path, ctx)
            return INVALID if tex is INVALID else m.Math(tex=tex)
        return _MATH_OBJ.check(node, path, ctx)

    def json(self):
        return {"oneOf": [_TEX.json(), _MATH_OBJ.json()], "description": self.doc}


class LexerName(Schema):
    """A language Pygments can highlight (any of its lexer aliases), or `text`."""

    doc = "The language: any Pygments lexer name (python, bash, c, json, yaml, ...) or text."

    def check(self, node, path, ctx):
        value = Text(markup=False, max_len=60).check(node, path, ctx)
        if value is INVALID:
            return value
        from ..layout.code_box import lexer_names

        names = lexer_names()
        if value.lower() not in names:
            return ctx.error(node, path, f"unknown language '{value}'{did_you_mean(value.lower(), names)} "
                                         f"(any Pygments lexer name, or text)")
        return value.lower()

    def json(self):
        return {"type": "string", "description": self.doc}


def _code(source, lang="text", highlight=(), caption=None):
    return m.Code(source=source, lang=lang, highlight=tuple(highlight or ()), caption=caption)


class BulletItemSpec(Schema):
    """A bullet: text, or `{text: ..., items: [...]}` with sub-bullets, three levels at most."""

    def __init__(self, level: int = 1):
        self.level = level
        self.doc = "A bullet: text, or {text, items} with sub-bullets (up to three levels)."

    def check(self, node, path, ctx):
        if node.kind != "map":
            return Text().check(node, path, ctx)
        if self.level >= 3:
            return ctx.error(node, path, "bullets nest three levels deep at most; this would be a fourth")
        fields = {"text": Field(Text(), required=True),
                  "items": Field(Seq(item=BulletItemSpec(self.level + 1), min_items=1, max_items=30), required=True)}
        return Obj(fields=fields, name="a bullet with sub-bullets",
                   build=lambda text, items: m.BulletItem(text=text, items=tuple(items))).check(node, path, ctx)

    def json(self):
        if self.level >= 3:
            return Text().json()
        return {"oneOf": [Text().json(), {"type": "object", "required": ["text", "items"], "additionalProperties": False,
                                          "properties": {"text": Text().json(), "items": {
                                              "type": "array", "items": BulletItemSpec(self.level + 1).json()}}}],
                "description": self.doc}


_BULLET_LIST = Seq(item=BulletItemSpec(), min_items=1, max_items=60, doc="The bullets, top to bottom.")
_BULLET_OBJ = Obj(fields={
    "items": Field(_BULLET_LIST, required=True),
    "reveal": Field(Bool(doc="true: one item per click (PowerPoint animation; --pdf-steps pages)."), default=False),
}, build=lambda items, reveal=False: m.Bullets(items=tuple(items), reveal=reveal), name="a bulleted list")


class BulletsSpec(Schema):
    """`bullets: [...]`, or `bullets: {items: [...], reveal: true}`."""

    doc = "A bulleted list (items may nest); {items, reveal: true} reveals one item per click."

    def check(self, node, path, ctx):
        if node.kind == "map":
            return _BULLET_OBJ.check(node, path, ctx)
        items = _BULLET_LIST.check(node, path, ctx)
        return INVALID if items is INVALID else m.Bullets(items=tuple(items))

    def json(self):
        return {"oneOf": [_BULLET_LIST.json(), _BULLET_OBJ.json()], "description": self.doc}
