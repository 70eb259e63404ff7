"""The main process of ``deckc grade``: workers, progress, single-writer merge, reports.

Parallel grading without lost, duplicated or mixed-up grades: workers never touch the real
gradebook. Each grades one student at a time in its own scratch course (private SQLite copy)
and sends the results back; this process - the only writer - merges them into the real
gradebook (SQLite or PostgreSQL) through nbgrader's API, one student per transaction, and moves
autograded/S/A and feedback/S/A into the course. Re-grading a student replaces their values.
"""
from __future__ import annotations

import csv
import json
import os
import selectors
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

UNSHARE = ["unshare", "--net", "--pid", "--ipc", "--fork", "--kill-child", "--mount-proc"]
CSV_FIELDS = ["student", "notebook", "test", "points", "max_points", "result", "error_type",
              "kernel_points", "verified_points", "overridden", "message"]


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
    feedback: bool = True
    verify: bool = True
    isolation: str = "auto"               # auto | namespace | none
    quiet: bool = False


@dataclass
class Summary:
    assignment: str
    db_url: str
    graded: list = field(default_factory=list)
    failed: dict = field(default_factory=dict)          # student -> error
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

    @property
    def ok(self) -> bool:
        return not self.failed


# --------------------------------------------------------------------------- course discovery


def find_assignment(course: Path, assignment: str | None) -> str:
    source = course / "source"
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
    sub = course / "submitted"
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
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    if (course / "nbgrader_config.py").is_file():
        config.merge(PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config())
    cd = config.get("CourseDirectory", {})
    return {"db_url": cd.get("db_url") or "sqlite:///" + str(course / "gradebook.db"),
            "course_id": cd.get("course_id") or "default_course"}


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


def uid_base(slots: int) -> int:
    """First of `slots` unprivileged uids for the student processes of this run (one per worker
    slot, so a fork bomb in one worker never counts against another's process cap). Chosen from
    the uids this user namespace maps, away from system and ordinary user ids."""
    want = 200000 + (os.getpid() % 50000) * 64
    ranges = []
    try:
        for line in open("/proc/self/uid_map"):
            inside, _, count = (int(x) for x in line.split())
            ranges.append((inside, count))
    except (OSError, ValueError):
        ranges = [(0, 1 << 32)]
    for start, count in ranges:
        if start <= want and want + slots <= start + count:
            return want
    start, count = max(ranges, key=lambda r: r[1])
    return max(start + 1000, start + count - 1 - slots - 64 * (os.getpid() % 64))


def isolation_mode(requested: str, uid: int) -> str:
    """"namespace" when we are root and `unshare` gives a new network, PID, IPC and mount
    namespace in which we can switch to the unprivileged uid; else "none"."""
    if requested == "none":
        return "none"
    ok = os.geteuid() == 0 and shutil.which("unshare") is not None
    if ok:
        probe = f"import os; os.setgroups([]); os.setgid({uid}); os.setuid({uid})"
        try:
            ok = subprocess.run(UNSHARE + [sys.executable, "-S", "-c", probe], capture_output=True,
                                timeout=30).returncode == 0
        except (OSError, subprocess.SubprocessError):
            ok = False
    if requested == "namespace" and not ok:
        raise GradeError("--isolation namespace needs root and a working `unshare` (util-linux)")
    return "namespace" if ok else "none"


