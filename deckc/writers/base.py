"""What a writer is given and returns: the build context, the outputs it lists in the manifest,
and the Writer record the registry (writers/__init__.py) is made of.

Apart from the registry so a writer module can use these types without importing the registry
that imports it (no import cycle).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:  # type names only: importing these pulls in numpy, which `deckc build` no-ops avoid
    from ..layout.plan import DeckPlan
    from ..model import Lesson
    from ..spec.loader import SpecHead


@dataclass
class BuildContext:
    lesson: Lesson
    deck: DeckPlan | None  # None until the layout is done (writers with needs_plan=False start before)
    stage: Path            # write outputs here, at their final relative paths
    out_dir: Path          # where the outputs will be (holds the previous build, if any)
    version: str
    date: datetime         # the one date embedded in outputs (SOURCE_DATE_EPOCH or a fixed default)

    def write(self, rel: str, data: bytes | str) -> None:
        """Write one output file into the staging folder; a failure names the file (a failed write()
        call alone says only "No space left on device")."""
        path = self.stage / rel
        try:
            with open(path, "wb") as f:
                f.write(data.encode("utf-8") if isinstance(data, str) else data)
        except OSError as e:
            if e.filename:
                raise
            raise type(e)(e.errno, e.strerror, str(path)) from e


@dataclass(frozen=True)
class Output:
    key: str               # manifest key under "outputs": the format's name (incremental builds look it up)
    path: str              # relative to the lesson's output folder; a folder for directory outputs
    is_dir: bool = False
    keep: tuple[str, ...] = ()  # entries of the previous folder that a rebuild carries over
    extra: dict | None = None   # more manifest fields (e.g. the nbgrader assignment name)


@dataclass(frozen=True)
class Writer:
    name: str
    help: str
    write: Callable[[BuildContext], list[Output]]
    needs_plan: bool = True     # False: may start before the layout plan exists (runs alongside it)
    prepare: Callable[[], None] | None = None   # work that needs no context (imports), done before writing
    early: bool = False         # start (and prepare) while the lesson loads and is laid out
    # What of the spec the output is made from, for incremental builds: a function of the spec's
    # SpecHead (its validated header and quiz) returning plain data; None: the whole spec file.
    inputs: Callable[[SpecHead], object] | None = None
    state: tuple[str, ...] = ()  # file names in its output that are state, not output (never checksummed)
    default: bool = True         # built when --format is not given
    after: Callable[[Path], None] | None = None  # once a run's lessons are built, with OUT (html: index.html)
