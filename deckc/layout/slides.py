"""Lesson -> DeckPlan: one layout, computed once, that every writer draws.

Every text role has one size across the deck (theme.TypeScale). Text is wrapped at that size;
a body that does not fit is rebalanced, then continued on "(cont.)" slides, or (`split: false`)
set one step smaller with a warning (deckc.layout.fit); what still does not fit is cut at the
slide's content area and reported as a warning naming the slide and element.
"""
from __future__ import annotations

from dataclasses import replace

from .. import model as m
from ..diagnostics import Diagnostic
from ..markup import plain_text
from . import bullets, code_box, diagram_blocks, image_box, math_box  # noqa: F401  (register these blocks' layouts)
from .blocks import Ctx, stack
from .section_slide import section_elements
from .chart_plan import with_geometry
from .fit import fit_body
from .plan import ChartBox, CodeBox, DeckPlan, Element, Para, Shape, SlidePlan, TableBox, TextBox
from .text import make_para, paras_height, truncate_para
from .theme import DEFAULT_THEME, SLIDE_H, SLIDE_W, Theme
from .theme_look import look

# A chart left off its slide still gets a box, at the size a page with room (HTML) shows it.
SPARE_CHART_W, SPARE_CHART_H = 420.0, 300.0


class Planner:
    def __init__(self, lesson: m.Lesson, theme: Theme = DEFAULT_THEME, file: str = ""):
        self.lesson = lesson
        self.theme = theme
        self.file = file
        self.warnings: list[Diagnostic] = []
        self._footer_warned = False

    @staticmethod
    def chart(block: m.Chart):
        """A chart's data: computed before the layout, by the resolve stage (deckc.resolve)."""
        if block.data is None:
            raise ValueError(f"chart '{block.kind}' has no data: resolve the lesson's charts before planning it "
                             f"(deckc.resolve.resolve_charts; the loader does)")
        return block.data

    def image(self, block: m.Image):
        from ..images import load
        return load(block.src, self.lesson.source.parent, self.lesson.root)

    def warn(self, slide: m.Slide, index: int, message: str) -> None:
        self.warnings.append(Diagnostic(self.file, slide.line, 1, f"slides[{index}]",
                                        f'("{plain_text(slide.title) or self.lesson.meta.title}") {message}',
                                        "warning"))

    # ---- the deck ----
    def plan(self) -> DeckPlan:
        meta = self.lesson.meta
        pages: list[tuple[int, m.Slide, str]] = []    # (spec index, slide, variant)
        for i, sl in enumerate(self.lesson.slides):
            pages.append((i, sl, "question" if sl.kind == "quiz" else sl.kind))
            if sl.kind == "quiz":
                pages.append((i, sl, "answer"))
        # Bodies first: a slide that does not fit continues on "(cont.)" slides, which the page numbers count.
        laid: list[tuple[int, m.Slide, str, str, list, str]] = []   # (index, slide, variant, title, elements, notes)
        parts: list[int] = []
        self._section = None
        sections: list[str | None] = []
        for i, sl, variant in pages:
            if variant == "section":
                self._section = plain_text(sl.title)
            for k, (title, elements, notes) in enumerate(self._slides(i, sl, variant, f"slide{len(laid) + 1}")):
                laid.append((i, sl, variant, title, elements, notes))
                sections.append(self._section)
                parts.append(k + (variant == "answer"))
        total = len(laid)
        slides = []
        for n, ((i, sl, variant, title, elements, notes), section, part) in enumerate(zip(laid, sections, parts),
                                                                                      start=1):
            prefix = f"slide{n}"
            if variant != "title":
                self._section = section
                elements = [*elements, *self._footer(sl, i, prefix, n, total)]
            elements = [with_geometry(_renamed(el, prefix)) for el in elements]   # boxes are final: charts get their drawing
            layout = variant if variant in ("title", "section") else "content"
            background, decor = look(self.theme, layout, prefix)
            plan = SlidePlan(number=n, title=title, elements=tuple(decor + elements), notes=notes,
                             background=background, layout=layout)
            steps = max([e.step for e in plan.elements] +
                        [p.step for e in plan.elements for p in getattr(e, "paras", ())], default=0)
            slides.append(replace(plan, section=section, steps=steps, source=i, part=part,
                                  level=1 if section and variant != "section" else 0))

        found = {b.data.name: b.data for sl in self.lesson.slides for b in _walk(sl.body) if isinstance(b, m.Chart)}
        charts = tuple(sorted(found.values(), key=lambda c: c.name))
        placed = {e.data.name for sp in slides for e in sp.elements if isinstance(e, ChartBox)}
        t = self.theme
        spare = tuple(with_geometry(ChartBox(name=c.name, x=0.0, y=0.0, w=SPARE_CHART_W, h=SPARE_CHART_H, data=c,
                                             palette=t.palette, text_color=t.text, font_size=t.type.chart,
                                             heading_size=t.type.caption, alt=c.description))
                      for c in charts if c.name not in placed)
        return DeckPlan(lesson_id=meta.id, title=meta.title, subject=f"{meta.module} · {meta.position}",
                        author=meta.author or meta.course, keywords=f"{meta.course}; {meta.module}",
                        language=meta.language, width=SLIDE_W, height=SLIDE_H, slides=tuple(slides), charts=charts,
                        spare_charts=spare, theme=t)

    def _slides(self, index, sl: m.Slide, variant: str, prefix: str):
        """(title, elements without the footer, notes) of each slide this page of the spec becomes."""
        t = self.theme
        meta = self.lesson.meta
        if variant == "title":
            return [(plain_text(sl.title or meta.title), self._title_slide(sl, index, prefix), sl.notes)]
        if variant == "section":
            k = sum(1 for s in self.lesson.slides[:index + 1] if s.kind == "section")
            return [(plain_text(sl.title), section_elements(sl.title, sl.subtitle, f"Section {k}", prefix, t),
                     sl.notes)]
        title = f"{sl.title}: Answer" if variant == "answer" else sl.title   # two slides, two titles
        blocks = _quiz_blocks(sl, reveal=(variant == "answer")) if variant in ("question", "answer") else list(sl.body)
        first = self._heading(sl, index, prefix, title)
        cont = self._heading(sl, index, prefix, f"{title} (cont.)") if variant == "content" else first
        top = max(first.bottom, cont.bottom) + 10.0
        pages = self._fit(sl, index, prefix, blocks, max(t.content_top, top),
                          may_split=variant == "content" and sl.split)
        out = []
        for k, (elements, page_blocks) in enumerate(pages):
            heading = first if k == 0 else cont
            notes = self._notes(sl, variant, page_blocks, part=k)
            out.append((plain_text(title) + (" (cont.)" if k else ""), [heading, *elements], notes))
        return out

    def _notes(self, sl: m.Slide, variant: str, blocks, part: int = 0) -> str:
        parts = [sl.notes if not part else f"Continued from the previous slide. {sl.notes}"]
        if isinstance(sl, m.QuizSlide):
            q = sl.quiz
            answer = f"Answer: {q.answer}. {plain_text(q.answer_text)}"
            if variant == "answer":
                parts = [sl.answer_notes or sl.notes, answer]
            else:
                parts.append(answer + " (revealed on the next slide)")
            if q.explanation:
                parts.append(plain_text(q.explanation))
        for b in _walk(blocks):
            if isinstance(b, m.Chart):
                data = self.chart(b)
                parts.append(f"Chart ({data.title}): {data.notes or data.description}")
        return "\n\n".join(p.strip() for p in parts if p)

    # ---- fixed parts ----
    def _heading(self, sl, index, prefix, title) -> TextBox:
        """The slide title at the scale's title size: one line, or two (the body then starts lower);
        past two lines it is cut with a warning."""
        t = self.theme
        w = SLIDE_W - 2 * t.margin_x
        para = make_para(title, t.type.title, w, t.text, bold=True)
        if len(para.lines) > 2:
            para = truncate_para(para, 2, w)
            self.warn(sl, index, f"element '{prefix}.title' is longer than two lines at the title size "
                                 f"({t.type.title:g}pt); it is cut after 2 lines: shorten the title")
        h = max(t.content_top - t.title_y - 12, paras_height([para]))
        return TextBox(name=f"{prefix}.title", x=t.margin_x, y=t.title_y, w=w, h=h,
                       paras=(para,), valign="middle", role="title")

    def _footer(self, sl, index, prefix, n, total) -> list[Element]:
        t = self.theme
        meta = self.lesson.meta
        w = (SLIDE_W - 2 * t.margin_x) / 2
        where = f" · {self._section}" if getattr(self, "_section", None) else ""
        left = make_para(f"{meta.module} · {meta.title}{where}", t.type.footer, w, t.muted)
        if len(left.lines) > 1:     # one line, the same on every slide; said once
            left = truncate_para(left, 1, w)
            if not self._footer_warned:
                self._footer_warned = True
                self.warn(sl, index, f"element '{prefix}.footer' (module and lesson title) is longer than one "
                                     f"footer line; it is cut with an ellipsis on every slide")
        right = make_para(f"{n} / {total}", t.type.footer, w, t.muted, align="right")
        rule = Shape(name=f"{prefix}.footer-rule", x=t.margin_x, y=t.footer_y - 6, w=SLIDE_W - 2 * t.margin_x,
                     h=0.75, kind="rect", fill=t.rule, decorative=True)
        return [rule,
                TextBox(name=f"{prefix}.footer", x=t.margin_x, y=t.footer_y, w=w, h=left.height, paras=(left,),
                        role="footer"),
                TextBox(name=f"{prefix}.page", x=t.margin_x + w, y=t.footer_y, w=w, h=right.height, paras=(right,),
                        role="footer")]

    def _title_slide(self, sl, index, prefix) -> list[Element]:
        t = self.theme
        meta = self.lesson.meta
        w, x = SLIDE_W - 2 * 72.0, 72.0
        margin = 24.0
        for s in (1.0, t.type.step):        # at the scale; one step smaller if it does not fit
            def size(role):
                return t.type.at(role, s)
            parts = [("module", make_para(meta.module, size("body"), w, t.accent, bold=True), "body"),
                     ("title", make_para(meta.title, size("display"), w, t.text, bold=True), "title")]
            if meta.subtitle:
                parts.append(("subtitle", make_para(meta.subtitle, size("heading"), w, t.muted), "subtitle"))
            parts += [("info", make_para(f"⏱️ {meta.duration}     🎯 {meta.position}", size("body"), w, t.text),
                       "body"),
                      ("course", make_para(meta.course, size("caption"), w, t.muted), "body")]
            gaps = {"title": 10.0 * s, "subtitle": 14.0 * s, "info": 26.0 * s, "course": 8.0 * s}
            total = sum(p.height + gaps.get(k, 0.0) for k, p, _ in parts)
            if total <= SLIDE_H - 2 * margin:
                break
        y = max((SLIDE_H - total) / 2 - 10, margin)
        out: list[Element] = []
        for key, para, role in parts:
            y += gaps.get(key, 0.0)
            out.append(TextBox(name=f"{prefix}.{key}", x=x, y=y, w=w, h=para.height, paras=(para,), role=role))
            y += para.height
        if total > SLIDE_H - 2 * margin:
            self.warn(sl, index, f"the title slide is {total - (SLIDE_H - 2 * margin):.0f}pt taller than the slide "
                                 f"even one size step smaller; the end is cut off: shorten the title or subtitle")
            out = self._clip(sl, index, out, SLIDE_H - margin)
        # The title first: it is what screen readers and the PPTX outline read first.
        out.sort(key=lambda e: e.role != "title")
        out.append(Shape(name=f"{prefix}.band", x=0, y=0, w=14, h=SLIDE_H, kind="rect", fill=t.accent,
                         decorative=True))
        return out

    # ---- the body: at the type scale; rebalanced, continued on "(cont.)" slides, or shrunk one step ----
    def _fit(self, sl: m.Slide, index: int, prefix: str, blocks, top: float, may_split: bool):
        """[(elements, blocks)] per slide the body takes (deckc.layout.fit)."""
        t = self.theme
        x, w, h = t.margin_x, SLIDE_W - 2 * t.margin_x, t.content_bottom - top

        def measure(bs, s, rebalance):
            ctx = Ctx(t, f"{prefix}.body", self.chart, self.image, rebalance=rebalance)
            return stack(bs, w, s, ctx, t.gap * s, balance=True)

        pages = fit_body(list(blocks), h, measure, may_split, t.type.step)
        out = []
        for k, page in enumerate(pages):
            where = f" (part {k + 1} of {len(pages)})" if len(pages) > 1 else ""
            if page.s < 1.0:
                why, fix = (("the slide says split: false", "shorten it, or allow the split") if not sl.split else
                            ("a quiz is not continued on another slide", "shorten it") if not may_split else
                            ("one of its blocks is taller than a slide on its own",
                             "shorten it, or make it several blocks"))
                self.warn(sl, index, f"content{where} does not fit at the deck's type scale (body "
                                     f"{t.type.body:g}pt) and {why}: its text is set one step smaller (body "
                                     f"{t.type.at('body', page.s):g}pt): {fix}")
            measured = page.measured
            if measured.height > h + 0.01:
                self.warn(sl, index, f"content{where} is {measured.height - h:.0f}pt taller than the slide even "
                                     f"one size step smaller; the end is cut off: shorten its text or split "
                                     f"the slide")
            elements = measured.place(x, top, h)
            for el in elements:
                if isinstance(el, CodeBox) and el.wrapped:
                    self.warn(sl, index, f"element '{el.name}': {el.wrapped} code line"
                                         f"{'s are' * (el.wrapped > 1) or ' is'} too long for the slide at "
                                         f"{el.paras[0].size:g}pt and continue on the next line after a '→' mark: "
                                         f"shorten {'them' if el.wrapped > 1 else 'it'} or give the listing more "
                                         f"width")
            out.append((self._clip(sl, index, elements, top + h), page.blocks))
        return out

    def _clip(self, sl, index, elements, bottom) -> list[Element]:
        out = []
        for el in elements:
            if el.y >= bottom - 1:
                self.warn(sl, index, f"element '{el.name}' does not fit on the slide and is left out")
                continue
            if el.bottom > bottom + 0.5:
                el = _cut(el, bottom)
                self.warn(sl, index, f"element '{el.name}' is cut at the bottom of the slide")
            out.append(el)
        return out


