"""`deckc watch`: poll a spec or a folder of specs (and each course's exercises/), rebuild the
lessons whose inputs changed, and keep watching whatever happens to the folder until Ctrl-C.

A spec that is deleted, renamed, emptied, replaced or unreadable is reported and watching goes
on (a spec that comes back is built again); a spec error is shown and nothing is said to be
rebuilt; only lessons whose own spec, the images and CSV files it names (the same list the build
fingerprint hashes) or whose course's exercises/ changed are rebuilt, and
"rebuilt" is said only of lessons that were. Polling needs no extra dependency and sees every
kind of change on every filesystem (network and container mounts included).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from . import signals
from .incremental import referenced_files
from .spec.loader import course_root, display_path, find_specs
from .spec.yaml_source import MAX_FILE_BYTES


def _signature(path: Path):
    """What changes when a file is saved, replaced or renamed over; an error text when it cannot be read."""
    try:
        st = path.stat()
    except OSError as e:
        return f"error: {e.strerror or e}"
    if not os.access(path, os.R_OK):
        return "error: permission denied"
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)


def _exercise_files(course: Path) -> dict:
    folder = course / "exercises"
    out = {}
    try:
        files = [f for f in folder.rglob("*") if f.is_file() and "__pycache__" not in f.parts]
    except OSError:
        return out
    for f in files:
        out[f] = _signature(f)
    return out


def _referenced(spec: Path) -> dict:
    """The files the spec names, as signatures; a missing one is watched for (it may appear)."""
    try:
        with open(spec, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError:
        return {}
    return {path: _signature(path) for _, path in referenced_files(spec, data[:MAX_FILE_BYTES])}


class Snapshot:
    """The specs under PATH, the files each names and each course's exercise files, as signatures."""

    def __init__(self, path: Path):
        self.path = path
        try:
            specs = find_specs(path)
        except OSError:
            specs = []
        self.specs = {s: _signature(s) for s in specs}
        self.referenced = {s: _referenced(s) for s in specs}
        courses = {course_root(s) for s in specs}
        self.exercises = {c: _exercise_files(c) for c in sorted(courses)}

    def changes(self, before: "Snapshot") -> tuple[list[Path], list[Path], list[Path]]:
        """(specs to rebuild, specs removed, files that changed), each sorted."""
        removed = sorted(set(before.specs) - set(self.specs))
        rebuild = {s for s, sig in self.specs.items() if before.specs.get(s) != sig}
        files = set(removed) | rebuild
        for spec, now in self.referenced.items():
            then = before.referenced.get(spec, {})
            # files named both before and now: a spec edit that names another file is its own change
            changed = {f for f in set(now) & set(then) if now[f] != then[f]}
            if changed:
                files |= changed
                rebuild.add(spec)
        for course, now in self.exercises.items():
            then = before.exercises.get(course, {})
            changed = {f for f in set(now) | set(then) if now.get(f) != then.get(f)}
            if changed:
                files |= changed
                rebuild |= {s for s in self.specs if course_root(s) == course}
        return sorted(rebuild), removed, sorted(files)


def watch(path: Path, build, echo, interval: float, max_builds: int = 0) -> None:
    """Build everything once, then poll every `interval` seconds. build(specs) -> results and
    echoes its own report; echo(text) writes a status line. Ends only by a signal (Interrupted),
    or after max_builds rebuilds (tests)."""
    before = Snapshot(path)
    if not before.specs:
        echo(f"{display_path(path)}: no lesson specs yet; watching for them")
    else:
        build(sorted(before.specs))
    echo(f"watching {display_path(path)}, the files its specs name and exercises/ (Ctrl-C to stop)")
    rounds = 0
    while not max_builds or rounds < max_builds:
        time.sleep(interval)
        signals.check()
        now = Snapshot(path)
        rebuild, removed, files = now.changes(before)
        if not files:
            continue
        before = now
        echo(f"changed: {', '.join(display_path(f) for f in files)}")
        for spec in removed:
            echo(f"{display_path(spec)}: removed; its outputs stay where they are; still watching")
        if not rebuild:
            if not now.specs:
                echo(f"{display_path(path)}: no lesson specs left; watching for them")
            continue
        t0 = time.perf_counter()
        results = build(rebuild)
        rounds += 1
        took = time.perf_counter() - t0
        built = [r.lesson_id for r in results if r.built]
        if any(r.errors or r.failed for r in results):
            tail = f"; rebuilt {', '.join(built)}" if built else ""
            echo(f"not rebuilt: fix the problems above and save{tail}; still watching")
        elif built:
            echo(f"rebuilt in {took:.2f}s: {', '.join(built)}; watching")
        else:
            echo("nothing to rebuild: outputs are up to date; watching")
