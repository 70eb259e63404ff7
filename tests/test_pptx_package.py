"""The PPTX package of the seed deck, read part by part: the theme is the deck's (not Office's),
16:9 without a 4:3 type, app.xml describes this deck, no 4:3 template leftovers, positive chart
axis ids, real placeholders, text boxes with insets and autofit, one document date in PPTX and
PDF, and zero errors from the Open XML validator."""
from __future__ import annotations

import re
import zipfile
from datetime import datetime, timezone

from ooxml_check import ooxml_errors
from pptx import Presentation


def _parts(pptx) -> dict[str, str]:
    with zipfile.ZipFile(pptx) as z:
        return {n: z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith((".xml", ".rels"))}


def test_theme_size_app_and_no_leftovers(seed_build):
    pptx = seed_build / "the-sequence-problem.pptx"
    parts = _parts(pptx)
    theme = parts["ppt/theme/theme1.xml"]
    assert 'name="deckc default"' in theme and "Office Theme" not in theme and "Calibri" not in theme
    assert '<a:majorFont><a:latin typeface="Arial"/>' in theme and '<a:minorFont><a:latin typeface="Arial"/>' in theme
    assert '<a:accent1><a:srgbClr val="0072B2"/>' in theme and 'script="Jpan" typeface="Yu Gothic"' in theme
    size = re.search(r"<p:sldSz [^>]*>", parts["ppt/presentation.xml"]).group()
    assert 'cx="12192000" cy="6858000"' in size and "type=" not in size
    prs = Presentation(str(pptx))
    n = len(prs.slides)
    app = parts["docProps/app.xml"]
    assert f"<Slides>{n}</Slides>" in app and f"<Notes>{n}</Notes>" in app
    assert "<PresentationFormat>Widescreen</PresentationFormat>" in app and "4:3" not in app
    titles = re.findall(r"<vt:lpstr>([^<]*)</vt:lpstr>", app)
    assert titles[-n:] == [s.shapes.title.text_frame.text.replace("&", "&amp;") for s in prs.slides]
    names = list(parts) + zipfile.ZipFile(pptx).namelist()
    assert not any("thumbnail" in p or "printerSettings" in p for p in names)
    assert "thumbnail" not in parts["_rels/.rels"]


def test_chart_axis_ids_are_positive(seed_build):
    parts = _parts(seed_build / "the-sequence-problem.pptx")
    ids = [int(v) for name, xml in parts.items() if name.startswith("ppt/charts/")
           for v in re.findall(r'<c:(?:axId|crossAx) val="(-?\d+)"', xml)]
    assert ids and min(ids) > 0


def test_titles_and_bodies_are_placeholders_of_real_layouts(seed_build):
    prs = Presentation(str(seed_build / "the-sequence-problem.pptx"))
    layouts = [s.slide_layout.name for s in prs.slides]
    assert layouts[0] == "Title Slide" and "Title Only" not in layouts and layouts.count("Title and Content") >= 9
    first = prs.slides[0]
    kinds = {ph.placeholder_format.type: ph.text_frame.text for ph in first.placeholders}
    assert kinds[3] == "The Sequence Problem" and kinds[4].startswith("Why did we need")   # CENTER_TITLE, SUBTITLE
    bodies = [ph for s in prs.slides for ph in s.placeholders if ph.placeholder_format.idx == 1]
    assert len(bodies) >= 6 and all(ph.text_frame.text.strip() for ph in bodies)          # no empty "Click to add"
    assert any(p.text.startswith("Before Transformers") for p in bodies[1].text_frame.paragraphs)


def test_text_boxes_have_insets_and_normal_autofit(seed_build):
    xml = _parts(seed_build / "the-sequence-problem.pptx")["ppt/slides/slide2.xml"]
    boxes = re.findall(r'<p:sp><p:nvSpPr><p:cNvPr id="\d+" name="([^"]+)"[^>]*/><p:cNvSpPr txBox="1"/>.*?'
                       r'<a:bodyPr ([^>]*)>(<a:\w+/>)', xml)
    boxes = [b for b in boxes if not b[0].endswith(".math")]    # a display formula is sized from its own glyphs
    assert boxes
    for name, attrs, fit in boxes:
        assert fit == "<a:normAutofit/>", name
        assert int(re.search(r'lIns="(\d+)"', attrs).group(1)) >= 45720, (name, attrs)     # >= 0.05 in


