"""Python source of values: what a grade cell embeds (seeded inputs, reference outputs, code).

:func:`literal` writes numpy arrays, tuples, lists, dicts and numbers as source that evaluates to
exactly the same value (floats by repr, so every bit survives); :func:`string_literal` a string.
"""
from __future__ import annotations

import math

import numpy as np


def literal(value, indent: int = 0) -> str:
    """Python source that evaluates to `value` (arrays, tuples, dicts, numbers), exactly."""
    pad = " " * indent
    if isinstance(value, np.ndarray):
        if value.dtype == bool:
            dtype = "bool"
        elif value.dtype.kind in "fiu":
            dtype = f"np.{value.dtype.name}"
        else:
            raise TypeError(f"cannot embed arrays of dtype {value.dtype}")
        if value.size == 0:
            return f"np.zeros({tuple(value.shape)!r}, dtype={dtype})"
        if value.ndim <= 1:
            return f"np.array({_nested(value, 0)}, dtype={dtype})"
        return f"np.array(\n{pad}    {_nested(value, indent + 4)},\n{pad}    dtype={dtype})"
    if isinstance(value, dict):
        items = [f"{pad}    {k!r}: {literal(v, indent + 4)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + f"\n{pad}}}"
    if isinstance(value, (tuple, list)):
        items = [f"{pad}    {literal(v, indent + 4)}," for v in value]
        open_, close = ("(", ")") if isinstance(value, tuple) else ("[", "]")
        return open_ + "\n" + "\n".join(items) + f"\n{pad}{close}"
    return _scalar(value)


def _nested(a: np.ndarray, indent: int) -> str:
    if a.ndim == 0:
        return _scalar(a.item())
    if a.ndim == 1:
        return "[" + ", ".join(_scalar(x) for x in a.tolist()) + "]"
    inner = (",\n" + " " * (indent + 1)).join(_nested(sub, indent + 1) for sub in a)
    return "[" + inner + "]"


def _scalar(x) -> str:
    if isinstance(x, (bool, np.bool_)) or x is None or isinstance(x, str):
        return repr(x.item() if isinstance(x, np.bool_) else x)
    if isinstance(x, (int, np.integer)):
        return repr(int(x))
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if math.isnan(x):
            return "float('nan')"
        if math.isinf(x):
            return "float('inf')" if x > 0 else "-float('inf')"
        return repr(x)
    raise TypeError(f"cannot embed {type(x).__name__}")


def string_literal(text: str) -> str:
    for quote in ("'''", '"""'):
        if quote not in text and "\\" not in text and not text.endswith(quote[0]):
            return f"r{quote}\n{text}{quote}"
    return repr(text)
