"""Theme files: a lesson's look in YAML (colours, fonts, sizes, logo), read through the spec's own
bounded loader and checked by the same declarative schema, every problem at once, located in
the theme file (FILE:LINE:COL: field.path: message, with "did you mean").

    base: dark                 # a built-in to start from (default | dark | high-contrast)
    name: university-blue      # names the PPTX theme (theme1.xml); default: the file's name
    colors: {background: "#FFFFFF", text: "#1F2A44", accent: "#00549F", palette: ["#00549F", ...],
             tones: {note: {fill: ..., border: ..., text: ...}}, ...}
    fonts: {heading: Georgia, body: Arial, mono: Consolas, east_asian: Yu Gothic, complex_script: Arial}
    sizes: {title: 32, body: 20, small: 15, footer: 10}
    logo: images/logo.png      # PNG, JPEG or SVG, relative to the theme file, inside the course

Colours are checked for contrast after merging with the base (text >= 4.5:1, graphics >= 3:1).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from ..diagnostics import Diagnostic, Diagnostics
from .schema import INVALID, Ctx, Enum, Field, Number, Obj, Schema, Seq, Text, _type_name

_HEX = re.compile(r"^#?([0-9A-Fa-f]{6})$")


@dataclass
class Color(Schema):
    """'#RRGGBB' (or 'RRGGBB'); quoted, since YAML reads #... as a comment and 000000 as a number."""

    doc: str = ""

    def check(self, node, path, ctx):
        v = node.value if node.kind == "scalar" else None
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return ctx.error(node, path, f"expected a colour like \"#1F2A44\" in quotes, got {_type_name(node)} "
                                         f"(YAML reads an unquoted colour as a number)")
        if not isinstance(v, str) or not _HEX.match(v.strip()):
            return ctx.error(node, path, f"expected a colour like \"#1F2A44\" (six hex digits), got {_type_name(node)}")
        return _HEX.match(v.strip()).group(1).upper()

    def json(self):
        return {"type": "string", "pattern": "^#?[0-9A-Fa-f]{6}$", "description": self.doc}


def _font(doc):
    return Field(Text(markup=False, max_len=64, doc=doc))


TONE = Obj(name="a tone", fields={k: Field(Color()) for k in ("fill", "border", "text")})
COLOR_KEYS = ("background", "text", "muted", "accent", "highlight", "chip_fill", "chip_border",
              "table_header_fill", "table_header_text", "table_stripe", "table_border", "rule")
COLORS = Obj(name="the colours", fields={
    **{k: Field(Color()) for k in COLOR_KEYS},
    "tones": Field(Obj(name="the tones", fields={k: Field(TONE) for k in ("problem", "insight", "note")})),
    "palette": Field(Seq(item=Color(), min_items=3, max_items=12, doc="Chart series colours, in order.")),
})
FONTS = Obj(name="the fonts", fields={
    "heading": _font("Titles (theme1.xml's major font)."), "body": _font("Everything else (the minor font)."),
    "mono": _font("Code listings."), "east_asian": _font("East Asian text (a:ea), e.g. Yu Gothic."),
    "complex_script": _font("Complex scripts (a:cs), e.g. Arial for Arabic and Hebrew."),
})
# The type scale's roles (deckc.layout.theme.TypeScale), one size each across the deck; "small" is
# the older name of "secondary".
SIZES = Obj(name="the text sizes", fields={
    "display": Field(Number(min=24, max=96, doc="The lesson title on the title slide, pt.")),
    "section": Field(Number(min=24, max=96, doc="A section divider's title, pt.")),
    "title": Field(Number(min=20, max=60, doc="Slide titles, pt.")),
    "heading": Field(Number(min=16, max=48, doc="Card and analogy headings, example sentences, math, pt.")),
    "body": Field(Number(min=16, max=40, doc="Body text, bullets, callouts, pt.")),
    "secondary": Field(Number(min=12, max=32, doc="Card definitions, chips, table cells, sub-bullets, pt.")),
    "small": Field(Number(min=12, max=32, doc="The same as secondary (its older name), pt.")),
    "caption": Field(Number(min=12, max=32, doc="Captions, step states, a chart's heading, pt.")),
    "code": Field(Number(min=10, max=32, doc="Code listings, pt.")),
    "chart": Field(Number(min=10, max=24, doc="Every text inside a chart, pt.")),
    "footer": Field(Number(min=8, max=16, doc="Footer, pt.")),
})
SIZE_FIELDS = {"small": "secondary"}        # a key -> its TypeScale role, where the names differ


