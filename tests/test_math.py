"""Math: inline $...$ and display `math:` blocks, from the spec to both decks.

Checked from outside: the PPTX's slide XML (Office Math structure, the mc:AlternateContent wrapping
and its fallback picture), the PDF's text and drawing operators (formulas are filled paths, not
images), LibreOffice's render of the PPTX, and located errors for TeX outside the subset."""
from __future__ import annotations

import base64
import re
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest
from lxml import etree

from conftest import build_spec, libreoffice_pdf, require_tool
from deckc.texmath.subset import TexError, check_tex

NS = {"a": "http://schemas.openxmlformats.org/drawingml/2006/main",
      "p": "http://schemas.openxmlformats.org/presentationml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
      "a14": "http://schemas.microsoft.com/office/drawing/2010/main",
      "m": "http://schemas.openxmlformats.org/officeDocument/2006/math"}

SPEC = r"""lesson:
  id: qkv
  title: Queries, Keys and Values
  course: ML
  module: Module 2
  number: 5
  of: 11
  minutes: 10
slides:
  - title: Attention as a formula
    notes: The formula.
    body:
      - text: 'Scores $QK^\top$ are scaled by $\sqrt{d_k}$; a coffee costs \$3.'
      - math: '\mathrm{softmax}\left(\frac{QK^\top}{\sqrt{d_k}}\right)V'
      - math:
          tex: '\sum_{i=1}^{n} \alpha_i = 1, \quad \hat{\mathbf{y}} = \begin{pmatrix} a & b \\ c & d \end{pmatrix} \mathbf{x}'
          caption: Weights sum to one.
"""


def _build(tmp_path: Path, spec: str, out: str = "build") -> subprocess.CompletedProcess:
    return build_spec(tmp_path, "qkv", spec, out=out)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("math")
    proc = _build(tmp, SPEC)
    assert proc.returncode == 0, proc.stderr
    return tmp / "build" / "qkv"


def _slide_xml(pptx: Path, n: int):
    with zipfile.ZipFile(pptx) as z:
        return etree.fromstring(z.read(f"ppt/slides/slide{n}.xml")), z


@pytest.mark.parametrize("tex,message,offset", [
    (r"\foo + x", r"unknown command \foo", 0),
    (r"\alpah", r"did you mean \alpha", 0),
    (r"\frac{a}{b", "'{' is never closed", 8),
    (r"a}", "'}' without a matching '{'", 1),
    (r"\left( x", r"\left without a matching \right", 0),
    (r"\begin{foo} x \end{foo}", "needs one of the environments", 0),
    (r"a & b", "only separates cells", 2),
    (r"x^", "'^' needs something after it", 1),
])
def test_tex_outside_the_subset_is_refused_where_it_is(tex, message, offset):
    with pytest.raises(TexError) as e:
        check_tex(tex)
    assert message in str(e.value) and e.value.offset == offset


def test_pptx_has_office_math_with_the_right_structure(built):
    root, _ = _slide_xml(built / "qkv.pptx", 1)
    choices = root.findall(".//mc:AlternateContent/mc:Choice", NS)
    assert len(choices) == 3                                # the text with inline math, two display formulas
    assert all("a14" in c.get("Requires").split() for c in choices)
    display = root.findall(".//mc:Choice//a14:m/m:oMathPara/m:oMath", NS)
    assert len(display) == 2
    soft = display[0]
    frac = soft.find(".//m:d/m:e/m:f", NS)                  # softmax( QK^T / sqrt(d_k) )
    assert frac is not None
    assert [t.text for t in frac.findall("m:num//m:t", NS)] == ["Q", "K", "\u22a4"]
    assert frac.find("m:num/m:sSup/m:sup", NS) is not None
    rad = frac.find("m:den/m:rad", NS)
    assert rad is not None and rad.find("m:e/m:sSub/m:sub//m:t", NS).text == "k"
    assert "".join(t.text for t in soft.findall("m:r/m:t", NS))[:7] == "softmax"
    nary = display[1].find(".//m:nary", NS)
    assert nary.find("m:naryPr/m:chr", NS).get(f"{{{NS['m']}}}val") == "\u2211"
    assert [t.text for t in nary.findall("m:sub//m:t", NS)] == ["i", "=", "1"]
    assert [t.text for t in nary.findall("m:sup//m:t", NS)] == ["n"]
    matrix = display[1].find(".//m:d/m:e/m:m", NS)
    assert [[t.text for t in row.findall(".//m:t", NS)] for row in matrix.findall("m:mr", NS)] == [["a", "b"], ["c", "d"]]
    assert display[1].find(".//m:acc/m:accPr/m:chr", NS) is not None      # \hat
    inline = root.findall(".//mc:Choice//a:p/a14:m/m:oMath", NS)
    assert len(inline) == 2


