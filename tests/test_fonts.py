"""deckc.fonts (fallback, metrics, drawing) and deckc.pdf_fixes (ToUnicode, canvas)."""
import io
import re
import subprocess
import unicodedata
import sys
import zlib

import pytest
from reportlab.pdfbase import pdfmetrics, ttfonts

from conftest import require_tool
from deckc import pdf_fixes
from deckc.fonts.canvas import new_canvas
from deckc.fonts import (FONT_FILES, DEJAVU, DEJAVU_BOLD, EMOJI, EMOJI_PRESENTATION, MONO, SANS,
                         SANS_BOLD, SANS_BOLD_ITALIC, SANS_ITALIC, FontBook, Style,
                         draw_text, font_book)

# Every line of the seed lesson that carries something beyond ASCII.
SEED_LINES = [
    "⏱️ 9 min",
    "🎯 Goal: predict the next word₁ from word₂ ₃ ₄",
    "❌ Wrong · ✅ Right",
    "🚀 Launch — 📞 call – 🔄 retry",
    "📉 loss ← gradient ⚡ fast",
]
SEED_EMOJI = ["⏱", "🎯", "❌", "✅", "🚀", "📞", "🔄", "📉", "⚡"]
SEED_TEXT_SYMBOLS = ["₁", "₂", "₃", "₄", "←", "·", "–", "—"]


@pytest.fixture(scope="module")
def book():
    return font_book()


def font_of(book, text, ch, style=Style()):
    """Font that ``segments`` gives to the (first) occurrence of ``ch``."""
    pos = text.index(ch)
    i = 0
    for name, s in book.segments(text, style):
        if i <= pos < i + len(s):
            return name
        i += len(s)
    raise AssertionError(ch)


# --- segmentation --------------------------------------------------------

def test_segments_join_back_and_are_maximal(book):
    for line in SEED_LINES:
        segs = book.segments(line)
        assert "".join(s for _, s in segs) == line
        assert all(s for _, s in segs)
        names = [n for n, _ in segs]
        assert all(a != b for a, b in zip(names, names[1:])), segs


@pytest.mark.parametrize("ch", SEED_EMOJI)
def test_seed_emoji_go_to_noto_emoji(book, ch):
    text = "x " + ch + " y"
    assert font_of(book, text, ch) == EMOJI


def test_lightning_prefers_emoji_although_dejavu_has_it(book):
    assert book.covers(DEJAVU, "⚡")          # premise of the rule
    assert book.segments("⚡") == [(EMOJI, "⚡")]


@pytest.mark.parametrize("ch", SEED_TEXT_SYMBOLS)
def test_seed_text_symbols_stay_in_primary_face(book, ch):
    assert font_of(book, "word" + ch, ch) == SANS
    assert font_of(book, "word" + ch, ch, Style(bold=True)) == SANS_BOLD


def test_fe0f_stays_with_its_emoji(book):
    assert book.segments("⏱️ 9 min") == [(EMOJI, "⏱\ufe0f"), (SANS, " 9 min")]


def test_fe0f_requests_emoji_and_fe0e_requests_text(book):
    assert book.segments("©") == [(SANS, "©")]
    assert book.segments("©\ufe0f") == [(EMOJI, "©\ufe0f")]
    # text presentation of ⚡: DejaVu has both the glyph and a zero-width FE0E
    assert book.segments("⚡\ufe0e") == [(DEJAVU, "⚡\ufe0e")]
    assert book.segments("⚡\ufe0e", Style(bold=True)) == [(DEJAVU_BOLD, "⚡\ufe0e")]


def test_zwj_and_keycap_sequences_stay_in_one_emoji_run(book):
    assert book.segments("👩\u200d💻") == [(EMOJI, "👩\u200d💻")]
    assert book.segments("1\ufe0f\u20e3") == [(EMOJI, "1\ufe0f\u20e3")]
    assert book.segments("a\u200db") == [(SANS, "a\u200db")]   # Liberation has ZWJ


def test_primary_face_per_style(book):
    cases = {Style(): SANS, Style(bold=True): SANS_BOLD, Style(italic=True): SANS_ITALIC,
             Style(bold=True, italic=True): SANS_BOLD_ITALIC, Style(mono=True): MONO,
             Style(mono=True, bold=True): MONO}
    for style, name in cases.items():
        assert book.segments("abc", style) == [(name, "abc")]


