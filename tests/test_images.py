"""Figures (`- image:`): PNG, JPEG and SVG into both decks, and every way a bad image is refused.

Read back from outside: the PPTX pictures (descr, decorative flag, svgBlip with its PNG fallback,
aspect ratio), the PDF (raster images listed by pdfimages, the SVG drawn as vector operators, only
embedded fonts), an image edit rebuilding the lesson, and exit 2 with a located message for paths
that leave the course, non-images, decompression bombs and SVGs with external references."""
from __future__ import annotations

import os
import re
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

from conftest import build_spec, require_tool

A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 200">'
       '<rect x="10" y="10" width="120" height="60" fill="#fde68a" stroke="#b45309" stroke-width="3"/>'
       '<text x="70" y="47" font-family="Arial" font-size="20" text-anchor="middle">Query</text>'
       '<path d="M130 40 C 200 40, 200 140, 270 140" stroke="#1f2a44" stroke-width="4" fill="none"/></svg>')


def spec(images: str) -> str:
    return f"""lesson:
  id: img
  title: Images
  course: ML
  module: M
  number: 1
  of: 2
  minutes: 3
slides:
  - title: Figures
    notes: The figures.
    body:
{images}"""


GOOD = """      - columns:
          - body:
              - image: {src: figures/wide.png, alt: A blue circle, caption: A PNG.}
              - image: {src: figures/photo.jpg, decorative: true}
          - body:
              - image: {src: figures/diagram.svg, alt: Query flows to the key}
"""


def course(tmp: Path) -> Path:
    (tmp / "lesson" / "figures").mkdir(parents=True)
    im = Image.new("RGB", (640, 320), "#dde6f5")
    im.save(tmp / "lesson" / "figures" / "wide.png")
    Image.new("RGB", (300, 400), "#2b6cb0").save(tmp / "lesson" / "figures" / "photo.jpg", quality=80)
    (tmp / "lesson" / "figures" / "diagram.svg").write_text(SVG, encoding="utf-8")
    return tmp


def build(tmp: Path, text: str) -> subprocess.CompletedProcess:
    return build_spec(tmp, "img", text, "--format", "pptx,pdf")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = course(tmp_path_factory.mktemp("img"))
    proc = build(tmp, spec(GOOD))
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr
    return tmp


def test_pptx_pictures_have_alt_text_and_keep_their_aspect(built):
    with zipfile.ZipFile(built / "build" / "img" / "img.pptx") as z:
        root = etree.fromstring(z.read("ppt/slides/slide1.xml"))
        rels = {r.get("Id"): r.get("Target") for r in etree.fromstring(z.read("ppt/slides/_rels/slide1.xml.rels"))}
        pics = {p.find(f"{P}nvPicPr/{P}cNvPr").get("name"): p for p in root.iter(f"{P}pic")}
        assert len(pics) == 3
        png = pics["slide1.body.0.col1.0.image"]
        assert png.find(f"{P}nvPicPr/{P}cNvPr").get("descr") == "A blue circle"
        ext = png.find(f"{P}spPr/{A}xfrm/{A}ext")
        assert abs(int(ext.get("cx")) / int(ext.get("cy")) - 2.0) < 0.01
        jpg = pics["slide1.body.0.col1.1.image"]
        assert jpg.find(f"{P}nvPicPr/{P}cNvPr").get("descr") == ""
        assert b"decorative" in etree.tostring(jpg.find(f"{P}nvPicPr/{P}cNvPr"))
        svg = pics["slide1.body.0.col2.0.image"]
        blip = svg.find(f"{P}blipFill/{A}blip")
        svg_blip = blip.find(f"{A}extLst/{A}ext/{{http://schemas.microsoft.com/office/drawing/2016/SVG/main}}svgBlip")
        fallback, vector = rels[blip.get(f"{R}embed")], rels[svg_blip.get(f"{R}embed")]
        assert fallback.endswith(".png") and vector.endswith(".svg")
        assert z.read("ppt/" + vector.removeprefix("../")).decode() == SVG
        assert z.read("ppt/" + fallback.removeprefix("../")).startswith(b"\x89PNG")
        assert 'ContentType="image/svg+xml"' in z.read("[Content_Types].xml").decode()


