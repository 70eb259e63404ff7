"""The tagged PDF, read back from outside with pypdf: the structure tree (roles, order, the text
inside each element's marked content, /Alt, /Lang, table headers), the marked content of every
page, the catalog entries; and pdftotext still reading the text in order."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image

from conftest import ROOT, build_spec, require_tool
from pdf_structure import check_marked_content, read_structure

SEED_PDF = "the-sequence-problem.pdf"


@pytest.fixture(scope="module")
def seed(seed_build):
    from deckc.layout.slides import plan_deck
    from deckc.spec.loader import load_lesson

    deck = plan_deck(load_lesson(Path(ROOT) / "lesson" / "the-sequence-problem.yaml").lesson)[0]
    tree, facts = read_structure(seed_build / SEED_PDF)
    return deck, tree, facts


def test_seed_catalog_says_tagged_language_and_title(seed):
    deck, tree, facts = seed
    assert facts["Lang"] == "en" and facts["Marked"] is True and facts["DisplayDocTitle"] is True
    assert facts["StructParents"] == list(range(len(deck.slides)))
    assert "<pdfuaid:part>1</pdfuaid:part>" in facts["xmp"] and deck.title in facts["xmp"]


def test_seed_tree_is_one_section_per_slide_opening_with_its_title(seed):
    deck, tree, _ = seed
    assert tree.role == "Document"
    assert [s.role for s in tree.kids] == ["Sect"] * len(deck.slides)
    for slide, sect in zip(deck.slides, tree.kids):
        first = sect.kids[0]
        assert first.role == "H1" and first.text.split() == slide.title.split(), (slide.number, first.text)
        assert len(sect.all("H1")) == 1


def test_seed_figures_carry_the_plans_alt_text(seed):
    from deckc.layout.plan import Arrow, ChartBox

    deck, tree, _ = seed
    for slide, sect in zip(deck.slides, tree.kids):
        wanted = [el.alt for el in slide.elements
                  if isinstance(el, ChartBox) or (isinstance(el, Arrow) and not el.decorative and el.alt)]
        assert [f.alt for f in sect.all("Figure")] == wanted, slide.number
        for fig in sect.all("Figure"):
            x0, y0, x1, y1 = fig.attrs["/A"]["/BBox"] if "/A" in fig.attrs else fig.attrs["/BBox"]
            assert 0 <= x0 < x1 <= deck.width and 0 <= y0 < y1 <= deck.height


def test_seed_table_has_header_cells(seed):
    from deckc.layout.plan import TableBox

    deck, tree, _ = seed
    tables = tree.all("Table")
    assert len(tables) == 1
    rows = tables[0].kids
    table = next(el for s in deck.slides for el in s.elements if isinstance(el, TableBox))
    assert [r.role for r in rows] == ["TR"] * len(table.cells)
    assert [c.role for c in rows[0].kids] == ["TH"] * 3
    assert [c.text for c in rows[0].kids] == ["Feature", "RNN/LSTM", "Transformer"]
    assert all(c.attrs.get("/Scope") == "/Column" for c in rows[0].kids)
    assert [c.role for r in rows[1:] for c in r.kids] == ["TD"] * 3 * (len(table.cells) - 1)
    assert rows[1].kids[1].text == "Sequential ❌"


def test_seed_decoration_and_footer_are_artifacts(seed):
    deck, tree, _ = seed
    text = tree.full_text()
    assert f"1 / {len(deck.slides)}" not in text and f"{len(deck.slides)} / {len(deck.slides)}" not in text
    assert "Module 2 · Attention · The Sequence Problem" not in text       # the running footer
    # every word of every slide's body text is in the tree (nothing lost to an artifact)
    for slide, sect in zip(deck.slides, tree.kids):
        words = set(sect.full_text().split())
        for el in slide.elements:
            if getattr(el, "role", "") in ("body", "title", "caption"):
                for word in el.text.split():
                    assert word in words, (slide.number, el.name, word)


def test_seed_marked_content_is_well_formed(seed_build):
    check_marked_content(seed_build / SEED_PDF)


def test_pdftotext_reads_the_titles_in_order(seed, seed_build):
    deck, _, _ = seed
    out = subprocess.run([require_tool("pdftotext"), str(seed_build / SEED_PDF), "-"], capture_output=True,
                         text=True, check=True).stdout
    at = 0
    for slide in deck.slides[1:]:
        at = out.index(slide.title.split()[0], at)


LESSON = r"""lesson:
  id: tags
  title: Tagged things
  course: ML
  module: M
  number: 1
  of: 1
  minutes: 5
  language: en-GB
slides:
  - title: Every block
    notes: n
    body:
      - text: Softmax of $z_i$ is positive. In Arabic, كتاب means book; in Japanese, 本です.
      - bullets:
          reveal: true
          items:
            - Queries ask
            - text: Keys answer
              items: [dot products]
            - Values carry
      - columns:
          - body:
              - image: {src: figures/blue.png, alt: A blue square}
              - image: {src: figures/band.png, decorative: true}
          - body:
              - math: 'e^{i\pi} + 1 = 0'
  - title: Table and code
    notes: n
    body:
      - table:
          header: [Model, Steps]
          rows:
            - [RNN, n]
            - [Transformer, '1']
      - code:
          lang: python
          source: |
            def f(x):
                return x + 1
