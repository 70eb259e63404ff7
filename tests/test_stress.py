"""Layout under hostile input: tests/stress/lesson/stress.yaml (very long titles, 30 bullets, long
words and URLs, CJK, Hebrew and Arabic, a 12 x 8 table, emoji everywhere).

Every slide either fits (wrapped, shrunk) or is cut with a warning that names the slide and the
element; nothing lies outside the slide or over another element; every character has a glyph.
These checks read the layout plan; tests/test_visual.py checks the same deck rendered.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timezone

import pytest

from deckc.layout.plan import ChartBox, Run, TableBox, TextBox
from deckc.layout.bidi import shape_arabic, visual_line
from deckc.layout.text import ELLIPSIS, line_text, line_width, make_para
from stress.render import STRESS_SPEC


@pytest.fixture(scope="module")
def stress():
    from deckc.layout.slides import plan_deck
    from deckc.spec.loader import load_lesson

    loaded = load_lesson(STRESS_SPEC)
    assert loaded.lesson is not None, [str(p) for p in loaded.problems]
    deck, warnings = plan_deck(loaded.lesson, "stress.yaml")
    return loaded.lesson, deck, [str(w) for w in warnings]


def _slide(deck, title_start):
    return next(s for s in deck.slides if s.title.startswith(title_start))


def _paras(el):
    if isinstance(el, TableBox):
        return [p for row in el.cells for c in row for p in c.paras]
    return list(getattr(el, "paras", ()))


def _text(deck):
    return "".join(r.text for s in deck.slides for el in s.elements for p in _paras(el) for r in p.runs)


def test_the_stress_lesson_is_hostile(stress):
    lesson, deck, _ = stress
    from deckc import model as m

    blocks = [b for s in lesson.slides for b in s.body]
    assert any(isinstance(b, m.Bullets) and len(b.items) >= 30 for b in blocks)
    assert any(isinstance(b, m.Table) and len(b.header) == 12 and len(b.rows) + 1 == 8 for b in blocks)
    assert max(len(s.title) for s in lesson.slides) > 300 and len(lesson.meta.title) > 150
    text = _text(deck)
    for script, lo, hi in (("CJK", 0x4E00, 0x9FFF), ("kana", 0x3040, 0x30FF), ("hangul", 0xAC00, 0xD7AF),
                           ("Hebrew", 0x05D0, 0x05EA), ("Arabic", 0x0621, 0x064A), ("emoji", 0x1F300, 0x1FAFF)):
        assert any(lo <= ord(c) <= hi for c in text), script
    assert "https://" in text and "\u200d" in text and "\U0001F1EB" in text     # URL, ZWJ sequence, flag


def test_overflow_warnings_name_the_slide_and_the_element(stress):
    lesson, deck, warnings = stress
    # Thirty bullets continue on "(cont.)" slides (test_thirty_bullets_continue...); a quiz is never
    # continued, so its overlong question is set one step smaller, then cut, with warnings naming it.
    assert not [w for w in warnings if "Thirty Bullets" in w], warnings
    quiz = [w for w in warnings if "Quick Check" in w]
    assert any("slides[10]" in w and "a quiz is not continued" in w and "one step smaller" in w for w in quiz), quiz
    assert any("slides[10]" in w and "taller than the slide" in w for w in quiz), quiz
    assert any("slides[10]" in w and re.search(r"element 'slide\d+\.body\.\d+\.\w+' is cut", w) for w in quiz), quiz
    assert any("slides[1]" in w and "element 'slide2.title'" in w and "This Slide Title Is Absurdly Long" in w
               for w in warnings), warnings
    assert any("element 'slide2.footer'" in w for w in warnings), warnings
    # Every layout warning names a slide, and a slide said to be too tall names what was cut.
    layout = [w for w in warnings if "no shipped font" not in w and "colour emoji font" not in w]   # font notes
    assert all(re.search(r"slides\[\d+\]: \(", w) for w in layout), layout
    for w in layout:
        if "taller than the slide" in w:
            index = re.search(r"slides\[\d+\]", w).group(0)
            assert any(index in v and "element '" in v for v in layout), (w, layout)


def test_thirty_bullets_continue_on_cont_slides_at_the_body_size(stress):
    """Changed with the type scale (issue 15): a list too long for one slide is no longer shrunk and
    cut, it continues on "(cont.)" slides, split between items, every item kept, in order."""
    lesson, deck, _ = stress
    from deckc import model as m
    from deckc.layout.theme import DEFAULT_THEME as t

    spec = next(b for s in lesson.slides if s.title.startswith("Thirty Bullets") for b in s.body
                if isinstance(b, m.Bullets))
    parts = [s for s in deck.slides if s.title.startswith("Thirty Bullets")]
    assert len(parts) >= 2 and parts[0].title == "Thirty Bullets 📋"
    assert all(s.title == "Thirty Bullets 📋 (cont.)" for s in parts[1:])
    assert [s.number for s in parts] == list(range(parts[0].number, parts[0].number + len(parts)))
    paras = [p for s in parts for el in s.elements if el.name.endswith(".bullets") for p in el.paras
             if p.bullet == "•"]
    from deckc.markup import plain_text
    assert ["".join(r.text for r in p.runs) for p in paras] == [plain_text(i if isinstance(i, str) else i.text)
                                                               for i in spec.items]
    assert all(p.size == t.type.body and not line_text(p.lines[-1]).endswith(ELLIPSIS) for p in paras)


def test_cut_title_keeps_the_title_area(stress):
    _, deck, _ = stress
    sl = deck.slides[1]
    title = sl.elements[0]
    assert title.name == "slide2.title" and line_text(title.paras[0].lines[-1]).endswith(ELLIPSIS)
    body_top = min(el.y for el in sl.elements[1:] if el.name.startswith("slide2.body"))
    assert title.bottom < body_top


def test_footer_is_one_line(stress):
    _, deck, _ = stress
    for sl in deck.slides[1:]:
        footer = next(el for el in sl.elements if el.name.endswith(".footer"))
        assert len(footer.paras[0].lines) == 1 and footer.bottom <= deck.height


def test_nothing_outside_the_slide_or_over_another_element(stress):
    _, deck, _ = stress
    problems = []
    for sl in deck.slides:
        content = []
        for el in sl.elements:
            if el.x < -0.01 or el.y < -0.01 or el.right > deck.width + 0.01 or el.bottom > deck.height + 0.01:
                problems.append(f"slide {sl.number}: {el.name} leaves the slide")
            if isinstance(el, TextBox | TableBox | ChartBox):
                content.append(el)
            if isinstance(el, TextBox):
                l, t, r, b = el.pad
                if sum(p.height for p in el.paras) > el.h - t - b + 0.01:
                    problems.append(f"slide {sl.number}: {el.name}'s text is taller than its box")
                for p in el.paras:
                    if any(line_width(line, p.size) > el.w - l - r - p.indent + 0.01 for line in p.lines):
                        problems.append(f"slide {sl.number}: {el.name} has a line wider than its box")
            if isinstance(el, TableBox):
                for row, rh in zip(el.cells, el.row_heights):
                    for cell, cw in zip(row, el.col_widths):
                        inner = cw - el.pad[0] - el.pad[2]
                        if sum(p.height for p in cell.paras) > rh - el.pad[1] - el.pad[3] + 0.01 or any(
                                line_width(line, p.size) > inner + 0.01 for p in cell.paras for line in p.lines):
                            problems.append(f"slide {sl.number}: a cell of {el.name} overflows")
        for i, a in enumerate(content):
            for b in content[i + 1:]:
                w = min(a.right, b.right) - max(a.x, b.x)
                h = min(a.bottom, b.bottom) - max(a.y, b.y)
                if w > 0.5 and h > 0.5:
                    problems.append(f"slide {sl.number}: {a.name} overlaps {b.name} ({w:.1f} x {h:.1f} pt)")
    assert not problems, "\n".join(problems)


def test_no_character_lacks_a_glyph(stress):
    _, deck, warnings = stress
    assert not [w for w in warnings if "no shipped font has" in w]
    from deckc.fonts import CJK, font_book

    book = font_book()
    assert all(book.segments(c) == [(CJK, c)] for c in "注意力日本語한국어、。「」")


# ---- right to left --------------------------------------------------------------------------

def _para_with(deck, needle):
    for sl in deck.slides:
        for el in sl.elements:
            for p in _paras(el):
                if needle in "".join(r.text for r in p.runs):
                    return p
    raise AssertionError(needle)


def test_hebrew_is_drawn_right_to_left_and_kept_logical_for_pptx(stress):
    _, deck, _ = stress
    p = _para_with(deck, "attention is קשב")
    drawn = "".join(line_text(line) for line in p.lines)
    assert "attention is בשק and" in drawn                      # visual order: the PDF draws left to right
    assert "(a model with 12 layers)" in drawn                  # English and numbers stay left to right
    assert "attention is קשב and" in "".join(r.text for r in p.runs)   # logical order for the PPTX
    full = _para_with(deck, "שלום עולם")
    # An all-Hebrew paragraph is a right-to-left paragraph (issue 13; it used to be laid out left to
    # right, its full stop at the right end): words reversed, the number kept, the full stop at the
    # sentence's end, which is now the left; right-aligned.
    assert line_text(full.lines[0]) == ".וכותב 42 רפסמ םע תירבעב טפשמ והז !םלוע םולש"
    assert full.rtl and full.align == "right"
    assert not p.rtl and p.align == "left"                      # mixed paragraphs stay left to right


def test_rtl_paragraphs_are_marked_rtl_in_the_pptx(stress):
    from deckc.writers.drawingml import paragraph

    _, deck, _ = stress
    hebrew, arabic = _para_with(deck, "שלום עולם"), _para_with(deck, "مرحبا بالعالم")
    for p in (hebrew, arabic):
        ppr = re.search(r"<a:pPr[^>]*>", paragraph(p)).group(0)
        assert 'rtl="1"' in ppr and 'algn="r"' in ppr and p.bullet, ppr
    mixed = re.search(r"<a:pPr[^>]*>", paragraph(_para_with(deck, "attention is קשב"))).group(0)
    assert "rtl=" not in mixed and 'algn="l"' in mixed


def test_arabic_is_shaped_and_reordered(stress):
    _, deck, _ = stress
    p = _para_with(deck, "attention is الانتباه")
    drawn = "".join(line_text(line) for line in p.lines)
    assert not any("\u0621" <= c <= "\u064a" for c in drawn)   # every letter in its contextual form
    word = unicodedata.normalize("NFKC", re.search(r"[\ufb50-\ufeff]+", drawn).group(0))
    assert word == "الانتباه"[::-1].replace("ال", "لا")     # visual order; lam-alef is one ligature
    assert "الانتباه" in "".join(r.text for r in p.runs)


def test_bidi_and_shaping_units():
    def v(text):
        return line_text(visual_line((Run(text),)))

    assert v("plain English (untouched)") == "plain English (untouched)"
    assert v("abc (אבג) def") == "abc (גבא) def"
    assert v("אבג (דה) 123") == "123 (הד) גבא"                    # brackets mirrored inside the RTL run
    assert v("עם 42 בתוכו") == "וכותב 42 םע"
    assert shape_arabic("لا") == "\ufefb" and shape_arabic("سلا") == "\ufeb3\ufefc"
    assert shape_arabic("بب") == "\ufe91\ufe90"                   # initial + final
    # Runs keep their style through the reordering.
    line = visual_line((Run("x "), Run("אב", bold=True), Run("גד")))
    assert [(r.text, r.bold) for r in line] == [("x דג", False), ("בא", True)]


# ---- wrapping ---------------------------------------------------------------------------------

def test_cjk_lines_break_between_characters(stress):
    _, deck, _ = stress
    p = _para_with(deck, "注意力机制允许")
    widths = [line_width(line, p.size) for line in p.lines]
    assert len(p.lines) <= 3 and min(widths[:-1]) > 0.9 * max(widths)    # full lines, not one word per line
    assert not any(line_text(line).startswith(("，", "。", "、")) for line in p.lines)


def test_long_words_break_at_hyphens_then_anywhere():
    para = make_para("see state-of-the-art-attention-mechanisms-for-sequence-models", 20, 200, "000000")
    assert [line_text(line) for line in para.lines][1].startswith(("the-", "art-", "of-", "attention-"))
    assert all(line_width(line, 20) <= 200 for line in para.lines)
    para = make_para("x " + "a" * 80, 20, 200, "000000")
    assert all(line_width(line, 20) <= 200 for line in para.lines) and len(para.lines) > 3


def test_pptx_keeps_logical_order_without_rtl_attributes(stress):
    _, deck, _ = stress
    from deckc.writers.pptx import write_pptx
    import io
    import zipfile

    data = write_pptx(deck, "test", datetime(2024, 1, 1, tzinfo=timezone.utc))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("ppt/slides/slide"))
    assert "קשב" in xml and "الانتباه" in xml and "בשק" not in xml
    assert not re.search("[\ufb50-\ufdff\ufe70-\ufeff]", xml)    # PowerPoint shapes Arabic itself