def _theme_schema():
    from ..layout.themes import BUILTIN
    return Obj(name="a theme file", doc="A deckc theme: colours, fonts, sizes and a logo.", fields={
        "name": Field(Text(markup=False, max_len=64)),
        "base": Field(Enum(tuple(BUILTIN), doc="The built-in theme this one changes."), default="default"),
        "colors": Field(COLORS), "fonts": Field(FONTS), "sizes": Field(SIZES),
        "logo": Field(Text(markup=False, max_len=500, doc="An image relative to the theme file.")),
    })


def load_theme_file(path: Path, course: Path, display: str):
    """(Theme or None, problems located in the theme file)."""
    from ..layout.theme import Tone
    from ..layout.themes import BUILTIN, contrast_problems
    from .yaml_source import load_yaml

    diags = Diagnostics(display)
    try:
        data = path.read_bytes()
    except OSError as e:
        diags.error(0, 0, "", f"cannot read: {e.strerror or e}")
        return None, diags.items
    if all(not ln.strip() or ln.lstrip().startswith(b"#") for ln in data.splitlines()):
        return replace(BUILTIN["default"], name=path.stem), []       # nothing changed: the default theme
    root = load_yaml(data, diags)
    if root is None:
        return None, diags.items
    ctx = Ctx(diags)
    v = _theme_schema().check(root, "", ctx)
    dropped: list[str] = []
    if v is INVALID:     # the rest still gets its checks (logo, contrast): every problem in one run
        dropped = [d.path for d in diags.errors]
        v = _theme_schema().check(_without(root, dropped), "", Ctx(Diagnostics(display)))
        if v is INVALID or any(p in ("", "base") for p in dropped):
            return None, diags.items
    t = BUILTIN[v["base"]]
    colors, fonts, sizes = v["colors"] or {}, v["fonts"] or {}, v["sizes"] or {}
    changes = {k: colors[k] for k in COLOR_KEYS if colors.get(k)}
    if colors.get("palette"):
        changes["palette"] = tuple(colors["palette"])
    if colors.get("tones"):
        tones = dict(t.tones)
        for name, tone in colors["tones"].items():
            if tone:
                old = tones[name]
                tones[name] = Tone(fill=tone["fill"] or old.fill, border=tone["border"] or old.border,
                                   text=tone["text"] or old.text)
        changes["tones"] = tones
    for key, attr in (("heading", "font_heading"), ("body", "font_body"), ("mono", "font_mono"),
                      ("east_asian", "font_ea"), ("complex_script", "font_cs")):
        if fonts.get(key):
            changes[attr] = fonts[key].strip()
    roles = {SIZE_FIELDS.get(k, k): float(s) for k, s in sizes.items() if s is not None}
    if roles:
        changes["type"] = replace(t.type, **roles)
    if v["logo"]:
        from ..images import ImageError, load
        try:
            changes["logo"] = load(v["logo"], path.parent, course)
        except ImageError as e:
            ctx.error(root.at("logo"), "logo", str(e))
    changes["name"] = (v["name"] or path.stem).strip()
    theme = replace(t, **changes)
    for what, fg, bg, ratio, minimum in contrast_problems(theme):
        names = [f"colors.{n}" for n in what.split(" on ")] + ([] if " on " in what else ["colors.background"])
        if any(n == p or n.startswith((p + ".", p + "[")) for n in names for p in dropped):
            continue     # a colour already reported as wrong: its stand-in from the base says nothing
        kind = "text" if minimum > 3 else "graphics"
        ctx.error(root.at("colors", *_keys(what)), f"colors.{what.split(' on ')[0]}",
                  f"#{fg} on #{bg} has a contrast of {ratio:.2f}:1; {kind} needs at least {minimum:g}:1 "
                  f"(WCAG 2.2 AA)")
    return (None if diags.errors else theme), diags.items


