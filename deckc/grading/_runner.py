"""The checking runner: runs inside the jail, as the student, and records raw outputs.

Started by the worker as ``python -I /opt/deckc/_runner.py`` (through jail.py), with the codec
``_codec.py`` and the message protocol ``_protocol.py`` next to it. It reads one JSON job on stdin::

    {"cell_timeout": 30, "cwd": "/path/of/the/submission",
     "notebooks": [{"name": "rnn_step", "steps": [
         {"code": "import numpy as np"},                       # a cell, run like the kernel would
         {"probe": "rnn_forward_sequence", "target": "rnn_forward",   # a grade cell's position
          "calls": [[ARGS, KWARGS], ...],                      # what target returns on these calls
          "trace": {"rnn_step": [[SHAPE, ...], ...]}},         # earlier functions it may call
         ...]}]}

and writes JSON lines on stdout, one per event::

    {"nb": .., "step": i, "event": "begin"}
    {"nb": .., "probe": id, "missing": true}                   # target not defined there
    {"nb": .., "probe": id, "value": ENC}                      # target is not callable: its value
    {"nb": .., "probe": id, "call": k, "result": ENC,          # or "raised": {"type", "message"}
     "subcalls": [{"fn": "rnn_step", "args": ENC, "kwargs": ENC, "result": ENC, "standin": bool}]}
    {"nb": .., "step": i, "event": "crashed"}                  # the process died / hung in step i
    {"nb": .., "event": "done"}

Nothing derived from the reference solution is in the job: the student's cells, the arguments
of the test calls, the names of the earlier functions of the notebook and the shapes their
answers have by contract. Student code can tamper with anything in here (numpy, this runner,
its output): at worst it chooses what its functions "returned", which is what it could do by
returning those values. The comparison happens in the grader (deckc.grading.verify).

Graded on its own: where a grade cell grades a function on its own (rnn_forward, whatever
rnn_step does), the function runs with its calls to the earlier functions traced: each call
goes to the student's own earlier function and its arguments and answer are recorded (if that
function is missing or raises, a stand-in answer of the contract's shape is returned and
recorded instead). The grader then runs the *reference* rnn_forward on the recorded answers of
those calls (deckc.grading.compose) to judge rnn_forward on its own.

Cells run as IPython runs them: each notebook's child has a real IPython InteractiveShell
(history off) whose namespace is the notebook's, so magics, ``!shell`` lines, ``display`` and
``get_ipython()`` behave as in the kernel (~70 ms per notebook).

Each notebook runs in a fresh forked child (clean state, like a fresh kernel). A step that
crashes the child or outlasts its time is reported and skipped, and the notebook is resumed in
a new child (up to MAX_RESTARTS times), so a crash costs only the parts it touches.
"""
import importlib.util
import io
import json
import os
import select
import signal
import sys
import time

MAX_RESTARTS = 20         # the worker's deadline for the whole runner bounds the total time
MAX_SUBCALLS = 2000       # traced calls to earlier functions per graded call


