"""Charts of the lecturer's own numbers (kinds line, bar, heatmap; inline data or a CSV file):
native charts in the PPTX holding exactly the given numbers, the CSV beside the deck, a CSV edit
rebuilding the lesson, and located errors for numbers that do not fit together."""
from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from conftest import build_spec

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
SPEC = """lesson:
  id: ch
  title: Charts
  course: ML
  module: M
  number: 1
  of: 2
  minutes: 3
slides:
  - title: Own data
    notes: Numbers.
    body:
      - columns:
          - body:
              - chart: {kind: line, csv: data/loss.csv, x_label: epoch, y_label: loss, title: Loss curves}
          - body:
              - chart:
                  kind: bar
                  title: Accuracy
                  data: {x: [RNN, LSTM, Transformer], series: {dev: [0.71, 0.78, 0.86]}}
  - title: A heatmap
    notes: Weights.
    body:
      - chart:
          kind: heatmap
          title: Attention
          data: {rows: [the, cat], cols: [the, cat, sat], values: [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1]]}
"""
CSV = "epoch,train,test\n1,0.9,1.0\n2,0.5,0.7\n3,0.3,0.6\n"


def build(tmp: Path, spec: str) -> subprocess.CompletedProcess:
    (tmp / "lesson" / "data").mkdir(parents=True, exist_ok=True)
    return build_spec(tmp, "ch", spec, "--format", "pptx,pdf,charts")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("charts")
    (tmp / "lesson" / "data").mkdir(parents=True)
    (tmp / "lesson" / "data" / "loss.csv").write_text(CSV, encoding="utf-8")
    proc = build(tmp, SPEC)
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr
    return tmp


def _charts(pptx: Path) -> dict[str, list]:
    out = {}
    with zipfile.ZipFile(pptx) as z:
        for name in sorted(n for n in z.namelist() if re.fullmatch(r"ppt/charts/chart\d+\.xml", n)):
            root = etree.fromstring(z.read(name))
            kind = next(el.tag.replace(C, "") for el in root.iter() if el.tag in (f"{C}lineChart", f"{C}barChart"))
            series = [(s.find(f"{C}tx//{C}v").text, [float(v.text) for v in s.findall(f"{C}val//{C}pt/{C}v")],
                       [c.text for c in s.findall(f"{C}cat//{C}pt/{C}v")]) for s in root.iter(f"{C}ser")]
            out[kind] = series
    return out


def test_native_charts_hold_the_given_numbers(course):
    charts = _charts(course / "build" / "ch" / "ch.pptx")
    assert charts["lineChart"] == [("train", [0.9, 0.5, 0.3], ["1", "2", "3"]), ("test", [1.0, 0.7, 0.6], ["1", "2", "3"])]
    assert charts["barChart"] == [("dev", [0.71, 0.78, 0.86], ["RNN", "LSTM", "Transformer"])]


def test_heatmap_and_csv_files_beside_the_deck(course):
    with zipfile.ZipFile(course / "build" / "ch" / "ch.pptx") as z:
        slide = etree.fromstring(z.read("ppt/slides/slide2.xml"))
    # a native table holding the numbers (issue 15), not a shape (and a descr) per cell
    A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
    cells = [["".join(t.text or "" for t in tc.iter(f"{A}t")) for tc in tr.iter(f"{A}tc")]
             for tr in slide.iter(f"{A}tr")]
    assert cells == [["", "the", "cat", "sat"], ["the", "0.80", "0.10", "0.10"], ["cat", "0.20", "0.70", "0.10"]]
    assert not [e for e in slide.iter() if e.get("descr", "").startswith(("the / ", "cat / "))]
    files = sorted(p.name for p in (course / "build" / "ch" / "charts").iterdir())
    assert len(files) == 3
    loss = next(p for p in (course / "build" / "ch" / "charts").iterdir() if p.name.startswith("loss-curves"))
    assert loss.read_text().splitlines() == ["epoch,train,test", "1,0.9,1.0", "2,0.5,0.7", "3,0.3,0.6"]


