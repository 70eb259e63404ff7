"""The build: spec -> lesson -> layout plan -> writers -> outputs moved into place -> manifest.

A build assembles the complete new OUT/<lesson-id>/ in a staging folder beside it: fresh outputs,
hard links of everything it does not rebuild, and the manifest. Only when every writer succeeded
is it swapped with the old folder in one atomic step, so a failed or killed build leaves the
previous outputs readable and consistent with their manifest.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import import_module
from pathlib import Path

from . import __version__
from .diagnostics import Diagnostic
from .spec.loader import display_path, load_lesson
from .spec.yaml_source import MAX_FILE_BYTES as MAX_SPEC_BYTES

# Outputs embed one date (document properties). Reproducible builds cannot use "now":
# SOURCE_DATE_EPOCH (reproducible-builds.org) wins, else this fixed date.
DEFAULT_DATE = datetime(2024, 1, 1, tzinfo=timezone.utc)
MANIFEST = "manifest.json"
STAGE_PREFIX = ".deckc-stage-"
UNHASHED = {"gradebook.db"}        # nbgrader's database is state, not an output


def build_date() -> datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    return DEFAULT_DATE


_CODE_HASH: str | None = None
NOT_BUILD_CODE = {"grading", "__pycache__"}     # code that cannot change what a build writes


def code_fingerprint() -> str:
    """deckc's own code and fonts: a changed deckc rebuilds everything it made."""
    global _CODE_HASH
    if _CODE_HASH is None:
        h = hashlib.sha256(__version__.encode())
        pkg = Path(__file__).resolve().parent
        for f in sorted(pkg.rglob("*")):
            if f.relative_to(pkg).parts[0] in NOT_BUILD_CODE:
                continue
            if f.suffix == ".py":
                h.update(f.relative_to(pkg).as_posix().encode() + b"\0" + f.read_bytes())
            elif f.suffix == ".ttf":
                h.update(f"{f.name}:{f.stat().st_size}".encode())
        _CODE_HASH = h.hexdigest()
    return _CODE_HASH


