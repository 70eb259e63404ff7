"""Start one student process in a sandbox: ``python -I -S jail.py (--kernel CONNECTION_FILE | --run ARGV...)``.

Student code (a Jupyter kernel during nbgrader's autograde, or deckc's checking runner) is only
ever started through this launcher. Standard library only, run by path with ``-I -S`` so that
nothing in the working directory (which holds files the student submitted) is importable here.

The configuration is a JSON object in the environment variable ``DECKC_JAIL``::

    {"isolate": true,          # root only: private read-only filesystem view + unprivileged uid
     "uid": 200123,            # the unprivileged user (and group) the student process runs as
     "jails": "/tmp/.../jails",# where the per-process root directories are made
     "ro": ["/usr", ...],      # host paths visible read-only in the jail (system, Python)
     "links": {"/a/b": "/c/b"},# symlinks made in the jail (a Python path that is a symlink)
     "files": {"/opt/x.py": "/host/x.py"},  # single files, read-only, at a jail path
     "memory_mb": 2048,        # RLIMIT_AS of every process
     "nproc": 64,              # RLIMIT_NPROC (processes + threads of the uid: bounds fork bombs)
     "cpu_s": 300,             # RLIMIT_CPU per process
     "fsize_mb": 64,           # RLIMIT_FSIZE: largest file a process may write
     "tmp_mb": 256,            # size of the private /tmp (tmpfs)
     "env": {...},             # extra environment variables
     "kernel_args": [...],     # extra ipykernel arguments (the worker turns IPython history off)
     "log": "/path"}           # optional: the kernel's own stdout/stderr (debugging)

With ``isolate``, every jailed process (one kernel or one checking runner, so never two
submissions) gets fresh IPC, UTS, mount and PID namespaces and a fresh session keyring. The
launcher forks a small init (PID 1 of the new PID namespace: it reaps, forwards SIGINT/SIGTERM,
and when the student's process ends, the namespace and everything left in it ends with it),
whose root is a fresh tmpfs holding only: a private writable /tmp (also HOME and TMPDIR),
/dev/shm, /proc, a few device nodes, a private writable copy of its working directory (the
notebook's folder, with the files handed in), and, bound read-only *after* those (so that a
Python under /tmp stays visible) the system and Python directories, each at its real path with
the symlinks that lead to it. A Python under a 0700 folder (pyenv in /root) is reachable
because the folders leading to it are the jail's own (0755). The course folder, the gradebook,
the source notebooks and exercises/ are not in that view. The student's process then drops to
the unprivileged uid (no new privileges, no supplementary groups). The network namespace is the
worker's (``unshare --net``): loopback only.

Every process of the launcher asks for SIGKILL when its parent dies (PR_SET_PDEATHSIG), so a
killed worker (or ``deckc grade``) takes its kernels with it.

Without ``isolate`` (deckc grade not run as root) only the resource limits and a scrubbed
environment apply.
"""
import ctypes
import ctypes.util
import json
import os
import resource
import signal
import sys

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWPID = 0x00020000, 0x04000000, 0x08000000, 0x20000000
PR_SET_PDEATHSIG = 1
KEYCTL_JOIN_SESSION_KEYRING = 1
SYS_KEYCTL = {"x86_64": 250, "aarch64": 219, "i686": 288, "armv7l": 311, "ppc64le": 280, "s390x": 280}
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_NO_NEW_PRIVS = 38
DEVICES = ("null", "zero", "full", "random", "urandom")
KEEP_ENV = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "JPY_PARENT_PID", "NBGRADER_EXECUTION")

_libc = None


def _c():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return _libc


def _check(rc, what):
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _enc(s):
    return s.encode() if isinstance(s, str) else s


