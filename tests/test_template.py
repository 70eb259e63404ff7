"""The institution's template (lesson.template): made here with python-pptx (a 4:3 one with its own
colours, fonts, background and a logo on the master; ones with unusual layouts), never committed."""
from __future__ import annotations

import zipfile

import pytest
from conftest import copy_course
from ooxml_check import ooxml_errors
from pptx import Presentation
from template_factory import only_layouts, picture_background, university

from deckc.build import build_lesson, check_lesson


def _course(tmp_path, rel="templates/university.pptx"):
    course = copy_course(tmp_path / "course")
    spec = course / "lesson" / "the-sequence-problem.yaml"
    spec.write_text(spec.read_text().replace("  minutes: 9\n", f"  minutes: 9\n  template: {rel}\n", 1))
    return course, spec


@pytest.fixture(scope="module")
def templated(tmp_path_factory):
    course, spec = _course(tmp_path_factory.mktemp("tpl"))
    university(course / "templates" / "university.pptx")
    result = build_lesson(spec, course / "build", ["pptx", "pdf"])
    assert not result.errors, [str(e) for e in result.errors]
    return result.out_dir


def test_deck_uses_the_templates_layouts_placeholders_and_theme(templated):
    pptx = templated / "the-sequence-problem.pptx"
    prs = Presentation(str(pptx))
    assert (prs.slide_width, prs.slide_height) == (12192000, 6858000)      # the 4:3 template fitted to 16:9
    assert all(s.shapes.title is not None and s.shapes.title.text_frame.text for s in prs.slides)
    # the seed's 13 slides, and (issue 15) the "(cont.)" slides the template's smaller body area makes
    titles = [s.shapes.title.text_frame.text for s in prs.slides]
    assert len([t for t in titles if not t.endswith(" (cont.)")]) == 13
    layouts = [s.slide_layout.name for s in prs.slides]
    assert layouts.count("Title Slide") == 1                                 # the template's own slide dropped
    assert layouts[0] == "Title Slide" and "Section Header" not in layouts[:1]
    assert layouts.count("Title and Content") >= 8
    title = prs.slides[0].shapes[0]
    assert title.is_placeholder and title.text_frame.text == "The Sequence Problem"
    subtitle = [s for s in prs.slides[0].placeholders if s.placeholder_format.type == 4]     # SUBTITLE
    assert subtitle and subtitle[0].text_frame.text.startswith("Why did we need a new architecture?")
    body = [s for s in prs.slides[1].placeholders if s.placeholder_format.idx == 1]
    assert body and body[0].text_frame.text.startswith("Before Transformers")       # outline view shows it
    with zipfile.ZipFile(pptx) as z:
        theme = z.read("ppt/theme/theme1.xml").decode()
        slide2 = z.read("ppt/slides/slide2.xml").decode()
        names = z.namelist()
    assert 'name="University"' in theme and 'typeface="Georgia"' in theme
    assert 'typeface="Verdana"' in slide2 and 'typeface="Arial"' not in slide2.split("<c:")[0]
    assert not any("thumbnail" in n or "printerSettings" in n for n in names)
    # the master's logo keeps its aspect ratio (3:1) when the 4:3 master is widened
    logo = next(s for s in prs.slide_master.shapes if s.shape_type == 13)    # PICTURE
    assert abs(logo.width / logo.height - 3.0) < 0.01
    assert ooxml_errors(pptx) == []


def test_pdf_follows_the_templates_background_accent_and_logo(templated):
    import subprocess

    from conftest import require_tool
    from PIL import Image

    require_tool("pdftoppm")
    pdf = templated / "the-sequence-problem.pdf"
    subprocess.run(["pdftoppm", "-r", "72", "-png", "-f", "2", "-l", "2", "-singlefile", str(pdf),
                    str(templated / "p2")], check=True)
    im = Image.open(templated / "p2.png").convert("RGB")
    assert im.getpixel((480, 300))[:3] == (0xF5, 0xF0, 0xE6) or im.getpixel((30, 520)) == (0xF5, 0xF0, 0xE6)
    # the logo's burgundy square, top right, where the master draws it (scaled position)
    w = im.size[0]
    found = any(im.getpixel((x, y)) == (140, 29, 64) for x in range(w - 160, w - 10, 3) for y in range(15, 60, 3))
    assert found


