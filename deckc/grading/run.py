"""The main process of ``deckc grade``: workers, progress, single-writer merge, reports.

Parallel grading without lost, duplicated or mixed-up grades: workers never touch the real
gradebook. Each grades one student at a time in its own scratch course (private SQLite copy)
and sends the results back; this process - the only writer - merges them into the real
gradebook (SQLite or PostgreSQL) through nbgrader's API, one student per transaction, and moves
autograded/S/A and feedback/S/A into the course. Re-grading a student replaces their values.
"""
from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ..nbgrader import layout
from . import preflight
from .guard import signals_deferred
from .report import CSV_FIELDS, _num, format_summary  # noqa: F401 - format_summary: this module's API
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


class _Worker:
    memory_mb = 2048

    def __init__(self, index: int, prefix: list[str], scratch: Path, log):
        self.index = index
        self.scratch = scratch / f"w{index}"
        self.scratch.mkdir(mode=0o700)
        self.proc = subprocess.Popen(
            prefix + [sys.executable, "-m", "deckc.grading.worker"], cwd=str(self.scratch),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, start_new_session=True,
            preexec_fn=worker_preexec(self.memory_mb))
        self.buf = b""
        self.job = None            # (student, started, deadline)

    def send(self, msg: dict):
        self.proc.stdin.write((json.dumps(msg) + "\n").encode())
        self.proc.stdin.flush()

    def read_messages(self) -> list[dict] | None:
        chunk = os.read(self.proc.stdout.fileno(), 1 << 20)
        if not chunk or len(self.buf) + len(chunk) > MAX_MESSAGE_BYTES:
            return None
        self.buf += chunk
        *lines, self.buf = self.buf.split(b"\n")
        return [json.loads(line) for line in lines if line.strip()]

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            self.proc.kill()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def close(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        self.kill()


class Progress:
    def __init__(self, total: int, quiet: bool, stream=None):
        self.total, self.done, self.quiet = total, 0, quiet
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.start = time.monotonic()

    def update(self, student: str, note: str):
        self.done += 1
        if self.quiet:
            return
        elapsed = time.monotonic() - self.start
        eta = elapsed / self.done * (self.total - self.done)
        width = 24
        filled = int(width * self.done / max(self.total, 1))
        line = (f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                f"{_clock(elapsed)} elapsed, ETA {_clock(eta)}  {student}: {note}")
        if self.tty:
            self.stream.write("\r\033[K" + line + ("\n" if self.done == self.total else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


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
    workers: list[_Worker] = []
    _Worker.memory_mb = int(opts.memory_mb or 2048)
    finished = False
    stack = contextlib.ExitStack()
    try:
        # The workers import nbgrader while this process reads the config and prepares the gradebook.
        client = None
        if opts.cluster:
            from . import cluster
            client = stack.enter_context(cluster.connect(opts.cluster, scratch, opts.quiet, _say))
        else:
            workers = [_Worker(i, prefix, scratch, log) for i in range(jobs)]
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
        init = {"op": "init", "course": str(course), "assignment": assignment, "template_db": str(template),
                "cell_timeout": opts.timeout, "notebook_timeout": opts.notebook_timeout,
                "memory_mb": opts.memory_mb, "nproc": opts.nproc, "isolate": mode == "namespace",
                "ro": ro, "links": links, "feedback": opts.feedback, "verify": opts.verify, "cpu_s": None}
        with gbmod.open_gradebook(db_url, cfg["course_id"]) as gb:
            if roster is not None:
                from .roster import import_students
                import_students(gb, roster)
            if opts.resume:
                from .resume import already_graded
                summary.resumed = already_graded(gb, assignment, students, course / "reports" / assignment)
                students = [s for s in students if s not in set(summary.resumed)]
            if not students:
                pass
            elif client is not None:
                _run_cluster(client, init, students, gb, course, assignment, opts, summary, template, scratch,
                             log, lambda: next(uids))
            else:
                _run_pool(workers, init, students, gb, course, assignment, opts, summary, prefix, scratch, log,
                          lambda: next(uids))
            reports = course / "reports" / assignment
            from .csv_reports import neutralise_file, write_submissions
            from .report import write_pass_rates
            with signals_deferred():          # the reports are written whole (a second or so)
                _export(gb, reports / "grades.csv", assignment)
                neutralise_file(reports / "grades.csv")
                write_submissions(reports / "submissions.csv", summary.files)
                if (reports / "tests.csv").is_file():
                    write_pass_rates(reports / "tests.csv", reports / "pass_rates.csv")
                    from .items import write_item_analysis
                    summary.reports["items"] = write_item_analysis(reports / "tests.csv", reports, assignment)
            summary.reports = {**summary.reports, "grades": reports / "grades.csv", "tests": reports / "tests.csv",
                               "rates": reports / "pass_rates.csv", "submissions": reports / "submissions.csv",
                               "log": log_path}
        finished = True
    finally:
        for w in workers:
            w.close() if finished else w.kill()     # interrupted or failed: no waiting
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
    """nbgrader's own export (`nbgrader export --assignment A`): one row per student."""
    from nbgrader.plugins import CsvExportPlugin

    plugin = CsvExportPlugin()
    plugin.to = str(path)
    plugin.assignment = [assignment]
    plugin.export(gb)


def _safe_url(url: str) -> str:
    import re
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _run_cluster(client, init, students, gb, course, assignment, opts, summary, template, scratch, log, next_uid):
    """The Dask backend (cluster.py); tests.csv gets the merged students' rows as with the pool."""
    from .cluster import grade_on_cluster

    rows: dict[str, list] = {}
    try:
        grade_on_cluster(client, init, students, gb, course, assignment, opts, summary, template, scratch, log,
                         rows, next_uid)
    finally:
        if rows:
            with signals_deferred():
                _write_tests_csv(course / "reports" / assignment / "tests.csv", rows)


def _run_pool(workers, init, students, gb, course, assignment, opts, summary, prefix, scratch, log, next_uid):
    """Grade everyone with the pool. With the preflight on, the first job is the reference
    solution; until it has full marks no result is merged (a worker whose result waits takes
    no new job, its scratch holds the result's folders); if it has not, GradeFailure."""
    from ..nbgrader import gradebook as gbmod

    queue = ([preflight.STUDENT] if opts.preflight else []) + list(students)
    progress = Progress(len(students), opts.quiet)
    rows: dict[str, list] = {}
    sel = selectors.DefaultSelector()
    limits = {}
    retried: dict[str, bool] = {}
    held: list = []                     # (worker, message) waiting for the preflight
    pending = [opts.preflight]

    def start(w: _Worker):
        w.send(dict(init, scratch=str(w.scratch / "scratch")))
        w.job = ("<init>", time.monotonic(), time.monotonic() + 600)
        sel.register(w.proc.stdout, selectors.EVENT_READ, w)

    def dispatch(w: _Worker):
        if not queue:
            w.job = None
            return
        student = queue.pop(0)
        job = {"op": "grade", "student": student, "uid": next_uid()}
        if student == preflight.STUDENT:
            job.update(preflight=True, state={})
        else:
            job["state"] = gbmod.student_state(gb, assignment, student)
        w.send(job)
        budget = limits.get("job", 3600)
        w.job = (student, time.monotonic(), time.monotonic() + budget)

    def replace(w: _Worker, why: str, retry: bool = False):
        student = w.job[0] if w.job else None
        sel.unregister(w.proc.stdout)
        w.kill()
        if student == "<init>":
            raise GradeFailure(f"a grading worker could not start ({why}); see {log.name}")
        if student:
            if retry and not retried.get(student):
                retried[student] = True          # a worker can die of something else: once more
                queue.insert(0, student)
            elif student == preflight.STUDENT:
                raise GradeFailure(preflight.failure(course, assignment, {"ok": False, "error": why}))
            else:
                summary.failed[student] = why
                progress.update(student, f"NOT GRADED ({why})")
        if not queue:
            workers.remove(w)
            return
        fresh = _respawn(w, prefix, scratch, log)
        workers[workers.index(w)] = fresh
        start(fresh)

    def take(w, msg, student):
        with signals_deferred():       # a student's merge is whole or not at all
            _take(msg, student, gb, gbmod, course, assignment, summary, rows, progress)

    try:
        for w in workers:
            start(w)
        while any(w.job for w in workers):
            now = time.monotonic()
            timeout = min((w.job[2] for w in workers if w.job), default=now + 1) - now
            events = sel.select(timeout=max(0.05, min(timeout, 5)))
            for key, _ in events:
                w = key.data
                msgs = w.read_messages()
                if msgs is None:
                    replace(w, "the grading worker died (twice)", retry=True)
                    continue
                for msg in msgs:
                    student = w.job[0] if w.job else None
                    if student == "<init>":
                        if not msg.get("ok"):
                            raise GradeFailure(f"a grading worker could not start: {msg.get('error')}")
                        _mark(f"worker {w.index} ready")
                        cell = float(msg.get("cell_timeout") or 30)
                        limits["job"] = 2 * sum(msg.get("nb_timeout", {}).values() or [cell * 40]) + 180
                        dispatch(w)
                        continue
                    if student == preflight.STUDENT:
                        score, maximum, full = preflight.marks(msg)
                        if not full:
                            raise GradeFailure(preflight.failure(course, assignment, msg))
                        summary.preflight = (score, maximum, time.monotonic() - w.job[1])
                        _mark("preflight passed")
                        pending[0] = False
                        dispatch(w)
                        for hw, hmsg in held:
                            take(hw, hmsg, hw.job[0])
                            dispatch(hw)
                        held.clear()
                        continue
                    if pending[0]:
                        held.append((w, msg))     # its work is done: no deadline while it waits
                        w.job = (student, w.job[1], float("inf"))
                        continue
                    take(w, msg, student)
                    dispatch(w)
            now = time.monotonic()
            for w in list(workers):
                if w.job and now > w.job[2]:
                    replace(w, "time limit of the whole submission reached")
        sel.close()
        _mark("all graded")
    finally:
        # also when interrupted: the rows of the students merged so far (tests.csv and the
        # gradebook agree)
        if rows:
            with signals_deferred():
                _write_tests_csv(course / "reports" / assignment / "tests.csv", rows)


def _respawn(w: _Worker, prefix, scratch: Path, log) -> _Worker:
    shutil.rmtree(w.scratch, ignore_errors=True)
    return _Worker(w.index, prefix, scratch, log)


def _take(msg, student, gb, gbmod, course, assignment, summary, rows, progress):
    """One worker result: merge into the gradebook, move the folders, note the CSV rows."""
    if isinstance(msg.get("files"), list):
        summary.files[student] = msg["files"]
    if not msg.get("ok"):
        summary.failed[student] = msg.get("error") or "grading failed"
        progress.update(student, f"NOT GRADED ({summary.failed[student]})")
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # SQLAlchemy warnings from inside nbgrader.api
        gbmod.merge_student(gb, assignment, student, msg)
    if os.environ.get("DECKC_GRADE_TIMINGS"):
        print(f"timings {student}: {msg.get('seconds', 0):.1f} s {msg.get('timings')} cpu {msg.get('cpu')}",
              file=sys.stderr)
    for kind in (layout.AUTOGRADED, layout.FEEDBACK):
        src = msg.get(f"{kind}_dir")
        dest = layout.student_dir(course, kind, student) / assignment
        if src and Path(src).is_dir():
            if dest.exists():
                shutil.rmtree(dest)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(src, dest)
        elif kind == layout.FEEDBACK and dest.exists():
            shutil.rmtree(dest)     # stale feedback of an earlier grading
    score = maximum = 0.0
    overridden, rescued, student_rows = [], [], []
    for nb_name, nb in sorted(msg["notebooks"].items()):
        penalty = nb.get("late_penalty") or 0.0
        score -= penalty
        for gid, g in sorted(nb["grades"].items(), key=lambda kv: (kv[1].get("index", 0), kv[0])):
            final = g.get("final")
            score += final or 0.0
            maximum += g["max"]
            if g.get("override") == "yes":
                overridden.append(f"{nb_name}/{gid}")
            elif g.get("override"):
                rescued.append(f"{nb_name}/{gid}")
            if nb.get("refused"):
                result = "refused"
            elif not nb["submitted"]:
                result = "not submitted"
            elif final is None:
                result = "needs manual grading"
            else:
                result = "pass" if final >= g["max"] - 1e-9 else ("partial" if final > 0 else "fail")
            error = g.get("verified_error") or g.get("kernel_error") or ("" if nb["autograded"] or not nb["submitted"]
                                                                          else "KernelDied")
            student_rows.append({
                "student": student, "notebook": nb_name, "test": gid, "points": _num(final),
                "max_points": _num(g["max"]), "result": result, "error_type": "" if result == "pass" else error,
                "kernel_points": _num(g.get("kernel_score")), "verified_points": _num(g.get("verified_score")),
                "overridden": g.get("override") or "no",
                "message": nb["refused"] if nb.get("refused") else g.get("message", "")})
    rows[student] = student_rows
    summary.graded.append(student)
    missing = sorted(name for name, nb in msg["notebooks"].items() if not nb["submitted"])
    if missing:
        summary.missing[student] = missing
    if msg.get("unchanged"):
        summary.unchanged[student] = sorted(msg["unchanged"])
    if msg.get("edited"):
        summary.edited[student] = {nb: list(cells) for nb, cells in sorted(msg["edited"].items())}
    summary.totals[student] = (max(score, 0.0), maximum)
    if overridden:
        summary.overrides[student] = overridden
    if rescued:
        summary.rescued[student] = rescued
    if msg.get("feedback_problems"):
        summary.feedback_problems[student] = msg["feedback_problems"]
    note = (f"{_num(max(score, 0.0))}/{_num(maximum)}" + (f", {len(overridden)} corrected" if overridden else "")
            + (f", {len(rescued)} scored without a kernel result" if rescued else ""))
    progress.update(student, note)


def _write_tests_csv(path: Path, rows: dict):
    """Per-test results: this run's students replace their earlier rows; others are kept."""
    from .csv_reports import TESTS_NUMERIC, read_csv, write_csv

    kept = [r for r in read_csv(path) if r.get("student") not in rows]
    all_rows = kept + [r for rs in rows.values() for r in rs]
    all_rows.sort(key=lambda r: (r["student"], r["notebook"]))
    write_csv(path, CSV_FIELDS, all_rows, TESTS_NUMERIC)      # no cell is a spreadsheet formula
