"""The build: spec -> lesson -> layout plan -> writers -> outputs moved into place -> manifest.

Outputs are staged in a temporary folder inside OUT/<lesson-id>/ and only moved into place
(os.replace, atomic per file) when every writer succeeded, manifest last; so a failed or
killed build leaves the previous outputs readable and consistent with their manifest.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import __version__
from .diagnostics import Diagnostic
from .spec.loader import display_path, load_lesson

# Outputs embed one date (document properties). Reproducible builds cannot use "now":
# SOURCE_DATE_EPOCH (reproducible-builds.org) wins, else this fixed date.
DEFAULT_DATE = datetime(2024, 1, 1, tzinfo=timezone.utc)
MANIFEST = "manifest.json"
UNHASHED = {"gradebook.db"}        # nbgrader's database is state, not an output


def build_date() -> datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    return DEFAULT_DATE


@dataclass
class LessonResult:
    spec: Path
    lesson_id: str | None = None
    out_dir: Path | None = None
    problems: list[Diagnostic] = field(default_factory=list)
    outputs: dict = field(default_factory=dict)
    failed: str | None = None          # a non-spec failure (exit 1)

    @property
    def errors(self):
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self):
        return [p for p in self.problems if p.severity == "warning"]


def check_lesson(spec: Path) -> LessonResult:
    """Load, validate and lay out (so overflow and missing glyphs are reported), writing nothing."""
    loaded = load_lesson(spec)
    result = LessonResult(spec, problems=list(loaded.problems))
    if loaded.lesson is None:
        return result
    from .layout.slides import plan_deck

    result.lesson_id = loaded.lesson.meta.id
    _, warnings = plan_deck(loaded.lesson, display_path(spec))
    result.problems += warnings
    return result


def build_lesson(spec: Path, out_root: Path, formats: list[str]) -> LessonResult:
    from .layout.slides import plan_deck
    from .writers import WRITERS, BuildContext

    loaded = load_lesson(spec)
    result = LessonResult(spec, problems=list(loaded.problems))
    if loaded.lesson is None:
        return result
    lesson = loaded.lesson
    result.lesson_id = lesson.meta.id
    deck, warnings = plan_deck(lesson, display_path(spec))
    result.problems += warnings

    out_dir = out_root / lesson.meta.id
    out_dir.mkdir(parents=True, exist_ok=True)
    result.out_dir = out_dir
    stage = Path(tempfile.mkdtemp(prefix=".deckc-stage-", dir=out_dir))
    try:
        ctx = BuildContext(lesson=lesson, deck=deck, stage=stage, version=__version__, date=build_date())
        outputs = []
        for name in formats:
            outputs += WRITERS[name].write(ctx)
        _commit(stage, out_dir, outputs)
        result.outputs = _write_manifest(out_dir, lesson, deck, outputs)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return result


def _commit(stage: Path, out_dir: Path, outputs) -> None:
    """Move staged outputs into place. Files: os.replace (atomic). Folders: swap via a rename."""
    for out in outputs:
        src, dst = stage / out.path, out_dir / out.path
        if out.is_dir:
            old = None
            if dst.exists():
                old = out_dir / f".deckc-old-{out.path}"
                shutil.rmtree(old, ignore_errors=True)
                os.replace(dst, old)
            os.replace(src, dst)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_manifest(out_dir: Path, lesson, deck, outputs) -> dict:
    """manifest.json: what was built, with checksums; entries of formats not rebuilt are kept."""
    path = out_dir / MANIFEST
    previous = {}
    if path.exists():
        try:
            previous = json.loads(path.read_text(encoding="utf-8")).get("outputs", {})
        except (ValueError, OSError):
            previous = {}
    def present(v) -> bool:
        paths = v if isinstance(v, list) else [v]
        return all(isinstance(x, str) and (out_dir / x).exists() for x in paths)

    listed = {k: v for k, v in previous.items() if present(v)}
    extra_top = {}
    for out in outputs:
        extra = dict(out.extra or {})
        # A folder output may list its files (charts/*.csv); the manifest lists them, not the folder.
        listed[out.key] = extra.pop("files", out.path)
        extra_top.update(extra)
    files = []
    for rel in (x for v in listed.values() for x in (v if isinstance(v, list) else [v])):
        p = out_dir / rel
        if p.is_dir():
            files += [f for f in sorted(p.rglob("*")) if f.is_file() and f.name not in UNHASHED]
        elif p.is_file():
            files.append(p)
    manifest = {
        "lesson": lesson.meta.id,
        "title": lesson.meta.title,
        "slides": len(deck.slides),
        "deckc": __import__("deckc").__version__,
        "outputs": dict(sorted(listed.items())),
        **extra_top,
        "sha256": {f.relative_to(out_dir).as_posix(): _sha256(f) for f in sorted(set(files))},
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return manifest