def _tree_hash(h, folder: Path) -> None:
    if folder.is_dir():
        for f in sorted(folder.rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc":
                h.update(f.relative_to(folder).as_posix().encode() + b"\0" + f.read_bytes())


def input_fingerprints(spec: Path, formats) -> dict[str, str]:
    """What each output is made from. Decks and charts: the spec, the course's exercises/ (the
    charts' reference models), deckc itself and the document date. The nbgrader course: only the
    lesson id, its exercise ids, its quiz and exercises/, so editing a slide does not rerun nbgrader."""
    base = hashlib.sha256(code_fingerprint().encode())
    base.update(build_date().isoformat().encode())
    _tree_hash(base, spec.resolve().parent.parent / "exercises")
    data = spec.read_bytes()
    out = {}
    for fmt in formats:
        h = base.copy()
        h.update(fmt.encode() + b"\0")
        if fmt == "exercises":
            h.update(json.dumps(_assignment_inputs(data), sort_keys=True, default=str).encode())
        else:
            h.update(data)
            h.update(_referenced_files_hash(spec, data))
        out[fmt] = h.hexdigest()
    return out


_REFERENCE = re.compile(rb"""(?:^|[\s{,])(?:src|csv)\s*:\s*["']?([^"'\n,}#]+?)["']?\s*(?:[,}\n#]|$)""", re.M)


def _referenced_files_hash(spec: Path, data: bytes) -> bytes:
    """The files a spec names (`image: {src: ...}`, `csv: ...`), read without loading the spec: a
    changed figure or data file rebuilds the lesson. Over-matching only costs a hash."""
    h = hashlib.sha256()
    for m in _REFERENCE.finditer(data):
        rel = m.group(1).decode("utf-8", "replace").strip()
        f = spec.resolve().parent / rel
        h.update(rel.encode() + b"\0")
        try:
            if f.is_file() and f.stat().st_size <= 64 * 1024 * 1024:
                h.update(f.read_bytes())
        except OSError:
            pass
    return h.digest()


def _assignment_inputs(data: bytes):
    """The parts of a spec the assignment is built from; the whole spec when it cannot be read cheaply."""
    import yaml

    try:
        doc = yaml.load(data, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        lesson = doc["lesson"]
        quiz = [sl for sl in doc["slides"] if isinstance(sl, dict) and sl.get("kind") == "quiz"]
        return {"id": lesson.get("id"), "exercises": lesson.get("exercises"), "quiz": quiz}
    except Exception:  # noqa: BLE001 - unreadable: fall back to the whole file
        return data.decode("utf-8", "replace")


@dataclass
class LessonResult:
    spec: Path
    lesson_id: str | None = None
    out_dir: Path | None = None
    problems: list[Diagnostic] = field(default_factory=list)
    outputs: dict = field(default_factory=dict)
    failed: str | None = None          # a non-spec failure (exit 1)
    built: list[str] = field(default_factory=list)     # formats rebuilt this time
    skipped: list[str] = field(default_factory=list)   # formats already up to date

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


def build_lesson(spec: Path, out_root: Path, formats: list[str], force: bool = False) -> LessonResult:
    result = LessonResult(spec)
    if spec.stat().st_size > MAX_SPEC_BYTES:       # refuse before hashing or parsing a huge file
        result.problems = list(load_lesson(spec).problems)   # just the located "too large" error
        return result
    fingerprints = input_fingerprints(spec, formats)
    stale = list(formats) if force else _stale_formats(spec, out_root, formats, fingerprints, result)
    result.skipped = [f for f in formats if f not in stale]
    if not stale:
        return result          # nothing to do: no parsing, no layout, no heavy imports

    _import_model_types()
    from .layout.slides import plan_deck
    from .writers import WRITERS, BuildContext

    # Writers start now, in their own processes, and import their libraries while this one loads
    # and lays out the lesson (see _WriterRun).
    run = stage = None
    try:
        run = _WriterRun([WRITERS[name] for name in stale])
        loaded = load_lesson(spec)
        result.problems = list(loaded.problems)
        if loaded.lesson is None:
            return result
        lesson = loaded.lesson
        result.lesson_id = lesson.meta.id

        out_dir = out_root / lesson.meta.id
        out_root.mkdir(parents=True, exist_ok=True)
        result.out_dir = out_dir
        _remove_leftovers(out_root, lesson.meta.id)
        # The whole new lesson folder is assembled beside the old one and swapped in at once.
        stage = Path(tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{lesson.meta.id}-", dir=out_root))
        _chmod_like_mkdir(stage)
        ctx = BuildContext(lesson=lesson, deck=None, stage=stage, out_dir=out_dir, version=__version__,
                           date=build_date())
        run.context_loaded(ctx)
        ctx.deck, warnings = plan_deck(lesson, display_path(spec))
        run.context_planned(ctx)
        outputs = run.outputs()
        result.problems += warnings
        _carry_over(out_dir, stage, outputs)
        inputs = {name: fingerprints[name] for name in stale}
        result.outputs = _write_manifest(stage, out_dir, lesson, ctx.deck, outputs, inputs, result.warnings)
        _swap_in(stage, out_dir)
        result.built = list(stale)
    finally:
        if run is not None:
            run.stop()                               # no writer outlives the build or its staging folder
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)     # after the swap, this is the previous folder
    return result


def _import_model_types() -> None:
    """Imported before writers fork, since they unpickle the lesson and the plan into these types:
    imported once in the parent, not once per writer (numpy comes with the charts)."""
    import_module("deckc.charts")
    import_module("deckc.layout.slides")


def prepare_writers(formats) -> None:
    """Import, in this process, what builds of `formats` need, so that writer processes forked from
    it later start ready: for a process that builds many times (deckc watch, a module's workers)."""
    _import_model_types()
    from .writers import WRITERS

    for name in formats:
        if WRITERS[name].prepare is not None:
            WRITERS[name].prepare()


class _WriterRun:
    """The writers of one build, each in its own forked process (deckc/forked.py), so they run on
    separate cores instead of taking turns on one interpreter's GIL.

    An `early` writer (python-pptx's and nbformat's imports are long) starts before the lesson is
    loaded and runs its `prepare` step while this process loads and lays out; then it gets the
    build context when it is ready: writers that draw the plan once the layout is done
    (`planned`), the others (the course) as soon as the lesson is loaded (`loaded`). The other
    writers start when their context exists (fork hands it over), so they do not compete for the
    cores before they can work.
    Each writer writes only its own files, so the result does not depend on the order they finish in."""

    def __init__(self, writers):
        from .forked import Later

        self.writers = writers
        self.loaded, self.planned = Later(), Later()
        self.running = {}
        try:
            self._start(w for w in writers if w.early)
        except BaseException:
            self.stop()                  # the writers that did start
            raise

    def _start(self, writers) -> None:
        from .forked import start

        for w in writers:
            self.running[w.name] = start(_write, w, self.planned if w.needs_plan else self.loaded)

    def context_loaded(self, ctx) -> None:
        self.loaded.set(ctx)
        self._start(w for w in self.writers if not w.early and not w.needs_plan)

    def context_planned(self, ctx) -> None:
        self.planned.set(ctx)
        self._start(w for w in self.writers if not w.early and w.needs_plan)

    def outputs(self) -> list:
        """Every writer's outputs, in registry order; the first failure (in that order) is raised
        once all writers have stopped."""
        results = {}
        for name, handle in list(self.running.items()):
            try:
                results[name] = handle.result()
            except Exception as exc:   # noqa: BLE001 - raised below, once every writer has stopped
                results[name] = exc
        for w in self.writers:
            if isinstance(results[w.name], Exception):
                raise results[w.name]
        return [out for w in self.writers for out in results[w.name]]

    def stop(self) -> None:
        """After a failure: writers that never got their context are killed (they are importing or
        waiting, and have written nothing); the others are waited for. All are reaped."""
        self.loaded.cancel()
        self.planned.cancel()
        for w in self.writers:
            if w.name in self.running:
                later = self.planned if w.needs_plan else self.loaded
                self.running[w.name].stop(kill=not later.sent)


def _write(writer, later):
    """One writer, in its own process: prepare, wait for the build context, write."""
    if writer.prepare is not None:
        writer.prepare()
    return writer.write(later.get())


def _stale_formats(spec: Path, out_root: Path, formats, fingerprints: dict, result: LessonResult) -> list[str]:
    """Formats whose recorded inputs differ, or whose outputs are missing or were changed by hand."""
    lesson_id = _peek_lesson_id(spec)
    manifest_path = out_root / lesson_id / MANIFEST if lesson_id else None
    if manifest_path is None or not manifest_path.is_file():
        return list(formats)
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return list(formats)
    out_dir = manifest_path.parent
    inputs = manifest.get("inputs", {})
    hashes = manifest.get("sha256", {})
    stale = []
    for fmt in formats:
        rels = manifest.get("outputs", {}).get(fmt)
        if inputs.get(fmt) != fingerprints[fmt] or rels is None:
            stale.append(fmt)
            continue
        owned = [r for r in hashes if _belongs(r, rels)]
        if not owned or any(not (out_dir / r).is_file() or _sha256(out_dir / r) != hashes[r] for r in owned):
            stale.append(fmt)
    if len(stale) < len(formats):
        result.lesson_id = manifest.get("lesson")
        result.out_dir = out_dir
        result.outputs = manifest
        if not stale:   # nothing rebuilt: show the warnings the last build found
            result.problems = [Diagnostic(**w) for w in manifest.get("warnings", [])]
    return stale


def _peek_lesson_id(spec: Path) -> str | None:
    """The lesson id by a bare YAML parse (no validation); None sends the build down the full path."""
    import yaml

    from .spec.yaml_source import MAX_FILE_BYTES

    try:
        if spec.stat().st_size > MAX_FILE_BYTES:
            return None
        data = yaml.load(spec.read_bytes(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        lesson_id = data["lesson"]["id"]
    except Exception:  # noqa: BLE001 - any oddity: let the full build report it properly
        return None
    if isinstance(lesson_id, str) and lesson_id and all(c.isalnum() or c in "-_" for c in lesson_id) \
            and lesson_id.isascii():
        return lesson_id
    return None


def _belongs(rel: str, owned) -> bool:
    for o in (owned if isinstance(owned, list) else [owned]):
        if rel == o or rel.startswith(o.rstrip("/") + "/"):
            return True
    return False


def _chmod_like_mkdir(path: Path) -> None:
    """mkdtemp makes 0700 folders; the lesson folder it becomes should get the usual permissions."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o777 & ~mask)


def _carry_over(out_dir: Path, stage: Path, outputs) -> None:
    """Everything of the previous folder that this build does not replace goes into the new one, as
    hard links (no copying): outputs of formats not rebuilt, graders' work in a rebuilt course
    folder (Output.keep), and any file a user put there."""
    if not out_dir.is_dir():
        return
    rebuilt_dirs = {o.path: o for o in outputs if o.is_dir}
    for src in sorted(out_dir.rglob("*")):
        if src.is_dir():
            continue
        rel = src.relative_to(out_dir)
        top = rel.parts[0]
        if top == MANIFEST or top.startswith(".deckc-"):
            continue
        rebuilt = rebuilt_dirs.get(top)
        if rebuilt is not None and (len(rel.parts) < 2 or rel.parts[1] not in rebuilt.keep):
            continue
        dst = stage / rel
        if dst.exists() or dst.is_symlink():
            continue      # rebuilt by this build
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dst, follow_symlinks=False)
        except OSError:   # another filesystem, or links not allowed
            shutil.copy2(src, dst, follow_symlinks=False)


def _swap_in(stage: Path, out_dir: Path) -> None:
    """Put the staged folder at out_dir in one step: readers see the old folder or the new one, never
    a mix, and a build killed at any point leaves the old one as it was."""
    if not out_dir.exists():
        os.rename(stage, out_dir)
        return
    try:
        _exchange(stage, out_dir)          # atomic on Linux; stage now holds the old folder
    except OSError:
        old = stage.with_name(stage.name + "-old")
        os.rename(out_dir, old)            # elsewhere: two renames, a moment apart
        os.rename(stage, out_dir)
        os.rename(old, stage)


def _exchange(a: Path, b: Path) -> None:
    """renameat2(RENAME_EXCHANGE): swap two paths atomically (Linux >= 3.15, glibc >= 2.28)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        raise OSError("renameat2 is not available")
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def _remove_leftovers(out_root: Path, lesson_id: str, age: float = 600.0) -> None:
    """Stage folders of builds that were killed (older than `age` seconds, so not a build running now)."""
    import time

    for d in out_root.glob(f"{STAGE_PREFIX}{lesson_id}-*"):
        try:
            if time.time() - d.stat().st_mtime > age:
                shutil.rmtree(d, ignore_errors=True)
        except OSError:
            pass


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_manifest(out_dir: Path, previous_dir: Path, lesson, deck, outputs, inputs: dict, warnings) -> dict:
    """manifest.json in the staged folder: what was built, with checksums; entries of formats not
    rebuilt this time are kept from the previous manifest while their files are still there."""
    path = out_dir / MANIFEST
    previous = {}
    if (previous_dir / MANIFEST).exists():
        try:
            previous = json.loads((previous_dir / MANIFEST).read_text(encoding="utf-8"))
        except (ValueError, OSError):
            previous = {}
    def present(v) -> bool:
        paths = v if isinstance(v, list) else [v]
        return all(isinstance(x, str) and (out_dir / x).exists() for x in paths)

    from .writers import WRITERS

    listed = {k: v for k, v in previous.get("outputs", {}).items() if k in WRITERS and present(v)}
    recorded = {k: v for k, v in previous.get("inputs", {}).items() if k in listed}
    # Fields a writer adds (the course's assignment and notebooks) stay while its output does.
    extra_top = {k: v for fmt, fields in previous.get("fields", {}).items() if fmt in listed
                 for k, v in previous.items() if k in fields}
    fields = {fmt: f for fmt, f in previous.get("fields", {}).items() if fmt in listed}
    for out in outputs:
        fields[out.key] = sorted(k for k in (out.extra or {}) if k != "files")
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
        # For incremental builds: a fingerprint of the inputs of each output.
        "inputs": dict(sorted({**recorded, **inputs}.items())),
        "warnings": [w.__dict__ for w in warnings],
        "fields": dict(sorted(fields.items())),
    }
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest
