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
