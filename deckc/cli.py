"""The `deckc` command line. Exit codes: 0 success, 2 usage or spec errors, 1 anything else."""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import click

from . import __version__
from .diagnostics import SpecError

DEFAULT_LESSONS = Path("lesson")
DEFAULT_OUT = Path("build")


def _format_names():
    from .writers import WRITERS
    return list(WRITERS)


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
        raise click.ClickException(f"{len(failures)} lesson(s) failed to build")
    warnings = [p for p in problems if p.severity == "warning"]
    if strict and warnings:
        raise click.ClickException(f"{len(warnings)} warning(s) and --strict is set")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="deckc")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for internal errors.")
def cli(debug: bool) -> None:
    """deckc compiles a lesson spec into a 16:9 PPTX deck, the same deck as PDF,
    charts whose data numpy computes, an interactive HTML lesson and an nbgrader
    assignment.

    \b
    Quick start:
      deckc build                 build every lesson in lesson/ into build/
      deckc check                 validate lesson/ and report every problem
      deckc watch                 rebuild on every save
      deckc watch --serve         ... and preview the HTML lesson, live, on 127.0.0.1
      deckc grade build/<lesson>/course   autograde submissions in parallel
      deckc schema > lesson.schema.json
    """


# Options shared by `build` and `watch`.
_lessons_argument = click.argument("path", type=click.Path(path_type=Path), default=DEFAULT_LESSONS, required=False)
_out_option = click.option("-o", "--out", type=click.Path(path_type=Path, file_okay=False), default=DEFAULT_OUT,
                           show_default=True, help="Output folder; each lesson builds into OUT/<lesson-id>/.")
_format_option = click.option("-f", "--format", "formats", type=FormatList(), default="pptx,pdf,charts,html,exercises",
                              show_default=True, help="Comma-separated outputs to build: pptx, pdf, charts, html, "
                                                      "handout, exercises.")


@cli.command()
@_lessons_argument
@_out_option
@_format_option
@click.option("--strict", is_flag=True, help="Treat warnings (overflow, missing glyphs) as errors: exit 1.")
@click.option("--force", is_flag=True, help="Rebuild every output even if its inputs did not change.")
@click.option("-j", "--jobs", type=click.IntRange(0, 64), default=0,
              help="Parallel workers for a folder of lessons (default: one per core).")
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
def build(path: Path, out: Path, formats: list[str], strict: bool, force: bool, jobs: int, quiet: bool) -> None:
    """Build lessons: PATH is a spec file or a folder of specs (default: lesson/).

    \b
    Outputs, per lesson, in OUT/<lesson-id>/:
      <lesson-id>.pptx   editable deck: native text, tables, charts; speaker notes
      <lesson-id>.pdf    the same layout; fonts embedded; outline of slide titles
      charts/*.csv       the data behind every chart
      <lesson-id>.html   interactive web lesson, one self-contained file (and
                         OUT/index.html: the folder's lessons in order)
      <lesson-id>-handout.pdf  (--format handout) each slide with its notes
      course/            nbgrader course: source/, release/, gradebook.db
      manifest.json      what was built, with sha256 checksums and input fingerprints

    Builds are incremental: an output whose inputs (spec, exercises/, deckc itself)
    did not change is skipped; --force rebuilds everything. A folder of lessons builds
    in parallel; one failing lesson does not stop the others (exit code at the end).
    Each lesson's writers run side by side in their own processes.

    course/release/ and the gradebook rows are made exactly as nbgrader's
    generate_assignment makes them, without running nbgrader; where deckc cannot be
    sure of the same result (another nbgrader version, a changed config, submissions
    in the gradebook) it runs nbgrader itself.

    \b
    Environment:
      SOURCE_DATE_EPOCH         the date embedded in outputs (default 2024-01-01)
      DECKC_NBGRADER_RELEASE=1  always run nbgrader's generate_assignment
      DECKC_NO_FORK=1           writers in threads instead of processes
      DECKC_CACHE_DIR=DIR|off   where the HTML lesson's subset fonts are kept

    \b
    Examples:
      deckc build
      deckc build lesson/the-sequence-problem.yaml -o /tmp/out --format pptx,pdf
      deckc build --strict
    """
    _EXIT["fast"] = True      # see run(): a build leaves nothing for interpreter teardown to do
    results = run_builds(_specs(path), out, formats, force=force, jobs=jobs, quiet=quiet)
    _report(results, strict, "a lesson with errors is not built and its previous outputs stay as they were")


def _echo_result(r, took: float) -> None:
    if r.errors or r.failed:
        return
    if r.built:
        fresh = f"; up to date: {', '.join(r.skipped)}" if r.skipped else ""
        click.echo(f"built {r.lesson_id}: {', '.join(r.built)}{fresh} -> {r.out_dir} ({took:.2f}s)")
    elif r.skipped:
        click.echo(f"up to date {r.lesson_id}: {', '.join(r.skipped)} ({took:.2f}s)")


def _build_one(spec: Path, out: Path, formats: list[str], force: bool):
    """One lesson; any crash becomes that lesson's failure, so the others still build."""
    from .build import LessonResult, build_lesson

    t0 = time.perf_counter()
    try:
        r = build_lesson(spec, out, formats, force=force)
    except Exception as e:  # noqa: BLE001 - reported per lesson, exit 1 at the end
        r = LessonResult(spec, failed=f"{type(e).__name__}: {e}")
    return r, time.perf_counter() - t0


def run_builds(specs, out: Path, formats, force=False, jobs=0, quiet=False):
    """Build lessons, then (with html) OUT/index.html, the folder's lessons in order."""
    results = _run_builds(specs, out, formats, force, jobs, quiet)
    if "html" in formats and out.is_dir():
        from .writers.html import write_index

        write_index(out)
    return results


