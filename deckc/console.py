"""The `deckc` console script. SIGINT and SIGTERM handlers go in before anything else is
imported (click, the build, numpy), so even a Ctrl-C in the first milliseconds ends with one
line "Interrupted." and exit 130, not a traceback."""
from __future__ import annotations

import os
import sys

from . import signals
from .errors import Interrupted


def run() -> None:
    signals.install()
    try:
        from .cli import run as run_cli

        run_cli()
    except Interrupted as e:       # during the imports above, or after main() has returned
        e.show()
        sys.stdout.flush()
        os._exit(e.exit_code)
