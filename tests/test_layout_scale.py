"""Issue 15, layout: one type scale for the whole deck, "(cont.)" slides instead of shrinking,
`split: false`, and balanced slides.

Sizes are read back from the built PPTX (every run's, every chart's and table's text), not from
the plan, so a writer that wrote another size would fail here too.
"""
from __future__ import annotations

import re

import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from conftest import build_spec
from deckc.layout.balance import BALANCE_TOLERANCE
from deckc.layout.plan import ChartBox
from deckc.layout.theme import DEFAULT_THEME

T = DEFAULT_THEME.type
SZ = re.compile(r'<a:(?:rPr|defRPr|endParaRPr)\b[^>]*?\bsz="(\d+)"')

# What each shape (by the layout's name) may be set in, in the default theme: one size per role.
ROLES = [
    (r"slide1\.title$", {T.display}),                           # the title slide
    (r"slide1\.(module|info)$", {T.body}),
    (r"slide1\.subtitle$", {T.heading}),
    (r"slide1\.course$", {T.caption}),
    (r"\.col\d+\.title$", {T.body}),                            # panel titles
    (r"^slide\d+\.title$", {T.title}),                           # slide titles
    (r"\.(footer|page)$", {T.footer}),
    (r"\.(text|callout-\w+)$", {T.body}),
    (r"\.bullets$", {T.body, T.secondary}),                     # sub-items at the secondary size
    (r"\.sentence$", {T.heading, T.secondary}),                 # the sentence, the note under it
    (r"\.(token|step)\d+$", {T.secondary}),                     # chips
    (r"\.state\d+$", {T.caption}),
    (r"\.caption$", {T.caption}),
    (r"\.concept\d+$", {T.heading, T.secondary}),               # card term, definition
    (r"\.analogy$", {T.heading, T.body}),
    (r"\.table$", {T.secondary}),
    (r"\.code$", {T.code}),
    (r"\.math$", {T.heading}),
    (r"\.chart-[\w-]+$", {T.chart, T.caption}),                 # chart text, the chart's heading
    (r"\.chart-[\w-]+ (labels|group)$", {T.chart, T.caption}),
    (r"^(tick label|heading|x title|y title|scale)", {T.chart, T.caption}),   # inside those groups
]
SCALE = {v for k, v in vars(T).items() if k not in ("floor", "step")}


def _shapes(shapes):
    for sh in shapes:
        yield sh
        if sh.shape_type == MSO_SHAPE_TYPE.GROUP:
            yield from _shapes(sh.shapes)


def run_sizes(pptx) -> dict[tuple[int, str], set[float]]:
    """{(slide number, shape name): the point sizes of its runs}, charts' own text included."""
    out = {}
    for n, slide in enumerate(Presentation(str(pptx)).slides, start=1):
        for sh in _shapes(slide.shapes):
            if sh.shape_type == MSO_SHAPE_TYPE.GROUP:
                continue
            xml = sh._element.xml
            if getattr(sh, "has_chart", False) and sh.has_chart:
                xml += sh.chart._chartSpace.xml
            sizes = {int(v) / 100 for v in SZ.findall(xml)}
            if sizes:
                out[(n, sh.name)] = sizes
    return out


def check_scale(sizes) -> list[str]:
    problems = []
    for (n, name), got in sorted(sizes.items()):
        rule = next((allowed for pattern, allowed in ROLES if re.search(pattern, name)), None)
        if rule is None:
            problems.append(f"slide {n}: {name}: no role known for this shape ({sorted(got)})")
        elif not got <= rule:
            problems.append(f"slide {n}: {name}: {sorted(got)} pt, its role is set in {sorted(rule)}")
        if min(got) < T.floor and not re.search(r"\.(footer|page)$", name):
            problems.append(f"slide {n}: {name}: {min(got)} pt is below {T.floor} pt")
    return problems


def test_the_default_scale_is_for_the_back_row():
    assert T.body >= 20 and T.floor >= 14
    assert all(getattr(T, r) >= T.floor for r in ("display", "section", "title", "heading", "body", "secondary",
                                                 "caption", "code", "chart"))
    assert T.footer < T.floor         # the only role allowed below it


