"""The progress of ``deckc grade`` on stderr: Click's progress bar with its ETA on a terminal;
elsewhere (a log, a CI job) one line per submission with the count and the ETA; nothing with -q."""
from __future__ import annotations

import sys

import click


class Progress:
    def __init__(self, total: int, quiet: bool, stream=None):
        self.total, self.done, self.quiet = total, 0, quiet
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.bar = click.progressbar(length=max(total, 1), label="grading", file=self.stream, show_eta=True,
                                     show_pos=True, item_show_func=lambda note: note,
                                     hidden=quiet or not self.tty or total == 0)
        self.bar.__enter__()
        self.closed = False

    def update(self, student: str, note: str) -> None:
        self.done += 1
        self.bar.update(1, f"{student}: {note}")
        if not (self.quiet or self.tty):
            eta = f", ETA {self.bar.format_eta()}" if self.done < self.total and self.bar.eta_known else ""
            click.echo(f"[{self.done}/{self.total}{eta}] {student}: {note}", file=self.stream)
        if self.done >= self.total:
            self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.bar.__exit__(None, None, None)