def _run_builds(specs, out: Path, formats, force=False, jobs=0, quiet=False):
    """Build lessons, in parallel worker processes when there are several (one per core by default)."""
    import os

    jobs = jobs or os.cpu_count() or 1
    if len(specs) == 1 or jobs == 1:
        results = []
        for spec in specs:
            r, took = _build_one(spec, out, formats, force)
            if not quiet:
                _echo_result(r, took)
            results.append(r)
        return results
    from concurrent.futures import ProcessPoolExecutor, as_completed

    results = {}
    from .build import prepare_writers

    # each worker imports the writers' libraries once, not once per lesson
    with ProcessPoolExecutor(max_workers=min(jobs, len(specs)), initializer=prepare_writers,
                             initargs=(list(formats),)) as pool:
        futures = {pool.submit(_build_one, spec, out, formats, force): spec for spec in specs}
        with click.progressbar(length=len(specs), label=f"building {len(specs)} lessons on {min(jobs, len(specs))} "
                               f"workers", file=sys.stderr, show_eta=True, show_pos=True) as bar:
            for fut in as_completed(futures):
                results[futures[fut]] = fut.result()      # (result, seconds)
                bar.update(1)
    if not quiet:
        for spec in specs:
            _echo_result(*results[spec])
    return [results[spec][0] for spec in specs]   # spec order: deterministic reports


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

    results = [check_lesson(spec) for spec in _specs(path)]
    _report(results, strict)
    click.echo(f"ok: {len(results)} lesson{'s' if len(results) != 1 else ''} checked", err=True)


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


def _snapshot(path: Path) -> dict[Path, tuple[int, int]]:
    """mtime and size of every spec under PATH and every file of the course's exercises/."""
    from .spec.loader import find_specs

    files = set(find_specs(path))
    for spec in list(files):
        exercises = spec.resolve().parent.parent / "exercises"
        if exercises.is_dir():
            files |= {f for f in exercises.rglob("*") if f.is_file() and "__pycache__" not in f.parts}
    snap = {}
    for f in files:
        try:
            st = f.stat()
        except OSError:
            continue
        snap[f] = (st.st_mtime_ns, st.st_size)
    return snap


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

    Prints what changed and how long the rebuild took. Spec errors are shown and
    watching goes on; only outputs whose inputs changed are rebuilt.

    With --serve, the HTML lessons are served at http://127.0.0.1:PORT/ (one lesson:
    its page; several: OUT/index.html); an open page reloads itself after each
    rebuild and stays on the slide it showed. Only this machine can connect.

    \b
    Examples:
      deckc watch
      deckc watch lesson/the-sequence-problem.yaml --format pptx,pdf
      deckc watch --serve --format html
    """
    _specs(path)
    cwd = Path.cwd()
    if serve and "html" not in formats:
        formats = [*formats, "html"]

    def rel(p: Path) -> str:
        try:
            return str(p.resolve().relative_to(cwd.resolve()))
        except ValueError:
            return str(p)

    def rebuild() -> list:
        results = run_builds(_specs(path) if path.exists() else [], out, formats, jobs=1)
        try:
            _report(results, strict=False, note="fix it and save; still watching")
        except click.ClickException as e:
            e.show()
        return results

    first = rebuild()
    from .build import prepare_writers

    prepare_writers(formats)    # once here: every rebuild's writer processes start with their libraries
    server = None
    if serve:
        from .preview import PreviewServer

        try:
            server = PreviewServer(out, port, tuple(r.lesson_id for r in first if r.lesson_id))
        except OSError as e:
            raise click.UsageError(f"cannot serve on 127.0.0.1:{port}: {e.strerror or e}; choose another --port")
    before = _snapshot(path)
    _stop_on_sigterm()
    try:
        if server is not None:
            server.__enter__()
            click.echo(f"serving {server.url}{server.start_page() or ''} (reloads after each rebuild)", err=True)
        click.echo(f"watching {rel(path)} and exercises/ (Ctrl-C to stop)", err=True)
        builds = 0
        while not max_builds or builds < max_builds:
            time.sleep(interval)
            now = _snapshot(path)
            if now == before:
                continue
            changed = sorted(set(now) ^ set(before) | {f for f in now if f in before and now[f] != before[f]})
            before = now
            click.echo(f"changed: {', '.join(rel(f) for f in changed)}", err=True)
            t0 = time.perf_counter()
            rebuild()
            builds += 1
            if server is not None:
                server.bump()
            click.echo(f"rebuilt in {time.perf_counter() - t0:.2f}s; watching", err=True)
    except KeyboardInterrupt:
        click.echo("stopped watching", err=True)
    finally:
        if server is not None:
            server.__exit__(None, None, None)


def _stop_on_sigterm() -> None:
    """SIGTERM stops `deckc watch` as Ctrl-C does: the current build finishes its clean-up, the
    preview server closes its socket."""
    import signal

    def stop(signum, frame):
        raise KeyboardInterrupt

    if threading_is_main():
        signal.signal(signal.SIGTERM, stop)


def threading_is_main() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _register_grading() -> None:
    from .grading.cli import grade     # a click command; loads nothing heavy until it runs

    cli.add_command(grade)


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
        cli.main(args=args, prog_name="deckc", standalone_mode=False)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as e:  # noqa: BLE001 - the one place that turns crashes into a message
        if debug:
            raise
        click.echo(f"deckc: internal error: {type(e).__name__}: {e}\nRerun with --debug to see the traceback.",
                   err=True)
        sys.exit(1)