def _mount(source, target, fstype, flags, data=None):
    enc = _enc
    _check(_c().mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {source} -> {target}")


def _bind_ro(host, inside, is_file=False):
    if is_file:
        os.makedirs(os.path.dirname(inside), exist_ok=True)
        open(inside, "a").close()
    else:
        os.makedirs(inside, exist_ok=True)
    _mount(host, inside, None, MS_BIND | MS_REC)
    _mount(None, inside, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _copy_tree(src, dst, uid, limit=256 * 1024 * 1024):
    """Regular files and folders of src into dst (no symlinks), owned by uid, up to `limit` bytes."""
    total = 0
    for dirpath, dirnames, filenames in os.walk(src):
        rel = os.path.relpath(dirpath, src)
        target_dir = dst if rel == "." else os.path.join(dst, rel)
        os.makedirs(target_dir, exist_ok=True)
        if uid is not None:
            os.chown(target_dir, uid, uid)
        # no symlinks, and never the copy itself (a working directory that holds the jails)
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))
                       and os.path.join(dirpath, d) != os.path.commonpath([os.path.join(dirpath, d), dst])]
        for name in filenames:
            path = os.path.join(dirpath, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if not (st.st_mode & 0o170000 == 0o100000) or total + st.st_size > limit:
                continue
            total += st.st_size
            with open(path, "rb") as fin, open(os.path.join(target_dir, name), "wb") as fout:
                while True:
                    chunk = fin.read(1 << 20)
                    if not chunk:
                        break
                    fout.write(chunk)
            if uid is not None:
                os.chown(os.path.join(target_dir, name), uid, uid)


def _build_root(cfg, cwd):
    """Make the private filesystem view under a new tmpfs, then chroot into it (as PID 1 of a
    fresh PID namespace, in a fresh mount namespace)."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    root = os.path.join(cfg["jails"], f"j{os.urandom(6).hex()}")
    os.makedirs(root, mode=0o700, exist_ok=True)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=0755")
    size = f"size={int(cfg.get('tmp_mb', 256))}m"
    # The private, writable places first: what is bound read-only below may live under them
    # (a venv under /tmp) and must not be hidden by them.
    dev = root + "/dev"
    os.makedirs(dev, exist_ok=True)
    for name in DEVICES:
        open(os.path.join(dev, name), "a").close()
        _mount("/dev/" + name, os.path.join(dev, name), None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, os.path.join(dev, name))
    # A private pseudo-terminal instance: IPython runs `!cmd` lines through a pty (pexpect).
    os.makedirs(dev + "/pts")
    _mount("devpts", dev + "/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620")
    os.symlink("pts/ptmx", dev + "/ptmx")
    os.makedirs(dev + "/shm")
    _mount("tmpfs", dev + "/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64m,mode=1777")
    os.makedirs(root + "/proc", exist_ok=True)
    _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    os.makedirs(root + "/tmp", exist_ok=True)
    _mount("tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, size + ",mode=1777")
    if cwd and cwd != "/":
        # The working directory is a private copy: the student's code may write there (as it
        # could under nbgrader) and nothing it writes leaves the jail.
        os.makedirs(root + cwd, exist_ok=True)
        _mount("tmpfs", root + cwd, "tmpfs", MS_NOSUID | MS_NODEV, size + ",mode=0755")
        _copy_tree(cwd, root + cwd, cfg.get("uid"))
    for path in cfg["ro"]:
        inside = root + path
        if os.path.islink(path):
            os.makedirs(os.path.dirname(inside), exist_ok=True)
            if not os.path.lexists(inside):
                os.symlink(os.readlink(path), inside)
        elif os.path.isdir(path) and not os.path.ismount(inside):
            _bind_ro(path, inside)
    for inside, target in sorted(cfg.get("links", {}).items()):
        os.makedirs(os.path.dirname(root + inside), exist_ok=True)
        if not os.path.lexists(root + inside):
            os.symlink(target, root + inside)
    for inside, host in cfg.get("files", {}).items():
        _bind_ro(host, root + inside, is_file=True)
    # Nothing more may be created at the top of the view.
    _mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4m,mode=0755")
    os.chroot(root)
    os.chdir(cwd if cwd else "/tmp")


def _limits(cfg, isolate):
    mb = 1024 * 1024

    def setl(which, value):
        if value is None:
            return
        soft, hard = resource.getrlimit(which)
        value = int(value)
        if hard != resource.RLIM_INFINITY and value > hard:
            value = hard
        resource.setrlimit(which, (value, value if which != resource.RLIMIT_CPU else value + 5))

    setl(resource.RLIMIT_AS, cfg.get("memory_mb") and cfg["memory_mb"] * mb)
    setl(resource.RLIMIT_CPU, cfg.get("cpu_s"))
    setl(resource.RLIMIT_FSIZE, cfg.get("fsize_mb") and cfg["fsize_mb"] * mb)
    setl(resource.RLIMIT_CORE, 0)
    nproc = cfg.get("nproc")
    if nproc and not isolate:
        # The uid is the grader's own: its processes count too, so add the ones already running.
        nproc += _count_own_processes()
    setl(resource.RLIMIT_NPROC, nproc)


def _count_own_processes():
    uid, n = os.getuid(), 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.stat(f"/proc/{pid}").st_uid == uid:
                    n += len(os.listdir(f"/proc/{pid}/task"))
            except OSError:
                pass
    return n


def _environment(cfg, home, tmp):
    env = {k: os.environ[k] for k in KEEP_ENV if k in os.environ}
    env.update({
        "PATH": os.path.dirname(sys.executable) + ":/usr/local/bin:/usr/bin:/bin",
        "HOME": home, "TMPDIR": tmp, "IPYTHONDIR": os.path.join(home, ".ipython"),
        "MPLCONFIGDIR": os.path.join(home, ".matplotlib"), "MPLBACKEND": "Agg",
        "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1", "JUPYTER_PLATFORM_DIRS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        # one thread each: parallel workers share the cores, and threads count against nproc
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1",
        # glibc reserves 64 MB of address space per thread arena: keep RLIMIT_AS about real memory
        "MALLOC_ARENA_MAX": "2",
    })
    env.setdefault("LANG", "C.UTF-8")
    env.update(cfg.get("env", {}))
    return env


def _pdeathsig(parent):
    """SIGKILL when the parent (thread) that started us ends: nothing outlives its starter."""
    _c().prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(137)          # the parent was already gone


def _new_keyring():
    """A fresh, empty session keyring for the student's process (no key of anyone else's)."""
    number = SYS_KEYCTL.get(os.uname().machine)
    if number is None:
        return
    if _c().syscall(number, KEYCTL_JOIN_SESSION_KEYRING, None) < 0 and ctypes.get_errno() != 38:   # ENOSYS
        err = ctypes.get_errno()
        raise OSError(err, f"keyctl(JOIN_SESSION_KEYRING): {os.strerror(err)}")


def _exit_like(status):
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


def _supervise(child, init=False):
    """Wait for `child`, passing on SIGINT/SIGTERM/SIGHUP/SIGQUIT, then exit as it did. As PID 1
    (`init`) also reap the orphans of the namespace; when we return, the namespace ends."""

    def forward(signum, _frame):
        try:
            os.kill(child, signum)
        except OSError:
            pass

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, forward)
    while True:
        try:
            pid, status = os.waitpid(-1 if init else child, 0)
        except ChildProcessError:
            os._exit(1)
        if pid == child:
            _exit_like(status)


def _namespaces():
    """Fresh IPC, UTS, mount and PID namespaces: the launcher stays outside and supervises
    PID 1 (returns only in PID 1, which forks the student's process and supervises it)."""
    _check(_c().unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID),
           "unshare(NEWNS|NEWIPC|NEWUTS|NEWPID)")
    pid = os.fork()
    if pid:
        _supervise(pid)
    os.setsid()                 # signals reach PID 1 only through the launcher: once
    _pdeathsig(0)               # (the parent is outside the namespace: seen as pid 0)
    _c().sethostname(b"grading", 7)


