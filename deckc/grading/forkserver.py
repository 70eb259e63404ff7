"""The grading worker's fork server ("zygote"): kernels and checking runners forked, not exec'd.

A kernel started the usual way (``python -I -S jail.py --kernel CONN``, which execs ``python -m
ipykernel_launcher``) pays Python's start and ipykernel's imports every time: ~0.25 s of CPU of
the ~0.3 s a kernel start costs. The zygote is one process per grading worker, started by
:func:`start` from the worker's main thread, that imports ipykernel, IPython and numpy once and
never runs student code. For each kernel or runner, jail.py (still the process jupyter_client
starts and watches) asks it over a Unix socket (forkclient.py); the zygote forks, and the child
runs ``jail.main`` exactly as the exec path does (the same namespaces, private root, rlimits,
per-submission uid, no_new_privs, environment, keyring, PR_SET_PDEATHSIG, copy of the working
folder), and only at the very end, where jail.py would exec the interpreter, runs
``ipykernel_launcher`` (or the runner script) in the already-initialised interpreter instead.

What the child does before it enters the jail, so that nothing of the zygote reaches student
code: PR_SET_PDEATHSIG (dies with the zygote), signal handlers and mask back to an exec'd
Python's, every inherited descriptor closed but the stdin/stdout/stderr the launcher passed
(the control socket and other clients' connections are gone), a session of its own (signals
reach its group as they reached the launcher's), the launcher's environment and working
folder. Then, as `python -m ipykernel_launcher` would: the working folder first on sys.path
(the launcher moves it after the standard library), ``__main__`` the launcher, argv the same.
Python's ``random`` is reseeded by the fork itself; numpy's global RandomState is created only
when ``numpy.random`` is first imported, which the zygote does not do (checked at start).

The zygote never holds a secret: it reads no connection file (the child does, inside the jail
path), it is sent only the names of the environment jail.main reads (forkclient.py: the rest is
the grader's, and what the zygote received stays in every later child's memory), and its socket
is 0600 in the worker's private scratch, checked by SO_PEERCRED.

Whenever the zygote cannot serve (not started, dead, multi-threaded, a submission folder that
shadows a module it pre-imported), jail.py runs the process the exec way: same jail, slower.
A zygote that dies during a submission takes what it forked with it: grader.py grades that
submission again, the exec way, as it does every later one.
``DECKC_GRADE_FORKSERVER=0`` turns it off.
"""
import os
import sys

if __name__ == "__main__":
    del sys.path[0]      # this folder (deckc/grading) must not shadow anything the kernel imports

import json  # noqa: E402
import selectors  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MAX_REQUEST = 1 << 20
# What an exec'd kernel has imported by its first cell (measured: ipykernel 7 imports the
# debugger, debugpy and psutil at start even with the kernelspec's debugger off) ...
PRELOAD_BASE = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger", "IPython.core.completerlib",
                "IPython.core.debugger", "IPython.extensions.storemagic", "psutil", "faulthandler", "pdb")
# ... and what it may not have: a folder that shadows one of these is run the exec way
PRELOAD_EXTRA = ("IPython.core.interactiveshell", "numpy")   # the runner's and most notebooks'


def enabled() -> bool:
    return os.environ.get("DECKC_GRADE_FORKSERVER", "1").strip().lower() not in ("0", "no", "off", "false")


# --------------------------------------------------------------------------- worker side


class ForkServer:
    """The worker's handle on its zygote (a subprocess.Popen and its socket)."""

    def __init__(self, proc, path):
        self.proc, self.path = proc, path

    @property
    def pid(self):
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def children_of(self, launchers) -> set:
        """The zygote's children started for these launchers (jail.py pids): the kernel pool's
        waiting kernel must be spared with its launcher."""
        if not launchers:
            return set()
        try:
            return {int(p) for p in self._ask({"op": "children", "of": sorted(launchers)}) or ()}
        except (ValueError, TypeError):
            return set()

    def stats(self) -> dict:
        """{"forked": processes forked, "refused": requests sent back to the exec path}."""
        answer = self._ask({"op": "stats"})
        return answer if isinstance(answer, dict) else {}

    def _ask(self, request):
        if not self.alive():
            return None
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(5)
                s.connect(self.path)
                body = json.dumps(request).encode()
                s.sendall(struct.pack("!I", len(body)) + body)
                data = b""
                while not data.endswith(b"\n"):
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            return json.loads(data) if data else None
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        if self.alive():
            self.proc.kill()
        self.proc.wait()


