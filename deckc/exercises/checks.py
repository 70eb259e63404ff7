"""Comparison helpers for the exercise tests.

The tests in ``exercises/<id>/visible_tests.py`` and ``hidden_tests.py`` import these, so they run
under pytest against the reference ``solution.py``. In the notebooks deckc emits, the code below
the module docstring is pasted verbatim: once into a read-only "test helpers" cell (so students
can run the visible tests) and once more into the hidden part of every grade cell, so grading
always uses the grader's own private copy, defined right before it is used, never a helper a
student cell could have redefined.

Rules this code follows because it runs inside grade cells:
- nothing may reach stderr (nbgrader scores a test cell 0 if it does): the student's call runs
  with warnings ignored, numpy errors ignored and ``sys.stderr`` captured;
- checks go type, then dtype, then shape, then values, with plain numpy arithmetic on a private
  float64 copy, so an object whose ``__eq__`` always says True earns nothing;
- failure messages say what was expected, but never print a hidden reference value: which
  entries are wrong and by how much in relative terms, in decades (an exact error would give
  the expected value away: for an answer of 0 it *is* |expected|).
"""
import contextlib
import io
import os
import types
import warnings

import numpy as np

RTOL = 1e-4
ATOL = 1e-5


def call_student(fn, *args, **kwargs):
    """Call a student's function on private copies of the inputs, quietly.

    Warnings, numpy floating-point errors and anything written to stderr are swallowed (a correct
    solution that warns loses nothing), and os._exit/os.abort raise instead of killing the kernel,
    so such a call costs only the part being tested.
    """
    args = tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)
    kwargs = {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    if not callable(fn):
        raise AssertionError(f"expected a function, got {type(fn).__name__}; run the cell that defines it")

    def _refuse_to_exit(*_args, **_kwargs):
        raise RuntimeError("the code under test tried to end the Python process (os._exit / os.abort)")

    saved = os._exit, os.abort
    os._exit = os.abort = _refuse_to_exit
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"), contextlib.redirect_stderr(io.StringIO()):
                return fn(*args, **kwargs)
    finally:
        os._exit, os.abort = saved


def expect_tuple(what, got, names):
    """Check that `got` is a tuple (or list) with one item per name; return it as a tuple."""
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        raise AssertionError(
            f"{what} returned {type(got).__name__}; expected a tuple ({', '.join(names)})")
    return tuple(got)


def expect_array(what, got, shape, shape_desc=None):
    """Check type, dtype and shape; return a private float64 copy of `got` (a plain ndarray)."""
    if not isinstance(got, np.ndarray):
        raise AssertionError(
            f"{what} returned {type(got).__name__}; expected a numpy array (np.ndarray) of floats")
    base = np.asarray(got)  # a plain-ndarray view: subclasses cannot fake dtype or shape
    if base.dtype.kind != "f":
        raise AssertionError(
            f"{what} returned an array of dtype {base.dtype}; expected floats (float32 or float64)")
    shape = tuple(int(n) for n in shape)
    if tuple(base.shape) != shape:
        desc = f"{shape_desc} = {shape}" if shape_desc else f"{shape}"
        raise AssertionError(f"{what} returned shape {tuple(base.shape)}; expected {desc}")
    return np.array(base, dtype=np.float64, copy=True)


def expect_close(what, got, expected, rtol=RTOL, atol=ATOL, reveal=False):
    """Check |got - expected| <= atol + rtol * |expected| everywhere (float32 answers pass).

    `got` must already have been through expect_array. With reveal=False (hidden tests) the
    message describes the error but never prints an expected value.
    """
    g = np.array(got, dtype=np.float64, copy=True)
    e = np.array(expected, dtype=np.float64, copy=True)
    with np.errstate(all="ignore"):
        finite_g = np.isfinite(g)
        finite_e = np.isfinite(e)
        if np.any(finite_e & ~finite_g):
            index = tuple(int(i) for i in np.argwhere(finite_e & ~finite_g)[0])
            raise AssertionError(
                f"{what} contains nan or inf (at index {index}, among others); expected finite "
                "values - for large inputs subtract the max along `axis` with keepdims=True before calling np.exp")
        err = np.where(finite_e, np.abs(g - e), 0.0)
        bad = ~(err <= atol + rtol * np.abs(np.where(finite_e, e, 0.0)))
        if np.any(bad):
            index = tuple(int(i) for i in np.unravel_index(int(np.argmax(np.where(bad, err, -1.0))), err.shape))
            if reveal:
                detail = f"got {g[index]:.6g}, expected {e[index]:.6g}"
            else:
                # coarse and relative: an exact error would give |expected| away (got 0: error = |expected|)
                detail = "off by " + _how_far(err[index] / max(abs(float(e[index])), atol))
            raise AssertionError(
                f"{what} is wrong at {int(np.sum(bad))} of {bad.size} entries; the worst is at index "
                f"{index}: {detail} (allowed: |got - expected| <= {atol:g} + {rtol:g} * |expected|)")


def _how_far(relative):
    """A relative error in words, in decades: says how wrong, never what the right value is."""
    for limit, words in ((0.01, "less than 1%"), (0.1, "1% to 10%"), (1.0, "10% to 100%"),
                         (10.0, "1 to 10 times the size of the right value")):
        if relative < limit:
            return words
    return "more than 10 times the size of the right value"


# --- Hints: visible tests name the fix for the mistakes students actually make ---------------


def call_student_hinted(fn, shape_hint, *args, **kwargs):
    """call_student, but a numpy shape error inside `fn` (a matrix product or broadcast that does not
    line up) fails with `shape_hint`, the fix in the contract's words, before numpy's own message."""
    try:
        return call_student(fn, *args, **kwargs)
    except ValueError as exc:
        text = str(exc)
        if not any(key in text for key in ("matmul", "gufunc", "could not be broadcast", "not aligned")):
            raise
        name = getattr(fn, "__name__", "the function")
        inner = _innermost_own_frame(exc.__traceback__)
        if inner is not None and inner.f_code is not getattr(fn, "__code__", None):
            # The error is in a function `fn` calls (its softmax, say): that one needs the fix.
            raise AssertionError(f"{name} failed inside {inner.f_code.co_name}, which it calls: {text}; "
                                 f"fix {inner.f_code.co_name} first (its own tests say how)") from None
        raise AssertionError(f"{name} hit a shape error: {shape_hint} (numpy said: {text})") from None


def _innermost_own_frame(tb):
    """The innermost frame of a traceback that is not numpy's own code (None if there is none)."""
    frame = None
    while tb is not None:
        if "numpy" not in tb.tb_frame.f_code.co_filename.replace("\\", "/").split("/")[-3:-1]:
            frame = tb.tb_frame
        tb = tb.tb_next
    return frame


def expect_finite(what, got, hint):
    """Fail with `hint` if `got` (already through expect_array) holds nan or inf."""
    g = np.asarray(got, dtype=np.float64)
    if not np.all(np.isfinite(g)):
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(g))[0])
        raise AssertionError(f"{what} contains nan or inf (at index {index}, among others): {hint}")