def _exec(command, env):
    """exec, or one line on stderr that names what the jail could not run and why."""
    try:
        os.execve(command[0], command, env)
    except OSError as e:
        why = {2: "is not visible inside the jail", 13: "cannot be run by the grading uid (permissions)",
               20: "is not visible inside the jail"}.get(e.errno, "cannot be started")
        os.write(2, f"jail: {command[0]} {why} ({e.strerror})\n".encode())
        os._exit(127)


def _forkclient():
    import importlib.util

    spec = importlib.util.spec_from_file_location("_deckc_forkclient", os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "forkclient.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv, run=None):
    """`run(command, env)` instead of exec at the end: the fork server's child (forkrun.py)."""
    starter = os.getppid()
    _pdeathsig(starter)
    cfg = json.loads(os.environ.get("DECKC_JAIL", "{}"))
    isolate = bool(cfg.get("isolate")) and os.geteuid() == 0
    if len(argv) >= 2 and argv[0] == "--kernel":
        connection = open(argv[1], "rb").read()   # as root: the file is private to the worker
        command = None
    elif len(argv) >= 2 and argv[0] == "--run":
        connection, command = None, argv[1:]
    else:
        sys.exit("usage: jail.py (--kernel CONNECTION_FILE | --run ARGV...)")
    if run is None and cfg.get("forkserver"):
        # returns if the zygote did not start it; the zygote is sent only what main reads of the
        # environment (the rest is the grader's, and a fork keeps it in the student's memory)
        _forkclient().run(cfg["forkserver"], argv, KEEP_ENV + ("DECKC_JAIL", "TMPDIR"))
    cwd = os.getcwd()
    uid = int(cfg["uid"]) if isolate else None
    # The kernel's own stdout/stderr (not cell outputs, which travel over ZMQ): a debug log, or nowhere.
    log = os.open(cfg["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600) if cfg.get("log") else None

    if isolate:
        _namespaces()
        _build_root(cfg, cwd)
        tmp = "/tmp"
    else:
        tmp = cfg.get("tmp") or os.environ.get("TMPDIR") or "/tmp"
    home = os.path.join(tmp, "home")
    os.makedirs(home, exist_ok=True)
    if command is None:
        kernel_file = os.path.join(tmp, f"kernel-{os.getpid()}.json")
        fd = os.open(kernel_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, connection)
        os.close(fd)
        command = [sys.executable, "-m", "ipykernel_launcher", "-f", kernel_file] + list(cfg.get("kernel_args", []))
        if uid is not None:
            os.chown(kernel_file, uid, uid)
        out = log if log is not None else os.open("/dev/null", os.O_RDWR)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
    if uid is not None:
        os.chown(home, uid, uid)
    env = _environment(cfg, home, tmp)

    if isolate:
        child = os.fork()
        if child:
            _supervise(child, init=True)
    _limits(cfg, isolate)
    if uid is not None:
        _check(_c().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        if os.getuid() != uid or os.geteuid() != uid:
            sys.exit("jail: could not drop privileges")
    _new_keyring()
    _pdeathsig(1 if isolate else starter)      # again: a change of uid clears it
    (run or _exec)(command, env)


if __name__ == "__main__":
    main(sys.argv[1:])
