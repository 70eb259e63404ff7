"""The checking runner: runs inside the jail, as the student, and records raw outputs.

Started by the worker as ``python -I /opt/deckc/_runner.py`` (through jail.py). It reads one JSON
job on stdin::

    {"cell_timeout": 30, "cwd": "/path/of/the/submission",
     "notebooks": [{"name": "rnn_step", "steps": [
         {"code": "import numpy as np"},                       # a cell, run like the kernel would
         {"probe": "rnn_step_batch", "target": "rnn_step",     # a grade cell's position: record
          "isolate": "<the grade cell's on_its_own(), without its data>" | null,
          "calls": [[ARGS, KWARGS], ...]},                     # what target returns on these calls
         ...]}]}

and writes JSON lines on stdout, one per event::

    {"nb": .., "step": i, "event": "begin"}
    {"nb": .., "probe": id, "missing": true}                   # target not defined there
    {"nb": .., "probe": id, "value": ENC}                      # target is not callable: its value
    {"nb": .., "probe": id, "call": k, "result": ENC}          # or "raised": {"type", "message"}
    {"nb": .., "step": i, "event": "crashed"}                  # the process died / hung in step i
    {"nb": .., "event": "done"}

This process never receives a reference output: the job holds the student's cells, the inputs
of the test calls and, for grade cells that grade a function on its own, the reference versions
of the *earlier* functions. Student code can tamper with anything in here (numpy, this runner,
its output): at worst it chooses what its functions "returned", which is what it could do by
returning those values. The comparison happens in the grader (deckc.grading.verify).

Each notebook runs in a fresh forked child (clean state, like a fresh kernel). A step that
crashes the child or outlasts its time is reported and skipped, and the notebook is resumed in
a new child (up to MAX_RESTARTS times), so a crash costs only the parts it touches.

The value codec (encode/decode) lives here too; verify.py imports it. Encoded values are JSON:
plain Python scalars, numeric numpy arrays as base64 .npy (never pickles), tuples/lists/dicts,
and for anything else only its type name. Subclasses (an ndarray whose ``__eq__`` always says
True, a str subclass) are recorded as their base value plus the subclass name, so a replay keeps
``type(x) is str`` / ``isinstance`` answers but none of the rigged behaviour.
"""
import base64
import io
import json
import os
import select
import signal
import sys
import time

MAX_RESTARTS = 3
MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 16
MAX_ITEMS = 100_000


# --------------------------------------------------------------------------- codec


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


# --------------------------------------------------------------------------- runner


def _emit(fd, obj):
    data = (json.dumps(obj, separators=(",", ":")) + "\n").encode()
    while data:
        n = os.write(fd, data)
        data = data[n:]


class _StepTimeout(Exception):
    """The cell (or the graded calls of a test) ran out of time."""


def _on_alarm(signum, frame):
    raise _StepTimeout("timed out")


