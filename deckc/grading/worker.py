"""A grading worker: ``python -I -m deckc.grading.worker``, driven by JSON lines on stdin/stdout.

The main process (deckc.grading.run) starts N of these, each (as root) inside
``unshare --net --pid --ipc --mount --fork --kill-child``: no network but loopback, and this
process is PID 1 of its own process namespace, so after every notebook it can kill every other
process that exists in it (kernels, forks of forks) and nothing survives the worker.

A worker imports nbgrader once, then grades many students, one at a time, in a private scratch
copy of the course (its own SQLite gradebook that knows the assignment, copied from a template
the main process made). For each student:

1. the submission is copied in (regular files only);
2. the out-of-kernel check records what the student's functions return (deckc's runner in the
   jail; see verify.py) - before any kernel has held a reference value;
3. nbgrader's own Autograde converter grades the student (`--student S --force`) with the
   kernels started through the jail (a kernelspec override), each notebook under a watchdog: a
   notebook that kills or hangs its kernel costs only that notebook (nbgrader would stop there);
4. the grader replays each test on the recorded outputs; that verdict is the auto score;
5. nbgrader's generate_feedback (with deckc's sanitiser) writes the feedback, which is checked;
6. the results go back to the main process, which merges them into the real gradebook and
   moves autograded/S and feedback/S into the course.

Messages: {"op": "init", ...} -> {"ok": true}; {"op": "grade", "student": S, "state": {...}}
-> {"ok": true, "student": S, ...result}; EOF ends the worker.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

from ..nbgrader import cells as nb_cells, layout

sys.modules.setdefault("rfc3987_syntax", None)   # see deckc/nbgrader/command.py: NBGRADER_MAIN

HERE = Path(__file__).resolve().parent
RUNNER_IN_JAIL = "/opt/deckc/_runner.py"
CODEC_IN_JAIL = "/opt/deckc/_codec.py"
# The kernel's IPython history stays in memory: the hidden tests it ran die with the kernel.
KERNEL_ARGS = ["--HistoryManager.enabled=False", "--HistoryManager.hist_file=:memory:"]
MAX_SUBMISSION_BYTES = 200 * 1024 * 1024


class _ErrorLog(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages = []

    def emit(self, record):
        try:
            self.messages.append(record.getMessage())
        except Exception:  # noqa: BLE001
            pass


def _loopback_up():
    """Bring `lo` up in a fresh network namespace (kernels talk to the worker over 127.0.0.1)."""
    import fcntl
    import socket
    import struct

    SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifr = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(s, SIOCGIFFLAGS, ifr))[1]
        if not flags & IFF_UP:
            fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sh", b"lo", flags | IFF_UP))


def _reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class Worker:
    def __init__(self, cfg: dict, proto):
        self.cfg = cfg
        self.proto = proto
        self.course = Path(cfg["course"])
        self.assignment = cfg["assignment"]
        self.scratch = Path(cfg["scratch"])
        self.root = self.scratch / "course"
        self.pid1 = os.getpid() == 1
        self.isolate = bool(cfg.get("isolate")) and os.geteuid() == 0
        self.cell_timeout = cfg.get("cell_timeout")
        self.errors = _ErrorLog()
        log = logging.getLogger()
        log.setLevel(logging.INFO)
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[worker %(process)d %(levelname)s] %(message)s"))
        log.addHandler(handler)
        log.addHandler(self.errors)
        self.log = logging.getLogger("deckc.grade")

    # ------------------------------------------------------------------ setup

    def setup(self):
        if self.pid1:
            _loopback_up()
        else:
            import ctypes
            ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)      # PR_SET_CHILD_SUBREAPER: orphans come to us
        for sub in ("course", "jails", "runtime", "jupyter/kernels/python3"):
            (self.scratch / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.scratch, 0o700)
        src = layout.source_dir(self.course, self.assignment)
        dst = layout.source_dir(self.root, self.assignment)
        dst.mkdir(parents=True, exist_ok=True)
        for path in sorted(src.rglob("*")):     # nbgrader copies source/'s other files to autograded/
            if path.is_file() and not path.is_symlink() and path.suffix != ".ipynb":
                target = dst / path.relative_to(src)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
        shutil.copy2(self.cfg["template_db"], layout.gradebook_path(self.root))
        self.db_url = layout.default_db_url(self.root)

        self.jail_cfg = {
            "isolate": self.isolate, "uid": self.cfg.get("uid"), "jails": str(self.scratch / "jails"),
            "ro": self.cfg.get("ro", []), "links": self.cfg.get("links", {}),
            "files": {RUNNER_IN_JAIL: str(HERE / "_runner.py"), CODEC_IN_JAIL: str(HERE / "_codec.py")},
            "kernel_args": KERNEL_ARGS,
            "memory_mb": self.cfg.get("memory_mb"), "nproc": self.cfg.get("nproc", 64),
            "cpu_s": self.cfg.get("cpu_s"), "fsize_mb": self.cfg.get("fsize_mb", 64),
            "tmp": str(self.scratch / "tmp"), "env": {},
        }
        if os.environ.get("DECKC_GRADE_DEBUG"):
            self.jail_cfg["log"] = os.environ["DECKC_GRADE_DEBUG"]
        (self.scratch / "tmp").mkdir(exist_ok=True)
        kernel = {"argv": [sys.executable, "-I", "-S", str(HERE / "jail.py"), "--kernel", "{connection_file}"],
                  "display_name": "Python 3 (deckc grading sandbox)", "language": "python",
                  "metadata": {"debugger": False}}
        (self.scratch / "jupyter/kernels/python3/kernel.json").write_text(json.dumps(kernel))
        os.environ.update({
            "JUPYTER_PATH": str(self.scratch / "jupyter"), "JUPYTER_RUNTIME_DIR": str(self.scratch / "runtime"),
            "JUPYTER_PLATFORM_DIRS": "1", "DECKC_JAIL": json.dumps(self.jail_cfg),
        })

        from ..nbgrader.config import load_config

        config = load_config(self.course)
        config.CourseDirectory.root = str(self.root)
        config.CourseDirectory.db_url = self.db_url
        config.BaseConverter.force = True
        config.Autograde.create_student = True
        # The notebook is done when its last cell is: stop its kernel at once (nbclient would
        # otherwise wait for a graceful exit). Same results, ~0.2 s less per notebook.
        config.Execute.shutdown_kernel = "immediate"
        from .fastkernel import install
        install(config)          # shorter fixed waits of jupyter_client (see fastkernel.py)
        from .outputs import install as cap_outputs
        cap_outputs(config)      # outputs capped in bytes as they arrive (see outputs.py)
        if self.cell_timeout:
            config.Execute.timeout = int(self.cell_timeout)
            config.ExecutePreprocessor.timeout = int(self.cell_timeout)
        self.cell_timeout = float(config.Execute.get("timeout", 30) or 30)
        self.config = config
        self.course_id = str(config.CourseDirectory.get("course_id", "") or layout.DEFAULT_COURSE_ID)

        from nbgrader.converters import Autograde, GenerateFeedback  # noqa: F401 - import once, here
        from . import verify
        from ..nbgrader import gradebook as gbmod

        with gbmod.open_gradebook(self.db_url, self.course_id) as gb:
            self.defs = gbmod.definitions(gb, self.assignment)
        self._load_tests(verify)
        return {"ok": True, "notebooks": sorted(self.defs), "cell_timeout": self.cell_timeout,
                "nb_timeout": self.nb_timeout}

    def _load_tests(self, verify):
        """Test specs and plans per notebook; secrets for the feedback check; cell order."""
        import nbformat

        from .feedback import NUMBER, secrets_of, strip_hidden

        self.tests, self.secrets, self.order, self.nb_timeout, self.grade_order = {}, {}, {}, {}, {}
        visible = set()
        for d in self.defs.values():
            for _, _, text in d["source"].values():
                visible.update(NUMBER.findall(strip_hidden(text)))
        for name, d in self.defs.items():
            source_path = layout.source_dir(self.course, self.assignment) / f"{name}.ipynb"
            cells = []
            if source_path.is_file():
                nb = nbformat.read(source_path, as_version=4)
                cells = [c for c in nb.cells]
            code_cells = [c for c in cells if c.cell_type == "code"]
            reference = verify.reference_namespace(
                [c.source for c in code_cells if not nb_cells.is_grade(c)])
            specs = {}
            for gid, (max_score, cell_type) in d["grades"].items():
                src = d["source"].get(gid, (True, cell_type, ""))[2]
                if cell_type != "code":
                    continue
                spec = verify.parse_test_cell(name, gid, max_score, src)
                verify.plan(spec, reference)
                specs[gid] = spec
            self.tests[name] = specs
            # reference values: long numbers of the hidden regions that the release does not show
            self.secrets[name] = set().union(*[secrets_of(s[2]) for s in d["source"].values()] or [set()]) - visible
            # grade cells in notebook order (for the report); the solution cell before each grade
            # cell (where a correction note goes)
            self.grade_order[name] = nb_cells.grade_positions(cells)
            self.order[name] = nb_cells.solution_before(cells)
            n_code = len(code_cells) or len(d["source"])
            limit = self.cfg.get("notebook_timeout")
            self.nb_timeout[name] = float(limit) if limit else self.cell_timeout * (n_code + 2) + 30

    # ------------------------------------------------------------------ processes

    def kill_others(self):
        """Kill every process this worker started (and theirs). In our own PID namespace: all."""
        if self.pid1:
            for _ in range(100):
                try:
                    os.kill(-1, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                _reap()
                if not any(p.isdigit() and p != "1" for p in os.listdir("/proc")):
                    return
                time.sleep(0.01)
            return
        # No namespace: our children and their process groups (kernels and runners lead theirs).
        # We are a child subreaper (setup), so what a student's process double-forked becomes
        # our child once its parent is gone: a few rounds catch those too.
        me = os.getpid()
        for _ in range(20):
            children = []
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    stat = Path(f"/proc/{pid}/stat").read_text()
                    ppid = int(stat.rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                if ppid == me:
                    children.append(int(pid))
            for pid in children:
                for kill in (os.killpg, os.kill):
                    try:
                        kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            _reap()
            if not children:
                return
            time.sleep(0.01)

    # ------------------------------------------------------------------ grading

    def grade(self, job: dict) -> dict:
        started = time.monotonic()
        import resource
        cpu0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        student = job["student"]
        if job.get("uid") is not None:          # a uid of its own for every submission
            self.jail_cfg["uid"] = int(job["uid"])
            os.environ["DECKC_JAIL"] = json.dumps(self.jail_cfg)
        self.errors.messages.clear()
        self._clean()
        sub_dir = layout.submitted_dir(self.root, student, self.assignment)
        handed_in = (layout.source_dir(self.course, self.assignment) if job.get("preflight")
                     else layout.submitted_dir(self.course, student, self.assignment))
        skipped = self._copy_submission(handed_in, sub_dir)
        from . import matching

        outcomes = matching.match_folder(sub_dir, set(self.defs))     # renamed files, size caps
        submitted = matching.apply(sub_dir, outcomes)
        files = [o.as_dict() for o in outcomes]
        refused = {o.notebook: o.note for o in outcomes if o.action == "refused" and o.notebook not in submitted}
        if not submitted:
            return {"ok": False, "student": student, "files": files,
                    "error": "no notebooks of this assignment in the submission" + (
                        f" ({'; '.join(f'{o.file}: {o.action}' for o in outcomes)})" if outcomes else "")}
        self.runner_silent = False

        from . import diagnose
        from ..nbgrader import gradebook as gbmod

        with gbmod.open_gradebook(self.db_url, self.course_id) as gb:
            gbmod.apply_student_state(gb, self.assignment, student, job.get("state") or {})

        records, verify_seconds = {}, 0.0
        if self.cfg.get("verify", True):
            t0 = time.monotonic()
            records = self._record(student, sub_dir, submitted)
            verify_seconds = time.monotonic() - t0

        t0 = time.monotonic()
        kernel = self._autograde(student, submitted)
        autograde_seconds = time.monotonic() - t0

        diagnosis = diagnose.not_the_students_fault(kernel, self.runner_silent, self.scratch, self.kill_others)
        if diagnosis and not job.get("preflight"):
            return {"ok": False, "student": student, "not_graded": True, "error": diagnosis}
        with gbmod.open_gradebook(self.db_url, self.course_id) as gb:
            stored = gbmod.read_submission(gb, self.assignment, student)
        result = self._combine(student, stored, submitted, kernel, records, sub_dir)
        for name, why in refused.items():
            if name in result["notebooks"]:
                result["notebooks"][name]["refused"] = why
        result["diagnosis"] = diagnosis
        result["unchanged"] = diagnose.unchanged(layout.release_dir(self.course, self.assignment), sub_dir, submitted)
        from .edits import edited_cells
        release = layout.release_dir(self.course, self.assignment)
        result["edited"] = {name: cells for name in submitted
                            if (cells := edited_cells(release / f"{name}.ipynb", sub_dir / f"{name}.ipynb"))}
        with gbmod.open_gradebook(self.db_url, self.course_id) as gb:
            gbmod.set_scores(gb, self.assignment, student, result["notebooks"])

        feedback_dir, problems, t0 = None, [], time.monotonic()
        if self.cfg.get("feedback", True):
            feedback_dir, problems = self._feedback(student, result)
        feedback_seconds = time.monotonic() - t0
        autograded = layout.autograded_dir(self.root, student, self.assignment)
        result.update({
            "ok": True, "student": student, "seconds": time.monotonic() - started,
            "timings": {"verify": round(verify_seconds, 3), "autograde": round(autograde_seconds, 3),
                        "feedback": round(feedback_seconds, 3)},
            "cpu": {"worker": round(_cpu(resource.getrusage(resource.RUSAGE_SELF)) - _cpu(cpu0[0]), 3),
                    "children": round(_cpu(resource.getrusage(resource.RUSAGE_CHILDREN)) - _cpu(cpu0[1]), 3)},
            "skipped_files": skipped, "files": files,
            "autograded_dir": str(autograded) if autograded.is_dir() else None,
            "feedback_dir": feedback_dir, "feedback_problems": problems,
        })
        return result

    def _clean(self):
        for sub in (layout.SUBMITTED, layout.AUTOGRADED, layout.FEEDBACK):
            shutil.rmtree(self.root / sub, ignore_errors=True)
        shutil.rmtree(self.scratch / "jails", ignore_errors=True)
        (self.scratch / "jails").mkdir()
        tmp = self.scratch / "tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()

    def _copy_submission(self, src: Path, dst: Path) -> list[str]:
        """Regular files only (a symlink could point anywhere), up to MAX_SUBMISSION_BYTES."""
        skipped, total = [], 0
        dst.mkdir(parents=True, exist_ok=True)
        for dirpath, dirnames, filenames in os.walk(src, followlinks=False):
            rel = Path(dirpath).relative_to(src)
            for d in list(dirnames):
                if os.path.islink(os.path.join(dirpath, d)):
                    skipped.append(str(rel / d))
                    dirnames.remove(d)
            for f in filenames:
                path = Path(dirpath) / f
                st = os.lstat(path)
                import stat as _stat
                if not _stat.S_ISREG(st.st_mode) or total + st.st_size > MAX_SUBMISSION_BYTES:
                    skipped.append(str(rel / f))
                    continue
                total += st.st_size
                (dst / rel).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dst / rel / f)
                os.utime(dst / rel / f, (st.st_atime, st.st_mtime))
        return skipped

    # -- nbgrader ---------------------------------------------------------------

    def _autograde(self, student: str, submitted: list[str]) -> dict:
        """nbgrader's Autograde for one student (`autograde A --student S --force`), each notebook
        under its own watchdog, and a failed notebook (dead or hung kernel) costing only itself:
        nbgrader would skip the student's remaining notebooks. Returns {notebook: outcome}."""
        from nbgrader.converters import Autograde
        from nbgrader.coursedir import CourseDirectory

        from ..nbgrader.converters import quiet_checksum_warnings
        quiet_checksum_warnings()    # edits.py: the summary names the cells really edited instead

        worker = self
        outcomes: dict = {}
        dest = layout.autograded_dir(self.root, student, self.assignment)

        class OneNotebookAtATime(Autograde):
            def convert_single_notebook(self, notebook_filename):
                name = Path(notebook_filename).stem
                limit = worker.nb_timeout.get(name, 600.0)
                fired = threading.Event()
                before = len(worker.errors.messages)

                def watchdog():
                    fired.set()
                    worker.log.error("notebook %s of %s ran out of its %.0f s: killing its kernel",
                                     name, student, limit)
                    worker.kill_others()

                timer = threading.Timer(limit, watchdog)
                timer.daemon = True
                timer.start()
                try:
                    super().convert_single_notebook(notebook_filename)
                    outcomes[name] = None
                except Exception as e:  # noqa: BLE001 - dead kernel, time limit, broken notebook
                    messages = [m.strip().splitlines()[-1] for m in worker.errors.messages[before:] if m.strip()]
                    outcomes[name] = (f"notebook time limit ({limit:.0f} s) reached" if fired.is_set()
                                      else f"{type(e).__name__}: {e}".strip() or "; ".join(messages[:3]))
                    worker.log.error("autograding %s of %s failed: %s", name, student, outcomes[name])
                    (dest / f"{name}.ipynb").unlink(missing_ok=True)     # as nbgrader's _handle_failure
                finally:
                    timer.cancel()
                    worker.kill_others()

        coursedir = CourseDirectory(config=self.config)
        coursedir.assignment_id = self.assignment
        coursedir.student_id = student
        error = None
        try:
            OneNotebookAtATime(coursedir=coursedir, config=self.config).start()
        except BaseException as e:  # noqa: BLE001 - nbgrader raises NbGraderException (or exits)
            error = f"{type(e).__name__}: {e}"
        finally:
            self.kill_others()
        out = {}
        for name in submitted:
            path = dest / f"{name}.ipynb"
            ok = name in outcomes and outcomes[name] is None and path.is_file()
            why = outcomes.get(name) or error or "not autograded"
            out[name] = {"ok": ok, "error": None if ok else str(why)[:1000],
                         "cells": self._kernel_cells(path) if ok else {}}
        return out

    @staticmethod
    def _kernel_cells(path: Path) -> dict:
        """{grade_id: error type or ''} from an autograded notebook."""
        import nbformat

        out = {}
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if nb_cells.is_grade(cell) and cell.cell_type == "code":
                etype = ""
                for o in cell.get("outputs", []):
                    if o.get("output_type") == "error":
                        etype = o.get("ename", "Error")
                        break
                    if o.get("output_type") == "stream" and o.get("name") == "stderr":
                        etype = "Stderr"
                        break
                out[nb_cells.grade_id(cell)] = etype
        return out

    # -- out-of-kernel check ------------------------------------------------------

    def _steps(self, notebook: str, sub_dir: Path, specs: dict) -> list:
        """The runner's steps for one submitted notebook: cells in the student's order, locked
        cells restored from the gradebook (as nbgrader does), each grade cell a probe."""
        import nbformat

        from . import verify

        d = self.defs[notebook]
        try:
            nb = nbformat.read(sub_dir / f"{notebook}.ipynb", as_version=4)
            cells = list(nb.cells)
        except Exception:  # noqa: BLE001 - unreadable: nbgrader fails it too; nothing runs
            cells = []
        steps, seen = [], set()
        for cell in cells:
            if cell.get("cell_type") != "code":
                continue
            gid = nb_cells.grade_id(cell)
            if gid in d["grades"] and gid not in seen:
                seen.add(gid)
                spec = specs.get(gid)
                if spec is not None and spec.verifiable:
                    steps.append(self._probe(spec, verify))
                continue
            source = cell.get("source", "")
            if gid in d["source"] and gid not in seen and d["source"][gid][0]:
                seen.add(gid)
                source = d["source"][gid][2]        # locked: nbgrader restores it
            elif gid:
                seen.add(gid)
            steps.append({"code": source if isinstance(source, str) else "".join(source)})
        for gid, spec in specs.items():                    # grade cells the student deleted
            if gid not in seen and spec.verifiable:
                steps.append(self._probe(spec, verify))
        return steps

    @staticmethod
    def _probe(spec, verify):
        step = {"probe": spec.grade_id, "target": spec.target,
                "calls": verify.encode_calls(spec.calls) if spec.kind == "call" else []}
        if spec.earlier:
            step["trace"] = {name: spec.trace.get(name, []) for name in spec.earlier}
        return step

    def _run_runner(self, job: dict, cwd: Path, deadline_s: float) -> list:
        import selectors
        import subprocess

        runner = RUNNER_IN_JAIL if self.isolate else str(HERE / "_runner.py")
        cmd = [sys.executable, "-I", "-S", str(HERE / "jail.py"), "--run", sys.executable, "-I", runner]
        job = dict(job, cwd=str(cwd), kill_all=self.isolate)
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "DECKC_JAIL")}
        proc = subprocess.Popen(cmd, cwd=str(cwd), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, start_new_session=True, env=env)
        data = json.dumps(job).encode()

        def feed():
            try:
                proc.stdin.write(data)
                proc.stdin.close()
            except OSError:
                pass

        threading.Thread(target=feed, daemon=True).start()
        from ._codec import LineReader, read_event

        events, reader, total = [], LineReader(), 0
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        end = time.monotonic() + deadline_s
        try:
            while True:
                left = end - time.monotonic()
                if left <= 0 or not sel.select(timeout=left):
                    if time.monotonic() >= end:
                        break
                    continue
                chunk = os.read(proc.stdout.fileno(), 1 << 16)
                if not chunk:
                    break
                total += len(chunk)
                if total > 512 * 1024 * 1024:
                    break
                for line in reader.feed(chunk):
                    event = read_event(line)        # bounded: malformed lines are dropped
                    if event is not None:
                        events.append(event)
        finally:
            sel.close()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            proc.kill()
            proc.wait()
            self.kill_others()
        return events

    def _record(self, student: str, sub_dir: Path, submitted: list[str]) -> dict:
        """Run the runner (rounds as needed); returns {notebook: {"records": {gid: rec},
        "verdicts": {gid: Verdict}, "specs": {gid: spec}}}."""
        import copy

        from . import verify

        specs = {nb: {gid: copy.copy(s) for gid, s in self.tests[nb].items()} for nb in submitted}
        records = {nb: {} for nb in submitted}
        verdicts = {nb: {} for nb in submitted}
        todo = list(submitted)
        for _round in range(verify.MAX_ROUNDS):
            job = {"cell_timeout": self.cell_timeout,
                   "notebooks": [{"name": nb, "steps": self._steps(nb, sub_dir, specs[nb])} for nb in todo]}
            deadline = sum(self.nb_timeout[nb] for nb in todo) + 30
            events = self._run_runner(job, sub_dir, deadline)
            if not events and _round == 0 and any(nb["steps"] for nb in job["notebooks"]):
                self.runner_silent = True    # not one event: the runner never ran (see _not_the_students_fault)
            fresh = self._collect(events)
            again = []
            for nb in todo:
                for gid, rec in fresh.get(nb, {}).items():
                    records[nb][gid] = rec
                for gid, spec in specs[nb].items():
                    if not spec.verifiable:
                        continue
                    try:
                        v = verify.replay(spec, records[nb].get(gid))
                    except Exception as e:  # noqa: BLE001 - a bad record fails its own check only
                        v = verify.Verdict(False, 0.0, "BadRecord", f"the check's record could not be read "
                                                                     f"({type(e).__name__})")
                    if v.unplanned is not None and _round < verify.MAX_ROUNDS - 1:
                        index, args, kwargs = v.unplanned
                        spec.calls = list(spec.calls[:index]) + [(args, kwargs)]
                        records[nb].pop(gid, None)
                        if nb not in again:
                            again.append(nb)
                    elif v.unplanned is not None:
                        v = verify.Verdict(False, 0.0, "Unverified", "the test's calls could not be recorded")
                    verdicts[nb][gid] = v
            if not again:
                break
            todo = again
        return {nb: {"records": records[nb], "verdicts": verdicts[nb], "specs": specs[nb]} for nb in submitted}

    @staticmethod
    def _collect(events: list) -> dict:
        """Runner events -> {notebook: {grade_id: record}}; the first answer for a call wins."""
        out = {}
        for e in events:
            nb, probe = e.get("nb"), e.get("probe")
            if not isinstance(nb, str) or not isinstance(probe, str):
                continue
            rec = out.setdefault(nb, {}).setdefault(probe, {})
            if "missing" in e or "value" in e:
                if "calls" not in rec and "value" not in rec and "missing" not in rec:
                    rec.update({"missing": True} if e.get("missing") else {"value": e["value"]})
            elif isinstance(e.get("call"), int) and ("result" in e or "raised" in e):
                calls = rec.setdefault("calls", {})
                k = e["call"]
                if k not in calls and "missing" not in rec and "value" not in rec:
                    calls[k] = {"result": e["result"]} if "result" in e else {"raised": e["raised"]}
                    if isinstance(e.get("subcalls"), list):
                        calls[k]["subcalls"] = e["subcalls"]
        return out

    # -- combining ----------------------------------------------------------------

    def _combine(self, student, stored, submitted, kernel, records, sub_dir) -> dict:
        notebooks = {}
        for name, nb in stored["notebooks"].items():
            d = self.defs.get(name, {"grades": {}})
            k = kernel.get(name)
            checked = records.get(name)
            out = {"submitted": name in submitted, "autograded": bool(k and k["ok"]),
                   "kernel_error": k["error"] if k else None, "late_penalty": nb["late_penalty"],
                   "grades": {}, "comments": dict(nb["comments"])}
            notes = {}
            for gid, g in nb["grades"].items():
                kernel_score = g["auto_score"] if (k and k["ok"]) or name not in submitted else None
                row = {"max": g["max_score"], "kernel_score": kernel_score,
                       "index": self.grade_order.get(name, {}).get(gid, 10_000),
                       "kernel_error": (k or {}).get("cells", {}).get(gid, "") if k else "",
                       "verified": None, "verified_score": None, "verified_error": "", "message": "",
                       "final": kernel_score}
                verdict = checked["verdicts"].get(gid) if checked else None
                if name not in submitted:
                    row["status_note"] = "not submitted"
                elif verdict is not None and gid in d["grades"]:
                    row.update({"verified": verdict.passed, "verified_score": verdict.score,
                                "verified_error": verdict.error_type, "message": verdict.message,
                                "final": verdict.score})
                    if kernel_score is None or abs(float(kernel_score) - verdict.score) > 1e-9:
                        why = (f"kernel: {k['error']}" if k and not k["ok"] else
                               f"kernel scored {_fmt(kernel_score)}/{_fmt(g['max_score'])}")
                        detail = f" ({verdict.error_type}: {verdict.message})" if not verdict.passed else ""
                        note = (f"deckc: {gid}: {why}; the out-of-kernel check scored "
                                f"{_fmt(verdict.score)}/{_fmt(g['max_score'])}{detail}. Auto score set to "
                                f"{_fmt(verdict.score)}.")
                        row["override"] = "yes" if kernel_score is not None else "no kernel result"
                        target = self.order.get(name, {}).get(gid)
                        if target:
                            notes.setdefault(target, []).append(note)
                out["grades"][gid] = row
            for target, lines in notes.items():
                if target in out["comments"]:
                    base = out["comments"][target]
                    out["comments"][target] = "\n".join(([base] if base else []) + lines)
            notebooks[name] = out
        return {"timestamp": stored["timestamp"], "notebooks": notebooks,
                "verdicts": {nb: {gid: [v.passed, v.error_type, v.message] for gid, v in r["verdicts"].items()}
                             for nb, r in records.items()}}

    # -- feedback -----------------------------------------------------------------

    def _feedback(self, student: str, result: dict):
        import copy

        from nbgrader.converters import GenerateFeedback
        from nbgrader.coursedir import CourseDirectory

        from .feedback import DeckcFeedback, check_html, sanitise_html
        from .feedback_view import NameTheTests, WrapMessages, configure

        if not any(layout.autograded_dir(self.root, student, self.assignment).glob("*.ipynb")):
            return None, []          # nothing nbgrader could autograde: no feedback to show
        DeckcFeedback.verdicts = {nb: {gid: tuple(v) for gid, v in vs.items()}
                                  for nb, vs in result["verdicts"].items()}
        config = copy.deepcopy(self.config)
        config.GenerateFeedback.preprocessors = [
            "nbgrader.preprocessors.GetGrades", DeckcFeedback, NameTheTests,
            "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor", WrapMessages]
        configure(config)            # deckc's template: each test named in the summary
        coursedir = CourseDirectory(config=config)
        coursedir.assignment_id = self.assignment
        coursedir.student_id = student
        problems = []
        try:
            GenerateFeedback(coursedir=coursedir, config=config).start()
        except BaseException as e:  # noqa: BLE001
            return None, [f"generate_feedback failed: {type(e).__name__}: {e}"]
        out = layout.feedback_dir(self.root, student, self.assignment)
        if not out.is_dir():
            return None, ["generate_feedback wrote nothing"]
        for path in sorted(out.rglob("*")):
            if path.is_dir():
                continue
            if path.suffix != ".html" or path.stem not in self.defs:
                path.unlink()            # reference files nbgrader copied from source/
                continue
            html = sanitise_html(path.read_text(encoding="utf-8", errors="replace"))
            cleaned, found = check_html(html, self.secrets.get(path.stem, set()))
            path.write_text(cleaned, encoding="utf-8")
            if found:
                _, again = check_html(cleaned, self.secrets.get(path.stem, set()))
                if again:
                    path.unlink()
                    problems.append(f"{path.name}: withheld ({', '.join(found)})")
                    continue
                path.write_text(cleaned, encoding="utf-8")
                problems.append(f"{path.name}: redacted {', '.join(found)}")
        for d in sorted((p for p in out.rglob("*") if p.is_dir()), reverse=True):
            if not any(d.iterdir()):
                d.rmdir()
        return str(out), problems


def _cpu(usage) -> float:
    return usage.ru_utime + usage.ru_stime


def _fmt(x):
    if x is None:
        return "-"
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:g}"


def main():
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)        # anything printed by nbgrader or a grade cell replay goes to the log
    import nbgrader.converters  # noqa: F401 - the slow import, while the main process prepares
    worker = None
    for line in sys.stdin:
        try:
            msg = json.loads(line)
            if msg.get("op") == "init":
                worker = Worker(msg, proto)
                reply = worker.setup()
            elif msg.get("op") == "grade":
                try:
                    reply = worker.grade(msg)
                except Exception as e:  # noqa: BLE001 - one student's failure is reported, not fatal
                    traceback.print_exc()
                    worker.kill_others()
                    reply = {"ok": False, "student": msg.get("student"), "error": f"{type(e).__name__}: {e}"}
            else:
                reply = {"ok": False, "error": f"unknown op {msg.get('op')!r}"}
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        proto.write(json.dumps(reply, default=str) + "\n")
        proto.flush()


if __name__ == "__main__":
    main()
