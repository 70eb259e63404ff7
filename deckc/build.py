"""The build: spec -> lesson -> layout plan -> writers (side by side) -> staged folder swapped in.

What is stale is decided in deckc/incremental.py, where outputs are staged and who may write
them in deckc/staging.py, which formats exist in deckc/writers/ (the registry).
"""
from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

from . import __version__, signals
from .diagnostics import Diagnostic
from .errors import Interrupted, OutputError
from .incremental import MANIFEST, build_date, input_fingerprints, stale_formats, write_manifest
from .spec.loader import course_root, display_path, lesson_id_clashes, load_lesson, read_head
from .staging import LOCK_PREFIX, STAGE_NAME, STAGE_PREFIX, LessonLock, carry_over, make_stage, \
    remove_dead_stages, swap_in


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


def check_lesson(spec: Path, clashes=None) -> LessonResult:
    """Load, validate and lay out (so overflow and missing glyphs are reported), writing nothing."""
    loaded = load_lesson(spec)
    result = LessonResult(spec, problems=list(loaded.problems))
    clash = (clashes if clashes is not None else lesson_id_clashes([spec])).get(spec, [])
    result.problems += clash
    if loaded.lesson is None or clash:
        return result
    from .layout.slides import plan_deck

    result.lesson_id = loaded.lesson.meta.id
    _, warnings = plan_deck(loaded.lesson, display_path(spec))
    result.problems += warnings
    return result


def build_lesson(spec: Path, out_root: Path, formats: list[str], force: bool = False,
                 on_wait=None, clashes=None) -> LessonResult:
    """Build one lesson into out_root/<lesson-id>/. Only one run at a time writes a lesson folder:
    a second one waits for the lock (`on_wait` is told once)."""
    result = LessonResult(spec)
    head = read_head(spec)
    if head.meta is None:            # errors in the header: the full load reports them, located
        result.problems = list(load_lesson(spec).problems) if head.data is not None and not head.problems \
            else list(head.problems)
        return result
    clash = (clashes if clashes is not None else lesson_id_clashes([spec], formats)).get(spec, [])
    if "exercises" in formats and (head.meta.exercises or head.quiz is not None):
        from .spec.course_id import existing_course_id, outside_clash

        clash = clash + outside_clash(head, existing_course_id(out_root), display_path)
    if clash:
        result.problems = clash
        return result
    lesson_id = head.meta.id
    created = not out_root.exists()
    lock = None
    try:
        out_root.mkdir(parents=True, exist_ok=True)
        remove_dead_stages(out_root)
        lock = LessonLock(out_root, lesson_id)
        lock.acquire(on_wait=on_wait)
        remove_dead_stages(out_root, held=lesson_id)
        return _build_locked(spec, head, out_root, formats, force, result)
    except OSError as e:
        raise _io_error(e, out_root) from e
    finally:
        if lock is not None:
            lock.release()
        if created:
            _remove_if_empty(out_root)


def _build_locked(spec, head, out_root: Path, formats, force, result: LessonResult) -> LessonResult:
    out_dir = out_root / head.meta.id
    fingerprints = input_fingerprints(head, course_root(spec), formats)
    stale = list(formats) if force else stale_formats(out_dir, formats, fingerprints, result)
    result.skipped = [f for f in formats if f not in stale]
    if not stale:
        return result          # nothing to do: no layout, no heavy imports

    _import_model_types()
    from .layout.slides import plan_deck
    from .writers import WRITERS, BuildContext

    # Writers start now, in their own processes, and import their libraries while this one loads
    # and lays out the lesson (see _WriterRun).
    run = stage = None
    interrupted = False
    try:
        run = _WriterRun([WRITERS[name] for name in stale])
        loaded = load_lesson(spec)
        result.problems = list(loaded.problems)
        if loaded.lesson is None:
            return result
        lesson = loaded.lesson
        result.lesson_id = lesson.meta.id
        result.out_dir = out_dir
        # The whole new lesson folder is assembled beside the old one and swapped in at once.
        stage = make_stage(out_root, lesson.meta.id)
        ctx = BuildContext(lesson=lesson, deck=None, stage=stage, out_dir=out_dir, version=__version__,
                           date=build_date())
        run.context_loaded(ctx)
        ctx.deck, warnings = plan_deck(lesson, display_path(spec))
        run.context_planned(ctx)
        outputs = run.outputs()
        result.problems += warnings
        carry_over(out_dir, stage, outputs, MANIFEST)
        inputs = {name: fingerprints[name] for name in stale}
        result.outputs = write_manifest(stage, out_dir, lesson, ctx.deck, outputs, inputs, result.warnings)
        signals.check()                              # no swap after a signal, however it was handled
        swap_in(stage, out_dir)
        result.built = list(stale)
    except Interrupted:
        interrupted = True
        raise
    finally:
        if run is not None:
            run.stop(interrupted)                    # no writer outlives the build or its staging folder
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)     # after the swap, this is the previous folder
    return result