def test_one_document_date_in_pptx_and_pdf(tmp_path, monkeypatch):
    from conftest import copy_course
    from pypdf_free_info import pdf_dates

    from deckc.build import build_lesson

    stamp = 1717243200                    # 2024-06-01T12:00:00Z
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(stamp))
    course = copy_course(tmp_path / "course")
    result = build_lesson(course / "lesson" / "the-sequence-problem.yaml", course / "build", ["pptx", "pdf"])
    assert not result.errors
    core = _parts(result.out_dir / "the-sequence-problem.pptx")["docProps/core.xml"]
    assert core.count("2024-06-01T12:00:00Z") == 3            # created, modified, lastPrinted
    assert pdf_dates(result.out_dir / "the-sequence-problem.pdf") == ["D:20240601120000+00'00'"] * 2
    assert datetime.fromtimestamp(stamp, tz=timezone.utc).year == 2024


def test_the_seed_deck_has_no_validator_errors(seed_build):
    assert ooxml_errors(seed_build / "the-sequence-problem.pptx") == []


def test_a_diagrams_labels_never_fill_the_body_placeholder(tmp_path):
    """A slide that opens with steps or titled columns has no plain text for the body placeholder:
    a chip's state label ("Memory: ...") or a panel's heading is not the slide's body in outline view."""
    from deckc.build import build_lesson

    lesson = tmp_path / "course" / "lesson"
    lesson.mkdir(parents=True)
    spec = lesson / "labels.yaml"
    spec.write_text("""lesson: {id: labels, title: Labels, course: C, module: M, number: 1, of: 1, minutes: 5}
slides:
  - {kind: title, notes: hi}
  - title: Steps first
    notes: n
    body:
      - steps: {items: [{token: The, state: 'Memory: "The"'}, {token: cat, state: 'Memory: "The cat"'}]}
      - Plain words after the chips.
  - title: Panels first
    notes: n
    body:
      - columns:
          - {title: Before, tone: problem, body: [One at a time.]}
          - {title: After, tone: insight, body: [All at once.]}
""")
    build_lesson(spec, tmp_path / "out", formats=("pptx",))
    prs = Presentation(str(tmp_path / "out" / "labels" / "labels.pptx"))
    bodies = {i: [ph.text_frame.text for ph in s.placeholders if ph.placeholder_format.idx == 1]
              for i, s in enumerate(prs.slides)}
    assert bodies[1] == ["Plain words after the chips."], bodies
    assert not any("Before" in t or "After" in t for t in bodies[2]), bodies


def test_placeholder_runs_are_not_capitalised_by_the_layout(seed_build):
    """python-pptx's "Section Header" (and many templates' layouts) sets cap="all" on the title:
    the placeholder's runs say cap="none", so PowerPoint shows the title as typed, as the PDF does."""
    parts = _parts(seed_build / "the-sequence-problem.pptx")
    layouts = "".join(v for k, v in parts.items() if k.startswith("ppt/slideLayouts/slideLayout"))
    assert 'cap="all"' in layouts         # the reason for the test: the layouts' own style says caps
    slides = [v for k, v in parts.items() if re.match(r"ppt/slides/slide\d+\.xml$", k)]
    ph_runs = [r for xml in slides for sp in re.findall(r"<p:sp>(?:(?!</p:sp>).)*?<p:ph[ >/].*?</p:sp>", xml, re.S)
               for r in re.findall(r"<a:rPr [^>]*>", sp)]
    assert ph_runs and all('cap="none"' in r for r in ph_runs), [r for r in ph_runs if 'cap="none"' not in r][:3]
