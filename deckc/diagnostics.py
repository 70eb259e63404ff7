"""Problems found in a spec, reported like a compiler: FILE:LINE:COL: field.path: message."""
from __future__ import annotations

from dataclasses import dataclass

import click


@dataclass(frozen=True, order=True)
class Diagnostic:
    file: str
    line: int          # 1-based; 0 when the problem has no position (e.g. an unreadable file)
    col: int           # 1-based
    path: str          # field path such as "slides[3].body[0].chart.kind"; "" for the whole file
    message: str
    severity: str = "error"   # "error" | "warning"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}" if self.line else self.file
        field = f" {self.path}:" if self.path else ""
        tag = " warning:" if self.severity == "warning" else ""
        return f"{where}:{tag}{field} {self.message}"


class Diagnostics:
    """Collects every problem of one file so a single run reports all of them."""

    def __init__(self, file: str):
        self.file = file
        self.items: list[Diagnostic] = []

    def error(self, line: int, col: int, path: str, message: str) -> None:
        self.items.append(Diagnostic(self.file, line, col, path, message))

    def warning(self, line: int, col: int, path: str, message: str) -> None:
        self.items.append(Diagnostic(self.file, line, col, path, message, "warning"))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]


class SpecError(click.ClickException):
    """Spec problems: exit code 2, every problem on its own line, never a traceback."""

    exit_code = 2

    def __init__(self, problems: list[Diagnostic], note: str = ""):
        self.problems = sorted(problems, key=lambda d: (d.file, d.line, d.col))
        n = len([p for p in self.problems if p.severity == "error"])
        lines = [str(p) for p in self.problems]
        lines.append(f"{n} error{'s' if n != 1 else ''} found{'; ' + note if note else ''}.")
        super().__init__("\n".join(lines))

    def format_message(self) -> str:
        return self.message

    def show(self, file=None) -> None:
        click.echo(self.format_message(), err=True)


class BuildError(click.ClickException):
    """A build step failed for a reason other than the spec (exit code 1)."""

    exit_code = 1
