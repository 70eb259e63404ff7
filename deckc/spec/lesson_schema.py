"""The lesson spec, declared once. `LESSON` validates a YAML tree into deckc.model objects,
and `json_schema()` prints the same declaration as JSON Schema for editors."""
from __future__ import annotations

from .. import model as m
from .block_specs import BulletsSpec, LexerName, MathSpec, _code
from .schema import INVALID, Bool, Enum, Field, LanguageTag, Number, Obj, OneKey, Schema, Seq, Slug, Tagged, Text, \
    _type_name

TONES = ("problem", "insight", "note")



CAPTION = Text(doc="The chart's heading, drawn in the chart (else its own title).")

class ChartSpec(Schema):
    """`chart: {kind: ..., caption: ..., <params of that kind>}`; params are declared by the chart kind."""

    doc = ("A chart: of the lecturer's own numbers (kind line, bar or heatmap, with data or csv), or one whose "
           "data numpy computes at build time from the lesson's reference models.")

    def check(self, node, path, ctx):
        from ..charts import CHART_KINDS  # charts import numpy; only specs with charts pay for it
        from ..charts.user_data import USER_KINDS
        from .chart_schema import check_user_chart

        kinds = USER_KINDS + tuple(CHART_KINDS)
        if node.kind != "map":
            return ctx.error(node, path, f"expected a chart (a mapping with 'kind'), got {_type_name(node)}")
        if "kind" not in node.value:
            return ctx.error(node, path, f"missing required key 'kind' (one of [{', '.join(kinds)}])")
        kind = Enum(kinds).check(node.value["kind"][1], f"{path}.kind", ctx)
        if kind is INVALID:
            return INVALID
        if kind in USER_KINDS:
            return check_user_chart(kind, node, path, ctx)
        chart_kind = CHART_KINDS[kind]
        fields = {"caption": Field(CAPTION)}
        fields.update({name: Field(_param_schema(p)) for name, p in chart_kind.params.items()})
        values = Obj(fields=fields, name=f"a '{kind}' chart").check_items(node, path, ctx, node.value, skip=("kind",))
        if values is INVALID:
            return INVALID
        caption = values.pop("caption")
        params = {k: v for k, v in values.items() if v is not None}
        return m.Chart(kind=kind, params=params, caption=caption)

    def json(self):
        from ..charts import CHART_KINDS
        from ..charts.user_data import USER_KINDS
        from .chart_schema import user_chart_json

        options = [user_chart_json(k) for k in USER_KINDS]
        for name, ck in CHART_KINDS.items():
            props = {"kind": {"const": name, "description": ck.doc}, "caption": CAPTION.json()}
            props.update({k: _param_schema(p).json() for k, p in ck.params.items()})
            options.append({"type": "object", "properties": props, "required": ["kind"], "additionalProperties": False})
        return {"oneOf": options, "description": self.doc}


def _param_schema(p) -> Schema:
    def scalar(t):
        if t is int:
            return Number(doc=p.doc, integer=True, min=p.min, max=p.max)
        if t is float:
            return Number(doc=p.doc, min=p.min, max=p.max)
        if t is bool:
            return Bool(doc=p.doc)
        if p.choices:
            return Enum(tuple(p.choices), doc=p.doc)
        return Text(doc=p.doc, markup=False)
    if p.type in (list, tuple):
        return Seq(item=scalar(p.item or float), doc=p.doc, min_items=1, max_items=64)
    return scalar(p.type)


# ---- blocks ----

def _steps(items, caption=None, fade="forward", reveal=False):
    return m.Steps(items=tuple(items), caption=caption, fade=fade, reveal=reveal)


def _tokens(tokens, focus=None, target=None, caption=None):
    return m.Tokens(tokens=tuple(tokens), focus=focus, target=target, caption=caption)


def _table(header, rows):
    return m.Table(header=tuple(header), rows=tuple(tuple(r) for r in rows))


BLOCK = OneKey(name="block", doc="One piece of a slide's body. A bare string is a paragraph.")
_BODY = Seq(item=BLOCK, min_items=1, max_items=60, doc="The slide's content, top to bottom.")