def _without(node, paths: list[str]):
    """A copy of the node tree without the map keys at `paths` (a list is dropped whole)."""
    if node.kind != "map":
        return node
    here = {p.split(".", 1)[0].split("[", 1)[0]: p for p in paths}
    value = {}
    for key, (knode, vnode) in node.value.items():
        if key in here and ("." not in here[key] or here[key].index(".") > here[key].find("[") >= 0):
            continue
        subs = [p.split(".", 1)[1] for p in paths if p.startswith(key + ".")]
        value[key] = (knode, _without(vnode, subs) if subs else vnode)
    return replace(node, value=value)


def _keys(what: str):
    first = what.split(" on ")[0]
    out = []
    for part in first.split("."):
        m = re.match(r"(\w+)\[(\d+)\]", part)
        out += [m.group(1), int(m.group(2))] if m else [part]
    return out


def theme_json_schema() -> dict:
    return _theme_schema().json()


__all__ = ["load_theme_file", "theme_json_schema", "Diagnostic"]


COURSE_THEME = "theme.yaml"      # a course folder's default theme file (lessons without lesson.theme)


def resolve_look(lesson, at, ctx: Ctx, display_path):
    """The lesson's Theme: from lesson.template (its colours, fonts, background and logo), else
    lesson.theme (a built-in's name or a theme file), else the course's theme.yaml, else the
    default. Problems go to ctx (a theme file's own problems located in that file); None on errors."""
    from ..errors import ImageError
    from ..images import resolve
    from ..layout.themes import BUILTIN
    from .schema import did_you_mean

    meta, course = lesson.meta, lesson.root
    if meta.template is not None:
        if meta.theme is not None:
            ctx.error(at("lesson", "theme"), "lesson.theme", "a lesson with a template takes its colours and fonts "
                      "from the template: remove lesson.theme or lesson.template")
            return None
        from ..template import TemplateError, load_template
        try:
            path = resolve(meta.template, course, course, what="templates")
            if path.suffix.lower() != ".pptx":
                raise TemplateError(f"'{meta.template}' is not a .pptx file; save the template as a PowerPoint "
                                    f"presentation (.pptx)")
            tpl = load_template(path)
            for note in tpl.notes:
                ctx.warning(at("lesson", "template"), "lesson.template", f"{path.name} {note}")
            return tpl.theme()
        except (ImageError, TemplateError) as e:
            ctx.error(at("lesson", "template"), "lesson.template", str(e))
            return None
    name = meta.theme
    if name is None:
        default = course / COURSE_THEME
        if not default.is_file():
            return BUILTIN["default"]
        path = default
    elif name in BUILTIN:
        return BUILTIN[name]
    else:
        if not name.endswith((".yaml", ".yml")):
            ctx.error(at("lesson", "theme"), "lesson.theme", f"no built-in theme '{name}'"
                      f"{did_you_mean(name, BUILTIN)} (built-ins: {', '.join(BUILTIN)}; or a theme file "
                      f"ending in .yaml, relative to the course folder)")
            return None
        try:
            path = resolve(name, course, course, what="theme files")
        except ImageError as e:
            ctx.error(at("lesson", "theme"), "lesson.theme", str(e))
            return None
    theme, problems = load_theme_file(path, course, display_path(path))
    ctx.diags.items.extend(problems)
    if theme is None and not problems:
        ctx.error(at("lesson", "theme"), "lesson.theme", f"theme file {display_path(path)} is not usable")
    return theme