def test_mono_falls_back_to_sans_before_dejavu(book):
    sans_only = sorted(book.coverage(SANS) - book.coverage(MONO))
    assert sans_only, "Liberation Sans has characters Liberation Mono lacks"
    ch = chr(sans_only[-1])
    assert font_of(book, "x" + ch, ch, Style(mono=True)) == SANS


def test_every_chain_reaches_every_shipped_character(book):
    union = frozenset().union(*(book.coverage(n) for n in FONT_FILES))
    for style in (Style(b, i, m) for b in (0, 1) for i in (0, 1) for m in (0, 1)):
        reach = frozenset().union(*(book.coverage(n) for n in book.chain(style)))
        assert reach == union, style
        assert book.chain(style)[-1] == EMOJI


def test_emoji_presentation_table_sanity():
    for ch in "⚡✅❌⌛☕🎯🚀":
        assert ord(ch) in EMOJI_PRESENTATION
    for ch in "©®™↔☺✔⏱":       # Emoji=Yes but text presentation by default
        assert ord(ch) not in EMOJI_PRESENTATION


# --- metrics -------------------------------------------------------------

def test_width_matches_pdfmetrics(book):
    for name in FONT_FILES:
        book.font(name)                 # registered with reportlab, which measures below
    s = "Hello, world — word₁ ← · –"
    assert book.segments(s) == [(SANS, s)]
    assert book.width(s, Style(), 12) == pytest.approx(pdfmetrics.stringWidth(s, SANS, 12), rel=1e-12)
    assert book.width(s, Style(bold=True), 7.5) == pytest.approx(
        pdfmetrics.stringWidth(s, SANS_BOLD, 7.5), rel=1e-12)
    assert book.width("def f(x):", Style(mono=True), 10) == pytest.approx(
        pdfmetrics.stringWidth("def f(x):", MONO, 10), rel=1e-12)


def test_width_of_mixed_text_is_sum_over_segments(book):
    for name in FONT_FILES:
        book.font(name)
    s = "⏱️ 9 min 🎯 ⚡"
    expected = sum(pdfmetrics.stringWidth(t, n, 20) for n, t in book.segments(s))
    assert book.width(s, Style(), 20) == pytest.approx(expected, rel=1e-12)
    # the emoji advance is Noto Emoji's (2600/2048 em), FE0F adds nothing
    assert book.width("🎯", Style(), 10) == pytest.approx(10 * 2600 / 2048, rel=1e-6)
    assert book.width("⏱\ufe0f", Style(), 10) == book.width("⏱", Style(), 10)
    assert book.width("", Style(), 10) == 0.0


def test_width_scales_linearly_and_is_cached(book):
    w = book.width("cached word", Style(), 1)
    assert book.width("cached word", Style(), 24) == pytest.approx(24 * w)
    assert book._units_cached.cache_info().hits > 0


def test_line_metrics(book):
    assert book.ascent(10) == pytest.approx(10 * 1854 / 2048, rel=1e-6)
    assert book.descent(10) == pytest.approx(10 * 434 / 2048, rel=1e-6)
    assert book.line_height(10) == pytest.approx(12)
    assert book.line_height(10) > book.ascent(10) + book.descent(10)


# --- missing ---------------------------------------------------------------

def test_missing_reports_uncovered_only(book):
    assert book.missing("".join(SEED_LINES)) == []
    text = "a\ue000b \U0003fffd c\ue000"
    assert book.missing(text) == ["\ue000", "\U0003fffd"]


def test_missing_ignores_controls_whitespace_selectors_zwj(book):
    assert book.missing("\t\n\r\x07\u3000\ufe0f\ufe0e\ufe00\U000e0100\u200d\u200c") == []


def test_uncovered_char_is_not_silently_dropped_from_segments(book):
    segs = book.segments("a\ue000b")
    assert "".join(s for _, s in segs) == "a\ue000b"


# --- PPTX ------------------------------------------------------------------

def test_pptx_typeface(book):
    assert book.pptx_typeface(Style()) == "Arial"
    assert book.pptx_typeface(Style(bold=True, italic=True)) == "Arial"
    assert book.pptx_typeface(Style(mono=True)) == "Courier New"
    assert book.pptx_typeface(Style(), EMOJI) == "Segoe UI Emoji"


# --- registration / reportlab fixes ------------------------------------------

