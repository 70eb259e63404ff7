"""The out-of-kernel check: the authoritative score of every deckc grade cell.

In-kernel tests are for the students' feedback: student code shares the kernel with them and
can rebind numpy, rig ``__eq__``, inspect the test's frame for the expected values, or fake
outputs. So after nbgrader's autograde deckc scores each grade cell again, this way:

1. **Plan** (once per assignment, in the grader): each grade cell's code (from the gradebook,
   exactly what nbgrader runs) is executed with the graded name bound to a recorder around the
   *reference* version (from the source notebook); the recorder notes every call the test makes
   (arguments only). A grade cell whose target is not a function (the quiz's ``answer``) plans a
   value probe instead.
2. **Record** (in the jail, as the student): deckc's runner executes the student's notebook cells
   in order and, at each grade cell's position, calls the student's function on the planned
   arguments and records the raw outputs as plain data (``_codec.encode``). The runner is given
   nothing of the reference: no reference functions, no outputs, no seeds. For a cell that grades
   a function on its own, the function's calls to the earlier functions are recorded too.
3. **Replay** (in the grader, no student code): the grade cell's code runs again with the graded
   name bound to a replay object that returns the recorded outputs (rebuilt by
   ``_codec.decode``: plain arrays and scalars, subclasses reduced to empty stand-ins; for a
   function graded on its own, composed with the reference in the grader: compose.py). The
   test's own comparison decides pass or fail. If the test makes a call that was not planned (its
   arguments depend on an earlier answer), that call is recorded in another round.

A cell passes if the replayed test raises nothing and writes nothing to stderr (nbgrader's rule),
and then scores its points; else 0.
"""
from __future__ import annotations

import ast
import contextlib
import copy
import io
import re
import warnings
from dataclasses import dataclass, field

from . import _codec, compose

GRADER_NS = "_deckc_grader"
MAX_ROUNDS = 4


@dataclass
class TestSpec:
    notebook: str
    grade_id: str
    max_score: float
    source: str                      # the grade cell's code, as nbgrader restores it
    target: str | None = None        # the graded name (function or value)
    earlier: list = field(default_factory=list)  # graded on its own: the earlier functions' names
    kind: str = "call"               # "call" or "value"
    calls: list = field(default_factory=list)   # planned [(args tuple, kwargs dict)]
    reason: str = ""                 # why it cannot be verified (target None)
    trace: dict = field(default_factory=dict)   # earlier name -> [[answer structure]] per call
    reference: dict = field(default=None, repr=False, compare=False)   # the reference namespace
    _code: object = field(default=None, repr=False, compare=False)

    @property
    def code(self):
        """The grade cell compiled once (it is replayed for every student)."""
        if self._code is None:
            self._code = compile(self.source, f"deckc-grade-{self.grade_id}", "exec")
        return self._code

    @property
    def verifiable(self) -> bool:
        return self.target is not None