def test_a_csv_edit_rebuilds_the_lesson(course):
    assert "up to date" in build(course, SPEC).stdout
    (course / "lesson" / "data" / "loss.csv").write_text(CSV.replace("0.3,0.6", "0.25,0.6"), encoding="utf-8")
    assert "built ch" in build(course, SPEC).stdout
    assert _charts(course / "build" / "ch" / "ch.pptx")["lineChart"][0][1] == [0.9, 0.5, 0.25]


def test_numbers_that_do_not_fit_are_located_errors(tmp_path):
    spec = (SPEC.replace("dev: [0.71, 0.78, 0.86]", "dev: [0.71, 0.78]")
                .replace("values: [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1]]", "values: [[0.8, 0.1, 0.1], [0.2, 0.7, x]]"))
    spec += "      - chart: {kind: bar, title: nothing}\n"
    proc = build(tmp_path, spec)
    assert proc.returncode == 2
    err = proc.stderr
    assert re.search(r"ch\.yaml:20:\d+: .*\.chart\.data: series 'dev' has 2 values but x has 3", err), err
    assert re.search(r"ch\.yaml:27:\d+: slides\[1\]\.body\[0\]\.chart\.data\.values\[1\]\[2\]: expected a number", err)
    assert re.search(r"ch\.yaml:28:\d+: slides\[1\]\.body\[1\]\.chart: a 'bar' chart needs its numbers", err)


def test_bad_csv_files_are_located_errors(tmp_path):
    (tmp_path / "lesson" / "data").mkdir(parents=True)
    (tmp_path / "lesson" / "data" / "bad.csv").write_text("x,a\n1,2\n2,oops\n", encoding="utf-8")
    spec = SPEC.replace("csv: data/loss.csv", "csv: data/bad.csv") + "      - chart: {kind: line, csv: ../../secret.csv}\n"
    proc = build(tmp_path, spec)
    assert proc.returncode == 2
    err = proc.stderr
    assert re.search(r"ch\.yaml:15:\d+: slides\[0\]\.body\[0\]\.columns\[0\]\.body\[0\]\.chart\.csv: "
                     r"data/bad\.csv: row 3, column 'a': expected a number, got 'oops'", err), err
    assert re.search(r"ch\.yaml:28:\d+: slides\[1\]\.body\[1\]\.chart\.csv: .*leads outside the course folder", err), err


def test_scatter_is_a_native_xy_chart_on_a_number_axis(tmp_path):
    spec = SPEC.split("  - title: A heatmap")[0].replace(
        "chart: {kind: line, csv: data/loss.csv, x_label: epoch, y_label: loss, title: Loss curves}",
        "chart: {kind: scatter, title: Width, data: {x: [16, 32, 300], series: {loss: [0.9, 0.7, 0.44]}}}")
    proc = build(tmp_path, spec)
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(tmp_path / "build" / "ch" / "ch.pptx") as z:
        xml = [etree.fromstring(z.read(n)) for n in z.namelist() if re.fullmatch(r"ppt/charts/chart\d+\.xml", n)]
    scatter = next(r for r in xml if r.find(f".//{C}scatterChart") is not None)
    ser = scatter.find(f".//{C}scatterChart/{C}ser")
    assert [float(v.text) for v in ser.findall(f"{C}xVal//{C}pt/{C}v")] == [16.0, 32.0, 300.0]
    assert [float(v.text) for v in ser.findall(f"{C}yVal//{C}pt/{C}v")] == [0.9, 0.7, 0.44]
    assert ser.find(f"{C}spPr/{{http://schemas.openxmlformats.org/drawingml/2006/main}}ln/"
                    f"{{http://schemas.openxmlformats.org/drawingml/2006/main}}noFill") is not None   # points only
    bad = spec.replace("x: [16, 32, 300]", "x: [16, wide, 300]")
    proc = build(tmp_path, bad)
    assert proc.returncode == 2 and re.search(r"\.chart\.data: x\[1\]: expected a number, got 'wide'", proc.stderr)


