"""The value codec of the checking runner (see _runner.py); the messages that carry the values
are framed and read by _protocol.py.

Used on both sides: inside the jail by the runner (which loads this file by path, next to itself)
and in the grader by verify.py and the worker. Standard library and numpy only.

Encoded values are JSON: plain Python scalars, numeric numpy arrays as base64 .npy (never
pickles), tuples/lists/dicts, and for anything else only its type name. Subclasses (an ndarray
whose ``__eq__`` always says True, a str subclass) are recorded as their base value plus the
subclass name, so a replay keeps ``type(x) is str`` / ``isinstance`` answers but none of the
rigged behaviour.

Everything read back is bounded: decode() refuses values deeper than MAX_DEPTH or larger than
the limits (the message around a value is bounded by _protocol.py).
"""
import base64
import io

MAX_BYTES = 16 * 1024 * 1024         # numeric payload of one encoded value
MAX_DEPTH = 16                       # nesting of an encoded value (tuples in lists in ...)
MAX_ITEMS = 100_000                  # items of one encoded value


# --------------------------------------------------------------------------- values


class EncodeError(ValueError):
    pass


def _type_name(t):
    name = getattr(t, "__name__", "object")
    name = "".join(ch for ch in str(name) if ch.isalnum() or ch == "_")[:60]
    return name or "Object"


def encode(x, np=None, _state=None, _depth=0):
    """A JSON-able description of x (see the module docstring). Raises EncodeError if too big."""
    if np is None:
        import numpy as np
    state = _state if _state is not None else {"bytes": 0, "items": 0}
    state["items"] += 1
    if state["items"] > MAX_ITEMS or _depth > MAX_DEPTH:
        raise EncodeError("value too large or too deeply nested")
    t = type(x)
    if x is None:
        return {"t": "none"}
    if t is bool:
        return {"t": "bool", "v": x}
    if isinstance(x, np.ndarray):
        base = np.asarray(x)
        out = {"t": "nd"}
        if t is not np.ndarray:
            out["sub"] = _type_name(t)
        if base.dtype.kind in "biufc" and base.dtype.fields is None:
            buf = io.BytesIO()
            np.save(buf, np.ascontiguousarray(base), allow_pickle=False)
            data = buf.getvalue()
            state["bytes"] += len(data)
            if state["bytes"] > MAX_BYTES:
                raise EncodeError("value too large")
            out["npy"] = base64.b64encode(data).decode("ascii")
        else:
            out["t"] = "nd_other"
            out["dtype"] = str(base.dtype)[:60]
            out["shape"] = [int(n) for n in base.shape]
        return out
    if isinstance(x, np.generic):
        base = np.asarray(x)
        if base.dtype.kind in "biufc" and base.dtype.fields is None:
            buf = io.BytesIO()
            np.save(buf, base, allow_pickle=False)
            return {"t": "npscalar", "npy": base64.b64encode(buf.getvalue()).decode("ascii")}
        return {"t": "obj", "type": _type_name(t)}
    for base_type, tag, get in ((int, "int", lambda v: str(int.__index__(v))),
                                (float, "float", lambda v: repr(float.__float__(v))),
                                (complex, "complex", lambda v: [repr(complex.__complex__(v).real),
                                                                repr(complex.__complex__(v).imag)]),
                                (str, "str", lambda v: str.__str__(v)),
                                (bytes, "bytes", lambda v: base64.b64encode(bytes(memoryview(v))).decode())):
        if isinstance(x, base_type):
            out = {"t": tag, "v": get(x)}
            if t is not base_type:
                out["sub"] = _type_name(t)
            if tag in ("str", "bytes"):
                state["bytes"] += len(out["v"])
                if state["bytes"] > MAX_BYTES:
                    raise EncodeError("value too large")
            return out
    if isinstance(x, (tuple, list)):
        base_type = tuple if isinstance(x, tuple) else list
        items = list(base_type.__iter__(x))
        out = {"t": base_type.__name__, "v": [encode(v, np, state, _depth + 1) for v in items]}
        if t is not base_type:
            out["sub"] = _type_name(t)
        return out
    if t is dict:
        return {"t": "dict", "v": [[encode(k, np, state, _depth + 1), encode(v, np, state, _depth + 1)]
                                   for k, v in dict.items(x)]}
    return {"t": "obj", "type": _type_name(t)}


_DYNAMIC = {}


def _dynamic(base, name):
    key = (base, name)
    if key not in _DYNAMIC:
        _DYNAMIC[key] = type(name, (base,), {"__module__": "student"})
    return _DYNAMIC[key]


def decode(d, np=None, _depth=0):
    """Rebuild a value from encode()'s description: only plain data, no pickles, no student code."""
    if np is None:
        import numpy as np
    if _depth > MAX_DEPTH or not isinstance(d, dict):
        raise ValueError("bad encoded value")
    tag = d.get("t")
    sub = d.get("sub")
    if sub is not None:
        sub = _type_name(type(str(sub), (), {})) if isinstance(sub, str) else "Object"
    if tag == "none":
        return None
    if tag == "bool":
        return bool(d["v"])
    if tag in ("nd", "npscalar"):
        arr = np.load(io.BytesIO(base64.b64decode(d["npy"])), allow_pickle=False)
        if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "biufc":
            raise ValueError("bad array")
        if tag == "npscalar":
            return arr[()]
        return arr.view(_dynamic(np.ndarray, sub)) if sub else arr
    if tag == "nd_other":
        arr = np.empty([int(n) for n in d["shape"]][:32], dtype=object) if _small(d["shape"]) else np.empty(0, object)
        return arr.view(_dynamic(np.ndarray, sub)) if sub else arr
    simple = {"int": (int, lambda v: int(str(v))), "float": (float, lambda v: float(str(v))),
              "complex": (complex, lambda v: complex(float(v[0]), float(v[1]))),
              "str": (str, lambda v: str(v)), "bytes": (bytes, lambda v: base64.b64decode(v))}
    if tag in simple:
        base_type, conv = simple[tag]
        value = conv(d["v"])
        return _dynamic(base_type, sub)(value) if sub else value
    if tag in ("tuple", "list"):
        items = [decode(v, np, _depth + 1) for v in d["v"]]
        base_type = tuple if tag == "tuple" else list
        return _dynamic(base_type, sub)(items) if sub else base_type(items)
    if tag == "dict":
        return {_hashable(decode(k, np, _depth + 1)): decode(v, np, _depth + 1) for k, v in d["v"]}
    if tag == "obj":
        return _dynamic(object, _type_name(type(str(d.get("type", "Object")), (), {})))()
    raise ValueError(f"bad encoded value tag {tag!r}")


def _small(shape):
    n = 1
    for s in shape:
        n *= int(s)
    return n <= 1_000_000


def _hashable(k):
    try:
        hash(k)
        return k
    except TypeError:
        return repr(k)


def decode_checked(d, np=None):
    """decode(), with anything malformed (wrong types, bad base64 or .npy, huge shapes) reported
    as one ValueError: a bad record fails its own check, nothing else."""
    try:
        return decode(d, np)
    except (Exception, RecursionError):  # noqa: BLE001 - whatever the record's author made of it
        raise ValueError("the recorded value could not be read") from None


def positional(fn, args, kwargs):
    """A call's arguments by position in fn's signature (defaults filled in), where it can: the
    runner records calls this way and the grader replays them this way, so both must agree."""
    import inspect
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
        bound.apply_defaults()
        return list(bound.args), dict(bound.kwargs)
    except (TypeError, ValueError):
        return list(args), dict(kwargs)