def _zip_with(path, entries):
    with zipfile.ZipFile(path, "w") as z:
        for name, body in entries.items():
            z.writestr(name, body)


@pytest.mark.parametrize("make, missing", [
    (lambda p: only_layouts(p, ("Title Only", "Blank")), "has no layout with a title and a body placeholder"),
    (lambda p: _zip_with(p, {"[Content_Types].xml": "<Types", "ppt/presentation.xml": "<p:presentation"}),
     "cannot be read as a .pptx file"),
    (lambda p: p.write_text("hello"), "is not a PowerPoint .pptx file"),
])
def test_unusable_template_is_a_located_error(tmp_path, make, missing):
    course, spec = _course(tmp_path)
    (course / "templates").mkdir()
    make(course / "templates" / "university.pptx")
    problems = [str(p) for p in check_lesson(spec).problems]
    assert any(":14:13: lesson.template: university.pptx" in p and missing in p for p in problems), problems


def test_template_without_title_and_section_layouts_warns_and_builds(tmp_path):
    course, spec = _course(tmp_path)
    only_layouts(course / "templates" / "university.pptx", ("Title and Content", "Blank"))
    result = build_lesson(spec, course / "build", ["pptx"])
    assert not result.errors, [str(e) for e in result.errors]
    warned = " ".join(str(w) for w in result.warnings)
    assert "has no title-slide layout" in warned and "has no section-header layout" in warned
    prs = Presentation(str(result.out_dir / "the-sequence-problem.pptx"))
    assert {s.slide_layout.name for s in prs.slides} == {"Title and Content"}
    assert ooxml_errors(result.out_dir / "the-sequence-problem.pptx") == []


@pytest.mark.parametrize("rel, message", [
    ("../elsewhere/u.pptx", "leads outside the course folder"),
    ("templates/none.pptx", "no file 'templates/none.pptx'"),
])
def test_template_path_errors_are_located(tmp_path, rel, message):
    course, spec = _course(tmp_path, rel)
    problems = [str(p) for p in check_lesson(spec).problems]
    assert any(":14:13: lesson.template:" in p and message in p for p in problems), problems


def test_picture_background_reaches_the_pdf(tmp_path):
    """A master whose background is a picture: the PDF draws the picture behind every slide, and
    text colours are chosen for it (white text in the template's scheme stays legible)."""
    import subprocess

    from conftest import require_tool
    from PIL import Image

    require_tool("pdftoppm")
    course, spec = _course(tmp_path)
    picture_background(course / "templates" / "university.pptx")
    result = build_lesson(spec, course / "build", ["pptx", "pdf"])
    assert not result.errors, [str(e) for e in result.errors]
    pdf = result.out_dir / "the-sequence-problem.pdf"
    subprocess.run(["pdftoppm", "-r", "36", "-png", "-f", "2", "-l", "2", "-singlefile", str(pdf),
                    str(tmp_path / "p2")], check=True)
    assert Image.open(tmp_path / "p2.png").convert("RGB").getpixel((470, 255)) == (20, 60, 110)
    prs = Presentation(str(result.out_dir / "the-sequence-problem.pptx"))
    title = prs.slides[1].shapes.title.text_frame.paragraphs[0].runs[0].font.color.rgb
    assert str(title) == "FFFFFF"            # the scheme's white text, legible on the navy picture
    assert all(s.follow_master_background for s in prs.slides)      # the picture shows, not a flat fill
    assert ooxml_errors(result.out_dir / "the-sequence-problem.pptx") == []


def test_renamed_layouts_are_found_by_their_type():
    """A designer renames the layouts ("Divider", "Cover", "Text"): the section slide still takes
    the layout of type secHead (title and body), not some title-only one, and content takes obj."""
    from deckc.template_read import find_layouts

    prs = Presentation()
    names = {"title": "Cover", "obj": "Text", "secHead": "Divider", "titleOnly": "Headline", "twoObj": "Two"}
    for lay in prs.slide_layouts:
        kind = lay._element.get("type")
        lay._element.cSld.set("name", names.get(kind, f"Other {kind}"))
    roles, phmap, notes = find_layouts(prs)
    kinds = [lay._element.get("type") for lay in prs.slide_layouts]
    assert (kinds[roles["title"]], kinds[roles["content"]], kinds[roles["section"]]) == ("title", "obj", "secHead")
    assert phmap["section"]["body"] is not None and not notes