def start(jail_cfg: dict, scratch, processes=None):
    """Start this worker's zygote (main thread: PR_SET_PDEATHSIG follows the starting thread) and
    point the jail at it (``jail_cfg["forkserver"]``); None if turned off or not possible."""
    import logging
    import subprocess

    from . import jail
    from .sandbox import die_with_parent

    if not enabled():
        return None
    where = os.path.join(str(scratch), "zygote")
    path = os.path.join(where, "sock")
    if len(path) > 100:                   # AF_UNIX paths are short
        logging.getLogger("deckc.grade").warning("fork server off: scratch path too long for a socket")
        return None
    os.makedirs(os.path.join(where, "home"), mode=0o700, exist_ok=True)
    os.chmod(where, 0o700)                # the socket's folder: the worker's uid only
    if os.path.lexists(path):
        os.unlink(path)
    # The environment of a kernel (jail._environment): what Python and the libraries read at
    # start-up and import time (flags, locale, malloc arenas, BLAS threads) is then the same.
    env = jail._environment(dict(jail_cfg, env=dict(jail_cfg.get("env") or {})), os.path.join(where, "home"), where)
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "forkserver.py"), path], env=env, cwd=where,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=None,
                            preexec_fn=die_with_parent, close_fds=True)
    server = ForkServer(proc, path)
    jail_cfg["forkserver"] = path
    if processes is not None:
        processes.forkserver = server
    return server


# --------------------------------------------------------------------------- the zygote


def _load(name):
    """A module of this folder by path, under a private name (student code could import a
    module of its own called `jail`: it must not get ours from sys.modules)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_deckc_" + name, os.path.join(HERE, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _top_level():
    return {name.partition(".")[0] for name in sys.modules}


def _preload():
    """Import what kernels need; the top-level names an exec'd kernel would not have loaded
    before the student's first cell (a submission folder holding one of them -> exec path)."""
    import importlib

    for name in PRELOAD_BASE:
        try:
            importlib.import_module(name)
        except ImportError:     # another ipykernel: it imports what it needs in the child
            pass
    base = _top_level()
    for name in PRELOAD_EXTRA:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    extra = _top_level() - base - set(sys.stdlib_module_names)   # '' comes after the stdlib
    if "numpy.random" in sys.modules:
        raise SystemExit("forkserver: numpy.random was imported: children would share its seed")
    return extra


def _recv_request(conn):
    """(request dict, [fds]) from a new connection; the fds are closed if the request is refused."""
    data, fds, _flags, _addr = socket.recv_fds(conn, 65536, 3)
    try:
        if len(data) < 4:
            raise ValueError("short request")
        size = struct.unpack("!I", data[:4])[0]
        if size > MAX_REQUEST:
            raise ValueError("request too large")
        data = data[4:]
        while len(data) < size:
            chunk = conn.recv(min(65536, size - len(data)))
            if not chunk:
                raise ValueError("cut-off request")
            data += chunk
        try:
            request = json.loads(data)
        except RecursionError:
            raise ValueError("request nested too deep") from None
        if not isinstance(request, dict):
            raise ValueError("request is not an object")
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    return request, fds


