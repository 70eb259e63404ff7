"""Lesson blocks as HTML: real, selectable text from the typed model (not a picture of the slide).

Each block kind of deckc.model has one function here; the page's CSS lays them out for every width
from a phone to a projector. Text keeps its inline markup as <strong>/<em>/<code>/<mark>, every
paragraph gets dir="auto" so right-to-left text reads right to left. A block kind this module does
not know yet is drawn as its text, never dropped.
"""
from __future__ import annotations

import html
from dataclasses import fields, is_dataclass
from typing import Callable

from ... import model as m
from ...layout.diagram_blocks import step_colors
from ...layout.theme import DEFAULT_THEME
from ...markup import MarkupError, parse_markup, plain_text

TAGS = (("code", "code"), ("bold", "strong"), ("italic", "em"), ("highlight", "mark"))


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def inline(text: str | None) -> str:
    """Inline markup -> HTML (escaped); text the loader accepted always parses."""
    if not text:
        return ""
    try:
        spans = parse_markup(text)
    except MarkupError:
        return esc(text)
    out = []
    for sp in spans:
        if getattr(sp, "math", False):          # $...$: a formula (deckc.texmath)
            out.append(mathml(sp.text, display=False))
            continue
        piece = esc(sp.text).replace("\n", "<br>")
        for attr, tag in TAGS:
            if getattr(sp, attr):
                piece = f"<{tag}>{piece}</{tag}>"
        out.append(piece)
    return "".join(out)


def mathml(tex: str, display: bool) -> str:
    """TeX as MathML, which browsers lay out natively (and screen readers read), made by the same
    converter the decks use (deckc.texmath); the TeX itself where that is not available."""
    try:
        from ...texmath.render import to_mathml
    except ImportError:
        return f'<code class="tex">{esc(tex)}</code>'
    try:
        return to_mathml(tex, display)
    except Exception:  # noqa: BLE001 - the loader checked the TeX; a converter gap shows the source
        return f'<code class="tex">{esc(tex)}</code>'