def expect_no_known_mistake(what, got, mistakes, rtol=RTOL, atol=ATOL):
    """If `got` matches one of the known wrong answers, fail with the fix for that mistake.

    `mistakes` is a list of (wrong_value, fix): the value a common bug gives on this test's
    inputs (so only visible tests use this) and one sentence that names the fix.
    """
    g = np.array(got, dtype=np.float64, copy=True)
    for wrong, fix in mistakes:
        w = np.array(wrong, dtype=np.float64, copy=True)
        if w.shape == g.shape and np.all(np.abs(g - w) <= atol + rtol * np.abs(w)):
            raise AssertionError(f"{what} is wrong: {fix}")


def expect_rows_sum_to_one(what, weights, hint="", axis=-1):
    """Each row (along `axis`) of `weights` must sum to 1; `hint` names the usual cause."""
    sums = np.sum(np.array(weights, dtype=np.float64), axis=axis)
    bad = ~(np.abs(sums - 1.0) <= ATOL + RTOL)
    if np.any(bad):
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise AssertionError(
            f"each row of {what} must sum to 1, but row {index} sums to {sums[index]:.6g}"
            + (f"; {hint}" if hint else ""))


def expect_zero_where(what, weights, allowed, hint="", atol=ATOL):
    """Entries of `weights` where `allowed` is False must be 0 (within |w| <= atol)."""
    w = np.array(weights, dtype=np.float64)
    masked = ~np.broadcast_to(np.asarray(allowed, dtype=bool), w.shape)
    if np.any(np.abs(w[masked]) > atol):
        worst = float(np.max(np.abs(w[masked])))
        raise AssertionError(
            f"{what} gives weight up to {worst:.3g} to masked-out positions (mask False); their weights "
            f"must be 0 (|weight| <= {atol:g})" + (f"; {hint}" if hint else ""))


def isolate(fn, references):
    """Return a copy of `fn` whose calls to the names in `references` go to those functions.

    Grading uses this so that each function is graded on its own: a bug in one function of the
    notebook costs the parts of that function only, not every part of the functions that call it.
    """
    if not references or not isinstance(fn, types.FunctionType):
        return fn
    namespace = dict(fn.__globals__)
    namespace.update(references)
    clone = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
    clone.__kwdefaults__ = fn.__kwdefaults__
    return clone


def on_its_own(fn):
    """In your notebook this returns `fn` unchanged. When your work is graded, the grader's copy
    of this helper makes the calls `fn` makes to the earlier functions of the notebook go to the
    reference versions, so each function is graded on its own."""
    return fn
