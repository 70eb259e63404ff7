"""The commands that compile lessons: `deckc build`, `deckc check`, `deckc watch`, and what they
share (the --format list from the writer registry, finding specs, reporting problems).
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .errors import BuildError, DeckcError, SpecError

DEFAULT_LESSONS = Path("lesson")
DEFAULT_OUT = Path("build")
# Set by a build: cli.run() then leaves without tearing the interpreter down (see there).
FAST_EXIT = {"fast": False}


def _format_names():
    from .writers import WRITERS
    return list(WRITERS)


def _default_formats() -> str:
    from .writers import default_formats
    return ",".join(default_formats())


class FormatList(click.ParamType):
    """--format pptx,pdf: a comma-separated subset of the registered writers."""

    name = "FORMATS"

    def convert(self, value, param, ctx):
        if isinstance(value, list):
            return value
        names = _format_names()
        chosen = [v.strip() for v in value.split(",") if v.strip()]
        bad = [v for v in chosen if v not in names]
        if bad or not chosen:
            self.fail(f"unknown format {', '.join(repr(b) for b in bad) or repr(value)}; "
                      f"choose from {', '.join(names)}", param, ctx)
        return [n for n in names if n in chosen]   # registry order: deterministic


def _specs(path: Path) -> list[Path]:
    from .spec.loader import find_specs

    if not path.exists():
        raise click.UsageError(f"{path}: no such file or folder (expected a lesson spec .yaml or a folder of them)")
    specs = find_specs(path)
    if not specs:
        raise click.UsageError(f"{path}: no lesson specs (*.yaml) found")
    return specs


def _report(results, strict: bool, note: str = "") -> None:
    """Print warnings; raise for errors (exit 2) or for warnings under --strict (exit 1)."""
    problems = [p for r in results for p in r.problems]
    errors = [p for p in problems if p.severity == "error"]
    for w in (p for p in problems if p.severity == "warning"):
        click.echo(str(w), err=True)
    failures = [r for r in results if r.failed]
    for r in failures:
        click.echo(f"{r.spec}: build failed: {r.failed}", err=True)
    if errors:
        raise SpecError(errors, note)
    if failures:
        raise BuildError(f"{len(failures)} lesson(s) failed to build")
    warnings = [p for p in problems if p.severity == "warning"]
    if strict and warnings:
        raise DeckcError(f"{len(warnings)} warning(s) and --strict is set")


# Options shared by `build` and `watch`.
_lessons_argument = click.argument("path", type=click.Path(path_type=Path), default=DEFAULT_LESSONS, required=False)
_out_option = click.option("-o", "--out", type=click.Path(path_type=Path, file_okay=False), default=DEFAULT_OUT,
                           show_default=True, help="Output folder; each lesson builds into OUT/<lesson-id>/.")
_format_option = click.option("-f", "--format", "formats", type=FormatList(), default=_default_formats(),
                              show_default=True, help="Comma-separated outputs to build: "
                              f"{', '.join(_format_names())}.")


@click.command()
@_lessons_argument
@_out_option
@_format_option
@click.option("--strict", is_flag=True, help="Treat warnings (overflow, missing glyphs) as errors: exit 1.")
@click.option("--force", is_flag=True, help="Rebuild every output even if its inputs did not change.")
@click.option("-j", "--jobs", type=click.IntRange(0, 64), default=0,
              help="Parallel workers for a folder of lessons (default: one per core).")
@click.option("--pdf-steps", is_flag=True, help="Also write <lesson-id>-steps.pdf: one page per reveal step "
              "(the same as adding pdf-steps to --format).")
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
def build(path: Path, out: Path, formats: list[str], strict: bool, force: bool, jobs: int, pdf_steps: bool,
          quiet: bool) -> None:
    """Build lessons: PATH is a spec file or a folder of specs (default: lesson/).

    \b
    Outputs, per lesson, in OUT/<lesson-id>/:
      <lesson-id>.pptx   editable deck: native text, tables, charts; speaker notes
      <lesson-id>.pdf    the same layout; fonts embedded; outline of slide titles
      <lesson-id>-steps.pdf  with --pdf-steps: one page per reveal step
      charts/*.csv       the data behind every chart
      manifest.json      what was built, with sha256 checksums and input fingerprints
    and one nbgrader course for all of them, OUT/course/ (course id: the lessons'
    `course:`, slugged; every lesson with exercises or a quiz must name the same one): one
    assignment per lesson with exercises (named after the lesson) in source/<id>/
    and release/<id>/, one gradebook.db, one nbgrader_config.py. Rebuilding an
    assignment never touches graders' data (submitted/, autograded/, feedback/,
    students and grades); a lesson's course/ of the older per-lesson layout is
    moved into OUT/course/ (backup of the rest in OUT/course/migrated/<id>/).

    Builds are incremental: an output whose inputs (spec, exercises/, deckc itself)
    did not change is skipped (an assignment depends on its own exercise folders
    only); --force rebuilds everything. A folder of lessons builds
    in parallel; one failing lesson does not stop the others (exit code at the end).
    Each lesson's writers run side by side in their own processes.

    One run at a time writes a lesson folder: a second build of the same lesson
    into the same OUT (or a build while deckc watch rebuilds it) waits for the
    first. Ctrl-C or SIGTERM stop a build at once: "Interrupted.", exit 130 or 143,
    the previous outputs as they were, no process or staging folder left behind.

    \b
    Exit codes: 0 built or up to date, 2 usage or spec errors (FILE:LINE:COL),
    1 a lesson failed to build (the cause and path are printed) or warnings
    under --strict, 130 Ctrl-C, 143 SIGTERM.

    OUT/course/release/ and the gradebook rows are made exactly as nbgrader's
    generate_assignment makes them, without running nbgrader; where deckc cannot be
    sure of the same result (another nbgrader version, a changed config, submissions
    in the gradebook) it runs nbgrader itself.

    \b
    Environment:
      SOURCE_DATE_EPOCH         the date embedded in outputs (default 2024-01-01)
      DECKC_NBGRADER_RELEASE=1  always run nbgrader's generate_assignment
      DECKC_NO_FORK=1           writers in threads instead of processes

    \b
    Examples:
      deckc build
      deckc build lesson/the-sequence-problem.yaml -o /tmp/out --format pptx,pdf
      deckc build --strict
    """
    FAST_EXIT["fast"] = True      # see run(): a build leaves nothing for interpreter teardown to do
    if pdf_steps and "pdf-steps" not in formats:
        formats = [*formats, "pdf-steps"]
    results = _run(_specs(path), out, formats, force=force, jobs=jobs, quiet=quiet)
    _report(results, strict, "a lesson with errors is not built and its previous outputs stay as they were")


def _echo_result(r, took: float) -> None:
    if r.errors or r.failed:
        return
    if r.built:
        fresh = f"; up to date: {', '.join(r.skipped)}" if r.skipped else ""
        click.echo(f"built {r.lesson_id}: {', '.join(r.built)}{fresh} -> {r.out_dir} ({took:.2f}s)")
        moved = r.outputs.get("migrated") if "exercises" in r.built else None
        if moved:
            click.echo(f"  moved {moved['from']} (the per-lesson course layout) into the module's course: "
                       f"{moved['folders']} graders' folders, {moved['submissions']} submissions in the gradebook; "
                       f"the rest kept in {moved['backup']}")
    elif r.skipped:
        click.echo(f"up to date {r.lesson_id}: {', '.join(r.skipped)} ({took:.2f}s)")


def _run(specs, out: Path, formats, force=False, jobs=0, quiet=False):
    """deckc.build.run_builds with the command line's reporting: a line per lesson, a progress bar
    for a folder built in parallel, a note when another run holds a lesson's lock."""
    from .build import run_builds

    bars = []

    def progress(label, total):
        bar = click.progressbar(length=total, label=label, file=sys.stderr, show_eta=True, show_pos=True)
        bar.__enter__()
        bars.append(bar)
        return lambda: bar.update(1)

    try:
        return run_builds(specs, out, formats, force=force, jobs=jobs, on_result=None if quiet else _echo_result,
                          progress=progress, on_wait=lambda msg: click.echo(msg, err=True))
    finally:
        for bar in bars:
            bar.__exit__(None, None, None)


@click.command()
@click.argument("path", type=click.Path(path_type=Path), default=DEFAULT_LESSONS, required=False)
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1).")
def check(path: Path, strict: bool) -> None:
    """Validate lesson specs and lay them out; print every problem; write nothing.

    Problems are printed as FILE:LINE:COL: field.path: message.

    \b
    Examples:
      deckc check
      deckc check lesson/the-sequence-problem.yaml --strict
    """
    from .build import check_lesson
    from .spec.loader import lesson_id_clashes

    specs = _specs(path)
    clashes = lesson_id_clashes(specs)
    results = [check_lesson(spec, clashes) for spec in specs]
    _report(results, strict)
    click.echo(f"ok: {len(results)} lesson{'s' if len(results) != 1 else ''} checked", err=True)


@click.command()
@_lessons_argument
@_out_option
@_format_option
@click.option("--interval", type=click.FloatRange(0.05, 10), default=0.3, show_default=True,
              help="Seconds between checks for changes.")
@click.option("--max-builds", type=int, default=0, hidden=True, help="Stop after N rebuilds (for tests).")
@click.option("--serve", is_flag=True, help="Also serve the HTML lessons on 127.0.0.1 and reload open pages "
                                            "after each rebuild, on the same slide (adds html to --format).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port for --serve (0: any free port).")
def watch(path: Path, out: Path, formats: list[str], interval: float, max_builds: int, serve: bool,
          port: int) -> None:
    """Rebuild whenever a spec or an exercise file is saved; Ctrl-C to stop.

    Prints what changed and how long the rebuild took. Only the lessons whose spec
    (or whose course's exercises/) changed are rebuilt, and within them only the
    outputs whose inputs changed. Spec errors are shown and watching goes on; so it
    does when a spec is deleted, renamed, emptied or unreadable (it is built again
    when it comes back). Ctrl-C prints "Interrupted." and exits 130 (SIGTERM: 143);
    a rebuild it lands in is abandoned and the previous outputs stay as they were.
    A `deckc build` of the same lesson meanwhile waits for the rebuild (and the other
    way round): one writer per lesson folder at a time.

    With --serve, the HTML lessons are served at http://127.0.0.1:PORT/ (one lesson:
    its page; several: OUT/index.html); an open page reloads itself after each
    rebuild and stays on the slide it showed. Only this machine can connect; the
    server closes when watching stops.

    \b
    Examples:
      deckc watch
      deckc watch lesson/the-sequence-problem.yaml --format pptx,pdf
      deckc watch --serve --format html
    """
    from .build import prepare_writers
    from .watch import watch as watch_loop

    if not path.exists() and not path.parent.is_dir():
        raise click.UsageError(f"{path}: no such file or folder (expected a lesson spec .yaml or a folder of them)")

    if serve and "html" not in formats:
        formats = [*formats, "html"]
    server = None

    def rebuild(specs):
        results = _run(specs, out, formats, jobs=1)
        try:
            _report(results, strict=False, note="fix it and save; still watching")
        except (click.ClickException, DeckcError) as e:
            e.show()
        if server is not None:
            server.built(results)           # open pages reload
        return results

    prepare_writers(formats)    # once here: every rebuild's writer processes start with their libraries
    if serve:
        from .preview import PreviewServer

        try:
            server = PreviewServer(out, port)
        except OSError as e:
            raise click.UsageError(f"cannot serve on 127.0.0.1:{port}: {e.strerror or e}; choose another --port")
        click.echo(f"serving {server.url} (open pages reload after each rebuild)", err=True)
    try:
        if server is not None:
            server.start()
        watch_loop(path, rebuild, lambda text: click.echo(text, err=True), interval, max_builds)
    finally:
        if server is not None:
            server.stop()               # also on Ctrl-C / SIGTERM: no socket left listening
