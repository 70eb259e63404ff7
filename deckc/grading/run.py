"""The main process of ``deckc grade``: workers, progress, single-writer merge, reports.

Parallel grading without lost, duplicated or mixed-up grades: workers never touch the real
gradebook. Each grades one student at a time in its own scratch course (private SQLite copy)
and sends the results back; this process - the only writer - merges them into the real
gradebook (SQLite or PostgreSQL) through nbgrader's API, one student per transaction, and moves
autograded/S/A and feedback/S/A into the course. Re-grading a student replaces their values.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..nbgrader import layout
from .dispatch import Grading
from .guard import signals_deferred
from .merge import write_tests_csv
from .pool import Pool, WorkerProcess
from .progress import Progress
from .records import AssignmentDef, Limits, Sandbox
from .report import format_summary  # noqa: F401 - format_summary: this module's API
from .sandbox import UNSHARE, isolation_mode, jail_view, uid_base, worker_preexec  # noqa: F401 - also this module's API



class GradeError(Exception):
    """A problem with the command's inputs (exit code 2)."""


class GradeFailure(Exception):
    """Grading could not run at all: the gradebook cannot be opened, workers cannot start (exit 1)."""


@dataclass
class Options:
    course: Path
    assignment: str | None = None
    jobs: int = 0
    timeout: float | None = None          # per cell (nbgrader's Execute.timeout)
    notebook_timeout: float | None = None
    memory_mb: int | None = 2048
    nproc: int = 64
    db: str | None = None
    students: tuple = ()
    from_zip: Path | None = None
    roster: Path | None = None            # students.csv: LMS ids -> student ids; imported into the gradebook
    lms_timezone: str = "UTC"             # the LMS server's zone: the times of a --from-zip export
    feedback: bool = True
    verify: bool = True
    isolation: str = "auto"               # auto | namespace | none
    quiet: bool = False
    preflight: bool = True                # grade the reference solution first, in the same jail
    cluster: str | None = None            # local:N or a Dask scheduler address (cluster.py)
    resume: bool = False                  # grade only students the gradebook has no grade of


@dataclass
class Summary:
    assignment: str
    db_url: str
    graded: list = field(default_factory=list)
    failed: dict = field(default_factory=dict)          # student -> why not graded (nothing written)
    missing: dict = field(default_factory=dict)         # student -> [notebooks not handed in]
    empty: dict = field(default_factory=dict)           # student -> why the submission held nothing (graded 0)
    unchanged: dict = field(default_factory=dict)       # student -> [notebooks identical to the release]
    edited: dict = field(default_factory=dict)          # student -> {notebook: [read-only cells changed]}
    preflight: tuple | None = None                      # (score, max, seconds) of the reference
    totals: dict = field(default_factory=dict)          # student -> (score, max)
    overrides: dict = field(default_factory=dict)       # student -> [notebook/grade id]: kernel disagreed
    rescued: dict = field(default_factory=dict)         # student -> [...]: no kernel result (died, time)
    feedback_problems: dict = field(default_factory=dict)
    seconds: float = 0.0
    jobs: int = 0
    isolation: str = "none"
    intake: object = None
    reports: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)           # student -> [matching outcome]: what each file became
    resumed: list = field(default_factory=list)         # --resume: students already graded, skipped

    @property
    def ok(self) -> bool:
        return not self.failed


# --------------------------------------------------------------------------- course discovery


def find_assignment(course: Path, assignment: str | None) -> str:
    source = layout.source_root(course)
    if assignment:
        if not (source / assignment).is_dir():
            raise GradeError(f"{course}: no assignment {assignment!r} in source/")
        return assignment
    names = sorted(p.name for p in source.iterdir() if p.is_dir()) if source.is_dir() else []
    if len(names) != 1:
        raise GradeError(f"{course}: {'no assignments' if not names else 'several assignments'} in source/ "
                         f"({', '.join(names)}); choose one with --assignment")
    return names[0]


def find_students(course: Path, assignment: str, only=()) -> list[str]:
    sub = layout.submitted_root(course)
    found = sorted(p.name for p in sub.iterdir()
                   if (p / assignment).is_dir() and not p.name.startswith(".")) if sub.is_dir() else []
    if only:
        missing = sorted(set(only) - set(found))
        if missing:
            raise GradeError(f"no submission for {', '.join(missing)} in {sub}")
        found = [s for s in found if s in set(only)]
    return found


def read_config(course: Path) -> dict:
    """db_url and course_id from the course's nbgrader_config.py (nbgrader's own loader)."""
    from ..nbgrader.config import course_settings

    return course_settings(course)


def normalize_db_url(url: str) -> str:
    """postgres:// and postgresql:// with the PostgreSQL driver that is installed (psycopg 3 or
    psycopg2) made explicit: SQLAlchemy's default driver depends on its version."""
    import importlib.util
    import re

    m = re.match(r"^(postgres|postgresql)://", url)
    if not m:
        return url
    for driver in ("psycopg", "psycopg2"):
        if importlib.util.find_spec(driver) is not None:
            return f"postgresql+{driver}://" + url[m.end():]
    raise GradeError("a PostgreSQL gradebook needs a driver: pip install 'deckc[postgres]'")


