"""One lesson as one self-contained HTML page, laid out as the lesson player the course is taught in.

The header (module, title, minutes, lesson N of M) comes from the title slide; content slides go
into the player ("Slide k of n", previous/next); slides that hold only an analogy or key-concept
cards, and the quiz, follow the player as the lesson's closing sections, as the seed lesson lays
them out. Speaker notes (the layout plan's, chart notes included) travel in a JSON island for
presenter mode. CSS, JS and subset fonts are inlined: the page makes no request at all.
"""
from __future__ import annotations

import html
import json
import re
from functools import lru_cache
from importlib.resources import files
from string import Template

from ... import model as m
from ...layout.plan import ChartBox
from ...markup import plain_text
from .blocks import Blocks, esc, inline
from .charts import chart_figure
from ...layout.theme import DEFAULT_THEME
from .fonts import FAMILY_MONO, FAMILY_SANS, font_face_css
from .theme_css import logo_html, theme_css

SECTION_BLOCKS = (m.Analogy, m.Concepts)
# what player.js writes into the page (quiz verdicts, the timer): the fonts must cover it too
PLAYER_TEXT = " 0123456789:/– ✓✗ Correct: is right. Not quite: is not the answer. Read why, then try again. " \
              "Start Pause End of the lesson."


@lru_cache(maxsize=None)
def asset(name: str) -> str:
    return files(__package__).joinpath(name).read_text(encoding="utf-8")


def is_section(sl: m.Slide) -> bool:
    """A slide that holds only an analogy or concept cards: shown after the player, as in the seed."""
    return sl.kind == "content" and len(sl.body) == 1 and isinstance(sl.body[0], SECTION_BLOCKS)


_TAG = re.compile(r"<[^>]*>")


def visible_text(fragment: str) -> str:
    """The characters a page fragment shows (text, SVG text, titles): what its fonts must cover.
    The fragments are this writer's own markup (no scripts, no comments), so dropping the tags is
    enough, and 10x faster than an HTML parser."""
    return html.unescape(_TAG.sub(" ", fragment))


class LessonPage:
    def __init__(self, lesson: m.Lesson, deck, version: str):
        self.lesson, self.deck, self.version = lesson, deck, version
        self.meta = lesson.meta
        self.blocks = Blocks(self.chart, theme=deck.theme or DEFAULT_THEME, image=self.image)
        self.plan_of: list = []      # model slide index -> its first SlidePlan (a slide may take several)
        first = {sp.source: sp for sp in reversed(deck.slides)}
        for i, _ in enumerate(lesson.slides):
            self.plan_of.append(first.get(i))
        self._current = None         # the SlidePlan whose blocks are being drawn (for its chart boxes)
        self._charts = 0

    # ---- charts: the plan's chart box (its slide's, else the plan's spare one), drawn as SVG ----
    def chart(self, b: m.Chart) -> str:
        name = b.data.name if b.data is not None else b.kind     # the resolved chart's own name, not its kind's
        pools = ([self._current] if self._current else []) + list(self.deck.slides)
        boxes = [e for sp in pools for e in sp.elements if isinstance(e, ChartBox)] + list(self.deck.spare_charts)
        box = next((e for e in boxes if e.data.name == name), None)
        if box is None:
            return f'<p class="chart-missing" dir="auto">{inline(b.caption) or esc(b.kind)}</p>'
        self._charts += 1
        return chart_figure(box, f"chart-{self._charts}", None)    # the caption is the chart's heading, in it

    def image(self, b) -> tuple[str, bytes] | None:
        """An image block's file, found and checked as the decks find it (deckc.images)."""
        try:
            from ...images import load
        except ImportError:
            return None
        try:
            f = load(b.src, self.lesson.source.parent, self.lesson.root)
        except Exception:  # noqa: BLE001 - the loader reported it; the page shows the alt text
            return None
        return {"png": "image/png", "jpeg": "image/jpeg", "svg": "image/svg+xml"}.get(f.format, "image/png"), f.data

    # ---- the parts of the page ----
    def header(self) -> str:
        mt = self.meta
        sub = f'<p class="subtitle" dir="auto">{inline(mt.subtitle)}</p>' if mt.subtitle else ""
        return (f'<header class="lesson-head" id="intro" data-stop>{logo_html(self.deck.theme)}'
                f'<p class="course" dir="auto">{esc(mt.course)}</p>'
                f'<p class="module" dir="auto">{esc(mt.module)}</p>'
                f'<h1 dir="auto">{esc(mt.title)}</h1>{sub}'
                f'<ul class="badges" aria-label="About this lesson">'
                f'<li><span aria-hidden="true">⏱️</span> {esc(mt.duration)}</li>'
                f'<li><span aria-hidden="true">🎯</span> {esc(mt.position)}</li></ul></header>')

    def slide(self, k: int, n: int, sl: m.Slide) -> str:
        title = inline(sl.title)
        body = self.blocks.render(sl.body)
        return (f'<article class="slide" id="slide-{k}" data-stop aria-roledescription="slide" '
                f'aria-labelledby="slide-{k}-h"><p class="slide-count">Slide {k} of {n}</p>'
                f'<h2 id="slide-{k}-h" dir="auto">{title}</h2><div class="slide-body">{body}</div></article>')

    def section(self, idx: int, sl: m.Slide) -> str:
        b = sl.body[0]
        kind = "analogy" if isinstance(b, m.Analogy) else "concepts"
        sid = f"{kind}-{idx}"
        heading = "" if kind == "analogy" else f'<h2 id="{sid}-h" dir="auto">{inline(sl.title)}</h2>'
        label = f'aria-labelledby="{sid}-h"' if heading else f'aria-label="{esc(plain_text(sl.title))}"'
        return f'<section class="lesson-section {kind}-section" id="{sid}" data-stop {label}>{heading}' \
               f'{self.blocks.render(sl.body)}</section>'

    def quiz(self, idx: int, sl: m.QuizSlide) -> str:
        q = sl.quiz
        sid = f"quiz-{idx}"
        opts = "".join(
            f'<li><button type="button" class="option" data-letter="{esc(o.letter)}" aria-describedby="{sid}-fb">'
            f'<span class="letter" aria-hidden="true">{esc(o.letter)}</span>'
            f'<span class="visually-hidden">{esc(o.letter)}: </span><span dir="auto">{inline(o.text)}</span>'
            f'</button></li>' for o in q.options)
        expl = f'<p class="explanation" dir="auto">{inline(q.explanation)}</p>' if q.explanation else ""
        answer = f"{esc(q.answer)}: {inline(q.answer_text)}"
        return (f'<section class="lesson-section quiz" id="{sid}" data-stop data-answer="{esc(q.answer)}" '
                f'aria-labelledby="{sid}-h"><h2 id="{sid}-h" dir="auto">{inline(sl.title or "Quick Check")}</h2>'
                f'<p class="question" id="{sid}-q" dir="auto">{inline(q.question)}</p>'
                f'<ul class="options" aria-labelledby="{sid}-q">{opts}</ul>'
                f'<div class="feedback" id="{sid}-fb" role="status" aria-live="polite">'
                f'<p class="verdict"></p><div class="why" hidden>{expl}'
                f'<button type="button" class="retry">Try again</button></div></div>'
                f'<details class="static-answer"><summary>Show the answer</summary><p dir="auto">{answer}</p>'
                f'{expl}</details></section>')

    # ---- the whole page ----
    def html(self) -> str:
        lesson, mt = self.lesson, self.meta
        player = [(i, sl) for i, sl in enumerate(lesson.slides) if sl.kind == "content" and not is_section(sl)]
        n = len(player)
        first = next((i for i, sl in enumerate(lesson.slides) if sl.kind == "title"), None)
        stops = [{"id": "intro", "title": mt.title, "notes": self._notes(first) if first is not None else ""}]
        slides_html = []
        for k, (i, sl) in enumerate(player, start=1):
            self._current = self.plan_of[i]
            slides_html.append(self.slide(k, n, sl))
            stops.append({"id": f"slide-{k}", "title": plain_text(sl.title), "notes": self._notes(i)})
        sections = []
        for i, sl in enumerate(lesson.slides):
            self._current = self.plan_of[i]
            if isinstance(sl, m.QuizSlide) and sl.quiz:
                sections.append(self.quiz(i, sl))
                stops.append({"id": f"quiz-{i}", "title": plain_text(sl.title) or "Quick Check",
                              "notes": self._notes(i, quiz=True)})
            elif is_section(sl):
                sections.append(self.section(i, sl))
                kind = "analogy" if isinstance(sl.body[0], m.Analogy) else "concepts"
                stops.append({"id": f"{kind}-{i}", "title": plain_text(sl.title), "notes": self._notes(i)})
        dots = "".join(f'<li><button type="button" class="dot" data-go="{k}" aria-label="Slide {k}: '
                       f'{esc(plain_text(sl.title))}"></button></li>' for k, (_, sl) in enumerate(player, start=1))
        player = Template(asset("player.html")).substitute(slides="\n".join(slides_html), count=n, dots=dots) \
            if n else ""           # a lesson of only a quiz (or only closing sections) has no player
        skip = '<a class="skip-link" href="#player">Skip to the slides</a>' if n else ""
        body = Template(asset("page.html")).substitute(header=self.header(), player=player, skip=skip,
                                                       sections="\n".join(sections), minutes=mt.minutes)
        data = {"lesson": mt.id, "minutes": mt.minutes, "slides": n, "stops": stops}
        css = asset("player.css").replace("$FAMILY_SANS", FAMILY_SANS).replace("$FAMILY_MONO", FAMILY_MONO) \
            + theme_css(self.deck.theme)
        maths = "".join(visible_text(f) for f in re.findall(r"<math\b.*?</math>", body, re.S))
        fonts = font_face_css(visible_text(body) + PLAYER_TEXT, maths)
        return ("<!DOCTYPE html>\n"
                f'<html lang="{esc(mt.language)}">\n<head>\n<meta charset="utf-8">\n'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                f'<meta name="generator" content="deckc {esc(self.version)}">\n'
                f'<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
                f"style-src 'unsafe-inline'; script-src 'unsafe-inline'; font-src data:; img-src data:\">\n"
                f"<title>{esc(mt.title)} · {esc(mt.module)}</title>\n"
                f"<style>\n{fonts}\n{css}</style>\n</head>\n"
                f'<body>\n{body}\n<script type="application/json" id="deckc-data">{_json(data)}</script>\n'
                f"<script>\n{asset('player.js')}</script>\n</body>\n</html>\n")

    def _notes(self, i: int, quiz: bool = False) -> str:
        sp = self.plan_of[i]
        if sp is None:
            return self.lesson.slides[i].notes
        if quiz:
            nxt = self.deck.slides[sp.number] if sp.number < len(self.deck.slides) else None
            return sp.notes + ("\n\n" + nxt.notes if nxt is not None else "")
        # One page section for a slide the decks continued on "(cont.)" slides: its notes once, and
        # the chart notes of every part.
        paras = sp.notes.split("\n\n")
        for part in self.deck.slides:
            if part.source == i and part.part > 0:
                paras += [p for p in part.notes.split("\n\n")[1:] if p not in paras]
        return "\n\n".join(paras)


def _json(data) -> str:
    """JSON safe inside <script>: no "</" can close the element."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).replace("<", "\\u003c")


def lesson_html(lesson: m.Lesson, deck, version: str) -> str:
    return LessonPage(lesson, deck, version).html()
