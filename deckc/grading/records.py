"""The records between the grader's stages, and their one conversion to and from JSON.

A submission flows plan -> record -> replay -> score -> merge -> report (see the README's flow
section). Each stage hands the next a frozen dataclass of this module, never a dict of string
keys. Records cross a process boundary (the local worker pool's pipes, a cluster's task
arguments) only as ``to_json(record)`` / ``from_json(Type, data)``: one converter, driven by the
type hints, so a field added here travels everywhere at once.

- ``AssignmentDef``: the assignment's fixed half, loaded once per worker (the source and release
  notebooks, the nbgrader config, the template gradebook, limits). Bytes, not paths: a worker
  on another machine needs no access to the course folder.
- ``Sandbox``: where the jail finds Python on the worker's machine (``sandbox.jail_view()``
  there), and whether it isolates.
- ``GradeJob``: one submission: the student, its files (a folder the worker can read, or the
  files themselves), the manual state already in the real gradebook, the uid it runs as.
- ``StudentResult``: what the worker found: per notebook a ``NotebookResult`` of ``GradeRow``s,
  the totals (``scoring.totals``), what each handed-in file became, the seconds by stage
  (``stagetimes.StageTimes``), the folders.
- ``TestRow``: one row of tests.csv (``scoring.test_rows``).
"""
from __future__ import annotations

import base64
import dataclasses
import enum
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

from .stagetimes import CpuTimes, StageTimes

from ..nbgrader import layout
from .matching import FileOutcome

MAX_SUBMISSION_BYTES = 200 * 1024 * 1024      # what a worker copies of one submission


class Override(str, enum.Enum):
    """Did the out-of-kernel check change the kernel's score? (tests.csv's `overridden`)"""
    NO = "no"
    CORRECTED = "yes"                    # the kernel scored it differently
    RESCUED = "no kernel result"         # the kernel died or ran out of time: the check scored it


# --------------------------------------------------------------------------- the fixed half


@dataclass(frozen=True)
class Limits:
    cell_timeout: float | None = None        # nbgrader's Execute.timeout (None: the config's, else 30)
    notebook_timeout: float | None = None    # None: cell timeout x (code cells of the source + 2) + 30
    memory_mb: int | None = 2048
    nproc: int = 64
    cpu_s: float | None = None
    fsize_mb: int = 64


@dataclass(frozen=True)
class AssignmentDef:
    """What every submission of one assignment is graded against; sent to a worker once."""
    assignment: str
    source: dict[str, bytes]                  # path under source/<assignment>/ -> bytes
    release: dict[str, bytes]                 # notebook file name under release/<assignment>/ -> bytes
    template_db: bytes                        # a SQLite gradebook that defines the assignment
    config: bytes | None = None               # the course's nbgrader_config.py
    limits: Limits = Limits()
    feedback: bool = True
    verify: bool = True

    @classmethod
    def from_course(cls, course: Path, assignment: str, template_db: Path, limits: Limits = Limits(),
                    feedback: bool = True, verify: bool = True) -> AssignmentDef:
        """Read from a course folder (regular files only; a symlink could point anywhere)."""
        def files(folder: Path, suffix: str | None = None) -> dict[str, bytes]:
            if not folder.is_dir():
                return {}
            return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
                    if p.is_file() and not p.is_symlink() and (suffix is None or p.suffix == suffix)}
        config = layout.config_path(course)
        return cls(assignment, files(layout.source_dir(course, assignment)),
                   files(layout.release_dir(course, assignment), ".ipynb"), Path(template_db).read_bytes(),
                   config.read_bytes() if config.is_file() else None, limits, feedback, verify)

    def write(self, folder: Path) -> Path:
        """Lay the definition out as a course folder (source/, release/, the config); returns it."""
        for where, table in ((layout.source_dir, self.source), (layout.release_dir, self.release)):
            for rel, data in table.items():
                path = where(folder, self.assignment) / rel
                if ".." in Path(rel).parts or Path(rel).is_absolute():
                    raise ValueError(f"bad file name in the assignment definition: {rel!r}")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        if self.config is not None:
            layout.config_path(folder).write_bytes(self.config)
        return folder


@dataclass(frozen=True)
class WorkerReady:
    """A worker's answer once it has loaded an AssignmentDef."""
    notebooks: tuple[str, ...]
    cell_timeout: float
    notebook_timeouts: dict[str, float] = field(default_factory=dict)

    @property
    def job_budget(self) -> float:
        """Wall time of one whole submission: twice the notebooks' caps, plus 180 s."""
        return 2 * sum(self.notebook_timeouts.values() or [self.cell_timeout * 40]) + 180


