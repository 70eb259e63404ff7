"""The `deckc` command line. Exit codes: 0 success, 2 usage or spec errors, 1 anything else."""
from __future__ import annotations

import json
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


def _report(results, strict: bool) -> None:
    """Print warnings; raise for errors (exit 2) or for warnings under --strict (exit 1)."""
    problems = [p for r in results for p in r.problems]
    errors = [p for p in problems if p.severity == "error"]
    for w in (p for p in problems if p.severity == "warning"):
        click.echo(str(w), err=True)
    failures = [r for r in results if r.failed]
    for r in failures:
        click.echo(f"{r.spec}: build failed: {r.failed}", err=True)
    if errors:
        raise SpecError(errors)
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
    charts whose data numpy computes, and an nbgrader assignment.

    \b
    Quick start:
      deckc build                 build every lesson in lesson/ into build/
      deckc check                 validate lesson/ and report every problem
      deckc schema > lesson.schema.json
    """


@cli.command()
@click.argument("path", type=click.Path(path_type=Path), default=DEFAULT_LESSONS, required=False)
@click.option("-o", "--out", type=click.Path(path_type=Path, file_okay=False), default=DEFAULT_OUT,
              show_default=True, help="Output folder; each lesson builds into OUT/<lesson-id>/.")
@click.option("-f", "--format", "formats", type=FormatList(), default="pptx,pdf,charts,exercises",
              show_default=True, help="Comma-separated outputs to build: pptx, pdf, charts, exercises.")
@click.option("--strict", is_flag=True, help="Treat warnings (overflow, missing glyphs) as errors: exit 1.")
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
def build(path: Path, out: Path, formats: list[str], strict: bool, quiet: bool) -> None:
    """Build lessons: PATH is a spec file or a folder of specs (default: lesson/).

    \b
    Outputs, per lesson, in OUT/<lesson-id>/:
      <lesson-id>.pptx   editable deck: native text, tables, charts; speaker notes
      <lesson-id>.pdf    the same layout; fonts embedded; outline of slide titles
      charts/*.csv       the data behind every chart
      course/            nbgrader course: source/, release/, gradebook.db
      manifest.json      what was built, with sha256 checksums

    \b
    Examples:
      deckc build
      deckc build lesson/the-sequence-problem.yaml -o /tmp/out --format pptx,pdf
      deckc build --strict
    """
    from .build import build_lesson

    specs = _specs(path)
    results = []
    for spec in specs:
        t0 = time.perf_counter()
        r = build_lesson(spec, out, formats)
        results.append(r)
        if not quiet and r.outputs:
            built = ", ".join(k for k in r.outputs.get("outputs", {}))
            click.echo(f"built {r.lesson_id}: {built} -> {r.out_dir} ({time.perf_counter() - t0:.2f}s)")
    _report(results, strict)


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
