"""The `deckc` command line. Exit codes: 0 success, 2 usage or spec errors, 1 anything else,
130 interrupted (Ctrl-C, SIGINT), 143 terminated (SIGTERM)."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from . import __version__
from .errors import BuildError, DeckcError, Interrupted, SpecError

DEFAULT_LESSONS = Path("lesson")
DEFAULT_OUT = Path("build")


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="deckc")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for internal errors.")
def cli(debug: bool) -> None:
    """deckc compiles a lesson spec into a 16:9 PPTX deck, the same deck as PDF,
    charts whose data numpy computes, and an nbgrader assignment.

    \b
    Quick start:
      deckc build                 build every lesson in lesson/ into build/
      deckc check                 validate lesson/ and report every problem
      deckc watch                 rebuild on every save
      deckc grade build/course            autograde submissions in parallel
      deckc grades export COURSE --to canvas   grades as the LMS imports them
      deckc schema > lesson.schema.json
    """


# Options shared by `build` and `watch`.
_lessons_argument = click.argument("path", type=click.Path(path_type=Path), default=DEFAULT_LESSONS, required=False)
_out_option = click.option("-o", "--out", type=click.Path(path_type=Path, file_okay=False), default=DEFAULT_OUT,
                           show_default=True, help="Output folder; each lesson builds into OUT/<lesson-id>/.")
_format_option = click.option("-f", "--format", "formats", type=FormatList(), default=_default_formats(),
                              show_default=True, help="Comma-separated outputs to build: "
                              f"{', '.join(_format_names())}.")


@cli.command()
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
    `course:`, slugged; every lesson of a build must name the same one): one
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
    _EXIT["fast"] = True      # see run(): a build leaves nothing for interpreter teardown to do
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


@cli.command()
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


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False), default=".", required=False)
def init(folder: Path) -> None:
    """Make a course folder in FOLDER (default: here): lesson/ with a first lesson that uses the
    main blocks, exercises/softmax/ (one small exercise: solution, tests, texts), README.md.
    Nothing that exists is overwritten. Then: cd FOLDER && deckc build.

    \b
    Examples:
      deckc init ml-course && cd ml-course && deckc build
      deckc init            # in an empty folder
    """
    from .scaffold import init_course

    for path in init_course(folder):
        click.echo(f"wrote {path}")
    click.echo(f"next: cd {folder} && deckc build", err=True)


@cli.command()
@click.argument("lesson_id")
def new(lesson_id: str) -> None:
    """Add lesson/LESSON_ID.yaml to the course folder you are in, from a template that uses the
    main blocks (section, math, bullets with reveal, code, a chart of your own numbers, a quiz).

    \b
    Examples:
      deckc new queries-keys-values
      deckc new queries-keys-values && deckc build lesson/queries-keys-values.yaml
    """
    from .scaffold import new_lesson

    click.echo(f"wrote {new_lesson(lesson_id, Path('.'))}")


@cli.command()
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the schema to this file instead of standard output.")
def schema(output: Path | None) -> None:
    """Print the JSON Schema of the lesson spec (for editor autocompletion and validation).

    \b
    Example (VS Code YAML extension):
      deckc schema -o lesson.schema.json
      # then in lesson/*.yaml:  # yaml-language-server: $schema=../lesson.schema.json
    """
    from .spec.lesson_schema import json_schema

    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@cli.command()
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


def _register_grading() -> None:
    from .grading.cli import grade     # a click command; loads nothing heavy until it runs

    cli.add_command(grade)
    from .grading.grades_cli import grades
    cli.add_command(grades)


_register_grading()


_EXIT = {"fast": False}


def run() -> None:
    """The console script: main(), then, after a build, leave without tearing the interpreter down.

    Freeing every object of a process that is about to end costs ~40 ms, 6 % of a cold build. A
    build has closed its files and reaped its writer processes by the time it returns, so after
    flushing the output, os._exit loses nothing. Other commands exit the usual way."""
    try:
        main()
    except SystemExit as e:
        if not _EXIT["fast"]:
            raise
        code = e.code
        if isinstance(code, str):
            print(code, file=sys.stderr)
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code or 0)
    if _EXIT["fast"]:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def main(argv=None) -> None:
    """Entry point: Click errors keep their exit codes; anything unexpected is one line, not a traceback."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        # standalone_mode=False makes click *return* the code of click.exceptions.Exit
        # (`deckc grade` exits 1 that way when a student could not be graded)
        code = cli.main(args=args, prog_name="deckc", standalone_mode=False)
        if isinstance(code, int) and code != 0:
            sys.exit(code)
    except (click.ClickException, DeckcError) as e:     # the core's errors are DeckcError, not click's
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except Interrupted as e:
        e.show()
        sys.exit(e.exit_code)
    except KeyboardInterrupt:     # a SIGINT before signals.install() (main() called as a library)
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as e:  # noqa: BLE001 - the one place that turns crashes into a message
        from . import signals

        if signals.interrupted():     # a signal's exception wrapped on the way (see signals.check)
            click.echo("Interrupted.", err=True)
            sys.exit(128 + signals.interrupted())
        if debug:
            raise
        click.echo(f"deckc: internal error: {type(e).__name__}: {e}\nRerun with --debug to see the traceback.",
                   err=True)
        sys.exit(1)