def _load(name):
    """A module of this file's folder, by path (the folder is not put on sys.path: nothing else
    of it should be importable by student code)."""
    spec = importlib.util.spec_from_file_location("_deckc" + name, os.path.join(os.path.dirname(
        os.path.abspath(__file__)), name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


codec = _load("_codec")
protocol = _load("_protocol")


# --------------------------------------------------------------------------- runner


_emit = protocol.write


class _StepTimeout(BaseException):
    """The cell (or the graded calls of a test) ran out of time."""


def _on_alarm(signum, frame):
    raise _StepTimeout("timed out")


def _new_shell(ns):
    """A real IPython shell over the namespace ns, as the kernel has (history off, no colours)."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    config.HistoryManager.hist_file = ":memory:"
    config.InteractiveShell.colors = "nocolor"
    config.InteractiveShell.xmode = "Plain"
    shell = InteractiveShell.instance(config=config, user_ns=ns)
    shell.builtin_trap.__enter__()          # get_ipython() also works inside the graded calls
    return shell


def _standin(structure, k, np):
    """A stand-in answer of the contract's shape (fixed values, nothing of the reference)."""
    if not isinstance(structure, dict):
        return None
    if structure.get("t") == "tuple" and isinstance(structure.get("v"), list):
        parts = [_standin(v, k + i, np) for i, v in enumerate(structure["v"][:16])]
        return None if any(p is None for p in parts) else tuple(parts)
    if structure.get("t") == "nd":
        shape = tuple(int(n) for n in structure.get("shape", ())[:8])
        size = int(np.prod(shape)) if shape else 1
        if size > 1_000_000:
            return None
        kind = str(structure.get("dtype", "float64"))
        values = 0.5 * np.sin(0.9 + 1.7 * k + 0.61 * np.arange(size, dtype=np.float64))
        return values.reshape(shape).astype(kind if kind in ("float32", "float64") else "float64")
    return None


def _plain(value, np):
    """Arrays as plain ndarrays (an earlier function's subclass brings none of its behaviour)."""
    if isinstance(value, np.ndarray):
        return np.asarray(value)
    if type(value) is tuple:
        return tuple(_plain(v, np) for v in value)
    return value


def _fits(value, structure, np):
    """Does an answer have the contract's structure (float arrays of the planned shapes)?"""
    if not isinstance(structure, dict):
        return True                      # nothing planned: any answer
    if structure.get("t") == "tuple":
        parts = structure.get("v") or []
        return isinstance(value, tuple) and len(value) == len(parts) and all(
            _fits(v, p, np) for v, p in zip(value, parts))
    if structure.get("t") == "nd":
        return (isinstance(value, np.ndarray) and value.dtype.kind == "f"
                and list(value.shape) == list(structure.get("shape", [])))
    return True


class _Tracer:
    """Stands for an earlier function inside a function graded on its own: calls the student's
    own version and records arguments and answer. The answer is passed on as plain data (decoded
    from what is recorded, so the grader sees exactly what the function under test saw); if the
    student's version is missing, raises or answers out of contract, a stand-in answer of the
    contract's shape is used instead (and recorded as such)."""

    def __init__(self, name, fn, structures, log, np):
        self.name, self.fn, self.structures, self.log, self.np = name, fn, structures, log, np
        self.n = 0

    def __call__(self, *args, **kwargs):
        np = self.np
        if len(self.log) >= MAX_SUBCALLS:
            raise RuntimeError(f"more than {MAX_SUBCALLS} calls to the earlier functions")
        k, self.n = self.n, self.n + 1
        plan = self.structures[min(k, len(self.structures) - 1)] if self.structures else None
        pos, kw = codec.positional(self.fn, args, kwargs)
        entry = {"fn": self.name}
        try:
            entry["args"], entry["kwargs"] = codec.encode(tuple(pos), np), codec.encode(dict(kw), np)
        except Exception:  # noqa: BLE001 - unencodable arguments: recorded as unmatched
            entry["args"], entry["kwargs"] = {"t": "obj", "type": "Unencodable"}, {"t": "dict", "v": []}
        value, encoded = None, None
        try:
            if self.fn is None:
                raise NameError(self.name)
            value = self.fn(*args, **kwargs)
            value = _plain(value, np)
            encoded = codec.encode(value, np)
            value = codec.decode(encoded, np)
        except _StepTimeout:
            raise
        except BaseException:  # noqa: BLE001 - the earlier function fails: a stand-in answer, if any
            encoded = None
            if plan is None:
                raise
        standin = encoded is None or not _fits(value, plan, np)
        if standin:
            value = _standin(plan, k, np)
            if value is None:
                raise RuntimeError(f"{self.name} gave no usable answer")
            encoded = codec.encode(value, np)
        entry["result"], entry["standin"] = encoded, standin
        self.log.append(entry)
        return value


def _traced(fn, ns, trace, k, log, np):
    """fn with its calls to the earlier functions in `trace` going through tracers."""
    import types
    if not trace or not isinstance(fn, types.FunctionType):
        return fn
    namespace = dict(fn.__globals__)
    for name, per_call in trace.items():
        structures = per_call[k] if isinstance(per_call, list) and k < len(per_call) else []
        own = ns.get(name)
        namespace[name] = _Tracer(name, own if callable(own) else None, structures, log, np)
    clone = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
    clone.__kwdefaults__ = fn.__kwdefaults__
    return clone


def _run_notebook(nb, out_fd, cell_timeout, skip, done_probes):
    """In a fresh child: run the notebook's steps, emitting events on out_fd."""
    import contextlib
    import warnings

    import numpy as np

    name = nb["name"]
    real_exit = os._exit
    ns = {"__name__": "__main__"}
    shell = _new_shell(ns)

    def refuse(*args, **kwargs):
        raise RuntimeError("the code tried to end the Python process (os._exit / os.abort)")

    # Student code may not end this process on purpose (a crash still only costs its step).
    os._exit = os.abort = refuse
    emit, encode_, decode_ = _emit, codec.encode, codec.decode
    timeout_message = {"type": "TimeoutError", "message": f"no answer within {cell_timeout:g} s"}
    signal.signal(signal.SIGALRM, _on_alarm)
    for i, step in enumerate(nb["steps"]):
        if i in skip or step.get("probe") in done_probes:
            continue
        emit(out_fd, {"nb": name, "step": i, "event": "begin"})
        # fires again every 0.5 s until the step ends: code that swallows one alarm gets another
        signal.setitimer(signal.ITIMER_REAL, cell_timeout, 0.5)
        try:
            if "code" in step:
                try:
                    shell.run_cell(step["code"], store_history=False)
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
                    value = {"t": "obj", "type": codec._type_name(type(target))}
                emit(out_fd, {"nb": name, "probe": probe, "value": value})
                continue
            for k, (args_enc, kwargs_enc) in enumerate(step["calls"]):
                args, kwargs = decode_(args_enc, np), decode_(kwargs_enc, np)
                subcalls = []
                fn = _traced(target, ns, step.get("trace"), k, subcalls, np)
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        with np.errstate(all="ignore"), contextlib.redirect_stderr(io.StringIO()), \
                                contextlib.redirect_stdout(io.StringIO()):
                            got = fn(*args, **kwargs)
                    event = {"nb": name, "probe": probe, "call": k, "result": encode_(got, np)}
                except _StepTimeout:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    emit(out_fd, {"nb": name, "probe": probe, "call": k, "raised": timeout_message})
                    break
                except BaseException as e:  # noqa: BLE001 - the student's exception is the answer
                    try:
                        message = str(e)[:2000]
                    except BaseException:  # noqa: BLE001
                        message = ""
                    event = {"nb": name, "probe": probe, "call": k,
                             "raised": {"type": codec._type_name(type(e)), "message": message}}
                if subcalls:
                    event["subcalls"] = subcalls
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
        current, finished, reader = None, False, protocol.LineReader()
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
            for line in reader.feed(chunk):
                event = protocol.read_message(line)
                if event is None or event.get("nb") != nb["name"]:
                    continue
                if (event.get("event") == "begin" and type(event.get("step")) is int
                        and 0 <= event["step"] < len(steps)):
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
    import IPython.core.interactiveshell  # noqa: F401 - likewise
    cwd = job.get("cwd")
    if cwd:
        os.chdir(cwd)
        sys.path.insert(0, "")     # like a kernel: the submission's own modules are importable
    for nb in job["notebooks"]:
        _supervise(nb, out_fd, float(job.get("cell_timeout", 30)), bool(job.get("kill_all")))


if __name__ == "__main__":
    main()