def test_registration_is_idempotent_and_uses_shipped_files(book):
    from deckc.fonts import FONT_DIR
    other = FontBook()
    assert other.font(SANS) is book.font(SANS)
    for name in (SANS, MONO, DEJAVU, EMOJI):
        assert str(book.font(name).face.filename).startswith(str(FONT_DIR))


def test_install_is_idempotent():
    pdf_fixes.install()
    patched = ttfonts.makeToUnicodeCMap
    pdf_fixes.install()
    assert ttfonts.makeToUnicodeCMap is patched is pdf_fixes.to_unicode_cmap
    assert pdf_fixes.installed()


def test_to_unicode_cmap_uses_surrogate_pairs():
    cmap = pdf_fixes.to_unicode_cmap("X", [0, 0x41, 0x1F3AF, 0xFE0F])
    assert "<02> <D83CDFAF>" in cmap
    assert "<01> <0041>" in cmap and "<03> <FE0F>" in cmap
    big = pdf_fixes.to_unicode_cmap("X", list(range(0x1F300, 0x1F300 + 256)))
    counts = [int(n) for n in re.findall(r"(\d+) beginbfchar", big)]
    assert counts == [100, 100, 56]


# --- generated PDF -------------------------------------------------------------

def make_pdf(lines=SEED_LINES, size=18, style=Style()):
    buf = io.BytesIO()
    c = new_canvas(buf, (900, 60 + 30 * len(lines)))
    y = 30 * len(lines) + 20
    for line in lines:
        draw_text(c, 20, y, line, style, size, "#1a1a1a")
        y -= 30
    c.showPage()
    c.save()
    return buf.getvalue()


def pdftotext(data, tmp_path, name="t.pdf"):
    exe = require_tool("pdftotext")
    p = tmp_path / name
    p.write_bytes(data)
    return subprocess.run([exe, "-enc", "UTF-8", str(p), "-"], check=True,
                          capture_output=True, text=True).stdout


def test_pdf_fonts_all_embedded_with_tounicode(tmp_path):
    exe = require_tool("pdffonts")
    p = tmp_path / "seed.pdf"
    p.write_bytes(make_pdf())
    out = subprocess.run([exe, str(p)], check=True, capture_output=True, text=True).stdout
    rows = [r.split() for r in out.splitlines()[2:] if r.strip()]
    names = {r[0].split("+")[-1] for r in rows}
    assert {"LiberationSans", "NotoEmoji-Regular"} <= names, out
    assert "Helvetica" not in out, out
    for r in rows:   # columns: name type(1-2 words) encoding emb sub uni id gen
        emb, sub, uni = r[-5], r[-4], r[-3]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), out     # embedded, subset, with ToUnicode


def test_pdftotext_round_trips_every_seed_character(tmp_path):
    out = pdftotext(make_pdf(), tmp_path)
    got = [line for line in out.splitlines() if line.strip()]
    assert got == SEED_LINES      # emoji, FE0F, subscripts, arrows and dashes intact
    assert "⏱\ufe0f 9 min" in out


def test_pdftotext_round_trips_bold_and_sequences(tmp_path):
    lines = ["👩\u200d💻 pair ⚡\ufe0e text ©\ufe0f emoji 1\ufe0f\u20e3", "Bold ✅ word₃"]
    out = pdftotext(make_pdf(lines, style=Style(bold=True)), tmp_path)
    assert [line for line in out.splitlines() if line.strip()] == lines


def test_pdftotext_round_trips_across_multiple_subsets(tmp_path, book):
    """>256 distinct glyphs per font forces reportlab into several subsets, each
    with its own ToUnicode CMap; all of them must map back correctly."""
    emoji = [chr(c) for c in sorted(book.coverage(EMOJI) & EMOJI_PRESENTATION)
             if not 0x1F3FB <= c <= 0x1F3FF and not 0x1F1E6 <= c <= 0x1F1FF]
    emoji = [e for e in emoji if book.segments(e) == [(EMOJI, e)]][:600]
    assert len(emoji) > 512
    dejavu = [chr(c) for c in sorted(book.coverage(DEJAVU) - book.coverage(SANS) - book.coverage(EMOJI))
              if chr(c).isprintable() and not chr(c).isspace()
              and unicodedata.category(chr(c)) not in ("Mn", "Me", "Cf")
              and unicodedata.bidirectional(chr(c)) == "L"][:300]     # no RTL reordering
    lines = [" ".join(emoji[i:i + 25]) for i in range(0, len(emoji), 25)]
    lines += [" ".join(dejavu[i:i + 40]) for i in range(0, len(dejavu), 40)]
    data = make_pdf(lines, size=12)
    assert data.count(b"/Subtype /TrueType") >= 5     # 3 emoji + 2 DejaVu subsets at least
    out = pdftotext(data, tmp_path)
    assert "".join(out.split()) == "".join("".join(lines).split())