def test_pdf_keeps_the_svg_vector_and_embeds_only_shipped_fonts(built):
    pdf = built / "build" / "img" / "img.pdf"
    images = subprocess.run([require_tool("pdfimages"), "-list", str(pdf)], capture_output=True, text=True).stdout
    kinds = [ln.split()[2:4] + [ln.split()[8]] for ln in images.strip().splitlines()[2:]]
    assert [k[2] for k in kinds] == ["image", "jpeg"]           # the PNG and the JPEG; the SVG is no raster
    fonts = subprocess.run([require_tool("pdffonts"), str(pdf)], capture_output=True, text=True).stdout
    rows = fonts.strip().splitlines()[2:]
    assert rows and all(" yes yes yes " in r and "Liberation" in r for r in rows), fonts
    text = subprocess.run([require_tool("pdftotext"), str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Query" in text and "A blue circle" in text            # SVG text as text; the alt text


def test_an_image_edit_rebuilds_the_lesson(built):
    assert "up to date" in build(built, spec(GOOD)).stdout
    before = (built / "build" / "img" / "img.pdf").read_bytes()
    (built / "lesson" / "figures" / "diagram.svg").write_text(SVG.replace("#fde68a", "#fca5a5"), encoding="utf-8")
    proc = build(built, spec(GOOD))
    assert "built img" in proc.stdout and (built / "build" / "img" / "img.pdf").read_bytes() != before


def _bomb_png(path: Path, side: int = 20000) -> None:
    """A real, valid 20000 x 20000 1-bit PNG: 50 MB of pixels that compress to ~50 KB."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    row = b"\0" + b"\0" * (side // 8)
    comp = zlib.compressobj(9)
    idat = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
                     + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def test_bad_images_are_located_errors(tmp_path):
    tmp = course(tmp_path)
    figs = tmp / "lesson" / "figures"
    _bomb_png(figs / "bomb.png")
    (figs / "notes.png").write_text("not an image", encoding="utf-8")
    (figs / "leak.svg").write_text(SVG.replace("</svg>", '<image href="file:///etc/passwd" width="9" height="9"/>'
                                               '</svg>'), encoding="utf-8")
    (figs / "entity.svg").write_text('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                                     + SVG.replace("Query", "&x;"), encoding="utf-8")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.png"
    Image.new("RGB", (4, 4)).save(outside)
    os.symlink(outside, figs / "link.png")
    bad = [("figures/bomb.png", "is 20000x20000 pixels"), ("figures/notes.png", "is not a PNG, JPEG or SVG"),
           ("figures/leak.svg", "external reference"), ("figures/entity.svg", "DOCTYPE"),
           ("../../etc/passwd", "leads outside the course folder"), ("/etc/hostname", "absolute path"),
           ("figures/link.png", "is a symlink to"), ("figures/missing.png", "no file")]
    body = "".join(f"      - image: {{src: '{src}', alt: x}}\n" for src, _ in bad)
    body += "      - image: {src: figures/wide.png}\n"
    proc = build(tmp, spec(body))
    assert proc.returncode == 2, proc.stderr
    for i, (src, message) in enumerate(bad):
        assert re.search(rf"lesson/img\.yaml:{13 + i}:\d+: slides\[0\]\.body\[{i}\]\.image\.src: .*{re.escape(message)}",
                         proc.stderr), (src, proc.stderr)
    assert re.search(r"img\.yaml:21:\d+: slides\[0\]\.body\[8\]\.image: missing 'alt'", proc.stderr)
    assert not (tmp / "build" / "img").exists()
    outside.unlink()