# --------------------------------------------------------------------------- the gradebook side


def prepare_gradebook(course: Path, assignment: str, db_url: str, course_id: str, scratch: Path) -> Path:
    """Make sure the real gradebook knows the assignment; write the workers' template SQLite."""
    from ..nbgrader import gradebook as gbmod

    with gbmod.open_gradebook(db_url, course_id) as gb:
        if not gbmod.has_assignment(gb, assignment):
            source_db = _definitions_source(course, assignment, db_url, course_id, scratch)
            with gbmod.open_gradebook(source_db, course_id) as src:
                gbmod.copy_assignment(src, gb, assignment)
        template = scratch / "template.db"
        with gbmod.open_gradebook("sqlite:///" + str(template), course_id) as dst:
            gbmod.copy_assignment(gb, dst, assignment)
    return template


def _definitions_source(course, assignment, db_url, course_id, scratch) -> str:
    """A gradebook that defines the assignment: the course's own SQLite one if it does, else
    one made as nbgrader's generate_assignment makes it (deckc.nbgrader.release: natively when
    it can be sure of the same result) in a scratch copy of the course."""
    from ..nbgrader import gradebook as gbmod

    local = layout.gradebook_path(course)
    local_url = layout.sqlite_url(local)
    if local.is_file() and local_url != db_url:
        with gbmod.open_gradebook(local_url, course_id) as gb:
            if gbmod.has_assignment(gb, assignment):
                return local_url
    from ..nbgrader.command import nbgrader
    from ..nbgrader.config import is_own_config
    from ..nbgrader.release import make_release

    copy = scratch / "generate"
    shutil.copytree(layout.source_dir(course, assignment), layout.source_dir(copy, assignment))
    url = layout.default_db_url(copy)
    if layout.config_path(course).is_file():
        shutil.copy2(layout.config_path(course), layout.config_path(copy))
    if is_own_config(copy, course_id):
        make_release(copy, assignment, course_id)   # deckc's config: root and gradebook are the copy's own
    else:
        nbgrader(copy, "generate_assignment", assignment, "--force", f"--CourseDirectory.root={copy}",
                 f"--CourseDirectory.db_url={url}")
    return url


# --------------------------------------------------------------------------- workers


MAX_MESSAGE_BYTES = 256 * 1024 * 1024     # from a worker: more is a broken worker, not a result


def _spawn(index: int, prefix: list[str], scratch: Path, log, memory_mb: int) -> WorkerProcess:
    return WorkerProcess(index, prefix + [sys.executable, "-m", "deckc.grading.worker"], scratch / f"w{index}",
                         log, worker_preexec(memory_mb), MAX_MESSAGE_BYTES)


# --------------------------------------------------------------------------- the command


def grade(opts: Options) -> Summary:
    started = _T0[0] = time.monotonic()
    course = Path(opts.course).resolve()
    if not course.is_dir():
        raise GradeError(f"{course}: no such course folder")
    assignment = find_assignment(course, opts.assignment)
    from .guard import Busy, course_lock, scratch_dir
    try:
        with course_lock(course), scratch_dir() as scratch:
            return _grade_locked(opts, course, assignment, scratch, started)
    except Busy as e:
        raise GradeFailure(str(e)) from None