def test_every_formula_has_a_fallback_picture_and_text(built):
    root, z = _slide_xml(built / "qkv.pptx", 1)
    with zipfile.ZipFile(built / "qkv.pptx") as z:
        rels = etree.fromstring(z.read("ppt/slides/_rels/slide1.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        fallbacks = root.findall(".//mc:AlternateContent/mc:Fallback", NS)
        blips = [f.find(".//a:blipFill/a:blip", NS) for f in fallbacks]
        pictures = [b for b in blips if b is not None]
        assert len(pictures) == 2
        for b in pictures:
            png = z.read("ppt/" + targets[b.get(f"{{{NS['r']}}}embed")].removeprefix("../"))
            assert png.startswith(b"\x89PNG")
    text_fallback = "".join(t.text for t in fallbacks[0].findall(".//a:t", NS))
    assert "QK" in text_fallback and "$3" in text_fallback and "\\" not in text_fallback


def test_pdf_draws_formulas_as_vector_paths_with_their_tex_as_text(built):
    pdf = built / "qkv.pdf"
    text = subprocess.run([require_tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True,
                          text=True).stdout
    assert r"\mathrm{softmax}\left(\frac{QK^\top}{\sqrt{d_k}}\right)V" in text
    assert "a coffee costs $3." in text
    images = subprocess.run([require_tool("pdfimages"), "-list", str(pdf)], capture_output=True, text=True).stdout
    assert len(images.strip().splitlines()) == 2            # the header only: no raster anywhere
    data = pdf.read_bytes()
    content = b""
    for m in re.finditer(rb"/Length (\d+)[^>]*>>\s*stream\r?\n", data):
        raw = data[m.end():m.end() + int(m.group(1))]
        if raw.rstrip().endswith(b"~>"):                    # reportlab: ASCII85, then Flate
            raw = base64.a85decode(raw.rstrip()[:-2].replace(b"\n", b""))
        try:
            content += zlib.decompress(raw)
        except zlib.error:
            content += raw
    assert content.count(b" c\n") + content.count(b" c ") > 200     # glyph curves
    assert re.search(rb"\b3 Tr\b", content)                             # the TeX, invisible


def test_libreoffice_shows_the_formulas(built, tmp_path):
    require_tool("soffice")
    require_tool("pdftoppm")
    pdf = libreoffice_pdf(built / "qkv.pptx", tmp_path)
    subprocess.run(["pdftoppm", "-r", "40", "-gray", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")], check=True)
    page = next(tmp_path.glob("p*.pgm")).read_bytes()
    w, h = (int(v) for v in page.split(b"\n")[1].split())
    pixels = page[-w * h:]
    # the display formulas sit in the middle of the slide: there must be ink there
    band = [pixels[y * w + x] for y in range(int(h * 0.3), int(h * 0.6)) for x in range(w)]
    assert sum(1 for v in band if v < 128) > 300


def test_bad_formulas_are_located_errors_and_nothing_is_built(tmp_path):
    spec = SPEC.replace(r"\mathrm{softmax}", r"\foo").replace(r"\sqrt{d_k}$;", r"\alpah$;")
    proc = _build(tmp_path, spec)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    rows = spec.splitlines()                    # each problem at its command's own column
    foo, alpah = rows[13].index("\\foo") + 1, rows[12].index("\\alpah") + 1
    assert any(ln.startswith(f"lesson/qkv.yaml:14:{foo}: slides[0].body[1].math: unknown command \\foo")
               for ln in lines)
    assert any(ln.startswith(f"lesson/qkv.yaml:13:{alpah}: slides[0].body[0].text: in the math: "
                             "unknown command \\alpah; did you mean \\alpha") for ln in lines)
    assert not (tmp_path / "build" / "qkv").exists()


def test_math_builds_are_byte_identical(built, tmp_path):
    proc = _build(tmp_path, SPEC, out="again")
    assert proc.returncode == 0
    for name in ("qkv.pptx", "qkv.pdf"):
        assert (tmp_path / "again" / "qkv" / name).read_bytes() == (built / name).read_bytes()


# Each spec puts `\foo` somewhere in a formula; `at` is the LINE:COL of its backslash in the spec.
_STYLES = {
    "plain": ("math: x + \\foo{y}\n", "1:11"),
    "single quotes": ("math: 'it''s \\foo'\n", "1:14"),
    "double quotes": ('math: "\\\\alpha + \\\\foo"\n', "1:18"),
    "literal block": ("math: |\n  x +\n    \\alpha\n  + \\foo\n", "4:5"),
    "folded block": ("math: >-\n    a\n    b \\foo\n", "3:7"),
    "multi-line plain": ("math: a +\n  b + \\foo\n", "2:7"),
    "in a mapping": ("slide:\n  math: {tex: 'a \\foo'}\n", "2:18"),
}


@pytest.mark.parametrize("name", list(_STYLES))
def test_tex_errors_point_at_the_command_inside_the_yaml_string(name):
    from deckc.diagnostics import Diagnostics
    from deckc.spec.block_specs import MathSpec
    from deckc.spec.schema import Ctx
    from deckc.spec.yaml_source import load_yaml

    text, at = _STYLES[name]
    diags = Diagnostics("lesson.yaml")
    root = load_yaml(text.encode(), diags)
    node = root.value[next(iter(root.value))][1]
    if node.kind == "map":
        node = node.value["math"][1]
    MathSpec().check(node, "slides[2].body[0].math", Ctx(diags))
    assert len(diags.items) == 1
    assert re.match(rf"lesson\.yaml:{at}: slides\[2\]\.body\[0\]\.math(\.tex)?: unknown command \\foo ",
                    str(diags.items[0]))
    line, col = (int(v) for v in at.split(":"))          # and that is where the backslash is
    assert text.splitlines()[line - 1][col - 1:].startswith(("\\foo", "\\\\foo"))