def _run_notebook(nb, out_fd, cell_timeout, skip, done_probes):
    """In a fresh child: run the notebook's steps, emitting events on out_fd."""
    import contextlib
    import warnings

    import numpy as np

    name = nb["name"]
    real_exit = os._exit
    ns = {"__name__": "__main__", "__builtins__": __builtins__}
    shell = []

    def run_cell(code):
        """Like the kernel: plain Python runs as is; IPython syntax (magics, !cmd) through an
        IPython shell sharing the namespace, started only if a cell needs it."""
        try:
            compiled = compile(code, "<cell>", "exec")
        except SyntaxError:
            compiled = None
        if compiled is not None and not shell:
            exec(compiled, ns)
            return
        if not shell:
            from IPython.core.interactiveshell import InteractiveShell
            from traitlets.config import Config

            config = Config()
            config.HistoryManager.enabled = False
            shell.append(InteractiveShell.instance(config=config, user_ns=ns))
        shell[0].run_cell(code, store_history=False)

    def refuse(*args, **kwargs):
        raise RuntimeError("the code tried to end the Python process (os._exit / os.abort)")

    # Student code may not end this process on purpose (a crash still only costs its step).
    os._exit = os.abort = refuse
    emit, encode_, decode_ = _emit, encode, decode
    timeout_message = {"type": "TimeoutError", "message": f"no answer within {cell_timeout:g} s"}
    signal.signal(signal.SIGALRM, _on_alarm)
    for i, step in enumerate(nb["steps"]):
        if i in skip or step.get("probe") in done_probes:
            continue
        emit(out_fd, {"nb": name, "step": i, "event": "begin"})
        signal.setitimer(signal.ITIMER_REAL, cell_timeout)
        try:
            if "code" in step:
                try:
                    run_cell(step["code"])
                except BaseException:  # noqa: BLE001 - a student cell may raise anything
                    pass
                continue
            probe = step["probe"]
            if step["target"] not in ns:
                emit(out_fd, {"nb": name, "probe": probe, "missing": True})
                continue
            target = ns[step["target"]]
            if not callable(target):
                try:
                    value = encode_(target, np)
                except _StepTimeout:
                    raise
                except BaseException:  # noqa: BLE001 - whatever a student value does
                    value = {"t": "obj", "type": _type_name(type(target))}
                emit(out_fd, {"nb": name, "probe": probe, "value": value})
                continue
            fn = target
            if step.get("isolate"):
                grader = {}
                exec(compile(step["isolate"], "deckc-reference", "exec"), grader)
                fn = grader["on_its_own"](fn)
            for k, (args_enc, kwargs_enc) in enumerate(step["calls"]):
                args, kwargs = decode_(args_enc, np), decode_(kwargs_enc, np)
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        with np.errstate(all="ignore"), contextlib.redirect_stderr(io.StringIO()), \
                                contextlib.redirect_stdout(io.StringIO()):
                            got = fn(*args, **kwargs)
                    event = {"nb": name, "probe": probe, "call": k, "result": encode_(got, np)}
                except _StepTimeout:
                    emit(out_fd, {"nb": name, "probe": probe, "call": k, "raised": timeout_message})
                    break
                except BaseException as e:  # noqa: BLE001 - the student's exception is the answer
                    try:
                        message = str(e)[:2000]
                    except BaseException:  # noqa: BLE001
                        message = ""
                    event = {"nb": name, "probe": probe, "call": k,
                             "raised": {"type": _type_name(type(e)), "message": message}}
                emit(out_fd, event)
        except _StepTimeout:
            pass   # the calls made so far are recorded; the replay sees no answer for the rest
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    emit(out_fd, {"nb": name, "event": "done"})
    real_exit(0)


def _supervise(nb, out_fd, cell_timeout, kill_all):
    """Run one notebook in forked children until it is done, skipping steps that kill or hang them."""
    steps = nb["steps"]
    skip, done_probes = set(), set()
    for _attempt in range(MAX_RESTARTS + 1):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                _run_notebook(nb, w, cell_timeout, skip, done_probes)
            finally:
                os._exit(0)
        os.close(w)
        current, finished, buf = None, False, b""
        deadline = time.monotonic() + cell_timeout + 5
        while not finished:
            left = deadline - time.monotonic()
            if left <= 0:
                break                                   # hung: the step ignores its time limit
            ready, _, _ = select.select([r], [], [], left)
            if not ready:
                continue
            chunk = os.read(r, 1 << 16)
            if not chunk:
                break                                   # the child is gone
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(event, dict) or event.get("nb") != nb["name"]:
                    continue
                if event.get("event") == "begin" and isinstance(event.get("step"), int):
                    if current is not None and "probe" in steps[current]:
                        done_probes.add(steps[current]["probe"])
                    current = event["step"]
                    deadline = time.monotonic() + cell_timeout + 5
                elif event.get("event") == "done":
                    finished = True
                _emit(out_fd, event)
        os.close(r)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        if kill_all:
            # Whatever the notebook left running (forks of forks) goes too. Only in the jail,
            # where this uid runs nothing but this runner's children.
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
        if finished:
            return
        if not isinstance(current, int) or not 0 <= current < len(steps):
            break
        _emit(out_fd, {"nb": nb["name"], "step": current, "event": "crashed"})
        skip.add(current)
        if "probe" in steps[current]:
            done_probes.add(steps[current]["probe"])
    _emit(out_fd, {"nb": nb["name"], "event": "gave_up"})


def main():
    out_fd = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 1)
    os.dup2(null, 2)
    job = json.loads(sys.stdin.read())
    os.dup2(null, 0)
    os.close(null)
    import numpy  # noqa: F401 - import once, before forking a child per notebook
    cwd = job.get("cwd")
    if cwd:
        os.chdir(cwd)
        sys.path.insert(0, "")     # like a kernel: the submission's own modules are importable
    for nb in job["notebooks"]:
        _supervise(nb, out_fd, float(job.get("cell_timeout", 30)), bool(job.get("kill_all")))


if __name__ == "__main__":
    main()
