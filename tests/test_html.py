"""The HTML lesson as a file: self-contained, reproducible, incremental, one registered writer.
(tests/test_html_browser.py drives it in chromium.)"""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from html import escape
from pathlib import Path

import pytest

from conftest import ROOT, copy_course
from deckc.build import build_lesson
from deckc.build import run_builds
from deckc.cli import main

LESSON = "the-sequence-problem"


class Refs(HTMLParser):
    """Every URL an element could fetch or navigate to."""

    def __init__(self):
        super().__init__()
        self.urls, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k in ("src", "href", "action", "poster", "srcset", "data", "xlink:href") and v is not None:
                self.urls.append((tag, k, v))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    course = copy_course(tmp_path_factory.mktemp("course"))
    out = course / "build"
    results = run_builds([course / "lesson" / f"{LESSON}.yaml"], out, ["html"])
    assert not results[0].errors and not results[0].failed
    return course, out


def test_one_self_contained_file(built):
    _, out = built
    page = out / LESSON / f"{LESSON}.html"
    text = page.read_text(encoding="utf-8")
    refs = Refs()
    refs.feed(text)
    # Links stay inside the page; nothing is loaded from anywhere, not even a file beside it.
    assert all(v.startswith("#") for _, _, v in refs.urls), refs.urls
    assert not {"link", "img", "iframe", "object", "embed", "video", "audio"} & set(refs.tags)
    assert [u for u in re.findall(r"url\(([^)]*)\)", text) if not u.startswith("data:")] == []
    assert "<script src" not in text and "@import" not in text
    # fonts are inlined and subset: the page is far smaller than the fonts it uses
    faces = re.findall(r'@font-face\{font-family:"([^"]+)";font-weight:(\d+)', text)
    assert ("Deckc Sans", "400") in faces and ("Deckc Sans", "700") in faces and ("Deckc Emoji", "400") in faces
    assert page.stat().st_size < 400_000
    assert sorted(p.name for p in (out / LESSON).iterdir()) == sorted([f"{LESSON}.html", "manifest.json"])


def test_charts_are_inline_svg_with_title_desc_and_data(built):
    from deckc.layout.slides import plan_deck
    from deckc.spec.loader import load_lesson

    course, out = built
    text = (out / LESSON / f"{LESSON}.html").read_text(encoding="utf-8")
    deck, _ = plan_deck(load_lesson(course / "lesson" / f"{LESSON}.yaml").lesson)
    svgs = re.findall(r'<svg class="chart-svg".*?</svg>', text, re.S)
    assert len(svgs) == len(deck.charts) == 5
    from html import escape

    for chart in deck.charts:
        svg = next(s for s in svgs if f">{escape(chart.title)}</title>" in s)
        assert f">{escape(chart.description)}</desc>" in svg and 'role="img"' in svg
    # the "show data" table holds every number the chart's CSV has (same formatting rules aside)
    assert text.count("<summary>Show data</summary>") == 5
    heat = next(c for c in deck.charts if c.plot == "heatmap")
    assert all(f"<th scope=\"row\">{escape(s.name)}</th>" in text for s in heat.series)


def test_same_inputs_give_the_same_bytes_and_rebuilds_are_incremental(built, tmp_path):
    course, out = built
    first = (out / LESSON / f"{LESSON}.html").read_bytes()
    index = (out / "index.html").read_bytes()
    other = tmp_path / "again"
    run_builds([course / "lesson" / f"{LESSON}.yaml"], other, ["html"])
    assert (other / LESSON / f"{LESSON}.html").read_bytes() == first
    assert (other / "index.html").read_bytes() == index
    again = build_lesson(course / "lesson" / f"{LESSON}.yaml", other, ["html"])
    assert again.built == [] and again.skipped == ["html"]
    spec = course / "lesson" / f"{LESSON}.yaml"
    edited = tmp_path / "lesson"
    edited.mkdir()
    (edited / f"{LESSON}.yaml").write_text(spec.read_text(encoding="utf-8").replace(
        "title: How RNNs Worked", "title: How Recurrent Networks Worked"), encoding="utf-8")
    (tmp_path / "exercises").symlink_to(course / "exercises")
    r = build_lesson(edited / f"{LESSON}.yaml", other, ["html"])
    assert r.built == ["html"]
    assert "How Recurrent Networks Worked" in (other / LESSON / f"{LESSON}.html").read_text(encoding="utf-8")


