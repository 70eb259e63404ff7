"""The kernel stage: nbgrader's own Autograde converter on one student, a notebook at a time.

`autograde A --student S --force` with the kernels started through the jail (a kernelspec
override the worker installs), each notebook under a watchdog: a notebook that kills or hangs
its kernel costs only that notebook (nbgrader would skip the student's remaining ones).

The stages are timed where they run (stagetimes.py): the kernel's start, ready wait and stop,
each cell (the student's code and the in-kernel tests), and nbgrader's reads and writes of the
private gradebook (its init_assignment and the preprocessors that open the gradebook).
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from ..nbgrader import cells, layout
from .records import KernelRun
from .stagetimes import Stage, Stopwatch

# nbgrader's preprocessors of autograde that read or write the gradebook (timed as GRADEBOOK)
GRADEBOOK_STEPS = ("OverwriteKernelspec", "OverwriteCells", "SaveAutoGrades", "AssignLatePenalties")


class ErrorLog(logging.Handler):
    """The error messages logged while a notebook ran (nbgrader logs why a kernel failed)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages = []

    def emit(self, record):
        try:
            self.messages.append(record.getMessage())
        except Exception:  # noqa: BLE001
            pass


def autograde(config, root: Path, assignment: str, student: str, submitted: list[str], timeouts: dict,
              errors: ErrorLog, kill_others, watch: Stopwatch | None = None) -> dict[str, KernelRun]:
    """{notebook: KernelRun} for the submitted notebooks; `timeouts`: {notebook: wall seconds};
    the stages' time charged to `watch`."""
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory

    from ..nbgrader.converters import quiet_checksum_warnings
    quiet_checksum_warnings()    # edits.py: the summary names the cells really edited instead

    from . import kernelpool

    log = logging.getLogger("deckc.grade")
    outcomes: dict = {}
    dest = layout.autograded_dir(root, student, assignment)
    pool = kernelpool.KernelPool() if kernelpool.enabled() else None
    watch = watch or Stopwatch()

    class OneNotebookAtATime(Autograde):
        def __init__(self, **kw):
            super().__init__(**kw)
            if pool is not None:      # the next notebook's kernel boots while this one runs
                from nbgrader.preprocessors import Execute
                # any Execute: the config's is outputs.CappedExecute (`p is Execute` never matched it)
                self.autograde_preprocessors = [
                    kernelpool.pooled_execute(p, pool, self._has_next) if isinstance(p, type) and issubclass(p, Execute)
                    else p for p in self.autograde_preprocessors]
            self.autograde_preprocessors = [_timed(p, watch) for p in self.autograde_preprocessors]
            self.sanitize_preprocessors = [_timed(p, watch) for p in self.sanitize_preprocessors]
            self._current = None

        def init_assignment(self, assignment_id, student_id):
            with watch.stage(Stage.GRADEBOOK):     # the student, the submission, missing notebooks
                super().init_assignment(assignment_id, student_id)

        def _has_next(self):
            names = list(self.notebooks)
            return self._current in names and names.index(self._current) < len(names) - 1

        def convert_single_notebook(self, notebook_filename):
            self._current = notebook_filename
            name = Path(notebook_filename).stem
            limit = timeouts.get(name, 600.0)
            fired = threading.Event()
            before = len(errors.messages)

            def watchdog():
                fired.set()
                log.error("notebook %s of %s ran out of its %.0f s: killing its kernel", name, student, limit)
                kill_others()

            timer = threading.Timer(limit, watchdog)
            timer.daemon = True
            timer.start()
            try:
                super().convert_single_notebook(notebook_filename)
                outcomes[name] = None
            except Exception as e:  # noqa: BLE001 - dead kernel, time limit, broken notebook
                messages = [m.strip().splitlines()[-1] for m in errors.messages[before:] if m.strip()]
                outcomes[name] = (f"notebook time limit ({limit:.0f} s) reached" if fired.is_set()
                                  else f"{type(e).__name__}: {e}".strip() or "; ".join(messages[:3]))
                log.error("autograding %s of %s failed: %s", name, student, outcomes[name])
                (dest / f"{name}.ipynb").unlink(missing_ok=True)     # as nbgrader's _handle_failure
            finally:
                timer.cancel()
                kill_others(keep=pool.pids() if pool is not None and not fired.is_set() else ())

    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = assignment
    coursedir.student_id = student
    error = None
    try:
        OneNotebookAtATime(coursedir=coursedir, config=config).start()
    except BaseException as e:  # noqa: BLE001 - nbgrader raises NbGraderException (or exits)
        error = f"{type(e).__name__}: {e}"
    finally:
        if pool is not None:
            with watch.stage(Stage.KERNEL):
                pool.discard()
        kill_others()
    out = {}
    for name in submitted:
        path = dest / f"{name}.ipynb"
        ok = name in outcomes and outcomes[name] is None and path.is_file()
        why = outcomes.get(name) or error or "not autograded"
        out[name] = KernelRun(ok, None if ok else str(why)[:1000], kernel_cells(path) if ok else {})
    return out


def _timed(cls, watch: Stopwatch):
    """`cls` (a preprocessor class; anything else as it is) with its work charged to its stage:
    the kernel's lifecycle and each cell for nbgrader's Execute, the whole step for a gradebook step."""
    from nbgrader.preprocessors import Execute

    if not isinstance(cls, type):
        return cls
    if issubclass(cls, Execute):
        class TimedExecute(cls):
            def create_kernel_manager(self):      # with the kernel pool: takes one, pre-starts the next
                with watch.stage(Stage.KERNEL):
                    return super().create_kernel_manager()

            def start_new_kernel(self, **kwargs):
                with watch.stage(Stage.KERNEL):
                    return super().start_new_kernel(**kwargs)

            def start_new_kernel_client(self):   # the wait until the kernel answers
                with watch.stage(Stage.KERNEL):
                    return super().start_new_kernel_client()

            def _cleanup_kernel(self):
                with watch.stage(Stage.KERNEL):
                    return super()._cleanup_kernel()

            def preprocess_cell(self, cell, resources, index):
                with watch.stage(Stage.STUDENT_CODE):
                    return super().preprocess_cell(cell, resources, index)

        return TimedExecute
    if not any(base.__name__ in GRADEBOOK_STEPS for base in cls.__mro__):
        return cls

    class TimedStep(cls):
        def preprocess(self, nb, resources):
            with watch.stage(Stage.GRADEBOOK):
                return super().preprocess(nb, resources)

    return TimedStep


def kernel_cells(path: Path) -> dict[str, str]:
    """{grade_id: error type or ''} from an autograded notebook."""
    import nbformat

    out = {}
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cells.is_grade(cell) and cell.cell_type == "code":
            etype = ""
            for o in cell.get("outputs", []):
                if o.get("output_type") == "error":
                    etype = o.get("ename", "Error")
                    break
                if o.get("output_type") == "stream" and o.get("name") == "stderr":
                    etype = "Stderr"
                    break
            out[cells.grade_id(cell)] = etype
    return out