def test_tounicode_in_pdf_has_surrogate_pairs():
    data = make_pdf()
    streams = [data[m.end():m.end() + int(m.group(1))]
               for m in re.finditer(rb"/Length (\d+)[^>]*>>\s*stream\r?\n", data)]
    assert streams
    cmaps = []
    for s in streams:
        try:
            s = zlib.decompress(s)
        except zlib.error:
            pass
        if b"beginbfchar" in s:
            cmaps.append(s.decode("latin-1"))
    assert any("<D83CDFAF>" in c for c in cmaps)             # 🎯 U+1F3AF
    assert not any(re.search(r"<[0-9A-F]{5,7}>", c) for c in cmaps)


def test_pdf_is_byte_identical_across_runs_and_processes():
    a, b = make_pdf(), make_pdf()
    assert a == b
    code = ("import sys, io; sys.path.insert(0, 'tests'); import test_fonts; "
            "sys.stdout.buffer.write(test_fonts.make_pdf())")
    import os
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    c = subprocess.run([sys.executable, "-c", code], cwd=root, check=True,
                       capture_output=True).stdout
    assert c == a


def test_draw_text_returns_width_and_restores_canvas_state(book):
    buf = io.BytesIO()
    c = new_canvas(buf, (400, 100))
    c.setFont(SANS_BOLD, 9)
    c.setFillColorRGB(0, 0, 1)
    adv = draw_text(c, 10, 50, "⏱️ 9 min ⚡", Style(italic=True), 14, (1, 0, 0))
    assert adv == pytest.approx(book.width("⏱️ 9 min ⚡", Style(italic=True), 14))
    assert (c._fontname, c._fontsize) == (SANS_BOLD, 9)
    assert tuple(c._fillColorObj) == (0, 0, 1)
    assert draw_text(c, 10, 20, "", Style(), 14) == 0.0
    c.save()


def test_cmap_reader_agrees_with_reportlab_on_every_shipped_font():
    """Coverage comes from deckc's own cmap reader (fonts load lazily); it must match what
    reportlab will actually draw from each font."""
    from reportlab.pdfbase.ttfonts import TTFont

    from deckc.fonts import FONT_DIR, FONT_FILES
    from deckc.fonts.cmap import coverage

    for name, filename in FONT_FILES.items():
        face = TTFont(name + "-cmap-check", str(FONT_DIR / filename)).face
        assert coverage(FONT_DIR / filename) == frozenset(cp for cp, g in face.charToGlyph.items() if g), name


def test_metrics_reader_agrees_with_reportlab_on_every_shipped_font():
    """Widths and line metrics come from deckc's own table reader (measuring imports no
    reportlab); every character must measure exactly as reportlab measures it when drawing."""
    import struct

    from reportlab.pdfbase.ttfonts import TTFont

    from deckc.fonts import FONT_DIR, FONT_FILES
    from deckc.fonts.cmap import metrics

    for name, filename in FONT_FILES.items():
        face = TTFont(name + "-metrics-check", str(FONT_DIR / filename)).face
        widths, default, (asc, desc, gap) = metrics(FONT_DIR / filename)
        assert default == face.defaultWidth, name
        for cp in set(widths) | set(face.charWidths):
            assert widths.get(cp, default) == face.charWidths.get(cp, face.defaultWidth), (name, hex(cp))
        hhea = struct.unpack(">hhh", face.get_table("hhea")[4:10])
        assert (asc, -desc, gap) == tuple(v * 1000 / face.unitsPerEm for v in hhea), name