@dataclass(frozen=True)
class Sandbox:
    """The jail on the worker's machine: read-only bind mounts and symlinks (sandbox.jail_view)."""
    isolate: bool = False
    ro: tuple[str, ...] = ()
    links: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- one submission


@dataclass(frozen=True)
class ManualState:
    """What the real gradebook already holds for the student (gradebook.student_state)."""
    extension: float | None = None                                  # seconds
    grades: dict[str, dict[str, tuple[float | None, float | None]]] = field(default_factory=dict)
    comments: dict[str, dict[str, str]] = field(default_factory=dict)  # notebook -> comment -> manual text
    known: bool = False                       # the gradebook has a submission of this student


@dataclass(frozen=True)
class GradeJob:
    """One submission: a `folder` the worker can read (local grading), or its `files` (a worker
    elsewhere; `skipped`: what the sender left out by submission_files' rule), or for the
    preflight neither: the definition's own source/ is the reference solution."""
    student: str
    folder: str | None = None
    files: dict[str, bytes] | None = None
    skipped: tuple[str, ...] = ()
    state: ManualState = ManualState()
    uid: int | None = None                    # the unprivileged uid it runs as (a block per run)
    preflight: bool = False                   # the reference solution: judged, never merged

    def packed(self) -> GradeJob:
        """The job with its folder's files as bytes (for a worker on another machine)."""
        if self.folder is None:
            return self
        accepted, skipped = submission_files(Path(self.folder))
        return dataclasses.replace(self, folder=None, files={rel: p.read_bytes() for rel, p in accepted},
                                   skipped=tuple(self.skipped) + tuple(skipped))


def submission_files(folder: Path) -> tuple[list[tuple[str, Path]], list[str]]:
    """(accepted (relative name, path), skipped names) of a submission folder: regular files only
    (a symlink could point anywhere), at most MAX_SUBMISSION_BYTES in all."""
    import os
    import stat

    accepted, skipped, total = [], [], 0
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        rel = Path(dirpath).relative_to(folder)
        for d in sorted(dirnames):
            if os.path.islink(os.path.join(dirpath, d)):
                skipped.append(str(rel / d))
                dirnames.remove(d)
        for f in filenames:
            path = Path(dirpath) / f
            st = os.lstat(path)
            if not stat.S_ISREG(st.st_mode) or total + st.st_size > MAX_SUBMISSION_BYTES:
                skipped.append(str(rel / f))
                continue
            total += st.st_size
            accepted.append(((rel / f).as_posix(), path))
    return accepted, skipped


# --------------------------------------------------------------------------- between the stages


@dataclass(frozen=True)
class KernelRun:
    """nbgrader's kernel run of one notebook (the kernel half of a notebook's outcome)."""
    ok: bool
    error: str | None = None
    cells: dict[str, str] = field(default_factory=dict)      # grade id -> error shown ('' if none)


@dataclass(frozen=True)
class StoredGrade:
    auto_score: float | None
    max_score: float
    needs_manual_grade: bool = False


@dataclass(frozen=True)
class StoredNotebook:
    """What nbgrader's autograde stored for one notebook (in the worker's private gradebook)."""
    grades: dict[str, StoredGrade] = field(default_factory=dict)
    comments: dict[str, str | None] = field(default_factory=dict)
    late_penalty: float | None = None


@dataclass(frozen=True)
class Stored:
    timestamp: str | None
    notebooks: dict[str, StoredNotebook]


@dataclass(frozen=True)
class Layout:
    """Where a notebook's grade cells are (from its source), for scoring and the report."""
    index: dict[str, int] = field(default_factory=dict)        # grade id -> cell position
    note_to: dict[str, str] = field(default_factory=dict)      # grade id -> solution cell before it
    graded: frozenset[str] = frozenset()                       # grade ids the gradebook defines


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class GradeRow:
    """One grade cell of one student: the kernel's score, the check's verdict, the final score."""
    grade_id: str
    max_score: float
    final: float | None                       # the auto score written to the gradebook
    kernel_score: float | None = None         # None: no kernel result (or not handed in)
    kernel_error: str = ""                    # the error the kernel's run of the cell showed
    verified: bool | None = None              # None: not checked out of the kernel
    verified_score: float | None = None
    verified_error: str = ""
    message: str = ""
    override: Override = Override.NO
    index: int = 10_000                       # position in the notebook (report order)