def test_every_run_of_the_seed_deck_is_at_its_role_size(seed_build):
    sizes = run_sizes(seed_build / "the-sequence-problem.pptx")
    assert len(sizes) > 80
    assert not check_scale(sizes), check_scale(sizes)
    everything = set().union(*sizes.values())
    assert everything <= SCALE, sorted(everything - SCALE)
    # body text really is one size from slide to slide (the issue saw 20 -> 18.4 -> 17.6 -> 19.2)
    body = {s for (n, name), got in sizes.items() if re.search(r"\.(text|callout-\w+)$", name) for s in got}
    assert body == {T.body}


# ---- a dense lesson: what does not fit continues on "(cont.)" slides ---------------------------

def dense_spec(split: bool = True) -> str:
    items = "\n".join(f"          - 'Point {i}: a sentence long enough to take most of a line on the slide, "
                      f"so that the list cannot fit.'" for i in range(1, 19))
    rows = "\n".join(f"            - [row {i}, {i * 3}, {i * 7}]" for i in range(1, 25))
    flag = "" if split else "    split: false\n"
    return f"""lesson:
  id: dense
  title: Dense
  course: C
  module: M
  number: 1
  of: 1
  minutes: 5
slides:
  - kind: title
    notes: n
  - title: Eighteen points
    notes: Say every point.
{flag}    body:
      - text: 'These are the points:'
      - bullets:
          reveal: true
          items:
{items}
      - chart: {{kind: bar, title: Votes, data: {{x: [for, against], series: {{votes: [12, 5]}}}}}}
  - title: A long table
    notes: The rows.
    body:
      - table:
          header: [name, a, b]
          rows:
{rows}
  - title: Short
    notes: One line.
    body:
      - text: Just one line on an otherwise empty slide.
  - title: A chart and some text
    notes: c.
    body:
      - text: Some text above a chart.
      - chart: {{kind: line, title: Loss, data: {{x: [1, 2, 3, 4], series: {{train: [0.9, 0.5, 0.3, 0.2]}}}}}}
"""


@pytest.fixture(scope="module")
def dense(tmp_path_factory):
    course = tmp_path_factory.mktemp("dense")
    proc = build_spec(course, "dense", dense_spec(), "--format", "pptx,pdf", "--strict")
    assert proc.returncode == 0, proc.stderr
    return course / "build" / "dense"


def test_a_dense_lesson_keeps_the_scale(dense):
    sizes = run_sizes(dense / "dense.pptx")
    assert not check_scale(sizes), check_scale(sizes)


def test_too_long_slides_continue_on_cont_slides(dense):
    prs = Presentation(str(dense / "dense.pptx"))
    titles = [next(sh.text_frame.text for sh in s.shapes if sh.name.endswith(".title")) for s in prs.slides]
    points = [t for t in titles if t.startswith("Eighteen points")]
    assert len(points) >= 2 and points[0] == "Eighteen points"
    assert set(points[1:]) == {"Eighteen points (cont.)"}
    tables = [t for t in titles if t.startswith("A long table")]
    assert len(tables) >= 2 and set(tables[1:]) == {"A long table (cont.)"}
    # every item once, in order, each whole (split between items, never inside one)
    text = [p.text for s in prs.slides for sh in s.shapes if sh.name.endswith(".bullets")
            for p in sh.text_frame.paragraphs]
    assert text == [f"Point {i}: a sentence long enough to take most of a line on the slide, so that the list "
                    f"cannot fit." for i in range(1, 19)]
    # the lead-in stays with the list, on the first slide
    first = prs.slides[titles.index("Eighteen points")]
    assert any(sh.name.endswith(".text") and sh.text_frame.text == "These are the points:" for sh in first.shapes)
    # each continued table repeats the header row; all 24 rows are there once
    heads, rows = [], []
    for s in prs.slides:
        for sh in s.shapes:
            if sh.has_table:
                cells = [[c.text for c in r.cells] for r in sh.table.rows]
                heads.append(cells[0])
                rows += cells[1:]
    assert all(h == ["name", "a", "b"] for h in heads) and len(heads) >= 2
    assert [r[0] for r in rows] == [f"row {i}" for i in range(1, 25)]
    # the page numbers count the continued slides
    n = len(prs.slides)
    footers = [sh.text_frame.text for s in prs.slides for sh in s.shapes if sh.name.endswith(".page")]
    assert footers == [f"{i} / {n}" for i in range(2, n + 1)]          # the title slide has no footer


