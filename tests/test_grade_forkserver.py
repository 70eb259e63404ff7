"""The fork server (forkserver.py): a kernel forked from the worker's zygote is the kernel an exec'd
`python -m ipykernel_launcher` would be (same sys.path, argv, flags, signals, descriptors, threads,
environment), is interrupted, killed and watched as before, never shares a seed or the zygote's
socket, and whenever the zygote cannot serve, the kernel starts the exec way."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

HARNESS = Path(__file__).parent / "grade_support" / "forkharness.py"


def harness(scenario, **env):
    out = subprocess.run([sys.executable, str(HARNESS), scenario], capture_output=True, text=True, timeout=180,
                         env={**os.environ, "DECKC_GRADE_FORKSERVER": "1", **env})
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def exec_and_fork():
    return harness("exec"), harness("fork")


def test_a_forked_kernel_is_an_exec_kernel(exec_and_fork):
    execd, forked = exec_and_fork
    assert forked["stats"] == {"forked": 2, "refused": 0} and forked["zygote_alive"]
    for run in forked["runs"]:
        assert run["ppid"] == forked["zygote"] and run["pid"] != run["launcher"]      # really forked
    for run in execd["runs"]:
        assert run["pid"] == run["launcher"]                                       # exec'd in place
    same = ("path", "argv0", "argv", "main", "flags", "env", "signals", "blocked", "fds", "threads", "leader",
            "helper", "nnp")
    a, b = execd["runs"][0], forked["runs"][0]
    assert {k: a[k] for k in same} == {k: b[k] for k in same}
    assert b["helper"] == 42 and "" in b["path"]          # the notebook's folder is importable
    # a fraction of the CPU of a start: the launcher stub is all the worker pays itself
    assert forked["launcher_cpu"] < execd["launcher_cpu"] / 2


def test_forked_kernels_do_not_share_seeds(exec_and_fork):
    _, forked = exec_and_fork
    first, second = forked["runs"]
    assert first["random"] != second["random"] and first["numpy_random"] != second["numpy_random"]


def test_interrupt_and_kill_reach_the_forked_kernel():
    result = harness("signals")
    run = result["runs"][0]
    assert run["ppid"] == result["zygote"]
    assert run["interrupt"] == "interrupted" and run["alive_before_kill"]
    assert not run["kernel_alive_after_launcher_killed"] and not run["alive_after_kill"]
    assert result["zygote_alive"]


def test_a_dead_zygote_means_the_exec_path():
    result = harness("zygote_dead")
    run = result["runs"][0]
    assert run["helper"] == 42 and run["pid"] == run["launcher"] and run["ppid"] != result["zygote"]


def test_a_folder_shadowing_a_preloaded_module_gets_an_exec_kernel():
    # as in an exec'd kernel, the student's numpy.py wins over site-packages' numpy
    result = harness("shadow")
    assert result["runs"][0]["student"] is True


def test_turned_off_and_the_socket_is_private(tmp_path, monkeypatch):
    from deckc.grading import forkserver

    monkeypatch.setenv("DECKC_GRADE_FORKSERVER", "0")
    cfg = {"env": {}}
    assert forkserver.start(cfg, tmp_path) is None and "forkserver" not in cfg
    monkeypatch.setenv("DECKC_GRADE_FORKSERVER", "1")
    server = forkserver.start(cfg, tmp_path)
    try:
        assert cfg["forkserver"] == str(tmp_path / "zygote" / "sock")
        for _ in range(100):
            if server.stats():
                break
            time.sleep(0.1)
        assert server.stats() == {"forked": 0, "refused": 0}
        mode = os.stat(cfg["forkserver"]).st_mode & 0o777
        assert mode == 0o600 and os.stat(tmp_path / "zygote").st_mode & 0o077 == 0
        # a request without stdio is sent back to the exec path, not forked
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(cfg["forkserver"])
            body = json.dumps({"argv": ["--run", "/bin/true"], "cwd": "/", "env": {}}).encode()
            s.sendall(len(body).to_bytes(4, "big") + body)
            assert s.recv(100).startswith(b"fallback")
        assert server.stats() == {"forked": 0, "refused": 1}
    finally:
        server.stop()


def test_kill_others_spares_the_zygote_and_the_waiting_kernel_only():
    script = r"""
import json, os, subprocess, sys, tempfile, time
sys.path.insert(0, sys.argv[1])
import forkharness
from pathlib import Path
scratch = Path(tempfile.mkdtemp(prefix="dkz", dir="/tmp"))
processes, server, work, _ = forkharness.setup(scratch, True)
from jupyter_client.manager import start_new_kernel
kept, kc1 = start_new_kernel(kernel_name="python3", cwd=str(work))
other, kc2 = start_new_kernel(kernel_name="python3", cwd=str(work))
kids = lambda launcher: server.children_of({launcher})
k1, k2 = kids(kept.provisioner.pid), kids(other.provisioner.pid)
processes.kill_others(keep={kept.provisioner.pid})
time.sleep(0.3)
state = {"zygote": server.alive(), "kept": all(forkharness.alive(p) for p in k1) and kept.is_alive(),
         "other": any(forkharness.alive(p) for p in k2), "k1": len(k1), "k2": len(k2)}
processes.kill_others()
time.sleep(0.3)
state["kept_after"] = any(forkharness.alive(p) for p in k1)
state["zygote_after"] = server.alive()
processes.forkserver = None
processes.kill_others()
print(json.dumps(state))
"""
    out = subprocess.run([sys.executable, "-c", script, str(HARNESS.parent)], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "DECKC_GRADE_FORKSERVER": "1"})
    assert out.returncode == 0, out.stderr[-3000:]
    state = json.loads(out.stdout.strip().splitlines()[-1])
    assert state == {"zygote": True, "kept": True, "other": False, "k1": 1, "k2": 1, "kept_after": False,
                     "zygote_after": True}


def test_junk_on_the_socket_is_refused_and_the_zygote_lives(tmp_path, monkeypatch):
    """Only the worker's uid can connect, but that is the student's with isolation none: no
    request, however malformed, ends the zygote (each used to: an uncaught error in its loop)."""
    from deckc.grading import forkserver

    monkeypatch.setenv("DECKC_GRADE_FORKSERVER", "1")
    cfg = {"env": {}}
    server = forkserver.start(cfg, tmp_path)
    try:
        for _ in range(100):
            if server.stats():
                break
            time.sleep(0.1)
        junk = [b"[1]", b'"x"', b"null", b"[" * 100000 + b"]" * 100000, b"\xff\xfe", b'{"op": "children", "of": 5}',
                b'{"argv": "x", "env": {}}']
        for body in junk:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(5)
                s.connect(cfg["forkserver"])
                try:
                    s.sendall(len(body).to_bytes(4, "big") + body)
                    s.recv(100)
                except OSError:              # closed on us: refused
                    pass
            time.sleep(0.1)
            assert server.alive(), body[:30]
        assert server.alive() and server.stats()["forked"] == 0
    finally:
        server.stop()
