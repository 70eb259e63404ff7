"""Start one student process in a sandbox: ``python -I -S jail.py (--kernel CONNECTION_FILE | --run ARGV...)``.

Student code (a Jupyter kernel during nbgrader's autograde, or deckc's checking runner) is only
ever started through this launcher. Standard library only, run by path with ``-I -S`` so that
nothing in the working directory (which holds files the student submitted) is importable here.

The configuration is a JSON object in the environment variable ``DECKC_JAIL``::

    {"isolate": true,          # root only: private read-only filesystem view + unprivileged uid
     "uid": 200123,            # the unprivileged user (and group) the student process runs as
     "jails": "/tmp/.../jails",# where the per-process root directories are made
     "ro": ["/usr", ...],      # host paths visible read-only in the jail (system, Python)
     "files": {"/opt/x.py": "/host/x.py"},  # single files, read-only, at a jail path
     "memory_mb": 2048,        # RLIMIT_AS of every process
     "nproc": 64,              # RLIMIT_NPROC (processes + threads of the uid: bounds fork bombs)
     "cpu_s": 300,             # RLIMIT_CPU per process
     "fsize_mb": 64,           # RLIMIT_FSIZE: largest file a process may write
     "tmp_mb": 256,            # size of the private /tmp (tmpfs)
     "env": {...},             # extra environment variables
     "kernel_args": [...],     # extra ipykernel arguments (the worker turns IPython history off)
     "log": "/path"}           # optional: the kernel's own stdout/stderr (debugging)

With ``isolate``, the process gets its own mount namespace whose root is a fresh tmpfs holding
only: the read-only system and Python directories, /proc, a few device nodes, a private
writable /tmp (also HOME and TMPDIR), and a private writable copy of its working directory
(the notebook's folder, with the files handed in). The course folder,
the gradebook, the source notebooks and exercises/ are not in that view. It then drops to the
unprivileged uid (no new privileges, no supplementary groups). The network and process
namespaces are the worker's (``unshare --net --pid``): loopback only, and the worker kills
every leftover process after each notebook.

Without ``isolate`` (deckc grade not run as root) only the resource limits and a scrubbed
environment apply.
"""
import ctypes
import ctypes.util
import json
import os
import resource
import sys

CLONE_NEWNS = 0x00020000
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
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
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
    """Make the private filesystem view under a new tmpfs, then chroot into it."""
    _check(_c().unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    root = os.path.join(cfg["jails"], str(os.getpid()))
    os.makedirs(root, mode=0o700, exist_ok=True)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=0755")
    for path in cfg["ro"]:
        inside = root + path
        if os.path.islink(path):
            os.makedirs(os.path.dirname(inside), exist_ok=True)
            if not os.path.lexists(inside):
                os.symlink(os.readlink(path), inside)
        elif os.path.isdir(path) and not os.path.exists(inside):
            _bind_ro(path, inside)
    for inside, host in cfg.get("files", {}).items():
        _bind_ro(host, root + inside, is_file=True)
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
    _mount("tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
           f"size={int(cfg.get('tmp_mb', 256))}m,mode=1777")
    if cwd and cwd != "/":
        # The working directory is a private copy: the student's code may write there (as it
        # could under nbgrader) and nothing it writes leaves the jail.
        os.makedirs(root + cwd, exist_ok=True)
        _mount("tmpfs", root + cwd, "tmpfs", MS_NOSUID | MS_NODEV,
               f"size={int(cfg.get('tmp_mb', 256))}m,mode=0755")
        _copy_tree(cwd, root + cwd, cfg.get("uid"))
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


def main(argv):
    cfg = json.loads(os.environ.get("DECKC_JAIL", "{}"))
    isolate = bool(cfg.get("isolate")) and os.geteuid() == 0
    if len(argv) >= 2 and argv[0] == "--kernel":
        connection = open(argv[1], "rb").read()   # as root: the file is private to the worker
        command = None
    elif len(argv) >= 2 and argv[0] == "--run":
        connection, command = None, argv[1:]
    else:
        sys.exit("usage: jail.py (--kernel CONNECTION_FILE | --run ARGV...)")
    cwd = os.getcwd()
    uid = int(cfg["uid"]) if isolate else None
    # The kernel's own stdout/stderr (not cell outputs, which travel over ZMQ): a debug log, or nowhere.
    log = os.open(cfg["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600) if cfg.get("log") else None

    if isolate:
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

    _limits(cfg, isolate)
    if uid is not None:
        _check(_c().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        if os.getuid() != uid or os.geteuid() != uid:
            sys.exit("jail: could not drop privileges")
    os.execve(command[0], command, env)


if __name__ == "__main__":
    main(sys.argv[1:])