def _grade_locked(opts: Options, course: Path, assignment: str, scratch: Path, started: float) -> Summary:
    notebooks = {p.stem for p in layout.source_dir(course, assignment).glob("*.ipynb")}
    intake = roster = None
    if opts.roster is not None:
        from .roster import RosterError, load
        try:
            roster = load(opts.roster)
        except RosterError as e:
            raise GradeError(str(e)) from None
    if opts.from_zip is not None:
        from .intake import from_zip
        try:
            intake = from_zip(Path(opts.from_zip), course, assignment, notebooks, roster=roster,
                              lms_timezone=opts.lms_timezone)
        except (KeyError, ValueError) as e:     # zoneinfo: an unknown --lms-timezone
            raise GradeError(f"--lms-timezone {opts.lms_timezone!r}: {e}") from None
    students = find_students(course, assignment, opts.students)
    summary = Summary(assignment, _safe_url(opts.db or "the course's gradebook"), intake=intake)
    if not students:
        summary.seconds = time.monotonic() - started
        return summary

    _mark("start")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    jobs = max(1, min(opts.jobs or cores, len(students)))
    # one unprivileged uid per submission (the preflight's and retries' included)
    uids = iter(range(uid_base(2 * len(students) + jobs + 8), 1 << 31))
    # on a cluster each worker machine decides (cluster_worker.CoursePlugin.setup)
    mode = opts.isolation if opts.cluster else isolation_mode(opts.isolation, uid_base(1))
    prefix = UNSHARE if mode == "namespace" else []
    summary.jobs, summary.isolation = jobs, mode
    log_path = course / "reports" / assignment / "grading.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "ab")
    procs: list[WorkerProcess] = []         # the pool's list: a replaced worker is replaced in it
    progress = None
    finished = False
    stack = contextlib.ExitStack()
    try:
        # The workers import nbgrader while this process reads the config and prepares the gradebook.
        client = None
        if opts.cluster:
            from . import cluster
            client = stack.enter_context(cluster.connect(opts.cluster, scratch, opts.quiet, _say))
        else:
            for i in range(jobs):
                procs.append(_spawn(i, prefix, scratch, log, int(opts.memory_mb or 2048)))
        _mark("workers started")
        cfg = read_config(course)
        db_url = normalize_db_url(opts.db or cfg["db_url"])
        summary.db_url = _safe_url(db_url)
        from ..nbgrader import gradebook as gbmod
        _mark("config read, nbgrader imported")
        try:
            template = prepare_gradebook(course, assignment, db_url, cfg["course_id"], scratch)
        except Exception as e:
            import sqlalchemy.exc
            if isinstance(e, sqlalchemy.exc.SQLAlchemyError):
                raise GradeFailure(f"cannot open the gradebook {summary.db_url}: "
                                   f"{str(e).strip().splitlines()[0]}") from None
            raise
        _mark("template ready")
        ro, links = jail_view()
        definition = AssignmentDef.from_course(
            course, assignment, template, Limits(opts.timeout, opts.notebook_timeout, opts.memory_mb, opts.nproc),
            feedback=opts.feedback, verify=opts.verify)
        sandbox = Sandbox(mode == "namespace", tuple(ro), links)
        with gbmod.open_gradebook(db_url, cfg["course_id"]) as gb:
            if roster is not None:
                from .roster import import_students
                import_students(gb, roster)
            if opts.resume:
                from .resume import already_graded
                summary.resumed = already_graded(gb, assignment, students, course / "reports" / assignment)
                students = [s for s in students if s not in set(summary.resumed)]
            progress = Progress(len(students), opts.quiet)
            grading = Grading(definition, sandbox, course, assignment, gb, opts, summary, progress,
                              lambda: next(uids), log, GradeFailure, _mark)
            try:
                if not students:
                    pass
                elif client is not None:
                    from .cluster import grade_on_cluster
                    grade_on_cluster(client, grading, students, scratch)
                else:
                    grading.pool = Pool(procs, grading, died="the grading worker died (twice)")
                    grading.pool.run(grading.queue(students))
                _mark("all graded")
            finally:
                # also when interrupted or the scheduler is lost: the rows of the students merged
                # so far (tests.csv and the gradebook agree), and their files in submissions.csv,
                # which a --resume run only adds its own students to
                from .csv_reports import write_submissions
                with signals_deferred():
                    if grading.rows:
                        write_tests_csv(course / "reports" / assignment / "tests.csv", grading.rows)
                    write_submissions(course / "reports" / assignment / "submissions.csv", summary.files)
            reports = course / "reports" / assignment
            from .report import write_pass_rates
            with signals_deferred():          # the reports are written whole (a second or so)
                _export(gb, reports / "grades.csv", assignment)
                if (reports / "tests.csv").is_file():
                    write_pass_rates(reports / "tests.csv", reports / "pass_rates.csv")
                    from .items import write_item_analysis
                    summary.reports["items"] = write_item_analysis(reports / "tests.csv", reports, assignment)
            summary.reports = {**summary.reports, "grades": reports / "grades.csv", "tests": reports / "tests.csv",
                               "rates": reports / "pass_rates.csv", "submissions": reports / "submissions.csv",
                               "log": log_path}
        finished = True
    finally:
        if progress is not None:
            progress.close()
        for p in procs:
            p.close() if finished else p.kill()     # interrupted or failed: no waiting
        stack.close()                               # a local Dask cluster is stopped
        log.close()
    summary.seconds = time.monotonic() - started
    return summary


_T0 = [time.monotonic()]


def _mark(what: str) -> None:
    """DECKC_GRADE_TIMINGS=1: where the time goes (stderr)."""
    if os.environ.get("DECKC_GRADE_TIMINGS"):
        print(f"[{time.monotonic() - _T0[0]:6.2f} s] {what}", file=sys.stderr)


def _export(gb, path: Path, assignment: str):
    """nbgrader's own export (`nbgrader export --assignment A`): one row per student, rewritten
    formula-safe and in nbgrader's order (last, first name) with ties by student id: nbgrader
    leaves ties in the gradebook's order, i.e. the order the results happened to arrive."""
    from nbgrader.plugins import CsvExportPlugin

    from .csv_reports import GRADES_ORDER, neutralise_file

    plugin = CsvExportPlugin()
    plugin.to = str(path)
    plugin.assignment = [assignment]
    plugin.export(gb)
    neutralise_file(path, order=GRADES_ORDER)


def _safe_url(url: str) -> str:
    import re
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
