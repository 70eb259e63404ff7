"""Colour emoji in the PDF, read back from outside: each emoji a vector Form XObject painted from
the COLRv1 font's layers (fills, gradients; no raster), sequences as one glyph, the text still
copying out as the emoji typed, and the monochrome font with a warning where the colour font has
no glyph (flags)."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ContentStream

from conftest import build_spec, require_tool

LESSON = """lesson:
  id: emoji
  title: Emoji
  course: ML
  module: M
  number: 1
  of: 1
  minutes: 1
slides:
  - title: Faces
    notes: n
    body:
      - text: "Coder 👩‍💻, keycap 1️⃣, flag 🇺🇸, rocket 🚀, target 🎯"
      - text: "⏱️ Aim 🎯 here"
"""


def _forms(reader: PdfReader, page) -> dict:
    xobjects = page["/Resources"].get("/XObject") or {}
    return {str(k): v.get_object() for k, v in xobjects.items() if "DeckcEmoji" in str(k)}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("emoji")
    proc = build_spec(tmp, "emoji", LESSON, "--format", "pdf")
    assert proc.returncode == 0, proc.stderr
    return tmp / "build" / "emoji" / "emoji.pdf", proc.stderr


def test_emoji_are_vector_forms_painted_in_colour(built):
    pdf, _ = built
    reader = PdfReader(str(pdf))
    page = reader.pages[0]
    forms = _forms(reader, page)
    # 👩‍💻 (a ZWJ sequence), 1️⃣ (a keycap), 🚀, 🎯, ⏱️: one glyph each; the flag has no colour glyph
    assert len(forms) == 5, sorted(forms)
    used = [args[0] for args, op in ContentStream(page.get_contents(), reader).operations if op == b"Do"]
    assert sorted(set(str(u) for u in used)) == sorted(forms)
    ops = set()
    for form in forms.values():
        assert form["/Subtype"] == "/Form"
        ops |= {op for _, op in ContentStream(form, reader).operations}
    assert {b"rg", b"f", b"W", b"sh"} <= ops          # colour fills, clips, gradients (the rocket's)
    assert b"Do" not in ops and b"BI" not in ops        # no picture inside
    assert not [k for k in (page["/Resources"].get("/XObject") or {}).values()
                if k.get_object().get("/Subtype") == "/Image"]


def test_emoji_still_copy_out_as_typed(built):
    pdf, _ = built
    text = subprocess.run([require_tool("pdftotext"), str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    for emoji in ("👩\u200d💻", "1\ufe0f\u20e3", "🇺🇸", "🚀", "🎯"):
        assert emoji in text, emoji


def test_an_emoji_without_colour_glyph_is_drawn_in_monochrome_with_a_warning(built):
    _, stderr = built
    assert "the colour emoji font has no glyph for '🇺🇸'" in stderr and "monochrome" in stderr
    assert stderr.count("warning") == 1, stderr


def test_the_seed_title_slide_shows_the_colours(seed_build, tmp_path):
    """The dartboard 🎯 is red: a page drawn in the monochrome font has no red pixel at all."""
    require_tool("pdftoppm")
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(seed_build / "the-sequence-problem.pdf"),
                    str(tmp_path / "p")], check=True)
    png = next(tmp_path.glob("p*.png"))
    px = np.asarray(Image.open(png).convert("RGB")).astype(int)
    red = int(((px[..., 0] > 180) & (px[..., 1] < 100) & (px[..., 2] < 100)).sum())
    assert red >= 10, red


def test_each_colour_glyph_sits_on_its_text(built, tmp_path):
    """The painted 🎯 (red) lies where its invisible text is (what search highlights and copy
    selects): after a ⏱️ (U+FE0F has no width) it was drawn one emoji too far right."""
    import re

    pdf, _ = built
    bbox = subprocess.run([require_tool("pdftotext"), "-bbox", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', bbox)
    x0, y0, x1, y1 = [tuple(map(float, w[:4])) for w in words if w[4] == "🎯"][-1]     # the second line's
    dpi = 288
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")], check=True)
    px = np.asarray(Image.open(next(tmp_path.glob("p*.png"))).convert("RGB")).astype(int)
    k = dpi / 72
    band = px[int(y0 * k):int(y1 * k) + 1]
    red = (band[..., 0] > 180) & (band[..., 1] < 100) & (band[..., 2] < 100)
    cols = np.nonzero(red.any(axis=0))[0]
    assert len(cols) > 10
    assert x0 - 1 <= cols.min() / k and cols.max() / k <= x1 + 1, (cols.min() / k, cols.max() / k, x0, x1)