def _io_error(e: OSError, out_root: Path) -> OutputError:
    """An OSError as the user should read it: which path, why, and that the old build stands."""
    path = Path(e.filename) if e.filename else out_root
    try:
        path.resolve().relative_to(out_root.resolve())
        action = "writing"
    except (ValueError, OSError):
        action = "reading"               # an input: exercises/, a font, the spec's folder
    return OutputError(action, _public(path, out_root), e, untouched=action == "writing")


def _public(path: Path, out_root: Path) -> Path:
    """A staging folder's path, as the output path it stands for (build/x/x.pdf, not .deckc-stage-...)."""
    try:
        rel = path.relative_to(out_root)
    except ValueError:
        return path
    if rel.parts and rel.parts[0].startswith(LOCK_PREFIX):
        return out_root                  # the lock is deckc's business; the folder is the user's
    if rel.parts and rel.parts[0].startswith(STAGE_PREFIX):
        m = STAGE_NAME.fullmatch(rel.parts[0])
        if m:
            return out_root / m.group("id") / Path(*rel.parts[1:])
    return path


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


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

    def stop(self, interrupted: bool = False) -> None:
        """After a failure: writers that never got their context are killed (they are importing or
        waiting, and have written nothing); the others are waited for. If the build was
        interrupted, they are asked to stop (SIGTERM: their half-written files go with the staging
        folder, the course writer finishes its held write and releases the course lock) and
        killed only if they have not within STOP_GRACE. All are reaped."""
        from .forked import STOP_GRACE

        self.loaded.cancel()
        self.planned.cancel()
        writing = []
        for w in self.writers:
            if w.name in self.running:
                later = self.planned if w.needs_plan else self.loaded
                if not later.sent:
                    self.running[w.name].stop(kill=True)
                elif interrupted:
                    self.running[w.name].terminate()
                    writing.append(self.running[w.name])
                else:
                    self.running[w.name].stop()
        for handle in writing:
            handle.wait(STOP_GRACE)


def _write(writer, later):
    """One writer, in its own process: prepare, wait for the build context, write."""
    if writer.prepare is not None:
        writer.prepare()
    ctx = later.get()
    try:
        return writer.write(ctx)
    except OSError as e:
        if e.filename:
            raise
        raise type(e)(e.errno, e.strerror, str(ctx.stage)) from e     # at least the lesson folder


def _build_one(spec: Path, out: Path, formats: list[str], force: bool, clashes=None, on_wait=None):
    """One lesson; any crash becomes that lesson's failure, so the others still build."""
    t0 = time.perf_counter()
    try:
        r = build_lesson(spec, out, formats, force=force, clashes=clashes, on_wait=on_wait)
    except Exception as e:  # noqa: BLE001 - reported per lesson, exit 1 at the end
        signals.check()     # not a failure but a signal whose exception was wrapped on the way
        r = LessonResult(spec, failed=str(e) if isinstance(e, OutputError) else f"{type(e).__name__}: {e}")
    signals.check()
    return r, time.perf_counter() - t0


def run_builds(specs, out: Path, formats, force=False, jobs=0, on_result=None, progress=None, on_wait=None):
    """Build lessons, in parallel worker processes when there are several (one per core by default).
    on_result(result, seconds) is called for each lesson in spec order; progress(label, total) may
    return a callable to advance by one as parallel lessons finish. Then each format's `after` step
    (the HTML lessons' OUT/index.html) sees the whole output folder."""
    results = _run_builds(specs, out, formats, force, jobs, on_result, progress, on_wait)
    from .writers import WRITERS

    for name in formats:
        if WRITERS[name].after is not None and out.is_dir():
            WRITERS[name].after(out)
    return results


def _run_builds(specs, out: Path, formats, force=False, jobs=0, on_result=None, progress=None, on_wait=None):
    clashes = lesson_id_clashes(specs, formats)
    jobs = jobs or os.cpu_count() or 1
    if len(specs) == 1 or jobs == 1:
        results = []
        for spec in specs:
            r, took = _build_one(spec, out, formats, force, clashes, on_wait)
            if on_result is not None:
                on_result(r, took)
            results.append(r)
        return results
    from .forked import forking
    from .pool import run_parallel

    if not forking():
        return _run_builds(specs, out, formats, force, 1, on_result, None, on_wait)
    prepare_writers(formats)       # imported once here; every lesson's process starts with them
    jobs = min(jobs, len(specs))
    advance = progress(f"building {len(specs)} lessons on {jobs} workers", len(specs)) if progress else None
    try:
        done = run_parallel(_build_one, [(spec, out, formats, force, clashes, on_wait) for spec in specs], jobs,
                            lambda args, exc: (LessonResult(args[0], failed=f"{type(exc).__name__}: {exc}"), 0.0),
                            advance)
    except BaseException:
        remove_dead_stages(out)      # every lesson process is gone: what they left is dead
        raise
    for r, took in done:
        if on_result is not None:
            on_result(r, took)
    return [r for r, _ in done]   # spec order: deterministic reports