def test_index_lists_the_module_in_lesson_order_with_minutes(tmp_path):
    course = copy_course(tmp_path / "course")
    seed = (course / "lesson" / f"{LESSON}.yaml").read_text(encoding="utf-8")
    for n, minutes in ((2, 7), (11, 12)):
        (course / "lesson" / f"l{n}.yaml").write_text(
            seed.replace(f"id: {LESSON}", f"id: lesson-{n}").replace("number: 4", f"number: {n}")
            .replace("title: The Sequence Problem", f"title: Lesson Number {n}").replace("minutes: 9", f"minutes: {minutes}"),
            encoding="utf-8")
    out = course / "build"
    assert main(["build", str(course / "lesson"), "-o", str(out), "--format", "html", "-q", "-j", "1"]) is None
    index = (out / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]+)">', index)
    assert links == ["lesson-2/lesson-2.html", f"{LESSON}/{LESSON}.html", "lesson-11/lesson-11.html"]
    assert all((out / link).is_file() for link in links)
    assert re.findall(r"(\d+) min</span>", index) == ["7", "9", "12"]
    assert "3 lessons · 28 min" in index and "Module 2 · Attention" in index


def test_html_is_a_default_format_and_in_the_manifest(tmp_path):
    from deckc.cli import cli
    from deckc.writers import WRITERS

    assert "html" in WRITERS and "handout" in WRITERS
    default = next(p for p in cli.commands["build"].params if p.name == "formats").default
    assert "html" in default.split(",")
    course = copy_course(tmp_path)
    r = build_lesson(course / "lesson" / f"{LESSON}.yaml", tmp_path / "out", ["html"])
    manifest = json.loads((tmp_path / "out" / LESSON / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["outputs"]["html"] == f"{LESSON}.html" and f"{LESSON}.html" in manifest["sha256"]
    assert manifest["lesson_info"]["minutes"] == 9 and r.built == ["html"]


def test_blocks_added_later_and_unknown_kinds_are_drawn_not_dropped():
    """Math, code and image blocks (issue 2.4) by their model shape; a kind nobody knows as its text."""
    from dataclasses import dataclass

    from deckc.writers.html.blocks import Blocks

    @dataclass(frozen=True)
    class Code:
        source: str
        lang: str = "python"
        highlight: tuple = (2,)
        caption: str | None = None

    @dataclass(frozen=True)
    class Math:
        tex: str
        caption: str | None = None

    @dataclass(frozen=True)
    class Image:
        src: str
        alt: str | None = None
        caption: str | None = None
        decorative: bool = False

    @dataclass(frozen=True)
    class Future:
        caption: str
        alt: str

    b = Blocks(chart=lambda c: "", image=lambda blk: ("image/png", b"\x89PNG fake") if blk.src == "a.png" else None)
    code = b.block(Code("x = 1\nif x < 2:\n    pass"))
    assert '<code class="language-python">x = 1\n<mark class="code-hl">if x &lt; 2:</mark>\n    pass</code>' in code
    math = b.block(Math(r"h_t = \tanh(x)", caption="The RNN step"))
    assert ("<math" in math or '<code class="tex">h_t = \\tanh(x)</code>' in math) and "The RNN step" in math
    img = b.block(Image("a.png", alt="A plot of the loss"))
    assert '<img src="data:image/png;base64,' in img and 'alt="A plot of the loss"' in img
    assert 'alt=""' in b.block(Image("a.png", decorative=True))
    assert "A plot" in b.block(Image("missing.png", alt="A plot"))      # no file: its alt text, not nothing
    html = b.block(Future("A **new** block", "what it shows"))
    assert "<strong>new</strong>" in html and "what it shows" in html


def test_text_is_escaped_and_the_data_island_cannot_close_its_script(tmp_path):
    course = copy_course(tmp_path)
    spec = course / "lesson" / f"{LESSON}.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace(
        "title: How RNNs Worked", "title: 'How <b>RNNs</b> Worked'").replace(
        "Walk through the tokens", "</script><script>alert(1)</script> Walk through the tokens"), encoding="utf-8")
    r = build_lesson(spec, tmp_path / "out", ["html"])
    assert not r.errors
    text = (tmp_path / "out" / LESSON / f"{LESSON}.html").read_text(encoding="utf-8")
    assert "How &lt;b&gt;RNNs&lt;/b&gt; Worked" in text and "<b>RNNs</b>" not in text
    assert text.count("</script>") == 2         # the JSON island's and the player's, nothing injected
    data = re.search(r'<script type="application/json" id="deckc-data">(.*?)</script>', text, re.S).group(1)
    assert "</script><script>alert(1)" in " ".join(s["notes"] for s in json.loads(data)["stops"])


def test_handout_has_every_slide_with_its_notes_beneath(tmp_path):
    import subprocess

    from conftest import require_tool
    from deckc.layout.handout import plan_handout
    from deckc.layout.slides import plan_deck
    from deckc.spec.loader import load_lesson

    require_tool("pdftotext")
    course = copy_course(tmp_path)
    spec = course / "lesson" / f"{LESSON}.yaml"
    r = build_lesson(spec, tmp_path / "out", ["handout"])
    pdf = tmp_path / "out" / LESSON / f"{LESSON}-handout.pdf"
    assert r.built == ["handout"] and pdf.is_file()
    deck, _ = plan_deck(load_lesson(spec).lesson)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    flat = re.sub(r"\s+", " ", text)
    pages = plan_handout(deck)
    assert text.count("\f") == len(pages) < len(deck.slides)          # slides share pages
    last = -1
    for sp in deck.slides:
        heading = flat.find(f"Slide {sp.number} of {len(deck.slides)} · {sp.title}")
        notes = flat.find(re.sub(r"\s+", " ", sp.notes.split("\n\n")[0])[:60])
        assert last < heading < notes, (sp.number, heading, notes)    # in order, the notes under the slide
        last = notes
    # the slide itself is drawn by the PDF writer: its text is on the page too
    assert "Before Transformers, AI used" in flat
    again = tmp_path / "again"
    build_lesson(spec, again, ["handout"])
    assert (again / LESSON / f"{LESSON}-handout.pdf").read_bytes() == pdf.read_bytes()


def test_the_font_cache_changes_nothing_but_time(tmp_path, monkeypatch):
    """Subset fonts kept between builds give the very bytes a fresh subset gives."""
    from deckc.writers.html import fonts

    course = copy_course(tmp_path)
    spec = course / "lesson" / f"{LESSON}.yaml"
    pages = []
    for cache in ("off", str(tmp_path / "cache"), str(tmp_path / "cache")):
        monkeypatch.setenv("DECKC_CACHE_DIR", cache)
        fonts.subset_woff.cache_clear()
        out = tmp_path / f"out{len(pages)}"
        build_lesson(spec, out, ["html"])
        pages.append((out / LESSON / f"{LESSON}.html").read_bytes())
    assert len(list((tmp_path / "cache" / "fonts").glob("*.woff"))) >= 5
    assert pages[0] == pages[1] == pages[2]
    for entry in (tmp_path / "cache" / "fonts").glob("*.woff"):       # a damaged cache is subset again
        entry.write_bytes(entry.read_bytes()[:100])
    fonts.subset_woff.cache_clear()
    build_lesson(spec, tmp_path / "out9", ["html"])
    assert (tmp_path / "out9" / LESSON / f"{LESSON}.html").read_bytes() == pages[0]


def test_a_chart_the_slide_had_no_room_for_is_still_on_the_page():
    """The layout leaves a chart off a crowded slide (with a warning) but still gives the plan a
    box for it, geometry included; the page draws that box, so every chart is on the page."""
    from dataclasses import replace

    from deckc import model as m
    from deckc.layout.plan import ChartBox
    from deckc.layout.slides import _walk, plan_deck
    from deckc.spec.loader import load_lesson
    from deckc.writers.html.page import lesson_html

    lesson = load_lesson(Path(ROOT) / "lesson" / f"{LESSON}.yaml").lesson
    k, chart = next((k, b) for k, sl in enumerate(lesson.slides) for b in _walk(sl.body) if isinstance(b, m.Chart))
    slides = list(lesson.slides)
    # split: false, since a crowded slide would otherwise continue on a "(cont.)" slide (issue 15)
    slides[k] = replace(slides[k], body=(m.Text("A long paragraph that fills the slide. " * 120), chart), split=False)
    deck, warnings = plan_deck(replace(lesson, slides=tuple(slides)))
    assert any("left out" in w.message and chart.kind in w.message for w in warnings)
    on_slides = {e.data.name for sp in deck.slides for e in sp.elements if isinstance(e, ChartBox)}
    assert chart.kind not in on_slides
    assert [b.name for b in deck.spare_charts] == [chart.kind] and deck.spare_charts[0].geometry is not None
    page = lesson_html(lesson, deck, "test")
    assert page.count('<svg class="chart-svg"') == len(deck.charts) == 5 and page.count("<polyline") >= 3
    # a plan with no box at all for a chart (not one the layout makes) shows its caption instead
    bare = replace(deck, spare_charts=())
    assert lesson_html(lesson, bare, "test").count('<svg class="chart-svg"') == 4


