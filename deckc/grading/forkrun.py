"""The last step of a forked jail child: run the kernel or runner in this interpreter, as exec would.

Loaded by path in the fork server (forkserver.py), standard library only. ``runner(jail, extra)``
is handed to ``jail.main(argv, run=...)``; jail.main calls it where it would call
``jail._exec(command, env)``, i.e. inside the jail, as the submission's uid, with the limits
set. Two commands are run in-process, each the way the interpreter would start it:

- ``[python, "-m", "ipykernel_launcher", ARGS]`` (a kernel): ``runpy`` with ``alter_sys``, the
  working folder first on sys.path as ``-m`` puts it (ipykernel_launcher moves it after the
  standard library, as always), ``sys.argv`` ``[launcher path, ARGS]``;
- ``[python, "-I", SCRIPT, ARGS]`` (the checking runner): ``runpy.run_path``, nothing added to
  sys.path (``-I``).

Anything else (the jail probe's ``-c``), a kernel whose working folder holds a file or folder
named like a module the zygote pre-imported beyond ipykernel's own (``numpy.py`` would shadow
numpy in an exec'd kernel), or an import that fails here goes to ``jail._exec``: the real
interpreter, in the same jail. The process then ends as the interpreter would: exit code from
SystemExit, a traceback and 1 for an uncaught exception, non-daemon threads joined, atexit
handlers run, stdio flushed.
"""
import os
import sys


def _exit(code):
    import atexit
    import threading

    try:
        threading._shutdown()
    except Exception:  # noqa: BLE001
        pass
    try:
        atexit._run_exitfuncs()
    except Exception:  # noqa: BLE001
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001
            pass
    os._exit(code)


def _code(e: SystemExit) -> int:
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code & 0xFF
    try:
        print(e.code, file=sys.stderr)
    except Exception:  # noqa: BLE001
        pass
    return 1


def _shadows(folder, names) -> bool:
    try:
        entries = os.listdir(folder)
    except OSError:
        return True
    for entry in entries:
        stem = entry.split(".", 1)[0]
        if stem in names:
            return True
    return False


def _kind(command):
    if len(command) >= 3 and command[0] == sys.executable:
        if command[1] == "-m" and command[2] == "ipykernel_launcher":
            return "kernel"
        if command[1] == "-I" and not command[2].startswith("-") and command[2].endswith(".py"):
            return "script"
    return None


def _import_time_environment(env):
    """What the zygote's imports read from the environment at import time and a kernel would
    have read from its own: ipykernel's ``parent_handle`` default is JPY_PARENT_PID (the parent
    poller); nothing else of the preloaded modules reads the environment before it is used."""
    app = sys.modules.get("ipykernel.kernelapp")
    if app is not None:
        try:
            value = int(env.get("JPY_PARENT_PID") or 0)
            cls = app.IPKernelApp
            cls.class_traits()["parent_handle"].default_value = value
            for klass in cls.__mro__:       # traitlets caches immutable defaults per class
                cache = klass.__dict__.get("_static_immutable_initial_values")
                if isinstance(cache, dict) and "parent_handle" in cache:
                    cache["parent_handle"] = value
        except (AttributeError, KeyError, ValueError, TypeError):
            pass


def runner(jail, extra, added_env=None):
    """The `run(command, env)` for jail.main in a forked child (see the module docstring)."""

    def run(command, env):
        import importlib.util
        import runpy

        kind = _kind(command)
        if kind == "kernel" and _shadows(os.getcwd(), extra):
            kind = None
        if kind == "kernel":
            try:
                found = importlib.util.find_spec("ipykernel_launcher") is not None
            except (ImportError, ValueError):
                found = False
            if not found:
                kind = None
        if kind == "script" and not os.path.isfile(command[2]):
            kind = None
        if kind is None:
            jail._exec(command, env)
            return
        os.environ.clear()
        os.environ.update(env)
        for key, value in (added_env or {}).items():
            os.environ.setdefault(key, value)
        _import_time_environment(env)
        import itertools
        import threading
        if hasattr(threading, "_counter"):      # thread names count from Thread-1, as in a fresh process
            threading._counter = itertools.count(1).__next__
        sys.orig_argv = list(command)
        code = 0
        try:
            if kind == "kernel":
                sys.argv = ["-m"] + list(command[3:])
                sys.path.insert(0, os.getcwd())
                runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)
            else:
                sys.argv = list(command[2:])
                runpy.run_path(command[2], run_name="__main__")
        except SystemExit as e:
            code = _code(e)
        except BaseException:  # noqa: BLE001 - as the interpreter: the traceback, exit 1
            import traceback
            traceback.print_exc()
            code = 1
        _exit(code)

    return run