BLOCK.variants = {
    "text": Text(doc="A paragraph."),
    "bullets": BulletsSpec(),
    "steps": Obj(fields={
        "items": Field(Seq(item=Obj(fields={
            "token": Field(Text(doc="The word processed at this step."), required=True),
            "state": Field(Text(doc="What the model remembers after it, e.g. 'Memory: \"The cat\"'.")),
        }, build=m.Step, name="a step"), min_items=1, max_items=16), required=True),
        "caption": Field(Text(doc="A line under the steps.")),
        "fade": Field(Enum(("forward", "backward", "none"),
                           doc="Which end fades: later states (memory) or earlier ones (gradient)."), default="forward"),
        "reveal": Field(Bool(doc="true: one step per click (PowerPoint animation; --pdf-steps pages)."), default=False),
    }, build=_steps, name="a step sequence", doc="Tokens processed one at a time, with their states."),
    "callout": Obj(fields={
        "text": Field(Text(), required=True),
        "tone": Field(Enum(TONES, doc="problem (red), insight (green) or note (blue)."), default="note"),
    }, build=m.Callout, name="a callout", doc="A boxed message: the problem, the insight, a note."),
    "sentence": Obj(fields={
        "text": Field(Text(doc="The example, with ==highlighted== words."), required=True),
        "note": Field(Text(doc="What to notice, shown under the sentence.")),
    }, build=m.Sentence, name="a sentence", doc="An example sentence shown large."),
    "tokens": Obj(fields={
        "tokens": Field(Seq(item=Text(markup=False), min_items=1, max_items=40), required=True),
        "focus": Field(Text(markup=False, doc="The token that attends (e.g. 'it').")),
        "target": Field(Text(markup=False, doc="The token it attends to (e.g. 'trophy').")),
        "caption": Field(Text()),
    }, build=_tokens, name="a token row", doc="A sentence as tokens; focus attends to target."),
    "columns": Seq(item=Obj(fields={
        "title": Field(Text()),
        "tone": Field(Enum(TONES), default="note"),
        "body": Field(_BODY, required=True),
    }, build=lambda body, title=None, tone="note": m.Column(body=tuple(body), title=title, tone=tone),
        name="a column"), min_items=2, max_items=3, doc="Side-by-side columns, each with its own body."),
    "table": Obj(fields={
        "header": Field(Seq(item=Text(), min_items=1, max_items=12), required=True),
        "rows": Field(Seq(item=Seq(item=Text(), min_items=1, max_items=12), min_items=1, max_items=30),
                      required=True),
    }, build=_table, name="a table"),
    "analogy": Obj(fields={
        "title": Field(Text(), required=True),
        "text": Field(Text(), required=True),
        "icon": Field(Text(markup=False, max_len=8)),
    }, build=m.Analogy, name="an analogy"),
    "concepts": Seq(item=Obj(fields={
        "term": Field(Text(), required=True),
        "definition": Field(Text(), required=True),
        "icon": Field(Text(markup=False, max_len=8)),
    }, build=m.Concept, name="a concept card"), min_items=1, max_items=8, doc="Key concept cards."),
    "chart": ChartSpec(),
    "math": MathSpec(),
    "code": Obj(fields={
        "source": Field(Text(markup=False, max_len=20000, doc="The code, as typed (tabs become 4 spaces)."),
                        required=True),
        "lang": Field(LexerName(), default="text"),
        "highlight": Field(Seq(item=Number(integer=True, min=1, max=2000), max_items=200,
                               doc="Line numbers (1-based) to shade, e.g. [3, 4].")),
        "caption": Field(Text(doc="Shown under the listing.")),
    }, build=_code, name="a code listing", doc="A code listing, syntax-highlighted, indentation kept exactly."),
    "image": Obj(fields={
        "src": Field(Text(markup=False, max_len=500, doc="PNG, JPEG or SVG, relative to the spec's folder and "
                                                         "inside the course folder."), required=True),
        "alt": Field(Text(markup=False, doc="What the image shows, for screen readers (required unless "
                                            "decorative).")),
        "caption": Field(Text(doc="Shown under the image.")),
        "decorative": Field(Bool(doc="true: the image carries no information (no alt text needed)."),
                            default=False),
    }, build=m.Image, name="an image", doc="A figure, fitted to its box with its aspect ratio kept."),
}
_WRAP = {"text": lambda text: m.Text(text=text),
         "columns": lambda cols: m.Columns(columns=tuple(cols)),
         "concepts": lambda cards: m.Concepts(cards=tuple(cards))}
BLOCK.shorthand = ("text", Text())


class _Block(Schema):
    """BLOCK plus the wrapping of list-valued variants into their model types."""

    def check(self, node, path, ctx):
        value = BLOCK.check(node, path, ctx)
        if value is INVALID:
            return value
        if isinstance(value, str):
            return m.Text(text=value)
        if node.kind == "map":
            key = next(iter(node.value))
            if key in _WRAP:
                return _WRAP[key](value)
        return value

    def json(self):
        return {"$ref": "#/$defs/block"}   # blocks nest (columns hold bodies): a reference, not a copy


_BODY.item = _Block()


# ---- slides ----

def _content(title, notes, body, split=True, line=0):
    return m.Slide(kind="content", title=title, notes=notes, body=tuple(body), split=split, line=line)


def _section_slide(title, notes="", subtitle=None, line=0):
    return m.Slide(kind="section", title=title, notes=notes, subtitle=subtitle, line=line)


def _title_slide(notes, title=None, line=0):
    return m.Slide(kind="title", title=title or "", notes=notes, line=line)


LETTERS = "ABCDEF"


def _quiz(title, notes, question, options, answer, explanation=None, answer_notes=None, points=1, line=0):
    opts = tuple(m.QuizOption(LETTERS[i], t) for i, t in enumerate(options))
    return m.QuizSlide(kind="quiz", title=title, notes=notes, line=line,
                       quiz=m.Quiz(question=question, options=opts, answer=answer, explanation=explanation,
                                   points=points),
                       answer_notes=answer_notes)