def test_two_charts_of_one_kind_with_different_numbers_get_a_csv_each(tmp_path):
    """They both wrote charts/<kind>.csv, so one was silently lost. Now each has its own file, named
    by its numbers (stable when slides move), listed in the manifest; a kind drawn once keeps
    charts/<kind>.csv; the HTML 'Show data' table of each chart shows that chart's file's numbers."""
    import csv as csv_mod
    import io
    import json

    from conftest import copy_course
    from deckc.build import build_lesson

    course = copy_course(tmp_path)
    spec = course / "lesson" / "the-sequence-problem.yaml"
    text = spec.read_text(encoding="utf-8")
    one = ("              - chart:\n                  kind: memory_fade\n"
           "                  caption: How much the first word still moves the memory (a random tanh RNN)\n")
    assert one in text
    spec.write_text(text.replace(one, one + "              - chart: {kind: memory_fade, scale: 0.5, steps: 12}\n"),
                    encoding="utf-8")
    r = build_lesson(spec, tmp_path / "out", ["charts", "html"])
    assert not r.errors, r.errors
    charts = r.out_dir / "charts"
    fades = sorted(p.name for p in charts.glob("memory_fade*.csv"))
    assert len(fades) == 2 and all(re.fullmatch(r"memory_fade-[0-9a-f]{8}\.csv", n) for n in fades), fades
    tables = [(charts / n).read_text(encoding="utf-8") for n in fades]
    assert tables[0] != tables[1]
    assert sorted(len(t.splitlines()) for t in tables) == [12 + 1, 20 + 1]   # header + one row per step
    assert (charts / "vanishing_gradient.csv").is_file()             # drawn once: its kind's name
    manifest = json.loads((r.out_dir / "manifest.json").read_text(encoding="utf-8"))
    listed = manifest["outputs"]["charts"]["files"] if isinstance(manifest["outputs"]["charts"], dict) \
        else [k for k in manifest["sha256"] if k.startswith("charts/")]
    assert {f"charts/{n}" for n in fades} <= set(listed)
    assert {f"charts/{p.name}" for p in charts.iterdir()} == {k for k in manifest["sha256"] if k.startswith("charts/")}
    html = (r.out_dir / "the-sequence-problem.html").read_text(encoding="utf-8")
    for t in tables:          # each file's first data row shows in a 'Show data' table
        row = list(csv_mod.reader(io.StringIO(t)))[1]
        assert f'<th scope="row">{row[0]}</th>' in html
    assert html.count("<summary>Show data</summary>") >= len(list(charts.iterdir()))
    assert "chart-missing" not in html          # the writer found each chart by its own name, not its kind's


def test_the_html_lesson_draws_charts_of_the_lecturers_own_numbers(tmp_path):
    """Their names are <title>-<hash>, not their kind: the HTML writer looked them up by kind and
    showed only the caption."""
    from deckc.build import build_lesson

    (tmp_path / "lesson" / "data").mkdir(parents=True)
    (tmp_path / "lesson" / "data" / "loss.csv").write_text(CSV, encoding="utf-8")
    (tmp_path / "lesson" / "ch.yaml").write_text(SPEC, encoding="utf-8")
    r = build_lesson(tmp_path / "lesson" / "ch.yaml", tmp_path / "build", ["html"])
    assert not r.errors, r.errors
    html = (r.out_dir / "ch.html").read_text(encoding="utf-8")
    assert "chart-missing" not in html and html.count("<summary>Show data</summary>") == 3
    assert '<th scope="col">LSTM</th>' in html or '<th scope="row">LSTM</th>' in html


def test_whole_numbers_get_whole_tick_labels():
    """tokens/s of 900, 600, ... are ticked 0, 200, ..., 1000, not 1000.00; fractions keep their decimals."""
    from deckc.charts.user_data import build
    from deckc.layout.chart_scale import linear_scale

    whole = build("scatter", {"title": "Speed"}, {"x": [1, 2, 4, 8], "series": {"m": [900, 600, 350, 200]}})
    assert linear_scale(200, 900, 6, whole.value_format).labels == ("0", "200", "400", "600", "800", "1000")
    frac = build("bar", {"title": "Acc"}, {"x": ["a", "b"], "series": {"dev": [0.71, 0.86]}})
    assert frac.value_format == "0.00"
    assert build("line", {}, {"x": [1, 2], "series": {"l": [2.5, 1.0]}}).value_format == "0.0"
