"""Grading a function on its own, in the grader: no reference code ever enters the jail.

Some grade cells grade a function on its own: rnn_forward is judged whatever rnn_step does, so
a bug in rnn_step costs rnn_step's parts only. In the kernel the grade cell does that with the
reference versions of the earlier functions (``on_its_own``). The checking runner gets none of
them. Instead (see _runner.py) it runs the student's rnn_forward with its calls to the earlier
functions traced: each goes to the student's own rnn_step (or, if that is missing or raises, a
stand-in answer of the contract's shape), and each call's arguments and answer are recorded.

Here, in the grader, after the student's outputs are recorded:

1. R = the reference rnn_forward on the test's arguments (what the test expects);
2. R_S = the reference rnn_forward on the same arguments, with its calls to rnn_step answered
   from the student's recorded calls (matched by their arguments, within float tolerance):
   what a correct rnn_forward returns *given the student's rnn_step*;
3. the answer the replayed test sees is R + (O - R_S), O being the student's recorded output:
   exactly R when the student's rnn_forward composes its rnn_step correctly, and off by as much
   as the student's rnn_forward is off otherwise, so the test's own tolerance decides.

If R_S cannot be computed (the student's function calls the earlier ones with other arguments,
or not at all, or returns another structure) the test sees O unchanged: a function that does
not call the earlier ones is judged on its own output, one that calls them wrongly fails.

plan_structures() gives the runner the shapes of the earlier functions' answers by contract
(for stand-ins): shapes and dtypes only, never values.
"""
from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np

from . import _codec

MATCH_RTOL, MATCH_ATOL = 1e-5, 1e-8


class _NoMatch(Exception):
    """The reference made a call the student's function did not make."""


def _structure(value):
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return {"t": "nd", "shape": [int(n) for n in value.shape], "dtype": str(value.dtype)}
    if isinstance(value, tuple):
        return {"t": "tuple", "v": [_structure(v) for v in value]}
    return None


def _isolate(fn, replacements):
    from ..exercises.checks import isolate
    return isolate(fn, replacements)


@contextlib.contextmanager
def _quiet():
    with warnings.catch_warnings(), np.errstate(all="ignore"), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def plan_structures(reference: dict, target: str, earlier: list, calls: list) -> dict:
    """{earlier name: [[answer structure of each call it gets] for each planned call]}."""
    fn = reference.get(target)
    out = {name: [] for name in earlier}
    for args, kwargs in calls:
        seen = {name: [] for name in earlier}

        def noting(name, real):
            def wrapper(*a, **kw):
                value = real(*a, **kw)
                seen[name].append(_structure(value))
                return value
            return wrapper
        wrappers = {n: noting(n, reference[n]) for n in earlier if callable(reference.get(n))}
        if callable(fn):
            with _quiet():
                try:
                    _isolate(fn, wrappers)(*_copy(args), **_copy(kwargs))
                except Exception:  # noqa: BLE001 - the plan is whatever was seen
                    pass
        for name in earlier:
            out[name].append(seen[name])
    return out


def _copy(x):
    import copy
    return copy.deepcopy(x)


class _Answers:
    """Stands for an earlier function in the reference: answers from the student's recorded calls."""

    def __init__(self, name, reference_fn, subcalls):
        self.name, self.reference_fn = name, reference_fn
        self.entries = [s for s in subcalls if isinstance(s, dict) and s.get("fn") == name]
        self.decoded = {}
        self.cursor = 0

    def _entry(self, i):
        if i not in self.decoded:
            s = self.entries[i]
            try:
                args, kwargs = _codec.decode_checked(s.get("args")), _codec.decode_checked(s.get("kwargs"))
                # as the reference's own calls are compared: by position in the reference's signature
                self.decoded[i] = _codec.positional(self.reference_fn, tuple(args), dict(kwargs))
            except (ValueError, TypeError):
                self.decoded[i] = None
        return self.decoded[i]

    def __call__(self, *args, **kwargs):
        pos, kw = _codec.positional(self.reference_fn, args, kwargs)
        n = len(self.entries)
        for i in list(range(self.cursor, n)) + list(range(self.cursor)):
            entry = self._entry(i)
            if entry is None:
                continue
            got_pos, got_kw = entry
            if _close(tuple(pos), tuple(got_pos)) and _close(dict(kw), got_kw):
                self.cursor = i + 1
                return _codec.decode_checked(self.entries[i].get("result"))
        raise _NoMatch(self.name)


def _close(a, b) -> bool:
    """Same arguments, up to float rounding (einsum vs matmul, float32 vs float64)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        try:
            a, b = np.asarray(a), np.asarray(b)
        except Exception:  # noqa: BLE001
            return False
        if a.shape != b.shape:
            return False
        if a.dtype.kind in "biufc" and b.dtype.kind in "biufc":
            with np.errstate(all="ignore"):
                return bool(np.allclose(a.astype(np.complex128), b.astype(np.complex128), rtol=MATCH_RTOL,
                                        atol=MATCH_ATOL, equal_nan=True))
        return False
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, (bool, type(None), str)) or isinstance(b, (bool, type(None), str)):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float, np.number)) and isinstance(b, (int, float, np.number)):
        return bool(np.isclose(float(a), float(b), rtol=MATCH_RTOL, atol=MATCH_ATOL, equal_nan=True))
    return False


def on_its_own(reference: dict, target: str, earlier: list, args, kwargs, got, subcalls):
    """The answer the replayed test sees for one call (see the module docstring)."""
    fn = reference.get(target)
    if not callable(fn) or not earlier:
        return got
    answers = {n: _Answers(n, reference[n], subcalls or []) for n in earlier if callable(reference.get(n))}
    with _quiet():
        try:
            expected = fn(*_copy(args), **_copy(kwargs))
            given_student = _isolate(fn, answers)(*_copy(args), **_copy(kwargs))
        except Exception:  # noqa: BLE001 - _NoMatch, or the student's answers break the reference
            return got
    return _rebase(got, given_student, expected)


def _rebase(got, given_student, expected):
    if isinstance(got, np.ndarray) and isinstance(given_student, np.ndarray) and isinstance(expected, np.ndarray):
        got, given_student = np.asarray(got), np.asarray(given_student)   # decoded: no rigged subclass left
        if (got.shape != given_student.shape or given_student.shape != expected.shape
                or got.dtype.kind != "f" or given_student.dtype.kind != "f"):
            return got
        if np.array_equal(given_student, expected, equal_nan=True):
            return got
        if np.array_equal(got, given_student, equal_nan=True):
            return expected.copy()
        with np.errstate(all="ignore"):
            return expected.astype(np.float64) + (got.astype(np.float64) - given_student.astype(np.float64))
    if (type(got) in (tuple, list) and isinstance(given_student, tuple) and isinstance(expected, tuple)
            and len(got) == len(given_student) == len(expected)):
        return type(got)(_rebase(g, s, e) for g, s, e in zip(got, given_student, expected))
    return got
