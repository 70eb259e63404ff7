"""The per-submission unit of ``deckc grade``: what any worker process runs to grade one submission.

    grader = Grader(definition, sandbox, scratch)   # once per process: an AssignmentDef, a Sandbox
    ready = grader.setup()                          # -> WorkerReady (imports nbgrader, plans tests)
    result = grader.grade(job)                      # GradeJob -> StudentResult, one at a time

The local pool (worker.py, driven by run.py) and a cluster worker call exactly this, so a
submission gets the same jail and the same scores wherever it runs. A Grader owns its process's
environment (the jail's settings and the Jupyter paths go into os.environ, kernels are
killed after every notebook): one Grader per process, grading one submission at a time.

For each submission, in a private scratch copy of the course whose SQLite gradebook is a copy
of the definition's template (the real gradebook is never touched here):

1. intake: the submission's files are copied in (regular files only, capped) and matched to
   the assignment's notebooks (matching.py);
2. record + replay: the out-of-kernel check (checking.py), before any kernel has held a
   reference value;
3. kernel: nbgrader's Autograde (autograde.py);
4. score: scoring.py combines what nbgrader stored with the verdicts; the finals go into the
   private gradebook (for the feedback's points);
5. feedback: generate_feedback, sanitised and checked (feedback_run.py).
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import sys
import time
from pathlib import Path

sys.modules.setdefault("rfc3987_syntax", None)   # see deckc/nbgrader/command.py: NBGRADER_MAIN

from .records import (MAX_SUBMISSION_BYTES, AssignmentDef, GradeJob, Sandbox, StudentResult,  # noqa: E402
                      WorkerReady, submission_files)
from .stagetimes import CpuTimes, Stage, Stopwatch  # noqa: E402

from ..nbgrader import layout  # noqa: E402

HERE = Path(__file__).resolve().parent
# The kernel's IPython history stays in memory: the hidden tests it ran die with the kernel.
KERNEL_ARGS = ["--HistoryManager.enabled=False", "--HistoryManager.hist_file=:memory:"]


class Grader:
    def __init__(self, definition: AssignmentDef, sandbox: Sandbox, scratch: Path):
        from .autograde import ErrorLog
        from .processes import Processes

        self.definition, self.sandbox = definition, sandbox
        self.assignment = definition.assignment
        self.scratch = Path(scratch)
        self.root = self.scratch / "course"              # nbgrader's course root (private)
        self.course = self.scratch / "definition"       # the definition laid out as a course folder
        self.processes = Processes()
        self.isolate = bool(sandbox.isolate) and os.geteuid() == 0
        self.errors = ErrorLog()
        self.plans: dict = {}

    def kill_others(self, keep=()):
        self.processes.kill_others(keep)

    # ------------------------------------------------------------------ once per process

    def setup(self) -> WorkerReady:
        self.processes.setup()
        for sub in ("course", "jails", "runtime", "jupyter/kernels/python3", "tmp"):
            (self.scratch / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.scratch, 0o700)
        self.definition.write(self.course)
        src = layout.source_dir(self.course, self.assignment)
        dst = layout.source_dir(self.root, self.assignment)
        dst.mkdir(parents=True, exist_ok=True)
        for path in sorted(src.rglob("*")):     # nbgrader copies source/'s other files to autograded/
            if path.is_file() and path.suffix != ".ipynb":
                target = dst / path.relative_to(src)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
        layout.gradebook_path(self.root).write_bytes(self.definition.template_db)
        self.db_url = layout.default_db_url(self.root)
        logging.getLogger().addHandler(self.errors)

        from .checking import jail_files

        limits = self.definition.limits
        self.jail_cfg = {
            "isolate": self.isolate, "uid": None, "jails": str(self.scratch / "jails"),
            "ro": list(self.sandbox.ro), "links": dict(self.sandbox.links), "files": jail_files(),
            "kernel_args": KERNEL_ARGS, "memory_mb": limits.memory_mb, "nproc": limits.nproc,
            "cpu_s": limits.cpu_s, "fsize_mb": limits.fsize_mb, "tmp": str(self.scratch / "tmp"), "env": {},
        }
        if os.environ.get("DECKC_GRADE_DEBUG"):
            self.jail_cfg["log"] = os.environ["DECKC_GRADE_DEBUG"]
        from . import forkserver         # kernels and runners forked from a zygote (forkserver.py)
        forkserver.start(self.jail_cfg, self.scratch, self.processes)
        kernel = {"argv": [sys.executable, "-I", "-S", str(HERE / "jail.py"), "--kernel", "{connection_file}"],
                  "display_name": "Python 3 (deckc grading sandbox)", "language": "python",
                  "metadata": {"debugger": False}}
        (self.scratch / "jupyter/kernels/python3/kernel.json").write_text(json.dumps(kernel))
        os.environ.update({
            "JUPYTER_PATH": str(self.scratch / "jupyter"), "JUPYTER_RUNTIME_DIR": str(self.scratch / "runtime"),
            "JUPYTER_PLATFORM_DIRS": "1", "DECKC_JAIL": json.dumps(self.jail_cfg),
        })
        self.config = self._nbgrader_config(limits.cell_timeout)
        self.cell_timeout = float(self.config.Execute.get("timeout", 30) or 30)
        self.course_id = str(self.config.CourseDirectory.get("course_id", "") or layout.DEFAULT_COURSE_ID)

        from nbgrader.converters import Autograde, GenerateFeedback  # noqa: F401 - import once, here

        from . import testplan
        from ..nbgrader import gradebook as gbmod
        from ..nbgrader import scratch_gradebook

        scratch_gradebook.install(self.db_url)   # one engine, schema checked once, no fsync (private copy)
        with gbmod.open_gradebook(self.db_url, self.course_id) as gb:
            self.defs = gbmod.definitions(gb, self.assignment)
        self.plans = testplan.load(layout.source_dir(self.course, self.assignment), self.defs, self.cell_timeout,
                                   limits.notebook_timeout)
        return WorkerReady(tuple(sorted(self.defs)), self.cell_timeout,
                           {name: p.timeout for name, p in self.plans.items()})

    def _nbgrader_config(self, cell_timeout):
        from ..nbgrader.config import load_config

        config = load_config(self.course)           # the course's nbgrader_config.py, as nbgrader reads it
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
        if cell_timeout:
            config.Execute.timeout = int(cell_timeout)
            config.ExecutePreprocessor.timeout = int(cell_timeout)
        return config

    # ------------------------------------------------------------------ one submission

    def _empty(self, job: GradeJob, sub_dir: Path, outcomes, started: float, watch) -> StudentResult:
        """A submission without a notebook of the assignment (none refused): graded as nbgrader grades
        a submission whose notebooks are all missing, 0 for each, with the reason; no kernel runs."""
        from ..nbgrader import gradebook as gbmod
        from . import gradebook_io, scoring

        others = sorted(p.relative_to(sub_dir).as_posix() for p in sub_dir.rglob("*") if p.is_file()
                        and p.name != "timestamp.txt")
        why = "no notebook of the assignment handed in" + (
            f" (files: {', '.join(others[:5])}{', ...' if len(others) > 5 else ''})" if others else " (the folder is empty)")
        with watch.stage(Stage.GRADEBOOK), gbmod.open_gradebook(self.db_url, self.course_id) as gb:
            gradebook_io.apply_student_state(gb, self.assignment, job.student, job.state)
            gbmod.create_submission(gb, self.assignment, job.student)
            stored = gradebook_io.read_submission(gb, self.assignment, job.student)
        notebooks = {}
        for name, nb in stored.notebooks.items():   # 0, not "no score": nothing is left to grade by hand
            made = scoring.score_notebook(name, nb, False, None, None,
                                          self.plans[name].layout if name in self.plans else scoring.Layout())
            notebooks[name] = dataclasses.replace(made, grades={gid: dataclasses.replace(g, final=0.0) for gid, g in made.grades.items()})
        score, maximum = scoring.totals(notebooks)
        return StudentResult(job.student, ok=True, files=tuple(outcomes), timestamp=stored.timestamp,
                             notebooks=notebooks, score=score, max_score=maximum, empty=why,
                             timings=watch.times(), seconds=time.monotonic() - started)

    def grade(self, job: GradeJob) -> StudentResult:
        server = self.processes.forkserver
        forking = server is not None and server.alive()
        result = self._grade(job)
        if forking and not server.alive():
            # The zygote died during this submission (the OOM killer, a bug): what it had forked
            # died with it, through no fault of the student's. From now on the exec path, and
            # this submission again (its private gradebook and folders are redone by _grade).
            logging.getLogger("deckc.grade").warning("fork server died; kernels start the exec way from now on")
            self.jail_cfg.pop("forkserver", None)
            self.processes.forkserver = None
            server.stop()
            self.kill_others()
            result = self._grade(job)
        return result

    def _grade(self, job: GradeJob) -> StudentResult:
        import resource

        from ..nbgrader import gradebook as gbmod
        from . import checking, diagnose, gradebook_io, matching, scoring
        from .autograde import autograde
        from .edits import edited_cells

        started = time.monotonic()
        watch = Stopwatch(started)      # every stage below charged where it runs (stagetimes.py)
        cpu0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        student = job.student
        self.jail_cfg["uid"] = job.uid               # a uid of its own for every submission
        os.environ["DECKC_JAIL"] = json.dumps(self.jail_cfg)
        self.errors.messages.clear()
        self._clean()
        sub_dir = layout.submitted_dir(self.root, student, self.assignment)
        skipped = self._intake(job, sub_dir)
        outcomes = matching.match_folder(sub_dir, set(self.defs),        # renamed files, size caps
                                        layout.release_dir(self.course, self.assignment))
        submitted = matching.apply(sub_dir, outcomes)
        refused = {o.notebook: o.note for o in outcomes if o.action == "refused" and o.notebook not in submitted}
        if not submitted and (refused or job.preflight):
            # a cut-off upload is never a silent 0: not graded, with the refusal
            return StudentResult(student, ok=False, files=tuple(outcomes), error=(
                "no notebooks of this assignment in the submission"
                + (f" ({'; '.join(f'{o.file}: {o.action}' + (f' ({o.note})' if o.note else '') for o in outcomes)})"
                   if outcomes else "")))
        if not submitted:
            return self._empty(job, sub_dir, outcomes, started, watch)

        with watch.stage(Stage.GRADEBOOK), gbmod.open_gradebook(self.db_url, self.course_id) as gb:
            gradebook_io.apply_student_state(gb, self.assignment, student, job.state)
        check = checking.CheckRun()
        if self.definition.verify:
            with watch.stage(Stage.CHECK):
                check = checking.record_and_replay(self.plans, sub_dir, submitted, self.cell_timeout, self.isolate,
                                                   self.kill_others)
        kernel = autograde(self.config, self.root, self.assignment, student, submitted,
                           {name: p.timeout for name, p in self.plans.items()}, self.errors, self.kill_others, watch)

        diagnosis = diagnose.not_the_students_fault(kernel, check.silent, self.scratch, self.kill_others)
        if diagnosis and not job.preflight:
            return StudentResult(student, ok=False, not_graded=True, error=diagnosis)
        with watch.stage(Stage.GRADEBOOK), gbmod.open_gradebook(self.db_url, self.course_id) as gb:
            stored = gradebook_io.read_submission(gb, self.assignment, student)
        notebooks = {}
        for name, nb in stored.notebooks.items():
            plan = self.plans.get(name)
            notebooks[name] = scoring.score_notebook(
                name, nb, name in submitted, kernel.get(name), check.verdicts.get(name),
                plan.layout if plan else scoring.Layout(), refused.get(name, ""))
        with watch.stage(Stage.GRADEBOOK), gbmod.open_gradebook(self.db_url, self.course_id) as gb:
            gradebook_io.set_scores(gb, self.assignment, student, notebooks)
        release = layout.release_dir(self.course, self.assignment)
        unchanged = diagnose.unchanged(release, sub_dir, submitted)
        edited = {name: tuple(cells) for name in submitted
                  if (cells := edited_cells(release / f"{name}.ipynb", sub_dir / f"{name}.ipynb"))}

        feedback_dir, problems = None, []
        if self.definition.feedback:
            from .feedback_run import generate
            with watch.stage(Stage.FEEDBACK):
                feedback_dir, problems = generate(self.config, self.root, self.assignment, student, check.verdicts,
                                                  {n: p.secrets for n, p in self.plans.items()}, set(self.defs))
        autograded = layout.autograded_dir(self.root, student, self.assignment)
        score, maximum = scoring.totals(notebooks)
        return StudentResult(
            student, ok=True, files=tuple(outcomes), timestamp=stored.timestamp, notebooks=notebooks,
            score=score, max_score=maximum, diagnosis=diagnosis, unchanged=tuple(unchanged), edited=edited,
            skipped_files=tuple(skipped), timings=watch.times(), seconds=time.monotonic() - started,
            cpu=CpuTimes(worker=round(_cpu(resource.getrusage(resource.RUSAGE_SELF)) - _cpu(cpu0[0]), 3),
                         children=round(_cpu(resource.getrusage(resource.RUSAGE_CHILDREN)) - _cpu(cpu0[1]), 3)),
            autograded_dir=str(autograded) if autograded.is_dir() else None, feedback_dir=feedback_dir,
            feedback_problems=tuple(problems))

    def _clean(self):
        for sub in (layout.SUBMITTED, layout.AUTOGRADED, layout.FEEDBACK):
            shutil.rmtree(self.root / sub, ignore_errors=True)
        for sub in ("jails", "tmp"):
            shutil.rmtree(self.scratch / sub, ignore_errors=True)
            (self.scratch / sub).mkdir()

    def _intake(self, job: GradeJob, dst: Path) -> list[str]:
        """The submission into the private course; returns the names skipped."""
        dst.mkdir(parents=True, exist_ok=True)
        folder = job.folder
        if folder is None and job.files is None and job.preflight:
            folder = layout.source_dir(self.course, self.assignment)      # the reference solution
        if folder is not None:
            accepted, skipped = submission_files(Path(folder))
            for rel, path in accepted:
                target = dst / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                st = path.stat()
                shutil.copyfile(path, target)
                os.utime(target, (st.st_atime, st.st_mtime))
            return list(job.skipped) + skipped
        skipped, total = list(job.skipped), 0
        for rel, data in sorted((job.files or {}).items()):
            parts = Path(rel).parts
            if not parts or Path(rel).is_absolute() or ".." in parts or total + len(data) > MAX_SUBMISSION_BYTES:
                skipped.append(rel)
                continue
            total += len(data)
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            (dst / rel).write_bytes(data)
        return skipped


def pack_outputs(result: StudentResult) -> StudentResult:
    """The result with its autograded/ and feedback/ folders as bytes (for a worker whose scratch
    the main process cannot read); merge.place_outputs unpacks them."""
    outputs = {}
    for kind, folder in ((layout.AUTOGRADED, result.autograded_dir), (layout.FEEDBACK, result.feedback_dir)):
        if folder and Path(folder).is_dir():
            outputs[kind] = {p.relative_to(folder).as_posix(): p.read_bytes()
                             for p in sorted(Path(folder).rglob("*")) if p.is_file() and not p.is_symlink()}
    return dataclasses.replace(result, outputs=outputs, autograded_dir=None, feedback_dir=None)


def _cpu(usage) -> float:
    return usage.ru_utime + usage.ru_stime
