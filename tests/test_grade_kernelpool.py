"""kernelpool.py's hold on processes: after a notebook, every process a worker started dies except
the waiting (pre-started) kernel and what it started; without `keep`, that one dies too."""
from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import os, subprocess, sys, time
    from deckc.grading.processes import Processes
    p = Processes(); p.setup()
    sleeper = [sys.executable, "-c", "import subprocess, sys, time; "
               "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"]
    kept = subprocess.Popen(sleeper, start_new_session=True)     # the waiting kernel (and its child)
    other = subprocess.Popen(sleeper, start_new_session=True)    # the finished notebook's kernel
    time.sleep(1.0)
    def tree(root):
        from deckc.grading.processes import _tree
        return _tree({root})
    kept_tree, other_tree = tree(kept.pid), tree(other.pid)
    p.kill_others(keep={kept.pid})
    alive = lambda pid: os.path.exists(f"/proc/{pid}") and open(f"/proc/{pid}/stat").read().split(")")[1].split()[0] != "Z"
    print("kept", len(kept_tree), all(alive(x) for x in kept_tree))
    print("other", len(other_tree), any(alive(x) for x in other_tree))
    p.kill_others()
    time.sleep(0.2)
    print("after", any(alive(x) for x in kept_tree))
""")


def test_kill_others_spares_only_the_waiting_kernel_and_its_children():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:3] == ["kept 2 True", "other 2 False", "after False"], out.stdout


def test_the_pool_can_be_turned_off(monkeypatch):
    from deckc.grading import kernelpool

    monkeypatch.setenv("DECKC_GRADE_PRESTART", "0")
    assert not kernelpool.enabled()
    monkeypatch.delenv("DECKC_GRADE_PRESTART")
    assert kernelpool.enabled()
    pool = kernelpool.KernelPool()
    assert pool.pids() == set() and pool.take("/tmp") is None