def hidden_code(source: str) -> str | None:
    """The grader code a deckc grade cell compiles (first exec(compile(...)) of its hidden part)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "exec"
                and node.args and isinstance(node.args[0], ast.Call)
                and isinstance(node.args[0].func, ast.Name) and node.args[0].func.id == "compile"
                and node.args[0].args and isinstance(node.args[0].args[0], ast.Constant)
                and isinstance(node.args[0].args[0].value, str)):
            return node.args[0].args[0].value
    return None


def _is_isolation(func) -> bool:
    if isinstance(func, ast.Name):
        return func.id == "on_its_own"
    return (isinstance(func, ast.Subscript) and isinstance(func.value, ast.Name) and func.value.id == GRADER_NS
            and isinstance(func.slice, ast.Constant) and func.slice.value == "on_its_own")


def parse_test_cell(notebook: str, grade_id: str, max_score: float, source: str) -> TestSpec:
    """What a deckc grade cell grades: the target name, and whether it isolates the function."""
    spec = TestSpec(notebook, grade_id, float(max_score), source)
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        spec.reason = f"grade cell does not parse: {e.msg}"
        return spec
    calls = [n for n in tree.body if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)]
    code = hidden_code(source)
    if not calls or code is None:
        spec.reason = "not a deckc grade cell (no grader block or no test call)"
        return spec
    first = calls[-1].value.args[0] if calls[-1].value.args else None
    isolated = False
    if isinstance(first, ast.Call) and _is_isolation(first.func) and len(first.args) == 1:
        first, isolated = first.args[0], True
    if not isinstance(first, ast.Name):
        spec.reason = "the test call's first argument is not a name"
        return spec
    spec.target = first.id
    if isolated:
        names = _earlier_names(code)
        if names is None and "on_its_own" in {n.name for n in ast.parse(code).body if isinstance(n, ast.FunctionDef)}:
            names = []          # the first function: on_its_own changes nothing
        if names is None:
            spec.target, spec.reason = None, "the grade cell isolates the function but names no earlier functions"
            return spec
        spec.earlier = names
    return spec


def _earlier_names(code: str) -> list | None:
    """The names of the earlier functions a grade cell's on_its_own routes to: the keys of the
    dict its _reference_functions() returns (read from the code, nothing of it is run)."""
    tree = ast.parse(code)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "_reference_functions":
            returns = [n for n in node.body if isinstance(n, ast.Return) and isinstance(n.value, ast.Dict)]
            if returns and all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in returns[-1].value.keys):
                return [k.value for k in returns[-1].value.keys]
    return None


# --------------------------------------------------------------------------- planning


class _Recorder:
    """Stands for the graded function while planning: calls the reference, notes the arguments."""

    def __init__(self, fn):
        self.fn = fn
        self.calls = []

    def __call__(self, *args, **kwargs):
        self.calls.append((copy.deepcopy(args), copy.deepcopy(kwargs)))
        return self.fn(*args, **kwargs)


@contextlib.contextmanager
def _quiet():
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()) as err:
        warnings.simplefilter("ignore")
        yield err


def reference_namespace(source_cells: list[str]) -> dict:
    """Run the source notebook's non-grade code cells (the instructor's reference) in a namespace."""
    ns: dict = {}
    with _quiet():
        for code in source_cells:
            try:
                exec(compile(code, "deckc-reference", "exec"), ns)
            except Exception:  # noqa: BLE001 - a broken reference cell only weakens the plan
                pass
    return ns


def plan(spec: TestSpec, reference: dict) -> None:
    """Fill spec.kind and spec.calls by running the grade cell against the reference."""
    if not spec.verifiable:
        return
    value = reference.get(spec.target, _MISSING)
    if value is _MISSING:
        spec.kind, spec.calls = "call", []      # unknown: discovered call by call while replaying
        return
    if not callable(value):
        spec.kind, spec.calls = "value", []
        return
    recorder = _Recorder(value)
    with _quiet():
        try:
            exec(spec.code, {spec.target: recorder})
        except Exception:  # noqa: BLE001 - the plan is whatever calls were made
            pass
    spec.kind, spec.calls = "call", recorder.calls
    spec.reference = reference
    if spec.earlier:
        spec.trace = compose.plan_structures(reference, spec.target, spec.earlier, spec.calls)


_MISSING = object()


def encode_calls(calls) -> list:
    import numpy as np
    return [[_codec.encode(tuple(args), np), _codec.encode(dict(kwargs), np)] for args, kwargs in calls]


# --------------------------------------------------------------------------- replay


class _Unplanned(BaseException):
    """The test made a call that was not recorded: record it in another round."""

    def __init__(self, index, args, kwargs):
        super().__init__(index)
        self.index, self.args_, self.kwargs = index, args, kwargs


class _Replay:
    """Stands for the student's function in the grader: answers with the recorded outputs."""

    def __init__(self, calls, records, spec=None):
        self.calls, self.records, self.n, self.spec = calls, records, 0, spec

    def __call__(self, *args, **kwargs):
        k, self.n = self.n, self.n + 1
        if k < len(self.calls) and _same(self.calls[k], (args, kwargs)):
            rec = self.records.get(k)
            if rec is None:
                raise _dynamic_error("CrashedOrTimedOut",
                                     "the code under test stopped the checking process (crash or time limit)")
            if "raised" in rec:
                raised = rec["raised"] if isinstance(rec["raised"], dict) else {}
                raise _dynamic_error(raised.get("type", "Exception"), raised.get("message", ""))
            got = _codec.decode_checked(rec.get("result"))
            spec = self.spec
            if spec is not None and spec.earlier and spec.reference:
                got = compose.on_its_own(spec.reference, spec.target, spec.earlier, args, kwargs, got,
                                         rec.get("subcalls") if isinstance(rec.get("subcalls"), list) else [])
            return got
        raise _Unplanned(k, copy.deepcopy(args), copy.deepcopy(kwargs))


def _dynamic_error(name, message):
    cls = _codec._dynamic(Exception, _codec._type_name(type(str(name)[:200], (), {})))
    return cls(str(message)[:2000])


def _same(a, b) -> bool:
    import numpy as np
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if type(a) is not type(b):
        return False
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and a != a:
        return b != b
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001
        return False


@dataclass
class Verdict:
    passed: bool
    score: float
    error_type: str = ""
    message: str = ""
    unplanned: tuple | None = None    # (call index, args, kwargs) to record in another round


def replay(spec: TestSpec, record: dict | None) -> Verdict:
    """Run the grade cell in the grader on the recorded outputs. record: the runner's events for
    this probe: {"missing": True} | {"value": ENC} | {"calls": {k: event}} | None (never reached)."""
    if record is None:
        return Verdict(False, 0.0, "CrashedOrTimedOut",
                       "the checking process did not reach this test (crash or time limit)")
    env = {}
    if "value" in record:
        try:
            env[spec.target] = _codec.decode_checked(record["value"])
        except ValueError:  # a malformed record is a failed test
            return Verdict(False, 0.0, "BadRecord", "the recorded value could not be read")
    elif not record.get("missing"):
        env[spec.target] = _Replay(spec.calls, record.get("calls", {}), spec)
    with _quiet() as err:
        try:
            exec(spec.code, env)
        except _Unplanned as u:
            return Verdict(False, 0.0, "Unplanned", "", unplanned=(u.index, u.args_, u.kwargs))
        except Exception as e:  # noqa: BLE001 - a failing test
            return Verdict(False, 0.0, type(e).__name__, _one_line(str(e)))
    if err.getvalue():
        return Verdict(False, 0.0, "Stderr", "the test wrote to stderr")
    return Verdict(True, spec.max_score)


def _one_line(text: str, limit: int = 500) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[:limit - 1] + "…"