def test_fonts_load_only_when_text_needs_them():
    import subprocess
    import sys

    code = ("import sys\n"
            "from deckc.fonts import font_book, Style, CJK, EMOJI\n"
            "b = font_book(); b.width('Hello', Style(), 12)\n"
            "assert CJK not in b._widths and EMOJI not in b._widths, sorted(b._widths)\n"
            "b.width('猫 🚀', Style(), 12)\n"
            "assert CJK in b._widths and EMOJI in b._widths\n"
            "assert 'reportlab' not in sys.modules, 'measuring text imported reportlab'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


# ---- emoji sequences: one glyph where the emoji font has one (HarfBuzz) ------------------------

SEQUENCES = {"👩\u200d💻": "ZWJ sequence", "🇫🇷": "flag", "1\ufe0f\u20e3": "keycap", "👍🏽": "skin tone",
             "🏳\ufe0f\u200d🌈": "ZWJ sequence with FE0F"}


@pytest.mark.parametrize("seq", SEQUENCES)
def test_emoji_sequences_are_measured_as_one_glyph(book, seq):
    one = book.width("💻", Style(), 10.0)             # every Noto Emoji glyph has the same advance
    assert book.width(seq, Style(), 10.0) == pytest.approx(one)
    assert book.width(seq + seq, Style(), 10.0) == pytest.approx(2 * one)
    assert book.sequences_drawn_apart(f"a {seq} b") == []


def test_emoji_sequences_are_drawn_as_one_glyph_and_copy_out_whole(tmp_path):
    buf = io.BytesIO()
    c = new_canvas(buf, (400, 100), pageCompression=0)
    lines = list(SEQUENCES)
    for i, seq in enumerate(lines):
        draw_text(c, 20, 80 - 15 * i, seq, Style(), 12)
    c.showPage()
    c.save()
    shown = re.findall(rb"/F\d+\+\d+ 12 Tf 14.4 TL \(((?:\\.|[^\\)])*)\) Tj", buf.getvalue())
    # each sequence is one code in the content stream (plus, for FE0F spellings, nothing else)
    assert len(shown) == len(lines) and all(len(re.sub(rb"\\(\d{3}|.)", b"x", s)) == 1 for s in shown), shown
    out = pdftotext(buf.getvalue(), tmp_path)
    assert [line for line in out.splitlines() if line.strip()] == lines


def test_a_sequence_the_font_lacks_is_named(book):
    fake = "😀\u200d😀"          # joined by ZWJ, but no emoji: Noto Emoji has no glyph for it
    assert book.sequences_drawn_apart(f"see {fake} and 👩\u200d💻") == [fake]
    assert book.width(fake, Style(), 10.0) == pytest.approx(2 * book.width("😀", Style(), 10.0))


def test_arabic_marks_sit_on_their_own_letter(book):
    """Harakat placed by the font's mark-positioning rules: the middle of each mark's ink lies over
    its own letter (drawn in turn without them, a mark lands on the neighbouring letter)."""
    from deckc.fonts import DEJAVU, FONT_DIR, FONT_FILES
    from deckc.fonts.cmap import _font
    from deckc.fonts.shaping import ARABIC_MARK, _hb, mark_offsets
    from deckc.layout.bidi import visual_line
    from deckc.layout.plan import Run
    from deckc.layout.runs import line_text

    path = FONT_DIR / FONT_FILES[DEJAVU]
    _, font, upem = _hb(path)
    cmap, k = _font(path)[2], 1000 / upem
    book.width("ب")
    widths = book._widths[DEJAVU][0]

    def ink_middle(ch):       # of the glyph, from its origin, per 1000 em
        e = font.get_glyph_extents(cmap[ord(ch)])
        return (e.x_bearing + e.width / 2) * k

    for word in ("كِتَابٌ", "مُحَمَّدٌ", "بِسْمِ"):
        drawn = line_text(visual_line((Run(word),), True))
        moved = {i: dx for i, dx, _ in mark_offsets(path, drawn)}
        marks = [i for i, c in enumerate(drawn) if ARABIC_MARK.match(c)]
        assert marks and set(moved) == set(marks), (word, moved)
        for i in marks:
            base = max(j for j in range(i) if not ARABIC_MARK.match(drawn[j]))
            advance = widths[ord(drawn[base])]
            # the pen is at the letter's right edge: its ink spans [-advance, 0] from there
            assert -advance <= moved[i] + ink_middle(drawn[i]) <= 0, (word, i)
            unmoved = ink_middle(drawn[i])
            assert not -advance <= unmoved <= 0 or word == "بِسْمِ", (word, i)   # it was misplaced before
