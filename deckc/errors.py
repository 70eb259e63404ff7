"""Every error deckc reports to a user, in one hierarchy (the MkDocs pattern).

`DeckcError` has what click's `ClickException` has (a message, an `exit_code`, `format_message()`,
`show()`), so the command line treats both alike, but this module does not import click: the
core (loader, layout, build) raises these and knows nothing of the command line; `deckc.cli` is
the one place that turns them into a printed message and an exit code. No traceback for users.

Exit codes: 0 success, 1 a build failed for a reason other than the spec, 2 usage or spec
errors, 130 interrupted by SIGINT (Ctrl-C), 143 by SIGTERM (128 + the signal's number).
"""
from __future__ import annotations

import errno
import os
import sys


class DeckcError(Exception):
    """Base: a message for the user and the exit code it ends the command with."""

    exit_code = 1

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message

    def format_message(self) -> str:
        return self.message

    def show(self, file=None) -> None:
        """Like click's: "Error: <message>" on standard error."""
        print(f"Error: {self.format_message()}", file=file or sys.stderr, flush=True)


class SpecError(DeckcError):
    """Spec problems: exit code 2, every problem on its own line as FILE:LINE:COL: path: message."""

    exit_code = 2

    def __init__(self, problems, note: str = ""):
        self.problems = sorted(problems, key=lambda d: (d.file, d.line, d.col))
        n = len([p for p in self.problems if p.severity == "error"])
        lines = [str(p) for p in self.problems]
        lines.append(f"{n} error{'s' if n != 1 else ''} found{'; ' + note if note else ''}.")
        super().__init__("\n".join(lines))

    def show(self, file=None) -> None:
        print(self.format_message(), file=file or sys.stderr, flush=True)    # compiler-style lines, no prefix


class MarkupError(DeckcError, ValueError):
    """Inline markup that does not parse (an unclosed `**`); the schema locates it in the spec:
    at `offset` of the text, with `detail` (the message without "at character N") when it can."""

    exit_code = 2

    def __init__(self, message: str, offset: int | None = None, detail: str = ""):
        super().__init__(message)
        self.offset, self.detail = offset, detail or message


class TexError(MarkupError):
    """TeX outside the documented subset (deckc.texmath.subset); `offset` is where in the formula."""

    def __init__(self, message: str, offset: int = 0):
        super().__init__(message, offset)


class ImageError(DeckcError, ValueError):
    """An image a spec names that may not be used (outside the course, not an image, too large, an
    SVG with outside references); the loader locates it at the `src`."""

    exit_code = 2


class BuildError(DeckcError):
    """A build step failed for a reason other than the spec (exit code 1)."""


class OutputError(BuildError):
    """Reading or writing a file failed: says which path, why, and that the previous build stands."""

    def __init__(self, action: str, path, cause: OSError, untouched: bool = True):
        self.path, self.cause = path, cause
        why = os.strerror(cause.errno).lower() if cause.errno else str(cause)
        if cause.errno == errno.ENOSPC:
            why = "no space left on device"
        tail = "; the previous build is untouched" if untouched else ""
        super().__init__(f"{why} while {action} {_shown(path)}{tail}")


class LockBusy(BuildError):
    """Another deckc run holds the lock of an output folder (exit code 1)."""


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived (deckc/signals.py raises it): exit 128 + the signal's number.

    Not a DeckcError, and not even an Exception: like KeyboardInterrupt, no `except Exception`
    on the way up may swallow it; every `finally` runs. Not a KeyboardInterrupt either, which
    click would turn into "Aborted." and exit 1."""

    def __init__(self, signum: int = 2):
        super().__init__(signum)
        self.signum = signum
        self.exit_code = 128 + signum

    def show(self, file=None) -> None:
        print("Interrupted.", file=file or sys.stderr, flush=True)


class Cancelled(DeckcError):
    """Internal: a value a writer process waited for will not come (the build failed before it)."""


class GradingError(DeckcError):
    """Base for the grader's errors (deckc grade), so they join this hierarchy: `class GradeError(GradingError)`."""


def _shown(path) -> str:
    """Paths in messages are relative to where the user is, like a compiler's."""
    from pathlib import Path

    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(p)
