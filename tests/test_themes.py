"""Themes: the built-ins meet WCAG contrast (computed here from the theme's own colours), a theme
is chosen by lesson.theme or the course's theme.yaml, a theme file is validated like the spec
(every problem at once, located in the theme file), and one theme reaches PPTX, PDF and HTML."""
from __future__ import annotations

import re
import zipfile

import pytest
from conftest import copy_course
from ooxml_check import ooxml_errors

from deckc.build import build_lesson, check_lesson
from deckc.layout.themes import BUILTIN


def _lin(v: int) -> float:
    v = v / 255
    return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4


def _ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio, written out here rather than taken from deckc."""
    def lum(c):
        r, g, bl = (int(c[i:i + 2], 16) for i in (0, 2, 4))
        return 0.2126 * _lin(r) + 0.7152 * _lin(g) + 0.0722 * _lin(bl)
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_builtin_themes_meet_wcag_contrast(name):
    t = BUILTIN[name]
    text = [(t.text, t.background), (t.muted, t.background), (t.accent, t.background), (t.text, t.chip_fill),
            (t.text, t.highlight), (t.text, t.table_stripe), (t.table_header_text, t.table_header_fill)]
    text += [(tone.text, tone.fill) for tone in t.tones.values()]
    graphics = [(c, t.background) for c in t.palette] + [(t.chip_border, t.background)]
    graphics += [(tone.border, t.background) for tone in t.tones.values()]
    low = [(fg, bg, round(_ratio(fg, bg), 2)) for fg, bg in text if _ratio(fg, bg) < 4.5]
    low += [(fg, bg, round(_ratio(fg, bg), 2)) for fg, bg in graphics if _ratio(fg, bg) < 3.0]
    assert low == []


def _course(tmp_path, header: str):
    course = copy_course(tmp_path / "course")
    spec = course / "lesson" / "the-sequence-problem.yaml"
    spec.write_text(spec.read_text().replace("  minutes: 9\n", f"  minutes: 9\n{header}", 1))
    return course, spec


def _pdf_pixel(pdf, x, y):
    """The colour at (x, y) of page 1, rendered by pdftoppm (poppler)."""
    import subprocess

    from conftest import require_tool
    from PIL import Image

    require_tool("pdftoppm")
    subprocess.run(["pdftoppm", "-r", "36", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(pdf.with_suffix(""))], check=True)
    return "%02X%02X%02X" % Image.open(pdf.with_suffix(".png")).convert("RGB").getpixel((x, y))


def test_dark_theme_reaches_pptx_pdf_and_html(tmp_path):
    course, spec = _course(tmp_path, "  theme: dark\n")
    result = build_lesson(spec, course / "build", ["pptx", "pdf", "html"])
    assert not result.errors, [str(e) for e in result.errors]
    out = result.out_dir
    pptx = out / "the-sequence-problem.pptx"
    with zipfile.ZipFile(pptx) as z:
        theme = z.read("ppt/theme/theme1.xml").decode()
        master = z.read("ppt/slideMasters/slideMaster1.xml").decode()
    assert 'name="deckc dark"' in theme and "Office" not in theme and "Calibri" not in theme
    assert '<a:dk1><a:srgbClr val="14181F"/>' in theme          # the slide background, mapped as bg1
    assert 'bg1="dk1"' in master and 'tx1="lt1"' in master
    assert _pdf_pixel(out / "the-sequence-problem.pdf", 200, 180) == BUILTIN["dark"].background
    html = (out / "the-sequence-problem.html").read_text()
    assert "--card: #14181F" in html and "color-scheme: dark" in html
    assert ooxml_errors(pptx) == []


def test_course_theme_file_with_fonts_and_logo(tmp_path):
    import sys
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    from template_factory import logo_png

    course, spec = _course(tmp_path, "")
    (course / "brand").mkdir()
    (course / "brand" / "logo.png").write_bytes(logo_png())
    (course / "theme.yaml").write_text(
        'base: high-contrast\nname: Faculty of Science\n'
        'colors: {accent: "#5B2C83", palette: ["#5B2C83", "#A30000", "#005A32"]}\n'
        'fonts: {heading: Georgia, body: Verdana, east_asian: Yu Gothic}\nlogo: brand/logo.png\n'
        'sizes: {body: 22}\n')
    result = build_lesson(spec, course / "build", ["pptx", "pdf", "html"])
    assert not result.errors, [str(e) for e in result.errors]
    html = (result.out_dir / "the-sequence-problem.html").read_text()
    assert '<img class="lesson-logo" alt="" src="data:image/png;base64,' in html and "--accent: #5B2C83" in html
    pptx = result.out_dir / "the-sequence-problem.pptx"
    with zipfile.ZipFile(pptx) as z:
        theme = z.read("ppt/theme/theme1.xml").decode()
        slide2 = z.read("ppt/slides/slide2.xml").decode()
        app = z.read("docProps/app.xml").decode()
    assert 'name="Faculty of Science"' in theme
    assert re.search(r'<a:majorFont><a:latin typeface="Georgia"/><a:ea typeface="Yu Gothic"/>', theme)
    assert '<a:minorFont><a:latin typeface="Verdana"/>' in theme
    assert '<a:accent1><a:srgbClr val="5B2C83"/>' in theme
    assert 'typeface="Verdana"' in slide2 and 'name="slide2.logo"' in slide2
    assert 'sz="2200"' in slide2                                  # the theme's body size
    assert "<vt:lpstr>Faculty of Science</vt:lpstr>" in app
    assert ooxml_errors(pptx) == []


def test_theme_file_problems_are_all_reported_located(tmp_path):
    course, spec = _course(tmp_path, "  theme: looks/bad.yaml\n")
    (course / "looks").mkdir()
    (course / "looks" / "bad.yaml").write_text(
        "base: drak\n"
        "colours: {}\n"
        "colors:\n  text: 000000\n  muted: '#BBBBBB'\n  accent: '#12345'\n"
        "fonts: {heading: Georgia}\nsizes: {body: 9}\n")
    problems = [str(p) for p in check_lesson(spec).problems]

    def has(where, *words):
        return any(where in p and all(w in p for w in words) for p in problems)
    assert has("looks/bad.yaml:1:7: base: expected one of", "did you mean 'dark'"), problems
    assert has("looks/bad.yaml:2:1: colours: unknown key 'colours'; did you mean 'colors'?"), problems
    assert has("looks/bad.yaml:4:9: colors.text:", "in quotes"), problems
    assert has("looks/bad.yaml:6:11: colors.accent:"), problems
    assert has("looks/bad.yaml:8:15: sizes.body: must be at least 16"), problems


def test_theme_file_contrast_and_logo_problems_come_with_the_schema_errors(tmp_path):
    """One run names everything: a colour typo does not hide a low-contrast pair or a missing
    logo until the typo is fixed; a colour already wrong gets no second complaint from its stand-in."""
    course, spec = _course(tmp_path, "  theme: bad.yaml\n")
    (course / "bad.yaml").write_text(
        "colors:\n  background: '#FFFFFF'\n  text: '#GGHHII'\n  muted: '#DDDDDD'\n  acent: '#5B2C83'\n"
        "  palette: ['#FFFFFF', '#0072B2', '#000000']\nsizes: {captoin: 16}\nlogo: brand/nologo.png\n")
    problems = [str(p) for p in check_lesson(spec).problems]

    def has(where, *words):
        return any(where in p and all(w in p for w in words) for p in problems)
    assert has("bad.yaml:3:9: colors.text: expected a colour"), problems
    assert has("bad.yaml:5:3: colors.acent: unknown key", "did you mean 'accent'"), problems
    assert has("bad.yaml:7:9: sizes.captoin: unknown key", "did you mean 'caption'"), problems
    assert has("bad.yaml:4:10: colors.muted: #DDDDDD on #FFFFFF", "4.5:1"), problems
    assert has("bad.yaml:6:13: colors.palette[0]: #FFFFFF on #FFFFFF", "3:1"), problems
    assert has("bad.yaml:8:7: logo: no file 'brand/nologo.png'"), problems
    assert not any("colors.text: #" in p for p in problems), problems


def test_theme_file_below_contrast_is_refused_at_the_colour(tmp_path):
    course, spec = _course(tmp_path, "  theme: pale.yaml\n")
    (course / "pale.yaml").write_text("colors:\n  muted: '#BBBBBB'\n  palette: ['#0072B2', '#FFEE00', '#000000']\n")
    problems = [str(p) for p in check_lesson(spec).problems]

    def has(where, *words):
        return any(where in p and all(w in p for w in words) for p in problems)
    assert has("pale.yaml:2:10: colors.muted: #BBBBBB on #FFFFFF has a contrast of 1.9", "4.5:1"), problems
    assert has("pale.yaml:3:24: colors.palette[1]: #FFEE00", "3:1"), problems


@pytest.mark.parametrize("value, message", [
    ("drak", "no built-in theme 'drak'; did you mean 'dark'?"),
    ("../outside.yaml", "leads outside the course folder"),
    ("missing.yaml", "no file 'missing.yaml'"),
])
def test_lesson_theme_errors_are_located(tmp_path, value, message):
    course, spec = _course(tmp_path, f"  theme: {value}\n")
    problems = [str(p) for p in check_lesson(spec).problems]
    assert any(re.search(r"the-sequence-problem.yaml:14:10: lesson.theme: ", p) and message in p
               for p in problems), problems


def test_dark_theme_code_and_heatmap_numbers_stay_readable(tmp_path):
    """The code listing keeps its light background under a dark theme, so its plain tokens cannot
    take the theme's (light) text colour; a heatmap's light cells need dark numbers, not the
    theme's light text."""
    from deckc.layout.chart_heatmap import plan_heatmap
    from deckc.layout.code_box import BACKGROUND
    from deckc.layout.plan import ChartBox, CodeBox
    from deckc.layout.slides import plan_deck
    from deckc.layout.themes import contrast
    from deckc.spec.loader import load_lesson

    spec = tmp_path / "lesson" / "dark.yaml"
    spec.parent.mkdir()
    spec.write_text("""lesson: {id: dark, title: Dark, course: C, module: M, number: 1, of: 1, minutes: 5, theme: dark}
slides:
  - {kind: title, notes: hi}
  - title: Code
    notes: n
    body:
      - code: {lang: python, source: "def f(x):\\n    return x @ x.T\\n"}
  - title: Heat
    notes: n
    body:
      - chart: {kind: heatmap, title: W, data: {rows: [a, b], cols: [a, b], values: [[0.9, 0.1], [0.2, 0.5]]}}
""")
    deck, _ = plan_deck(load_lesson(spec).lesson)
    elements = [e for s in deck.slides for e in s.elements]
    runs = [r for e in elements if isinstance(e, CodeBox) for p in e.paras for r in p.runs if r.text.strip()]
    assert runs and all(contrast(r.color, BACKGROUND) >= 4.5 for r in runs), [(r.text, r.color) for r in runs]
    chart = next(e for e in elements if isinstance(e, ChartBox))
    cells = [c for row in plan_heatmap(chart).cells for c in row if c.text]
    assert len(cells) == 4 and all(contrast(c.text_color, c.fill) >= 4.5 for c in cells), \
        [(c.text, c.text_color, c.fill) for c in cells]