def test_cont_slides_number_their_reveals_and_notes(dense):
    from deckc.layout.slides import plan_deck
    from deckc.spec.loader import load_lesson

    deck, warnings = plan_deck(load_lesson(dense.parents[1] / "lesson" / "dense.yaml").lesson)
    assert not warnings
    parts = [s for s in deck.slides if s.title.startswith("Eighteen points")]
    for k, sp in enumerate(parts):
        steps = [p.step for el in sp.elements if el.name.endswith(".bullets") for p in el.paras]
        assert steps == list(range(1, len(steps) + 1)), steps       # each slide's clicks start at 1
        assert sp.steps == len(steps) and sp.part == k and sp.source == parts[0].source
        assert sp.notes.split("\n\n")[0].endswith("Say every point.")
    assert parts[1].notes.startswith("Continued from the previous slide.")
    # the chart's notes go with the slide it lands on; the web page (one section) has both, once
    with_chart = [sp for sp in parts if any(isinstance(e, ChartBox) for e in sp.elements)]
    assert with_chart == parts[-1:] and "Chart (Votes)" in parts[-1].notes and "Chart (Votes)" not in parts[0].notes
    from deckc.writers.html.page import LessonPage

    lesson = load_lesson(dense.parents[1] / "lesson" / "dense.yaml").lesson
    notes = LessonPage(lesson, deck, "test")._notes(1)
    assert notes.count("Say every point.") == 1 and notes.count("Chart (Votes)") == 1


def test_split_false_shrinks_one_step_with_a_warning_and_strict_fails(tmp_path):
    proc = build_spec(tmp_path, "dense", dense_spec(split=False), "--format", "pptx")
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"lesson/dense\.yaml:\d+:1: warning: slides\[1\]: \(\"Eighteen points\"\) content does not fit "
                     r"at the deck's type scale \(body 20pt\) and the slide says split: false: its text is set one "
                     r"step smaller \(body 18pt\)", proc.stderr), proc.stderr
    prs = Presentation(str(tmp_path / "build" / "dense" / "dense.pptx"))
    titles = [next(sh.text_frame.text for sh in s.shapes if sh.name.endswith(".title")) for s in prs.slides]
    assert titles.count("Eighteen points") == 1 and "Eighteen points (cont.)" not in titles
    slide = prs.slides[titles.index("Eighteen points")]
    sizes = {int(v) / 100 for sh in slide.shapes if sh.name.endswith(".bullets") for v in SZ.findall(sh._element.xml)}
    assert sizes == {T.at("body", T.step)} and min(sizes) >= T.floor
    strict = build_spec(tmp_path, "dense", dense_spec(split=False), "--format", "pptx", "--strict", out="b2")
    assert strict.returncode == 1 and "split: false" in strict.stderr


def test_split_must_be_a_boolean(tmp_path):
    spec = dense_spec(split=False).replace("split: false", "split: sometimes")
    proc = build_spec(tmp_path, "dense", spec, "--format", "pptx")
    assert proc.returncode == 2
    assert re.search(r"lesson/dense\.yaml:\d+:12: slides\[1\]\.split: expected true or false", proc.stderr), proc.stderr


# ---- balance ------------------------------------------------------------------------------------

def balance_problems(deck) -> list[str]:
    """The rule: on a content slide, the content's vertical centre is within BALANCE_TOLERANCE of the
    body height of the body area's centre (the area between the title and the footer rule)."""
    t = DEFAULT_THEME
    out = []
    for sp in deck.slides:
        title = next((e for e in sp.elements if e.name.endswith(".title") and e.name.count(".") == 1), None)
        body = [e for e in sp.elements if ".body." in e.name]
        if not body or title is None:
            continue
        top = max(t.content_top, title.bottom)
        h = t.content_bottom - top
        lo, hi = min(e.y for e in body), max(e.bottom for e in body)
        off = (lo + hi) / 2 - (top + t.content_bottom) / 2
        if abs(off) > BALANCE_TOLERANCE * h + 0.5:
            out.append(f"slide {sp.number} ({sp.title}): content centre {off:+.0f}pt from the body centre "
                       f"(content {lo:.0f}-{hi:.0f}, area {top:.0f}-{t.content_bottom:.0f})")
    return out