"""


@pytest.fixture(scope="module")
def blocks(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tags")
    figures = tmp / "lesson" / "figures"
    figures.mkdir(parents=True)
    Image.new("RGB", (200, 200), "#2b6cb0").save(figures / "blue.png")
    Image.new("RGB", (400, 20), "#dde6f5").save(figures / "band.png")
    proc = build_spec(tmp, "tags", LESSON, "--format", "pdf,pdf-steps,handout")
    assert proc.returncode == 0, proc.stderr
    return tmp / "build" / "tags"


def test_every_block_kind_has_its_structure(blocks):
    tree, facts = read_structure(blocks / "tags.pdf")
    assert facts["Lang"] == "en-GB"
    first, second = tree.kids
    assert first.skeleton() == ("Sect", [
        ("H1", []),
        ("P", [("Formula", []), ("Span", []), ("Span", [])]),
        ("L", [("LI", [("Lbl", []), ("LBody", [])]),
               ("LI", [("Lbl", []), ("LBody", [("L", [("LI", [("Lbl", []), ("LBody", [])])])])]),
               ("LI", [("Lbl", []), ("LBody", [])])]),
        ("Figure", []),                         # the picture; the decorative band is an artifact
        ("Formula", []),
    ])
    para = first.kids[1]
    formula, arabic, japanese = para.kids
    assert formula.alt == "z_i"
    assert (arabic.lang, arabic.actual) == ("ar", "كتاب")      # drawn shaped, right to left: said as typed
    assert (japanese.lang, japanese.text) == ("ja", "本です")
    assert "Softmax of" in para.text and "means book" in para.text
    lst = first.kids[2]
    assert [li.kids[0].text for li in lst.kids] == ["•", "•", "•"]
    assert [li.kids[1].text for li in lst.kids] == ["Queries ask", "Keys answer", "Values carry"]
    assert lst.kids[1].kids[1].kids[0].kids[0].kids[1].text == "dot products"
    figure, math = first.kids[3], first.kids[4]
    assert figure.alt == "A blue square"
    assert math.alt == r"e^{i\pi} + 1 = 0"
    assert second.skeleton() == ("Sect", [
        ("H1", []),
        ("Table", [("TR", [("TH", []), ("TH", [])]), ("TR", [("TD", []), ("TD", [])]),
                   ("TR", [("TD", []), ("TD", [])])]),
        ("Code", []),
    ])
    code = second.kids[2]
    assert code.text.splitlines() == ["def f(x):", "    return x + 1"]
    check_marked_content(blocks / "tags.pdf")


def test_step_pages_before_the_last_are_artifacts(blocks):
    """With --pdf-steps a reader reads each slide once: the final state's page has the structure."""
    from pypdf import PdfReader
    from pypdf.generic import ContentStream

    tree, facts = read_structure(blocks / "tags-steps.pdf")
    assert [s.role for s in tree.kids] == ["Sect", "Sect"]
    final, _ = read_structure(blocks / "tags.pdf")
    assert tree.skeleton() == final.skeleton()
    reader = PdfReader(str(blocks / "tags-steps.pdf"))
    mcids = [sum(1 for args, op in ContentStream(p.get_contents(), reader).operations
                 if op == b"BDC" and hasattr(args[1], "get") and "/MCID" in args[1]) for p in reader.pages]
    assert len(mcids) == 3 + 1 and mcids[:2] == [0, 0] and all(mcids[2:])    # two clicks, then the final state
    check_marked_content(blocks / "tags-steps.pdf")


@pytest.mark.parametrize("which", ["seed", "blocks"])
def test_a_pdf_ua_checker_finds_nothing(which, seed_build, blocks):
    """pdfua (PyPI): the PDF/UA-1 rules it implements (see `pdfua rules`), run on the seed deck and
    on the lesson with every block; an untagged PDF fails four of them."""
    import sys

    pdf = seed_build / SEED_PDF if which == "seed" else blocks / "tags.pdf"
    proc = subprocess.run([sys.executable, "-m", "pdfua", "check", str(pdf)], capture_output=True, text=True)
    assert proc.returncode == 0 and "PASS" in proc.stdout, proc.stdout + proc.stderr


def test_the_handout_is_tagged_too(blocks):
    """Each slide a Sect as in the deck, its speaker notes after it as paragraphs."""
    tree, facts = read_structure(blocks / "tags-handout.pdf")
    final, _ = read_structure(blocks / "tags.pdf")
    assert facts["Lang"] == "en-GB" and facts["Marked"] is True
    sects = [k for k in tree.kids if k.role == "Sect"]
    assert [s.skeleton() for s in sects] == [s.skeleton() for s in final.kids]
    notes = [k for k in tree.kids if k.role == "P"]
    assert notes and all(k.role in ("Sect", "P") for k in tree.kids)
    check_marked_content(blocks / "tags-handout.pdf")


def test_a_language_that_is_no_language_tag_is_a_located_error(tmp_path):
    bad = LESSON.replace("  language: en-GB", "  language: british english")
    proc = build_spec(tmp_path, "tags", bad, "--format", "pdf")
    assert proc.returncode == 2
    assert "lesson/tags.yaml:9:13: lesson.language: expected a BCP 47 language tag" in proc.stderr, proc.stderr
