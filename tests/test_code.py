"""Code listings (`- code:`) and inline code: highlighted runs, exact indentation in both decks.

Read back from outside: the PPTX's runs (colours, the text of each line), `pdftotext -layout`
of the PDF (the listing must come out as runnable Python), the shading of highlighted lines, the
warning for a line too long even at the minimum size, and located errors."""
from __future__ import annotations

import re
import subprocess
import textwrap
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from conftest import build_spec, libreoffice_pdf, require_tool

A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
SOURCE = ("def attention(Q, K, V, mask=None):\n"
          "    d = Q.shape[-1]\n"
          "    scores = Q @ K.T / np.sqrt(d)   # (n, n)\n"
          "    if mask is not None:\n"
          "    \tscores = np.where(mask, scores, -1e9)\n"     # a tab: to the next 4-column stop
          "    w = softmax(scores, axis=-1)\n"
          "    return w @ V, w\n")
EXPANDED = SOURCE.expandtabs(4)


def spec(source: str = SOURCE, lang: str = "python", highlight: str = "[3, 4]", extra: str = "") -> str:
    body = textwrap.indent(source, " " * 12)
    return f"""lesson:
  id: code
  title: Code
  course: ML
  module: M
  number: 1
  of: 2
  minutes: 3
slides:
  - title: Attention in numpy
    notes: The listing.
    body:
      - code:
          lang: {lang}
          highlight: {highlight}
          caption: Single-head attention.
          source: |
{body}{extra}"""


def build(tmp: Path, text: str) -> subprocess.CompletedProcess:
    return build_spec(tmp, "code", text, "--format", "pptx,pdf")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("code")
    proc = build(tmp, spec(extra="      - text: \"Inline, indented after a break:\\n`    return w @ V`\"\n"))
    assert proc.returncode == 0 and "warning" not in proc.stderr, proc.stderr
    return tmp / "build" / "code"


def _code_shape(pptx: Path):
    with zipfile.ZipFile(pptx) as z:
        root = etree.fromstring(z.read("ppt/slides/slide1.xml"))
    shapes = {sp.find(f"{P}nvSpPr/{P}cNvPr").get("name"): sp for sp in root.iter(f"{P}sp")}
    return shapes


def test_pptx_listing_is_coloured_runs_with_exact_indentation(built):
    shapes = _code_shape(built / "code.pptx")
    code = shapes["slide1.body.0.code"]
    lines, colours, faces = [], set(), set()
    for p in code.iter(f"{A}p"):
        runs = p.findall(f"{A}r")
        lines.append("".join(r.find(f"{A}t").text or "" for r in runs))
        for r in runs:
            colours.add(r.find(f"{A}rPr/{A}solidFill/{A}srgbClr").get("val"))
            faces.add(r.find(f"{A}rPr/{A}latin").get("typeface"))
    assert "\n".join(lines) + "\n" == EXPANDED
    assert faces == {"Courier New"}           # metric twin of the shipped Liberation Mono
    assert len(colours) >= 4                   # keywords, names, numbers, comments, plain text...
    compile("\n".join(lines), "<pptx>", "exec")


def test_highlighted_lines_are_shaded(built):
    shapes = _code_shape(built / "code.pptx")
    shaded = sorted(n for n in shapes if "code-highlight" in n)
    assert shaded == ["slide1.body.0.code-highlight3", "slide1.body.0.code-highlight4"]


def test_pdf_text_of_the_listing_runs(built):
    out = subprocess.run([require_tool("pdftotext"), "-layout", str(built / "code.pdf"), "-"],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    start = next(i for i, ln in enumerate(out) if "def attention" in ln)
    margin = out[start].index("def")
    listing = [ln[margin:].rstrip() for ln in out[start:start + 7]]
    assert "\n".join(listing) + "\n" == EXPANDED
    namespace: dict = {}
    exec(compile("\n".join(listing), "<pdf>", "exec"), namespace)
    assert "attention" in namespace
    label = next(i for i, ln in enumerate(out) if "Inline, indented" in ln)
    inline = out[label + 1]
    assert inline.strip() == "return w @ V"
    assert inline.index("return") - out[label].index("Inline") >= 4   # its indentation survived


def test_a_line_too_long_continues_with_a_mark_and_a_warning_at_the_code_size(tmp_path):
    long = "x = " + " + ".join(f"value_{i}" for i in range(40)) + "\n"
    proc = build(tmp_path, spec(source=SOURCE + long, highlight="[8]"))
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"lesson/code\.yaml:\d+:1: warning: slides\[0\]: .*1 code line is too long.*'→'", proc.stderr)
    shapes = _code_shape(tmp_path / "build" / "code" / "code.pptx")
    lines = ["".join(t.text or "" for t in p.iter(f"{A}t")) for p in shapes["slide1.body.0.code"].iter(f"{A}p")]
    assert lines[7].startswith("x = value_0") and lines[8].startswith("→ ")
    assert "".join([lines[7]] + [ln[2:] for ln in lines[8:]]) == long.rstrip("\n")
    sizes = {r.get("sz") for r in shapes["slide1.body.0.code"].iter(f"{A}rPr")}
    assert sizes == {"1600"}      # the type scale's code size: a long line wraps, it never shrinks the listing


def test_bad_listings_are_located_errors(tmp_path):
    proc = build(tmp_path, spec(lang="pyhton", highlight="[3, 40]"))
    assert proc.returncode == 2
    assert re.search(r"code\.yaml:14:17: slides\[0\]\.body\[0\]\.code\.lang: unknown language 'pyhton'; "
                     r"did you mean 'python'", proc.stderr), proc.stderr
    assert not (tmp_path / "build" / "code").exists()
    proc = build(tmp_path, spec(highlight="[3, 40]"))
    assert proc.returncode == 2
    assert re.search(r"code\.yaml:15:\d+: slides\[0\]\.body\[0\]\.code\.highlight\[1\]: line 40 is past the end "
                     r"of the listing \(7 lines\)", proc.stderr), proc.stderr


def test_libreoffice_keeps_a_long_listing_line_on_one_line(tmp_path):
    """A display line the plan fitted ends exactly at the box's edge: the PPTX must tell renderers not
    to wrap again (LibreOffice did, running the listing out of its box). Since the type scale (issue
    15) the listing keeps its size and the line continues after a '→' mark, as the plan says."""
    require_tool("pdftotext")
    long = "    return 'a very long line that goes" + " on and" * 12 + " on'\n"
    proc = build(tmp_path, spec(source="def f(x):\n" + long + "    return 0\n", highlight="[]"))
    assert proc.returncode == 0, proc.stderr
    code = _code_shape(tmp_path / "build" / "code" / "code.pptx")["slide1.body.0.code"]
    assert code.find(f"{P}txBody/{A}bodyPr").get("wrap") == "none"
    pdf = libreoffice_pdf(tmp_path / "build" / "code" / "code.pptx", tmp_path / "lo")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    shown = ["".join(t.text or "" for t in p.iter(f"{A}t")) for p in code.iter(f"{A}p")]
    assert len(shown) == 4 and shown[2].startswith("→ ")          # the plan's two display lines for it
    words = [" ".join(ln.split()) for ln in text.splitlines() if ln.strip()]
    first = words.index(next(ln for ln in words if "very long line" in ln))
    assert words[first:first + 2] == [" ".join(ln.split()) for ln in shown[1:3]], (shown, words)