def _renamed(el: Element, prefix: str) -> Element:
    """An element named for the slide it ended up on (slide7.body.0 -> slide8.body.0 after a split)."""
    head, dot, rest = el.name.partition(".")
    return replace(el, name=f"{prefix}.{rest}") if dot and head.startswith("slide") and head != prefix else el


def _cut(el: Element, bottom: float) -> Element:
    h = bottom - el.y
    if isinstance(el, TextBox):
        room = h - el.pad[1] - el.pad[3]
        width = el.w - el.pad[0] - el.pad[2]
        kept: list[Para] = []
        for p in el.paras:
            fit = int(max(room - p.space_before, 0) // p.line_height)
            if fit >= len(p.lines):
                kept.append(p)
                room -= p.height
                continue
            if fit > 0:
                kept.append(truncate_para(p, fit, width))
            elif kept:      # cut between paragraphs: the last one kept shows that more followed
                kept[-1] = truncate_para(kept[-1], len(kept[-1].lines), width)
            break
        return replace(el, h=h, paras=tuple(kept))
    if isinstance(el, TableBox):
        heights, acc = [], 0.0
        for rh in el.row_heights:
            if acc + rh > h:
                break
            heights.append(rh)
            acc += rh
        return replace(el, h=acc, row_heights=tuple(heights), cells=el.cells[:len(heights)])
    return replace(el, h=h)


def _walk(blocks):
    for b in blocks:
        yield b
        if isinstance(b, m.Columns):
            for c in b.columns:
                yield from _walk(c.body)


def _quiz_blocks(sl: m.QuizSlide, reveal: bool) -> list:
    """The quiz as ordinary blocks: the question, then the options (the right one marked on the reveal)."""
    q = sl.quiz
    blocks: list = [m.Text(f"**{q.question}**")]
    for o in q.options:
        right = o.letter == q.answer
        if reveal:
            mark = "✅ " if right else ""
            blocks.append(m.Callout(text=f"**{o.letter}**   {mark}{o.text}", tone="insight" if right else "note"))
        else:
            blocks.append(m.Callout(text=f"**{o.letter}**   {o.text}", tone="note"))
    if reveal and q.explanation:
        blocks.append(m.Text(f"*{q.explanation}*"))
    return blocks


def plan_deck(lesson: m.Lesson, file: str = "", theme: Theme | None = None) -> tuple[DeckPlan, list[Diagnostic]]:
    planner = Planner(lesson, theme or lesson.theme or DEFAULT_THEME, file)
    deck = planner.plan()
    missing, apart, mono = _missing_glyphs(deck)
    for ch, where in sorted(missing.items()):
        planner.warnings.append(Diagnostic(file, 0, 0, where, f"no shipped font has the character "
                                           f"U+{ord(ch):04X} {ch!r}; it will render as a blank box", "warning"))
    for seq, where in sorted(apart.items()):
        codes = " ".join(f"U+{ord(c):04X}" for c in seq)
        planner.warnings.append(Diagnostic(file, 0, 0, where, f"the shipped emoji font has no single glyph for the "
                                           f"emoji sequence {seq!r} ({codes}); the PDF draws its parts side by side",
                                           "warning"))
    for seq, where in sorted(mono.items()):
        codes = " ".join(f"U+{ord(c):04X}" for c in seq)
        planner.warnings.append(Diagnostic(file, 0, 0, where, f"the colour emoji font has no glyph for {seq!r} "
                                           f"({codes}); the PDF draws it in the monochrome emoji font", "warning"))
    return deck, planner.warnings


def _missing_glyphs(deck: DeckPlan) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Characters no shipped font has, emoji sequences the PDF cannot draw as one glyph, and emoji it
    draws in monochrome (no colour glyph), each with the first place it is used."""
    from ..fonts import font_book

    book = font_book()
    found: dict[str, str] = {}
    apart: dict[str, str] = {}
    mono: dict[str, str] = {}
    for sp in deck.slides:
        for el in sp.elements:
            paras = list(getattr(el, "paras", ()))
            if isinstance(el, TableBox):
                paras = [p for row in el.cells for c in row for p in c.paras]
            for p in paras:     # the logical text, and the shaped characters the PDF draws
                for r in (*p.runs, *(r for line in p.lines for r in line)):
                    if r.math is not None:      # drawn from STIX Two Math outlines, not these fonts
                        continue
                    for ch in book.missing(r.text):
                        found.setdefault(ch, f"slide {sp.number} ({el.name})")
                for r in p.runs:
                    for seq in book.sequences_drawn_apart(r.text):
                        apart.setdefault(seq, f"slide {sp.number} ({el.name})")
                    for seq in book.monochrome_emoji(r.text):
                        mono.setdefault(seq, f"slide {sp.number} ({el.name})")
    return found, apart, mono


__all__ = ["plan_deck", "Planner"]