# Notes are plain text: PowerPoint's notes pane shows them as typed, so `2 * 3` or an unpaired
# `*` is what the lecturer meant, not markup to reject.
NOTES = Text(doc="Speaker notes: what to say on this slide (plain text, written as typed).", markup=False,
             max_len=8000)

SLIDE = Tagged(name="a slide", default="content", doc="A slide; `kind` picks its layout (default: content).", variants={
    "content": Obj(fields={
        "title": Field(Text(), required=True),
        "notes": Field(NOTES, required=True),
        "body": Field(_BODY, required=True),
        "split": Field(Bool(doc="If the body does not fit at the deck's type scale, continue it on a "
                                "'<title> (cont.)' slide (true, the default) or set it one size step smaller, "
                                "with a warning (false)."), default=True),
    }, build=_content, name="a content slide"),
    "title": Obj(fields={
        "title": Field(Text(doc="Defaults to the lesson title.")),
        "notes": Field(NOTES, required=True),
    }, build=_title_slide, name="a title slide"),
    "section": Obj(fields={
        "title": Field(Text(doc="The section's name: in the outline, the footer and a divider slide."),
                       required=True),
        "subtitle": Field(Text()),
        "notes": Field(Text(doc="Speaker notes.", max_len=8000), default=""),
    }, build=_section_slide, name="a section slide", doc="A divider that starts a section of the lesson."),
    "quiz": Obj(fields={
        "title": Field(Text(), default="Quick Check"),
        "notes": Field(NOTES, required=True),
        "question": Field(Text(), required=True),
        "options": Field(Seq(item=Text(), min_items=2, max_items=6), required=True),
        "answer": Field(Enum(tuple(LETTERS), doc="Letter of the right option."), required=True),
        "explanation": Field(Text(doc="Why the answer is right; shown on the reveal slide.")),
        "answer_notes": Field(Text(doc="Speaker notes for the reveal slide (plain text).", markup=False,
                                   max_len=8000)),
        "points": Field(Number(doc="What the quick-check notebook's test is worth in the nbgrader assignment.",
                               min=0, exclusive_min=True, max=1000), default=1),
    }, build=_quiz, name="a quiz slide", doc="A question slide, followed by a slide that reveals the answer."),
})
for _variant in SLIDE.variants.values():
    _variant.with_line = True

META = Obj(name="the lesson header", build=lambda exercises, **kw: m.Meta(exercises=tuple(exercises), **kw), fields={
    "id": Field(Slug(doc="File-safe id; outputs go to OUT/<id>/."), required=True),
    "title": Field(Text(markup=False), required=True),
    "subtitle": Field(Text(markup=False)),
    "course": Field(Text(markup=False), required=True),
    "module": Field(Text(markup=False, doc="e.g. 'Module 2 · Attention'."), required=True),
    "number": Field(Number(integer=True, min=1, max=999, doc="This lesson's number in the module."), required=True),
    "of": Field(Number(integer=True, min=1, max=999, doc="How many lessons the module has."), required=True),
    "minutes": Field(Number(integer=True, min=1, max=600, doc="Teaching time."), required=True),
    "author": Field(Text(markup=False)),
    "language": Field(LanguageTag(doc="The lesson's language (BCP 47): /Lang of the PDF, lang of PPTX runs and "
                                      "of the web page."), default="en"),
    "exercises": Field(Seq(item=Slug(doc="An exercise folder under exercises/ (an id, not a path: a spec cannot "
                                              "point outside the course)."), max_items=20, unique=True,
                           noun="exercises",
                           doc="Exercises (by id) that make up this lesson's nbgrader assignment."),
                       default=list),
    "theme": Field(Text(markup=False, max_len=500, doc="default, dark, high-contrast, or a theme file (YAML) "
                                                       "relative to the course folder. Default: the course's "
                                                       "theme.yaml if it has one, else default.")),
    "template": Field(Text(markup=False, max_len=500, doc="The institution's PowerPoint template (.pptx), "
                                                          "relative to the course folder: its masters, layouts, "
                                                          "colours, fonts and logo.")),
})

SPEC = Obj(name="a lesson spec", doc="A deckc lesson spec.", fields={
    "lesson": Field(META, required=True),
    "slides": Field(Seq(item=SLIDE, min_items=1, max_items=200, noun="slides"), required=True),
})


def list_limits() -> dict[str, tuple[int, str]]:
    """The schema's limits on the top-level lists, for the YAML loader to check while it reads
    (so a spec of 40,000 slides is refused before they are built): {path: (most items, noun)}."""
    out = {}
    for name, fld in SPEC.fields.items():
        schema = fld.schema
        if isinstance(schema, Seq):
            out[name] = (schema.max_items, schema.noun)
        elif isinstance(schema, Obj):
            out.update({f"{name}.{k}": (f.schema.max_items, f.schema.noun) for k, f in schema.fields.items()
                        if isinstance(f.schema, Seq)})
    return out


def json_schema() -> dict:
    out = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "deckc lesson spec"}
    out.update(SPEC.json())
    out["$defs"] = {"block": BLOCK.json()}
    return out