class Blocks:
    """Renders the blocks of one lesson; `chart` turns a model Chart into its figure (see charts.py)."""

    def __init__(self, chart: Callable[[m.Chart], str], theme=DEFAULT_THEME,
                 image: Callable[[object], tuple[str, bytes] | None] | None = None):
        self.chart_html = chart
        self.image_data = image         # an image block -> (mime type, bytes), or None
        self.theme = theme
        self.draw = {m.Text: self.text, m.Bullets: self.bullets, m.Steps: self.steps, m.Callout: self.callout,
                     m.Sentence: self.sentence, m.Tokens: self.tokens, m.Columns: self.columns, m.Table: self.table,
                     m.Analogy: self.analogy, m.Concepts: self.concepts, m.Chart: self.chart_html}
        # blocks of deckc.model that came after the first kinds: by name, so this module does not
        # depend on when they were added
        self.by_name = {"Math": self.math, "Code": self.code, "Image": self.image}

    def render(self, blocks) -> str:
        return "\n".join(self.block(b) for b in blocks)

    def block(self, b) -> str:
        fn = self.draw.get(type(b)) or self.by_name.get(type(b).__name__)
        return fn(b) if fn else self.unknown(b)

    # ---- formulas, listings, figures ----
    def math(self, b) -> str:
        cap = f'<figcaption dir="auto">{inline(b.caption)}</figcaption>' if getattr(b, "caption", None) else ""
        return f'<figure class="math">{mathml(b.tex, display=True)}{cap}</figure>'

    def code(self, b) -> str:
        marked = set(getattr(b, "highlight", ()) or ())
        from ...layout.code_box import TAB      # tabs at the stops the PDF and PPTX use (a browser's are 8)

        lines = [f'<mark class="code-hl">{esc(ln)}</mark>' if i in marked else esc(ln)
                 for i, ln in enumerate((ln.expandtabs(TAB) for ln in b.source.split("\n")), start=1)]
        lang = getattr(b, "lang", "") or ""
        cls = f' class="language-{esc(lang)}"' if lang and lang != "text" else ""
        cap = f'<figcaption dir="auto">{inline(b.caption)}</figcaption>' if getattr(b, "caption", None) else ""
        return (f'<figure class="listing"><pre class="code" tabindex="0" aria-label="Code listing">'
                f'<code{cls}>{chr(10).join(lines)}</code></pre>{cap}</figure>')

    def image(self, b) -> str:
        import base64

        found = self.image_data(b) if self.image_data else None
        decorative = getattr(b, "decorative", False)
        alt = "" if decorative else (getattr(b, "alt", None) or "")
        cap = f'<figcaption dir="auto">{inline(b.caption)}</figcaption>' if getattr(b, "caption", None) else ""
        if found is None:
            return f'<figure class="image missing"><p dir="auto">{esc(alt)}</p>{cap}</figure>' if alt or cap else ""
        mime, data = found
        src = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
        return f'<figure class="image"><img src="{src}" alt="{esc(alt)}" loading="eager">{cap}</figure>'

    # ---- text ----
    def text(self, b: m.Text) -> str:
        return f'<p dir="auto">{inline(b.text)}</p>'

    def bullets(self, b: m.Bullets) -> str:
        """With `reveal`, each top-level item (with its sub-items) is one step of the player
        (data-reveal; player.js shows them one per Next, as the PPTX does per click)."""
        def ul(items, cls=' class="bullets"', top=False):      # items: text, or a BulletItem with sub-items
            li = '<li dir="auto" data-reveal>' if top and b.reveal else '<li dir="auto">'
            return f"<ul{cls}>" + "".join(
                f'{li}{inline(it)}</li>' if isinstance(it, str) else
                f'{li}{inline(it.text)}{ul(it.items, "")}</li>' for it in items) + "</ul>"
        return ul(b.items, top=True)

    def callout(self, b: m.Callout) -> str:
        return f'<div class="callout tone-{esc(b.tone)}" role="note"><p dir="auto">{inline(b.text)}</p></div>'

    def sentence(self, b: m.Sentence) -> str:
        note = f'<p class="sentence-note" dir="auto">{inline(b.note)}</p>' if b.note else ""
        return f'<figure class="sentence"><blockquote dir="auto">{inline(b.text)}</blockquote>{note}</figure>'

    # ---- token rows ----
    def steps(self, b: m.Steps) -> str:
        fills, borders = step_colors(b, self.theme)
        items = []
        for i, it in enumerate(b.items):
            state = f'<span class="step-state" dir="auto">{inline(it.state)}</span>' if it.state else ""
            reveal = " data-reveal" if b.reveal else ""
            items.append(f'<li class="step" style="--chip:#{fills[i]};--edge:#{borders[i]}"{reveal}>'
                         f'<span class="chip" dir="auto">{inline(it.token)}</span>{state}</li>')
        cap = f'<figcaption dir="auto">{inline(b.caption)}</figcaption>' if b.caption else ""
        label = "Steps, one after another" if b.fade != "backward" else "Steps, the signal flowing backwards"
        return (f'<figure class="steps fade-{esc(b.fade)}"><ol class="step-row" aria-label="{label}">'
                f'{"".join(items)}</ol>{cap}</figure>')

    def tokens(self, b: m.Tokens) -> str:
        chips = []
        for tok in b.tokens:
            role = " focus" if tok == b.focus else " target" if tok == b.target else ""
            extra = (' <span class="visually-hidden">(attends)</span>' if role == " focus" else
                     ' <span class="visually-hidden">(attended to)</span>' if role == " target" else "")
            chips.append(f'<li class="token{role}" dir="auto">{esc(tok)}{extra}</li>')
        cap = f'<figcaption dir="auto">{inline(b.caption)}</figcaption>' if b.caption else ""
        return f'<figure class="tokens"><ul class="token-row" aria-label="Tokens">{"".join(chips)}</ul>{cap}</figure>'

    # ---- structure ----
    def columns(self, b: m.Columns) -> str:
        cols = []
        for c in b.columns:
            panel = " panel tone-" + esc(c.tone) if c.title else ""
            title = f'<h3 dir="auto">{inline(c.title)}</h3>' if c.title else ""
            cols.append(f'<div class="column{panel}">{title}{self.render(c.body)}</div>')
        return f'<div class="columns cols-{len(b.columns)}">{"".join(cols)}</div>'

    def table(self, b: m.Table) -> str:
        head = "".join(f'<th scope="col" dir="auto">{inline(h)}</th>' for h in b.header)
        rows = []
        for row in b.rows:
            cells = [f'<th scope="row" dir="auto">{inline(row[0])}</th>' if row else ""]
            cells += [f'<td dir="auto">{inline(c)}</td>' for c in row[1:]]
            rows.append(f"<tr>{''.join(cells)}</tr>")
        return (f'<div class="table-wrap" tabindex="0" role="region" aria-label="Table">'
                f'<table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')

    def analogy(self, b: m.Analogy) -> str:
        icon = f'<span class="analogy-icon" aria-hidden="true">{esc(b.icon)}</span>' if b.icon else ""
        return (f'<div class="analogy">{icon}<div><h3 dir="auto">{inline(b.title)}</h3>'
                f'<p dir="auto">{inline(b.text)}</p></div></div>')

    def concepts(self, b: m.Concepts) -> str:
        cards = []
        for c in b.cards:
            icon = f'<span class="concept-icon" aria-hidden="true">{esc(c.icon)}</span>' if c.icon else ""
            cards.append(f'<li class="concept">{icon}<h3 dir="auto">{inline(c.term)}</h3>'
                         f'<p dir="auto">{inline(c.definition)}</p></li>')
        return f'<ul class="concepts">{"".join(cards)}</ul>'

    # ---- blocks added after this writer: their text, never nothing ----
    def unknown(self, b) -> str:
        code = getattr(b, "code", None)
        if isinstance(code, str):
            lang = getattr(b, "language", None) or getattr(b, "lang", None) or ""
            cls = f' class="language-{esc(lang)}"' if lang else ""
            return f'<pre class="code" tabindex="0"><code{cls}>{esc(code)}</code></pre>'
        texts = []
        if is_dataclass(b):
            for f in fields(b):
                v = getattr(b, f.name)
                if isinstance(v, str) and v.strip():
                    texts.append(f'<p dir="auto">{inline(v)}</p>')
        kind = esc(type(b).__name__.lower())
        return f'<div class="block block-{kind}">{"".join(texts)}</div>'


def title_plain(text: str | None) -> str:
    return plain_text(text) if text else ""