@dataclass(frozen=True)
class NotebookResult:
    name: str
    submitted: bool
    autograded: bool                          # nbgrader's kernel run finished
    grades: dict[str, GradeRow] = field(default_factory=dict)
    comments: dict[str, str | None] = field(default_factory=dict)   # auto comments (correction notes)
    late_penalty: float | None = None
    kernel_error: str | None = None
    refused: str = ""                         # why the handed-in file was not graded (matching)


@dataclass(frozen=True)
class StudentResult:
    student: str
    ok: bool
    error: str = ""
    not_graded: bool = False                  # not the student's fault: nothing is merged
    files: tuple[FileOutcome, ...] | None = None   # what each handed-in file became (None: not looked at)
    timestamp: str | None = None
    notebooks: dict[str, NotebookResult] = field(default_factory=dict)
    score: float = 0.0                        # total after late penalties, at least 0 (scoring.totals)
    max_score: float = 0.0
    diagnosis: str | None = None
    unchanged: tuple[str, ...] = ()           # notebooks handed back as released
    edited: dict[str, tuple[str, ...]] = field(default_factory=dict)   # read-only cells changed
    skipped_files: tuple[str, ...] = ()
    seconds: float = 0.0
    timings: StageTimes = field(default_factory=StageTimes)   # seconds by stage, adding up to `seconds`
    cpu: CpuTimes = field(default_factory=CpuTimes)
    autograded_dir: str | None = None         # in the worker's scratch (same machine)
    feedback_dir: str | None = None
    outputs: dict[str, dict[str, bytes]] | None = None   # or packed: AUTOGRADED/FEEDBACK -> files
    feedback_problems: tuple[str, ...] = ()
    empty: str = ""      # an empty submission (no notebook to grade, none refused): why, graded 0

    def parts(self, override: Override) -> list[str]:
        """notebook/grade id of the parts whose score came about that way, in report order."""
        return [f"{nb.name}/{g.grade_id}" for nb in sorted(self.notebooks.values(), key=lambda n: n.name)
                for g in sorted(nb.grades.values(), key=lambda g: (g.index, g.grade_id)) if g.override is override]


@dataclass(frozen=True)
class TestRow:
    """One row of tests.csv (report.CSV_FIELDS)."""
    student: str
    notebook: str
    test: str
    points: float | None
    max_points: float
    result: str                   # pass | partial | fail | not submitted | refused | needs manual grading
    error_type: str
    kernel_points: float | None
    verified_points: float | None
    overridden: Override
    message: str


# --------------------------------------------------------------------------- JSON, in one place


def to_json(value):
    """A record (or anything built of records, str, numbers, bytes, tuples, dicts) as JSON data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise TypeError(f"cannot send a {type(value).__name__} between grading processes")


def from_json(kind, data):
    """The value of type `kind` (a record class or a type hint) that to_json turned into data.
    Raises ValueError on data of the wrong shape."""
    try:
        return _build(kind, data)
    except (TypeError, KeyError, AttributeError, base64.binascii.Error) as e:
        raise ValueError(f"malformed {getattr(kind, '__name__', kind)}: {type(e).__name__}: {e}") from None


_HINTS: dict = {}


def _hints(cls):
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))
    return _HINTS[cls]


def _build(kind, data):
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        if data is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _build(inner[0], data)
    if dataclasses.is_dataclass(kind):
        if not isinstance(data, dict):
            raise TypeError(f"expected an object for {kind.__name__}")
        hints = _hints(kind)
        known = {f.name for f in dataclasses.fields(kind)}
        return kind(**{k: _build(hints[k], v) for k, v in data.items() if k in known})
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(data)
    if kind is bytes:
        if not isinstance(data, str):
            raise TypeError("expected base64 text")
        return base64.b64decode(data, validate=True)
    if origin is dict:
        if not isinstance(data, dict):
            raise TypeError("expected an object")
        return {k: _build(args[1], v) for k, v in data.items()}
    if origin in (tuple, list):
        if not isinstance(data, list):
            raise TypeError("expected a list")
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], v) for v in data)
        if origin is tuple:
            if len(data) != len(args):
                raise TypeError(f"expected {len(args)} items")
            return tuple(_build(a, v) for a, v in zip(args, data))
        return [_build(args[0], v) for v in data]
    if kind is float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            raise TypeError("expected a number")
        return float(data)
    if kind in (str, int, bool):
        if not isinstance(data, kind) or (kind is int and isinstance(data, bool)):
            raise TypeError(f"expected {kind.__name__}")
        return data
    if kind is typing.Any:
        return data
    raise TypeError(f"no JSON form for {kind!r}")
