"""Builds replace a lesson's outputs all at once: killed builds leave the previous ones intact."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import zipfile

from conftest import copy_course

LESSON = "the-sequence-problem"
DECK = "pptx,pdf,charts"


def consistent(out_dir) -> dict:
    """The folder is readable and every file the manifest lists has the listed sha256."""
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    for rel, digest in manifest["sha256"].items():
        assert hashlib.sha256((out_dir / rel).read_bytes()).hexdigest() == digest, rel
    with zipfile.ZipFile(out_dir / f"{LESSON}.pptx") as z:
        assert z.testzip() is None
    pdf = (out_dir / f"{LESSON}.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")
    return manifest


def build(course, *args, **kw):
    return subprocess.Popen([sys.executable, "-m", "deckc", "build", "-q", "-f", DECK, *args], cwd=course,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def test_a_killed_build_leaves_the_previous_outputs_consistent(tmp_path):
    course = copy_course(tmp_path)
    assert build(course).wait() == 0
    out_dir = course / "build" / LESSON
    first = consistent(out_dir)
    spec = course / "lesson" / f"{LESSON}.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("Use the table as a recap",
                                                              "Use this table as a recap"), encoding="utf-8")
    outcomes = set()
    for delay in (0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 1.0, 1.3, 1.6):
        proc = build(course, "--force")
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        manifest = consistent(out_dir)
        outcomes.add("old" if manifest["sha256"] == first["sha256"] else "new")
    assert "old" in outcomes          # at least one kill landed before the swap
    assert build(course).wait() == 0   # the next build finishes the job
    assert consistent(out_dir)["sha256"] != first["sha256"]
    # A killed build's staging folder is removed by the next run at once: its lesson lock is free.
    assert [p.name for p in (course / "build").iterdir()] == [LESSON]


def test_a_rebuild_keeps_graders_work_and_other_files(tmp_path):
    from deckc.build import build_lesson

    course = copy_course(tmp_path)
    spec = course / "lesson" / f"{LESSON}.yaml"
    r = build_lesson(spec, course / "build", ["pptx", "charts"])
    out_dir = r.out_dir
    (out_dir / "lecturer-notes.txt").write_text("mine", encoding="utf-8")
    r = build_lesson(spec, course / "build", ["pptx", "charts"], force=True)
    assert (out_dir / "lecturer-notes.txt").read_text(encoding="utf-8") == "mine"
    assert not [p for p in (course / "build").iterdir() if p.name.startswith(".deckc-")]
    mask = os.umask(0)
    os.umask(mask)
    assert out_dir.stat().st_mode & 0o777 == 0o777 & ~mask


def test_the_course_folder_keeps_submissions_across_rebuilds(tmp_path):
    from deckc.build import build_lesson

    course = copy_course(tmp_path)
    spec = course / "lesson" / f"{LESSON}.yaml"
    out = course / "build"
    build_lesson(spec, out, ["exercises"])
    work = out / "course" / "submitted" / "alice" / LESSON
    work.mkdir(parents=True)
    (work / "rnn_step.ipynb").write_text("{}", encoding="utf-8")
    gradebook = out / "course" / "gradebook.db"
    assert gradebook.is_file()
    build_lesson(spec, out, ["exercises"], force=True)
    assert (work / "rnn_step.ipynb").read_text(encoding="utf-8") == "{}"
    assert gradebook.is_file()
    manifest = json.loads((out / LESSON / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["course"] == "../course" and manifest["assignment"] == LESSON
    assert manifest["notebooks"] == ["rnn_step.ipynb", "attention.ipynb", "quick_check.ipynb"]
    assert manifest["release"] == "native"      # deckc's own config, a gradebook without submissions


def test_a_killed_runs_index_temp_file_goes_at_the_next_run_unless_its_writer_lives(tmp_path):
    """OUT/index.html is written through OUT/.deckc-tmp-index.html-XXXXXXXX under its own lock: a
    SIGKILL mid-write leaves both; the next run (any formats) removes them, but never the temp file
    of a run still holding the lock."""
    import fcntl

    from deckc.build import run_builds

    course = copy_course(tmp_path)
    out = course / "build"
    spec = course / "lesson" / f"{LESSON}.yaml"
    assert not run_builds([spec], out, ["html"])[0].errors
    assert (out / "index.html").is_file()
    assert not [p.name for p in out.iterdir() if p.name.startswith(".deckc-")]
    # What a SIGKILL mid-write leaves: the half-written temp file and the (now free) lock file.
    dead = out / ".deckc-tmp-index.html-ab12cd34"
    dead.write_text("<!DOCTYPE html><html><he", encoding="utf-8")
    (out / ".deckc-lock-index.html").write_bytes(b"")
    assert not run_builds([spec], out, ["charts"])[0].errors
    assert not [p.name for p in out.iterdir() if p.name.startswith(".deckc-")]
    # A live writer's temp file stays: the lock is held (by another open file, as another process would).
    live = out / ".deckc-tmp-index.html-zz98yy76"
    live.write_text("<!DOCTYPE html>", encoding="utf-8")
    fd = os.open(out / ".deckc-lock-index.html", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert not run_builds([spec], out, ["charts"])[0].errors
        assert live.exists()
    finally:
        os.close(fd)
