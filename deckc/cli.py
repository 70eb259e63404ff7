"""The `deckc` command line. Exit codes: 0 success, 2 usage or spec errors, 1 anything else,
130 interrupted (Ctrl-C, SIGINT), 143 terminated (SIGTERM).

The group and the entry points live here; the commands in cli_build.py (build, check, watch),
cli_course.py (init, new, schema) and grading/ (grade, grades).
"""
from __future__ import annotations

import os
import sys

import click

from . import __version__
from .cli_build import FAST_EXIT
from .errors import DeckcError, Interrupted


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


def _register() -> None:
    from .cli_build import build, check, watch
    from .cli_course import init, new, schema
    from .grading.cli import grade     # a click command; loads nothing heavy until it runs
    from .grading.grades_cli import grades

    for command in (build, check, init, new, schema, watch, grade, grades):
        cli.add_command(command)


_register()
_EXIT = FAST_EXIT


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
