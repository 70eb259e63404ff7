"""PPTX runs read back: each names its language (`lang`), and faces that have its script (Arabic
in a:cs, Japanese and Korean in a:ea); right-to-left paragraphs are rtl="1"; decoration carries
Office's decorative flag rather than words."""
from __future__ import annotations

import re
import zipfile

import pytest

from conftest import build_spec

A = "http://schemas.openxmlformats.org/drawingml/2006/main"
LESSON = """lesson:
  id: langs
  title: Languages
  course: ML
  module: M
  number: 1
  of: 1
  minutes: 5
  language: de
slides:
  - title: Wörter
    notes: n
    body:
      - text: Das Wort كتاب heißt Buch.
      - text: مرحبا بالعالم
      - text: 日本語の本 und 한국어 und 中文
      - text: "Pfeil ⇒ Ziel"
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from lxml import etree

    tmp = tmp_path_factory.mktemp("langs")
    proc = build_spec(tmp, "langs", LESSON, "--format", "pptx")
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(tmp / "build" / "langs" / "langs.pptx") as z:
        xml = z.read("ppt/slides/slide1.xml")
    root = etree.fromstring(xml)
    out = []
    for p in root.iter(f"{{{A}}}p"):
        ppr = p.find(f"{{{A}}}pPr")
        for r in p.iter(f"{{{A}}}r"):
            rpr = r.find(f"{{{A}}}rPr")
            faces = {k: rpr.find(f"{{{A}}}{k}").get("typeface") for k in ("latin", "ea", "cs")}
            out.append((r.findtext(f"{{{A}}}t"), rpr.get("lang"), faces, ppr is not None and ppr.get("rtl") == "1"))
    return out, xml.decode("utf-8")


def _run(runs, text):
    return next(r for r in runs if r[0].strip() == text)


def test_every_run_names_its_language(runs):
    runs, _ = runs
    assert all(lang for _, lang, _, _ in runs)
    assert _run(runs, "Das Wort")[1] == "de-DE"
    assert _run(runs, "كتاب")[1] == "ar-SA"
    assert _run(runs, "日本語の本")[1] == "ja-JP"
    assert _run(runs, "한국어")[1] == "ko-KR"
    assert _run(runs, "中文")[1] == "zh-CN"


def test_faces_have_the_runs_script(runs):
    runs, _ = runs
    arabic = _run(runs, "كتاب")[2]
    assert arabic["cs"] == "Tahoma" and "Segoe UI Symbol" not in arabic.values()
    assert _run(runs, "日本語の本")[2]["ea"] == "Yu Gothic"
    assert _run(runs, "한국어")[2]["ea"] == "Malgun Gothic"
    assert _run(runs, "中文")[2]["ea"] == "Microsoft YaHei"
    assert _run(runs, "Das Wort")[2]["latin"] == "Arial"
    assert _run(runs, "⇒")[2]["latin"] == "Segoe UI Symbol"       # a symbol Arial lacks keeps its face


def test_right_to_left_paragraphs_say_so(runs):
    runs, _ = runs
    assert _run(runs, "مرحبا")[3] is True and _run(runs, "بالعالم")[1] == "ar-SA"
    assert _run(runs, "Das Wort")[3] is False           # a German sentence with an Arabic word stays LTR


def test_decoration_is_flagged_not_described(seed_build):
    with zipfile.ZipFile(seed_build / "the-sequence-problem.pptx") as z:
        xml = z.read("ppt/slides/slide1.xml").decode("utf-8")
    band = re.search(r'<p:cNvPr id="\d+" name="slide1\.band"[^>]*>(.*?)</p:cNvPr>', xml, re.S)
    assert band and '<adec:decorative xmlns:adec="http://schemas.microsoft.com/office/drawing/2017/decorative" ' \
                     'val="1"/>' in band.group(1)
    assert "Decorative" not in xml
