"""What a grading worker does to the processes it starts: nothing of a submission survives it.

As root, a worker runs inside ``unshare --net --pid ...`` (run.py) and is PID 1 of its own
PID namespace: after every notebook it kills every other process there is (kernels, forks of
forks). Without a namespace it is a child subreaper, so what a student's process double-forked
becomes its child once the parent is gone, and it kills its children and their groups.
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def loopback_up() -> None:
    """Bring `lo` up in a fresh network namespace (kernels talk to the worker over 127.0.0.1)."""
    import fcntl
    import socket
    import struct

    SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifr = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(s, SIOCGIFFLAGS, ifr))[1]
        if not flags & IFF_UP:
            fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sh", b"lo", flags | IFF_UP))


def reap(spared=frozenset()) -> None:
    """Collect dead children; with `spared`, only the others (their owners wait for the spared)."""
    if spared:
        for pid, ppid in _parents().items():
            if ppid == os.getpid() and pid not in spared:
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
        return
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class Processes:
    """This worker's hold on what it starts (see the module docstring)."""

    def __init__(self):
        self.pid1 = os.getpid() == 1
        self.forkserver = None      # forkserver.ForkServer: spared itself, never what it forks

    def setup(self) -> None:
        if self.pid1:
            loopback_up()
        else:
            import ctypes
            ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)      # PR_SET_CHILD_SUBREAPER: orphans come to us

    def kill_others(self, keep=()) -> None:
        """Kill every process this worker started (and theirs). In our own PID namespace: all.
        ``keep``: pids spared with everything they started (kernelpool.py's waiting kernel). The
        fork server is spared (not what it forked: those are ours to kill, unless they were
        started for a kept launcher)."""
        server = self.forkserver if self.forkserver is not None and self.forkserver.alive() else None
        alone = {server.pid} if server is not None else set()
        if keep and server is not None:
            keep = set(keep) | server.children_of(_tree(keep))
        if self.pid1:
            for _ in range(100):
                if keep or alone:
                    spared = (_tree(keep) if keep else set()) | alone
                    for pid in _pids():
                        if pid != 1 and pid not in spared:
                            try:
                                os.kill(pid, signal.SIGKILL)
                            except OSError:
                                pass
                else:
                    spared = set()
                    try:
                        os.kill(-1, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                reap(spared)
                if not any(p != 1 and p not in spared for p in _pids(live=True)):
                    return
                time.sleep(0.01)
            return
        # No namespace: our children (and the fork server's) and their process groups (kernels
        # and runners lead theirs); a few rounds catch the orphans that come to us as subreaper.
        me = os.getpid()
        spared = (_tree(keep) if keep else set()) | alone
        for _ in range(20):
            children = [pid for pid, ppid in _parents(live=True).items()
                        if (ppid == me or ppid in alone) and pid not in spared]
            for pid in children:
                for kill in (os.killpg, os.kill):
                    try:
                        kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            reap(spared)
            if not children:
                return
            time.sleep(0.01)


def _pids(live=False) -> list[int]:
    pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    return list(_parents(live=True)) if live else pids


def _parents(live=False) -> dict[int, int]:
    """{pid: parent pid} of every process we can see (`live`: not the zombies the fork server
    has yet to reap; ours are reaped by reap())."""
    out = {}
    me = os.getpid()
    for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ppid = int(fields[1])
        except (OSError, ValueError, IndexError):
            continue
        if live and fields[0] == "Z" and ppid != me:
            continue
        out[pid] = ppid
    return out


def _tree(roots) -> set[int]:
    """`roots` and all their descendants."""
    parents = _parents()
    tree, grew = set(roots), True
    while grew:
        more = {pid for pid, ppid in parents.items() if ppid in tree} - tree
        tree |= more
        grew = bool(more)
    return tree