def test_seed_and_dense_slides_are_balanced(dense):
    from deckc.layout.slides import plan_deck
    from deckc.spec.loader import load_lesson
    from conftest import ROOT
    from pathlib import Path

    seed, _ = plan_deck(load_lesson(Path(ROOT) / "lesson" / "the-sequence-problem.yaml").lesson)
    deck, _ = plan_deck(load_lesson(dense.parents[1] / "lesson" / "dense.yaml").lesson)
    assert not balance_problems(seed), balance_problems(seed)
    assert not balance_problems(deck), balance_problems(deck)
    # the sparse slide is really moved down (its one line is not left at the top)
    short = next(s for s in deck.slides if s.title == "Short")
    line = next(e for e in short.elements if ".body." in e.name)
    assert line.y > DEFAULT_THEME.content_top + 100


# ---- the heatmap's native table, as LibreOffice draws it ----------------------------------------

def test_libreoffice_draws_the_heatmap_table_where_the_plan_put_its_cells(seed_build, tmp_path):
    """The seed's heatmap is a native table; LibreOffice (with the shipped fonts) must draw each
    number inside the cell the plan (and the PDF) put it in."""
    import subprocess
    from pathlib import Path
    from xml.etree import ElementTree

    from conftest import ROOT, libreoffice_pdf, require_tool
    from deckc.layout.plan import ChartBox
    from deckc.layout.slides import plan_deck
    from deckc.spec.loader import load_lesson

    deck, _ = plan_deck(load_lesson(Path(ROOT) / "lesson" / "the-sequence-problem.yaml").lesson)
    sp, el = next((sp, e) for sp in deck.slides for e in sp.elements
                  if isinstance(e, ChartBox) and e.data.plot == "heatmap")
    pdf = libreoffice_pdf(seed_build / "the-sequence-problem.pptx", tmp_path)
    page = subprocess.run([require_tool("pdftotext"), "-bbox", "-f", str(sp.number), "-l", str(sp.number), str(pdf),
                           "-"], capture_output=True, text=True, check=True).stdout
    words = [(w.text, (float(w.get("xMin")) + float(w.get("xMax"))) / 2, (float(w.get("yMin")) + float(w.get("yMax"))) / 2)
             for w in ElementTree.fromstring(page).iter("{http://www.w3.org/1999/xhtml}word")]   # points, y down
    for row in el.geometry.cells:
        for cell in row:
            x0, y0 = el.x + cell.x, el.y + cell.y
            inside = [t for t, cx, cy in words if x0 <= cx <= x0 + cell.w and y0 <= cy <= y0 + cell.h]
            assert inside == [cell.text], (cell.alt, inside)


def test_a_long_listing_continues_between_lines_evenly_with_its_highlights_and_caption():
    from pathlib import Path

    from deckc import model as m
    from deckc.layout.plan import CodeBox
    from deckc.layout.slides import plan_deck
    from deckc.spec.loader import load_lesson
    from conftest import ROOT
    from dataclasses import replace

    lesson = load_lesson(Path(ROOT) / "lesson" / "the-sequence-problem.yaml").lesson
    source = "".join(f"x{i} = {i}\n" for i in range(1, 41))
    code = m.Code(source=source, lang="python", highlight=(3, 20, 39), caption="Forty lines.")
    slides = list(lesson.slides)
    slides[1] = replace(slides[1], body=(code,))
    deck, warnings = plan_deck(replace(lesson, slides=tuple(slides)))
    parts = [s for s in deck.slides if s.source == 1]
    assert len(parts) >= 2 and not warnings, warnings
    boxes = [next(e for e in s.elements if isinstance(e, CodeBox)) for s in parts]
    assert "".join(b.source + "\n" for b in boxes) == source                   # every line once, in order
    counts = [len(b.paras) for b in boxes]
    assert max(counts) - min(counts) <= 1, counts                              # spread evenly, no orphan
    shaded = [ln for b in boxes for ln in b.source.split("\n") for h in b.highlight
              if b.source.split("\n")[h - 1] == ln]
    assert shaded == ["x3 = 3", "x20 = 20", "x39 = 39"]                        # highlights renumbered per part
    captions = [s.number for s in parts for e in s.elements if e.name.endswith(".caption")]
    assert captions == [parts[-1].number]                                      # the caption under the last part
    assert all(p.size == T.code for b in boxes for p in b.paras)
