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


def reap() -> None:
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

    def setup(self) -> None:
        if self.pid1:
            loopback_up()
        else:
            import ctypes
            ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)      # PR_SET_CHILD_SUBREAPER: orphans come to us

    def kill_others(self) -> None:
        """Kill every process this worker started (and theirs). In our own PID namespace: all."""
        if self.pid1:
            for _ in range(100):
                try:
                    os.kill(-1, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                reap()
                if not any(p.isdigit() and p != "1" for p in os.listdir("/proc")):
                    return
                time.sleep(0.01)
            return
        # No namespace: our children and their process groups (kernels and runners lead theirs);
        # a few rounds catch the orphans that come to us as subreaper.
        me = os.getpid()
        for _ in range(20):
            children = []
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    stat = Path(f"/proc/{pid}/stat").read_text()
                    ppid = int(stat.rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                if ppid == me:
                    children.append(int(pid))
            for pid in children:
                for kill in (os.killpg, os.kill):
                    try:
                        kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            reap()
            if not children:
                return
            time.sleep(0.01)