class Zygote:
    def __init__(self, path):
        self.path = path
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        os.chmod(path, 0o600)
        self.listener.listen(64)          # launchers queue here while the imports run
        self.jail, self.forkrun = _load("jail"), _load("forkrun")
        before = dict(os.environ)
        self.extra = _preload()
        # what the imports put into the environment (debugpy: PYDEVD_USE_FRAME_EVAL), which an
        # exec'd kernel has too: the child keeps it under the launcher's environment
        self.added_env = {k: v for k, v in os.environ.items() if before.get(k) != v}
        import gc
        gc.freeze()        # what is loaded now is never collected: the children's GC leaves those pages shared
        self.signals = {s: signal.getsignal(s) for s in signal.valid_signals()
                        if s not in (signal.SIGKILL, signal.SIGSTOP)}
        self.children = {}                # child pid -> (connection or None, launcher pid)
        self.stats = {"forked": 0, "refused": 0}
        self.sel = selectors.DefaultSelector()
        self.wake_r, self.wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self.sel.register(self.listener, selectors.EVENT_READ, "accept")
        self.sel.register(self.wake_r, selectors.EVENT_READ, "reap")

    def serve(self):
        while True:
            for key, _ in self.sel.select():
                if key.data == "accept":
                    self._accept()
                elif key.data == "reap":
                    try:
                        os.read(self.wake_r, 4096)
                    except BlockingIOError:
                        pass
                    self._reap()
                else:
                    self._from_launcher(key.fileobj, key.data)

    def _accept(self):
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        fds = []
        try:
            pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                                 struct.calcsize("3i")))
            if uid != os.geteuid():
                raise PermissionError("not the worker's uid")
            conn.settimeout(5)
            request, fds = _recv_request(conn)
            if request.get("op") in ("children", "stats"):
                wanted = set(request.get("of") or ())
                answer = (sorted(c for c, (_, launcher) in self.children.items() if launcher in wanted)
                          if request["op"] == "children" else self.stats)
                conn.sendall(json.dumps(answer).encode() + b"\n")
                raise StopIteration
            why = self._refusal(request, fds)
            if why:
                self.stats["refused"] += 1
                conn.sendall(f"fallback {why}\n".encode())
                raise StopIteration
            child = self._fork(request, fds, conn)
            self.stats["forked"] += 1
            conn.settimeout(None)
            conn.sendall(f"pid {child}\n".encode())
        except (StopIteration, OSError, ValueError, TypeError, KeyError):
            conn.close()
            return
        finally:
            for fd in fds:
                os.close(fd)
        self.children[child] = (conn, pid)
        self.sel.register(conn, selectors.EVENT_READ, child)

    def _refusal(self, request, fds):
        if len(fds) != 3:
            return "no stdio"
        if len(os.listdir("/proc/self/task")) != 1:
            return "the zygote is not single-threaded"
        if not isinstance(request.get("argv"), list) or not isinstance(request.get("env"), dict):
            return "bad request"
        return None

    def _fork(self, request, fds, conn):
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        child = os.fork()
        if child == 0:
            code = 1
            try:
                self._child(request, fds)
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 1
            except BaseException as e:  # noqa: BLE001 - report, never return into the zygote
                try:
                    os.write(2, f"jail (fork server): {type(e).__name__}: {e}\n".encode())
                except OSError:
                    pass
            os._exit(code)
        return child

    def _child(self, request, fds):
        jail = self.jail
        jail._pdeathsig(os.getppid())
        signal.set_wakeup_fd(-1)
        for sig, handler in self.signals.items():
            try:
                signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
            except (OSError, ValueError, TypeError):
                pass
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        os.closerange(3, 1 << 20)         # the control socket, other launchers' connections
        os.setsid()
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in request["env"].items()})
        argv = [str(a) for a in request["argv"]]
        sys.argv = [os.path.join(HERE, "jail.py")] + argv
        jail.main(argv, run=self.forkrun.runner(jail, self.extra, self.added_env))

    def _from_launcher(self, conn, child):
        try:
            data = conn.recv(4096)
        except OSError:
            data = b""
        if not data:                      # the launcher is gone: so goes what it stood for
            self._kill(child, signal.SIGKILL)
            self._drop(conn, child)
            return
        for line in data.decode("ascii", "replace").splitlines():
            if line.startswith("sig "):
                try:
                    self._kill(child, int(line[4:]))
                except ValueError:
                    pass

    def _kill(self, child, signum):
        if child not in self.children:
            return
        for kill in (os.killpg, os.kill):
            try:
                kill(child, signum)
                return
            except OSError:
                continue

    def _drop(self, conn, child):
        try:
            self.sel.unregister(conn)
        except (KeyError, ValueError):
            pass
        conn.close()
        if child in self.children:
            self.children[child] = (None, self.children[child][1])

    def _reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn, _ = self.children.pop(pid, (None, None))
            if conn is not None:
                try:
                    conn.sendall(f"exit {status}\n".encode())
                except OSError:
                    pass
                self._drop(conn, pid)


if __name__ == "__main__":
    Zygote(sys.argv[1]).serve()
