"""Nested bullets, section slides and reveals, read back from both decks.

The PPTX: bullet levels (marL grows, markers differ), p14:sectionLst groups, p:timing with one
click per item (paragraph targets for bullets, shapes for steps, later blocks after earlier ones).
The PDF: the outline nests slides under their sections, the footer names the section, the deck
shows every item, and --pdf-steps writes one page per click with the earlier items only."""
from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from conftest import build_spec, require_tool

A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
P14 = "{http://schemas.microsoft.com/office/powerpoint/2010/main}"
SPEC = """lesson:
  id: rev
  title: Reveals
  course: ML
  module: Module 2
  number: 1
  of: 2
  minutes: 3
slides:
  - kind: title
    notes: Hello.
  - kind: section
    title: Queries and keys
    subtitle: What attends to what
  - title: Nested, revealed
    notes: One at a time.
    body:
      - bullets:
          reveal: true
          items:
            - Queries ask
            - text: Keys answer
              items:
                - dot products
                - text: scaled
                  items: ['by $\\sqrt{d_k}$']
            - Values are mixed
      - steps:
          reveal: true
          items: [{token: The, state: first}, {token: cat, state: second}]
  - kind: section
    title: Values
  - title: Plain
    notes: No reveals.
    body: [alpha, beta]
"""


def build(tmp: Path, text: str, *extra: str) -> subprocess.CompletedProcess:
    return build_spec(tmp, "rev", text, "--format", "pptx,pdf", *extra)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rev")
    proc = build(tmp, SPEC, "--pdf-steps")
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr
    return tmp / "build" / "rev"


def _xml(pptx: Path, name: str):
    with zipfile.ZipFile(pptx) as z:
        return etree.fromstring(z.read(name))


def test_nested_bullets_indent_by_level(built):
    root = _xml(built / "rev.pptx", "ppt/slides/slide3.xml")
    box = next(sp for sp in root.iter(f"{P}sp") if sp.find(f"{P}nvSpPr/{P}cNvPr").get("name").endswith("bullets"))
    paras = box.iter(f"{A}p")
    rows = [("".join(t.text for t in p.iter(f"{A}t")), int(p.find(f"{A}pPr").get("marL")),
             p.find(f"{A}pPr/{A}buChar").get("char")) for p in paras]
    assert [r[0] for r in rows][:3] == ["Queries ask", "Keys answer", "dot products"]
    margins = [r[1] for r in rows]
    assert margins[0] == margins[1] < margins[2] == margins[3] < margins[4] and margins[5] == margins[0]
    assert [r[2] for r in rows] == ["\u2022", "\u2022", "\u2013", "\u2013", "\u25e6", "\u2022"]


def test_reveals_are_native_click_animations_in_order(built):
    root = _xml(built / "rev.pptx", "ppt/slides/slide3.xml")
    seq = root.find(f"{P}timing/{P}tnLst/{P}par/{P}cTn/{P}childTnLst/{P}seq/{P}cTn/{P}childTnLst")
    clicks = seq.findall(f"{P}par")
    assert len(clicks) == 5                                  # 3 bullets, then 2 steps
    targets = []
    for click in clicks:
        assert click.find(f"{P}cTn/{P}stCondLst/{P}cond").get("delay") == "indefinite"     # on click
        effects = click.findall(f".//{P}cTn[@presetClass='entr']")
        assert effects and all(e.get("presetID") == "1" for e in effects)                   # appear
        targets.append([(t.get("spid"), t.find(f"{P}txEl/{P}pRg").get("st") if t.find(f"{P}txEl") is not None
                         else None) for t in click.iter(f"{P}spTgt")])
    bullets = {t[0] for c in targets[:3] for t in c}
    assert len(bullets) == 1 and [[t[1] for t in c] for c in targets[:3]] == [["0"], ["1", "2", "3", "4"], ["5"]]
    assert all(t[1] is None for c in targets[3:] for t in c) and len(targets[4]) == 3   # chip, arrow, state
    assert root.find(f"{P}timing/{P}bldLst/{P}bldP").get("build") == "p"
    plain = _xml(built / "rev.pptx", "ppt/slides/slide5.xml")
    assert plain.find(f"{P}timing") is None


def test_sections_in_the_pptx_the_pdf_outline_and_the_footer(built):
    pres = _xml(built / "rev.pptx", "ppt/presentation.xml")
    sections = [(s.get("name"), len(s.findall(f"{P14}sldIdLst/{P14}sldId"))) for s in pres.iter(f"{P14}section")]
    assert sections == [("Reveals", 1), ("Queries and keys", 2), ("Values", 2)]
    text = subprocess.run([require_tool("pdftotext"), "-layout", str(built / "rev.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    assert "Queries and keys" in pages[1] and "What attends to what" in pages[1]
    assert "Module 2 · Reveals · Queries and keys" in pages[2]
    assert "Module 2 · Reveals · Values" in pages[4]
    assert all(w in pages[2] for w in ("Queries ask", "Values are mixed", "cat", "second"))   # final state
    pdf = (built / "rev.pdf").read_bytes()
    assert b"/Outlines" in pdf and pdf.count(b"/Parent") >= 5
    assert re.search(rb"/Title \(3\. Nested, revealed\)", pdf)


def test_pdf_steps_has_one_page_per_click(built):
    text = subprocess.run([require_tool("pdftotext"), "-layout", str(built / "rev-steps.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    pages = [p for p in text.split("\f") if p.strip()]
    assert len(pages) == 5 - 1 + 5                            # slide 3 becomes five pages
    reveal = pages[2:7]
    assert "Queries ask" in reveal[0] and "Keys answer" not in reveal[0] and "The" not in reveal[0].split()
    assert "Keys answer" in reveal[1] and "dot products" in reveal[1] and "Values are mixed" not in reveal[1]
    assert "Values are mixed" in reveal[2] and "The" not in reveal[2].split()
    assert "The" in reveal[3].split() and "cat" not in reveal[3].split()
    assert "cat" in reveal[4].split() and "second" in reveal[4]


def test_a_fourth_level_of_bullets_is_a_located_error(tmp_path):
    deep = SPEC.replace("items: ['by $\\sqrt{d_k}$']", "items: [{text: deeper, items: [too deep]}]")
    proc = build(tmp_path, deep)
    assert proc.returncode == 2
    assert re.search(r"rev\.yaml:26:\d+: slides\[2\]\.body\[0\]\.bullets\.items\[1\]\.items\[1\]\.items\[0\]: "
                     r"bullets nest three levels deep at most", proc.stderr), proc.stderr