def _ro_paths() -> list[str]:
    """What student processes may see (read-only): the system and this Python installation."""
    import site
    import sysconfig

    wanted = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"]
    wanted += [os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, *site.getsitepackages(),
                                             sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"])]
    paths = []
    for p in sorted(set(wanted), key=lambda p: (p.count("/"), p)):   # parents first; drop what they hold
        if (os.path.lexists(p) and not any(p == q or p.startswith(q.rstrip("/") + "/") for q in paths)):
            paths.append(p)
    return paths


# --------------------------------------------------------------------------- the gradebook side


def prepare_gradebook(course: Path, assignment: str, db_url: str, course_id: str, scratch: Path) -> Path:
    """Make sure the real gradebook knows the assignment; write the workers' template SQLite."""
    from . import gradebook as gbmod

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
    one made as nbgrader's generate_assignment makes it (deckc.exercises.release: natively when
    it can be sure of the same result) in a scratch copy of the course."""
    from . import gradebook as gbmod

    local = course / "gradebook.db"
    local_url = "sqlite:///" + str(local)
    if local.is_file() and local_url != db_url:
        with gbmod.open_gradebook(local_url, course_id) as gb:
            if gbmod.has_assignment(gb, assignment):
                return local_url
    from ..exercises.course import is_own_config, nbgrader
    from ..exercises.release import make_release

    copy = scratch / "generate"
    shutil.copytree(course / "source" / assignment, copy / "source" / assignment)
    url = "sqlite:///" + str(copy / "gradebook.db")
    if (course / "nbgrader_config.py").is_file():
        shutil.copy2(course / "nbgrader_config.py", copy / "nbgrader_config.py")
    if is_own_config(copy, assignment):
        make_release(copy, assignment)     # deckc's config: root and gradebook are the copy's own
    else:
        nbgrader(copy, "generate_assignment", assignment, "--force", f"--CourseDirectory.root={copy}",
                 f"--CourseDirectory.db_url={url}")
    return url


# --------------------------------------------------------------------------- workers


class _Worker:
    def __init__(self, index: int, prefix: list[str], scratch: Path, log):
        self.index = index
        self.scratch = scratch / f"w{index}"
        self.scratch.mkdir(mode=0o700)
        self.proc = subprocess.Popen(
            prefix + [sys.executable, "-m", "deckc.grading.worker"], cwd=str(self.scratch),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, start_new_session=True)
        self.buf = b""
        self.job = None            # (student, started, deadline)

    def send(self, msg: dict):
        self.proc.stdin.write((json.dumps(msg) + "\n").encode())
        self.proc.stdin.flush()

    def read_messages(self) -> list[dict] | None:
        chunk = os.read(self.proc.stdout.fileno(), 1 << 20)
        if not chunk:
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
    notebooks = {p.stem for p in (course / "source" / assignment).glob("*.ipynb")}
    intake = None
    if opts.from_zip is not None:
        from .intake import from_zip
        intake = from_zip(Path(opts.from_zip), course, assignment, notebooks)
    students = find_students(course, assignment, opts.students)
    summary = Summary(assignment, _safe_url(opts.db or "the course's gradebook"), intake=intake)
    if not students:
        summary.seconds = time.monotonic() - started
        return summary

    _mark("start")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    jobs = max(1, min(opts.jobs or cores, len(students)))
    first_uid = uid_base(2 * jobs + 8)
    mode = isolation_mode(opts.isolation, first_uid)
    prefix = UNSHARE if mode == "namespace" else []
    summary.jobs, summary.isolation = jobs, mode
    scratch = Path(tempfile.mkdtemp(prefix="deckc-grade-"))
    os.chmod(scratch, 0o700)
    log_path = course / "reports" / assignment / "grading.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "ab")
    workers: list[_Worker] = []
    uid_of = lambda i: first_uid + i  # noqa: E731 - one unprivileged uid per worker slot
    try:
        # The workers import nbgrader while this process reads the config and prepares the gradebook.
        workers = [_Worker(i, prefix, scratch, log) for i in range(jobs)]
        _mark("workers started")
        cfg = read_config(course)
        db_url = normalize_db_url(opts.db or cfg["db_url"])
        summary.db_url = _safe_url(db_url)
        from . import gradebook as gbmod
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
        init = {"op": "init", "course": str(course), "assignment": assignment, "template_db": str(template),
                "cell_timeout": opts.timeout, "notebook_timeout": opts.notebook_timeout,
                "memory_mb": opts.memory_mb, "nproc": opts.nproc, "isolate": mode == "namespace",
                "ro": _ro_paths(), "feedback": opts.feedback, "verify": opts.verify, "cpu_s": None}
        with gbmod.open_gradebook(db_url, cfg["course_id"]) as gb:
            _run_pool(workers, init, students, gb, course, assignment, opts, summary, prefix, scratch, log, uid_of)
            reports = course / "reports" / assignment
            _export(gb, reports / "grades.csv", assignment)
            from .reports import neutralise_file, write_submissions
            neutralise_file(reports / "grades.csv")
            write_submissions(reports / "submissions.csv", summary.files)
            summary.reports = {"grades": reports / "grades.csv", "tests": reports / "tests.csv",
                               "submissions": reports / "submissions.csv", "log": log_path}
    finally:
        for w in workers:
            w.close()
        log.close()
        shutil.rmtree(scratch, ignore_errors=True)
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


def _run_pool(workers, init, students, gb, course, assignment, opts, summary, prefix, scratch, log, uid_of):
    from . import gradebook as gbmod

    queue = list(students)
    progress = Progress(len(students), opts.quiet)
    rows: dict[str, list] = {}
    sel = selectors.DefaultSelector()
    limits = {}
    retried: dict[str, bool] = {}

    def start(w: _Worker):
        w.send(dict(init, scratch=str(w.scratch / "scratch"), uid=uid_of(w.index)))
        w.job = ("<init>", time.monotonic(), time.monotonic() + 600)
        sel.register(w.proc.stdout, selectors.EVENT_READ, w)

    def dispatch(w: _Worker):
        if not queue:
            w.job = None
            return
        student = queue.pop(0)
        state = gbmod.student_state(gb, assignment, student)
        w.send({"op": "grade", "student": student, "state": state})
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
            else:
                summary.failed[student] = why
                progress.update(student, f"FAILED ({why})")
        if not queue:
            workers.remove(w)
            return
        fresh = _respawn(w, prefix, scratch, log)
        workers[workers.index(w)] = fresh
        start(fresh)

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
                _take(msg, student, gb, gbmod, course, assignment, summary, rows, progress)
                dispatch(w)
        now = time.monotonic()
        for w in list(workers):
            if w.job and now > w.job[2]:
                replace(w, "time limit of the whole submission reached")
    sel.close()
    _mark("all graded")
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
        progress.update(student, f"FAILED ({summary.failed[student]})")
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # SQLAlchemy warnings from inside nbgrader.api
        gbmod.merge_student(gb, assignment, student, msg)
    if os.environ.get("DECKC_GRADE_TIMINGS"):
        print(f"timings {student}: {msg.get('seconds', 0):.1f} s {msg.get('timings')} cpu {msg.get('cpu')}",
              file=sys.stderr)
    for kind in ("autograded", "feedback"):
        src = msg.get(f"{kind}_dir")
        dest = course / kind / student / assignment
        if src and Path(src).is_dir():
            if dest.exists():
                shutil.rmtree(dest)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(src, dest)
        elif kind == "feedback" and dest.exists():
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


def _num(x):
    if x is None:
        return ""
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:g}"


def _write_tests_csv(path: Path, rows: dict):
    """Per-test results: this run's students replace their earlier rows; others are kept."""
    from .reports import TESTS_NUMERIC, read_csv, write_csv

    kept = [r for r in read_csv(path) if r.get("student") not in rows]
    all_rows = kept + [r for rs in rows.values() for r in rs]
    all_rows.sort(key=lambda r: (r["student"], r["notebook"]))
    write_csv(path, CSV_FIELDS, all_rows, TESTS_NUMERIC)      # no cell is a spreadsheet formula


