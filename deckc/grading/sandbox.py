"""How ``deckc grade`` sets up its sandbox: which isolation, which uids, what the jail sees.

The jail itself (jail.py) runs student processes; this module decides, in the main process,
what it is given: the isolation mode, a block of unprivileged uids (one per submission), and
the read-only view of the system and of *this* Python installation wherever it lives (a venv
under /tmp or a home folder, pyenv under a 0700 /root, conda, Debian's /usr), symlinks and
base prefixes resolved.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

UNSHARE = ["unshare", "--net", "--pid", "--ipc", "--fork", "--kill-child", "--mount-proc"]
SYSTEM = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"]
# never bound: the jail makes its own
PRIVATE = ("/proc", "/dev", "/sys", "/run")


def die_with_parent() -> None:
    """preexec_fn of every process deckc grade starts: SIGKILL when deckc grade ends, however it
    ends (kept across exec; `unshare --kill-child` passes it on to the worker, and the worker is
    PID 1 of its namespace, so its kernels and runners go with it)."""
    import ctypes
    ctypes.CDLL(None).prctl(1, 9, 0, 0, 0)         # PR_SET_PDEATHSIG, SIGKILL


def worker_preexec(memory_mb: int):
    """preexec_fn of a grading worker: dies with deckc grade, and its own address space is
    bounded (a soft RLIMIT_AS: a worker grading a huge notebook fails that submission with a
    MemoryError instead of taking the machine). It uses ~750 MB of address space (~150 MB
    resident); the jail sets each student process's own, lower, cap."""
    import resource

    def preexec():
        die_with_parent()
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = max(4096, memory_mb + 1024) * 1024 * 1024
        if hard == resource.RLIM_INFINITY or limit < hard:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    return preexec


def uid_base(count: int) -> int:
    """First of `count` unprivileged uids for the student processes of this run (one per
    submission: no two submissions share a uid's keyring, process cap or files). Chosen from
    the uids this user namespace maps, away from system and ordinary user ids."""
    want = 1_000_000 + (os.getpid() % 20000) * 100_000    # runs of other courses: other blocks
    ranges = []
    try:
        for line in open("/proc/self/uid_map"):
            inside, _, n = (int(x) for x in line.split())
            ranges.append((inside, n))
    except (OSError, ValueError):
        ranges = [(0, 1 << 32)]
    for start, n in ranges:
        if start <= want and want + count <= start + n and want + count < (1 << 31):
            return want
    start, n = max(ranges, key=lambda r: r[1])
    return max(start + 1000, start + n - 1 - count - 64 * (os.getpid() % 64))


def isolation_mode(requested: str, uid: int) -> str:
    """"namespace" when we are root and `unshare` gives a new network, PID, IPC and mount
    namespace in which we can switch to the unprivileged uid; else "none"."""
    if requested == "none":
        return "none"
    ok = os.geteuid() == 0 and shutil.which("unshare") is not None
    if ok:
        probe = f"import os; os.setgroups([]); os.setgid({uid}); os.setuid({uid})"
        try:
            ok = subprocess.run(UNSHARE + [sys.executable, "-S", "-c", probe], capture_output=True,
                                timeout=30).returncode == 0
        except (OSError, subprocess.SubprocessError):
            ok = False
    if requested == "namespace" and not ok:
        from .run import GradeError
        raise GradeError("--isolation namespace needs root and a working `unshare` (util-linux)")
    return "namespace" if ok else "none"


def _venv_home() -> list[str]:
    """The `home` of a venv's pyvenv.cfg (the base interpreter's bin folder)."""
    cfg = Path(sys.prefix) / "pyvenv.cfg"
    try:
        for line in cfg.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "home" and value.strip():
                return [os.path.dirname(value.strip().rstrip("/"))]
    except OSError:
        pass
    return []


def _pth_dirs(site_dirs: list[str]) -> list[str]:
    """Folders that .pth files of site-packages add to sys.path (old-style editable installs).
    Not deckc's own checkout: it holds the reference solutions (exercises/)."""
    own = os.path.realpath(Path(__file__).resolve().parents[2])
    out = []
    for d in site_dirs:
        try:
            names = sorted(n for n in os.listdir(d) if n.endswith(".pth"))
        except OSError:
            continue
        for name in names:
            try:
                lines = Path(d, name).read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                continue
            for line in lines:
                line = line.strip()
                if not line or line.startswith(("#", "import ", "import\t")):
                    continue
                path = os.path.realpath(os.path.join(d, line))
                if os.path.isdir(path) and path != own and not own.startswith(path.rstrip("/") + "/"):
                    out.append(path)
    return out


def jail_view() -> tuple[list[str], dict[str, str]]:
    """(read-only folders, symlinks) the jail needs to run this interpreter and its packages.

    Every folder is bound at its real path (parents first; what a bound parent holds is not
    bound again); where a path Python uses is a symlink or under one (a venv's bin/python, a
    /home that points elsewhere), the jail gets a symlink from that path to the real one."""
    import site
    import sysconfig

    paths = sysconfig.get_paths()
    site_dirs = [*site.getsitepackages(), paths["purelib"], paths["platlib"]]
    python = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *site_dirs,
              paths["stdlib"], paths["platstdlib"], os.path.dirname(sys.executable), *_venv_home()]
    python += _pth_dirs(site_dirs)
    wanted = {os.path.realpath(p) for p in SYSTEM + python if os.path.lexists(p)}
    ro: list[str] = []
    for p in sorted(wanted, key=lambda p: (p.count("/"), p)):     # parents first
        if p == "/" or p.startswith(PRIVATE) or _under(p, ro):
            continue
        ro.append(p)
    links = {}
    for p in [*SYSTEM, *python, sys.executable]:
        p = os.path.abspath(p)
        real = os.path.realpath(p)
        if real != p and os.path.lexists(p) and not _under(p, ro) and _under(real, ro):
            links[p] = real
    for p in SYSTEM:          # /bin -> usr/bin and the like: the same relative link
        if os.path.islink(p):
            links[p] = os.readlink(p)
    return ro, links


def _under(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)
