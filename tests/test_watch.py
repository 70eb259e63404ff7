"""`deckc watch`: rebuilds on save, says what changed and how long it took, survives spec errors."""
from __future__ import annotations

import json
import subprocess
import sys
import time

from conftest import copy_course

LESSON = "the-sequence-problem"


def wait_for(proc_lines, text, timeout=60.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if any(text in line for line in proc_lines):
            return True
        time.sleep(0.05)
    raise AssertionError(f"never saw {text!r} in:\n" + "".join(proc_lines))


def test_watch_rebuilds_on_save_and_survives_errors(tmp_path):
    import threading

    course = copy_course(tmp_path)
    spec = course / "lesson" / f"{LESSON}.yaml"
    proc = subprocess.Popen([sys.executable, "-m", "deckc", "watch", "-f", "charts,pdf", "--interval", "0.1",
                             "--max-builds", "3"], cwd=course, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        wait_for(lines, "watching")
        manifest = course / "build" / LESSON / "manifest.json"
        before = json.loads(manifest.read_text(encoding="utf-8"))["sha256"][f"{LESSON}.pdf"]

        text = spec.read_text(encoding="utf-8")
        spec.write_text(text.replace("minutes: 9", "minutes: 10"), encoding="utf-8")
        wait_for(lines, "rebuilt in")
        after = json.loads(manifest.read_text(encoding="utf-8"))["sha256"][f"{LESSON}.pdf"]
        assert after != before
        assert any(f"changed: lesson/{LESSON}.yaml" in ln for ln in lines)

        spec.write_text(text.replace("  minutes: 9\n", "  minutes: 9\n  minuts: 9\n"), encoding="utf-8")
        wait_for(lines, "did you mean 'minutes'")
        wait_for(lines, "not rebuilt: fix the problems above and save; still watching")
        spec.write_text(text, encoding="utf-8")                  # fixed: the third rebuild, then it stops
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
    out = "".join(lines)
    assert "Traceback" not in out
    assert out.count("rebuilt in") == 2      # not after the spec error: nothing was rebuilt
    assert json.loads(manifest.read_text(encoding="utf-8"))["sha256"][f"{LESSON}.pdf"] == before


def test_watch_rebuilds_a_lesson_when_an_image_or_csv_it_names_changes(tmp_path):
    # issue 14: "an image or CSV edit rebuilds that lesson"; watch sees the files the build fingerprint hashes
    import threading
    from pathlib import Path

    from deckc.watch import Snapshot, watch

    lesson = tmp_path / "course" / "lesson"
    lesson.mkdir(parents=True)
    (lesson / "fig.png").write_bytes(b"png-1")
    (lesson / "data.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    spec = lesson / "a.yaml"
    spec.write_text("slides:\n  - image: {src: fig.png}\n  - chart:\n      csv: 'data.csv'\n", encoding="utf-8")
    other = lesson / "b.yaml"
    other.write_text("slides: []\n", encoding="utf-8")

    first = Snapshot(lesson)
    (lesson / "data.csv").write_text("x,y\n1,2\n3,4\n", encoding="utf-8")
    rebuild, removed, files = Snapshot(lesson).changes(first)
    assert rebuild == [spec] and removed == [] and files == [(lesson / "data.csv").resolve()]

    # the watch loop itself: an image edit rebuilds only the lesson naming it
    builds: list[list[Path]] = []
    echoed: list[str] = []

    def build(specs):
        builds.append(list(specs))
        if len(builds) == 1:           # after the initial build, while watch polls
            threading.Timer(0.3, lambda: (lesson / "fig.png").write_bytes(b"png-22")).start()
        return []

    watch(lesson, build, echoed.append, interval=0.05, max_builds=1)
    assert builds == [[spec, other], [spec]]
    assert any("changed:" in e and "fig.png" in e for e in echoed)