def test_handout_notes_longer_than_a_page_continue_on_the_next():
    from dataclasses import replace

    from deckc.layout.handout import A4, MARGIN, plan_handout
    from deckc.layout.slides import plan_deck
    from deckc.spec.loader import load_lesson

    deck, _ = plan_deck(load_lesson(Path(ROOT) / "lesson" / f"{LESSON}.yaml").lesson)
    words = " ".join(f"word{i}" for i in range(2500))
    long = replace(deck, slides=(replace(deck.slides[1], notes=words), deck.slides[2]))
    pages = plan_handout(long)
    assert len(pages) >= 3
    items = [it for p in pages for it in p.items]
    assert [it.slide for it in items][:2] == [0, None] and items[-1].slide == 1
    text = " ".join(" ".join(r.text for line in para.lines for r in line) for it in items[:-1] for para in it.notes)
    assert text.split() == words.split()                     # every word once, in order
    for p in pages:                                          # nothing below the bottom margin
        for it in p.items:
            assert it.notes_y + sum(n.height for n in it.notes) <= A4[1] - MARGIN + 0.01


def test_formulas_are_mathml_and_listings_are_text(built):
    """The seed's formulas (issue 2.4) as MathML the browser lays out, its listing as selectable text."""
    from deckc import model as m
    from deckc.spec.loader import load_lesson

    course, out = built
    text = (out / LESSON / f"{LESSON}.html").read_text(encoding="utf-8")
    lesson = load_lesson(course / "lesson" / f"{LESSON}.yaml").lesson

    def walk(blocks):
        for b in blocks:
            yield b
            for c in getattr(b, "columns", ()):
                yield from walk(c.body)

    blocks = [b for sl in lesson.slides for b in walk(sl.body)]
    maths = [b for b in blocks if isinstance(b, m.Math)]
    codes = [b for b in blocks if isinstance(b, m.Code)]
    assert maths and codes
    assert text.count('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">') == len(maths)
    assert '<code class="tex">' not in text                     # none fell back to its TeX
    assert '@font-face{font-family:"Deckc Math"' in text       # STIX Two Math, with its MATH table, inlined
    first_line = codes[0].source.split("\n")[0]
    assert escape(first_line) in text and text.count('<mark class="code-hl">') == sum(len(c.highlight) for c in codes)


def test_code_listing_tabs_are_expanded_like_the_pdf(tmp_path):
    """A tab in a listing is 4 columns in the PDF and the PPTX; the page expands it the same way
    (a browser would draw 8), so what students copy from the page lines up as on the slide."""
    lesson = tmp_path / "course" / "lesson"
    lesson.mkdir(parents=True)
    spec = lesson / "tabs.yaml"
    spec.write_text('lesson: {id: tabs, title: Tabs, course: C, module: M, number: 1, of: 1, minutes: 5}\n'
                    'slides:\n  - {kind: title, notes: hi}\n  - title: Tabs\n    notes: n\n    body:\n'
                    '      - code: {lang: python, source: "def f(x):\\n\\treturn x\\n"}\n')
    build_lesson(spec, tmp_path / "out", formats=("html",))
    page = (tmp_path / "out" / "tabs" / "tabs.html").read_text()
    listing = re.search(r'<pre class="code"[^>]*><code[^>]*>(.*?)</code></pre>', page, re.S).group(1)
    assert listing.split("\n")[1] == "    return x" and "\t" not in listing, listing