# --------------------------------------------------------------------------- the summary


def format_summary(s: Summary) -> str:
    lines = []
    if s.intake is not None:
        lines.append(f"intake: {len(s.intake.added)} notebook(s) of {len(s.intake.students)} student(s) "
                     f"into submitted/; {len(s.intake.rejected)} rejected, {len(s.intake.ignored)} ignored")
        for name, why in s.intake.rejected:
            lines.append(f"  rejected {name!r}: {why}")
    n = len(s.graded) + len(s.failed)
    if not n:
        lines.append(f"nothing to grade: no submissions for {s.assignment!r}")
        return "\n".join(lines)
    lines.append(f"graded {len(s.graded)} of {n} submission(s) of {s.assignment!r} in {s.seconds:.1f} s "
                 f"({s.jobs} worker(s), isolation: {s.isolation}); gradebook {s.db_url}")
    if s.failed:
        lines.append(f"failed: {len(s.failed)}")
        for student, why in sorted(s.failed.items()):
            lines.append(f"  {student}: {why}")
    if s.totals:
        maximum = max(m for _, m in s.totals.values()) or 1
        scores = sorted(v for v, _ in s.totals.values())
        mean = sum(scores) / len(scores)
        median = statistics.median(scores)
        lines.append(f"scores out of {_num(maximum)}: mean {mean:.1f}, median {_num(median)}, "
                     f"min {_num(scores[0])}, max {_num(scores[-1])}")
        buckets = [0] * 5
        for v in scores:
            buckets[min(4, int(5 * v / maximum))] += 1
        for i, count in enumerate(buckets):
            lo, hi = i * 20, (i + 1) * 20
            label = f"{lo:3d}-{hi}%" if i < 4 else f"{lo:3d}-100%"
            lines.append(f"  {label:>9} {'#' * count} {count}")
    if s.overrides:
        total = sum(len(v) for v in s.overrides.values())
        lines.append(f"out-of-kernel check corrected {total} part(s) of {len(s.overrides)} student(s): "
                     + ", ".join(sorted(s.overrides)))
    if s.rescued:
        total = sum(len(v) for v in s.rescued.values())
        lines.append(f"scored out of the kernel {total} part(s) of {len(s.rescued)} student(s) whose kernel died "
                     "or ran out of time: " + ", ".join(sorted(s.rescued)))
    from .reports import summary_lines
    file_lines = summary_lines(s.files)
    if file_lines:
        lines.append("handed-in files not graded under their own name (see submissions.csv):")
        lines.extend(file_lines)
    for student, problems in sorted(s.feedback_problems.items()):
        lines.append(f"feedback of {student}: {'; '.join(problems)}")
    if s.reports:
        lines.append(f"reports: {s.reports['grades']} (nbgrader export), {s.reports['tests']} (per test), "
                     f"{s.reports['submissions']} (files), log {s.reports['log']}")
    return "\n".join(lines)
