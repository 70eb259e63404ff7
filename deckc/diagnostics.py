"""Problems found in a spec, reported like a compiler: FILE:LINE:COL: field.path: message."""
from __future__ import annotations

from dataclasses import dataclass


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


MAX_PROBLEMS = 200      # per file: a screenful of a pasted mess is enough to start fixing it


class Diagnostics:
    """Collects every problem of one file so a single run reports all of them (the first
    MAX_PROBLEMS of them: a spec of 100,000 unknown keys prints 200 lines, not 100,000)."""

    def __init__(self, file: str):
        self.file = file
        self.items: list[Diagnostic] = []

    @property
    def full(self) -> bool:
        """No more problems will be recorded: callers may skip working out their messages."""
        return len(self.items) > MAX_PROBLEMS

    def _add(self, d: Diagnostic) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(d)
        elif len(self.items) == MAX_PROBLEMS:
            self.items.append(Diagnostic(self.file, d.line, d.col, "", f"more problems from here on; only the "
                                                                       f"first {MAX_PROBLEMS} are shown"))

    def error(self, line: int, col: int, path: str, message: str) -> None:
        self._add(Diagnostic(self.file, line, col, path, message))

    def warning(self, line: int, col: int, path: str, message: str) -> None:
        self._add(Diagnostic(self.file, line, col, path, message, "warning"))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]
