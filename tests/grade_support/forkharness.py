"""A grading worker's kernel set-up without nbgrader, for tests of the fork server.

    python forkharness.py SCENARIO   -> one JSON object on stdout

Run as its own process (it sets DECKC_JAIL and the Jupyter paths, starts a zygote, kills what
it started). The jail is the worker's: isolation "none" unless run as root with DECKC_TEST_ISOLATE=1
(then run it under ``unshare --pid --fork ...`` like a real worker). Each scenario starts
kernels through the kernelspec (``jail.py --kernel``) as nbgrader does.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

FINGERPRINT = r'''
import json, os, random, signal, sys, threading
print(json.dumps({
    "path": [p.replace(os.getcwd(), "CWD") for p in sys.path], "argv0": sys.argv[0], "argv": sys.argv[1:2] + sys.argv[3:],
    "main": repr(sys.modules["__main__"]), "flags": str(sys.flags), "env": sorted(os.environ),
    "signals": {int(s): str(signal.getsignal(s)) for s in signal.valid_signals() if s not in (9, 19)},
    "blocked": sorted(signal.pthread_sigmask(signal.SIG_BLOCK, [])),
    "fds": sorted(os.readlink(f"/proc/self/fd/{f}").split(":")[0] for f in os.listdir("/proc/self/fd")
                  if os.path.lexists(f"/proc/self/fd/{f}")),
    "threads": sorted(t.name for t in threading.enumerate()), "leader": os.getpgid(0) == os.getpid(),
    "helper": __import__("helper").X, "random": random.random(), "ppid": os.getppid(), "pid": os.getpid(),
    "numpy_random": float(__import__("numpy").random.rand()), "nnp": open("/proc/self/status").read().count("NoNewPrivs:\t1"),
}))
'''


def setup(scratch: Path, forkserver_on: bool):
    from deckc.grading import forkserver
    from deckc.grading.checking import jail_files
    from deckc.grading.grader import HERE, KERNEL_ARGS
    from deckc.grading.processes import Processes
    from deckc.grading.sandbox import jail_view

    for sub in ("jupyter/kernels/python3", "runtime", "tmp", "jails", "work"):
        (scratch / sub).mkdir(parents=True, exist_ok=True)
    isolate = os.geteuid() == 0 and os.environ.get("DECKC_TEST_ISOLATE") == "1"
    ro, links = jail_view()
    cfg = {"isolate": isolate, "uid": 1_234_567, "jails": str(scratch / "jails"), "ro": ro, "links": links,
           "files": jail_files(), "kernel_args": KERNEL_ARGS, "memory_mb": 2048, "nproc": 64, "cpu_s": 60,
           "fsize_mb": 64, "tmp": str(scratch / "tmp"), "env": {}}
    processes = Processes()
    processes.setup()
    server = forkserver.start(cfg, scratch, processes) if forkserver_on else None
    kernel = {"argv": [sys.executable, "-I", "-S", str(HERE / "jail.py"), "--kernel", "{connection_file}"],
              "display_name": "test", "language": "python"}
    (scratch / "jupyter/kernels/python3/kernel.json").write_text(json.dumps(kernel))
    os.environ.update({"JUPYTER_PATH": str(scratch / "jupyter"), "JUPYTER_RUNTIME_DIR": str(scratch / "runtime"),
                       "DECKC_JAIL": json.dumps(cfg)})
    work = scratch / "work"
    (work / "helper.py").write_text("X = 42\n")
    os.chmod(scratch, 0o755)
    return processes, server, work, isolate


def execute(kc, code, timeout=30):
    """(stdout text, error name or None) of one cell."""
    msg_id = kc.execute(code)
    out, error = [], None
    while True:
        m = kc.get_iopub_msg(timeout=timeout)
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        if m["msg_type"] == "stream":
            out.append(m["content"]["text"])
        elif m["msg_type"] == "error":
            error = m["content"]["ename"]
        elif m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            return "".join(out), error


def alive(pid: int) -> bool:
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def main(scenario: str) -> dict:
    from jupyter_client.manager import start_new_kernel

    scratch = Path(tempfile.mkdtemp(prefix="dkz", dir="/tmp"))
    on = scenario != "exec"
    processes, server, work, isolate = setup(scratch, on)
    result: dict = {"isolate": isolate, "zygote": server.pid if server else None}
    try:
        if scenario == "shadow":
            (work / "numpy.py").write_text("def __getattr__(name):\n    raise AttributeError('student numpy')\n"
                                           "random = None\n")
        if scenario == "zygote_dead":
            server.proc.kill()
            server.proc.wait()
        runs = []
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        for _ in range(2 if scenario in ("exec", "fork") else 1):
            km, kc = start_new_kernel(kernel_name="python3", cwd=str(work))
            text, error = execute(kc, FINGERPRINT if scenario != "shadow" else
                                  "import numpy, os, json; print(json.dumps({'ppid': os.getppid(), "
                                  "'student': numpy.random is None}))")
            run = json.loads(text) if text.strip() else {"error": error}
            run["launcher"] = km.provisioner.pid
            if scenario == "signals":
                msg = kc.execute("import time\ntry:\n    time.sleep(30)\nexcept KeyboardInterrupt:\n"
                                 "    print('interrupted')\n")
                time.sleep(1.0)
                km.interrupt_kernel()
                out = []
                while True:
                    m = kc.get_iopub_msg(timeout=20)
                    if m["parent_header"].get("msg_id") == msg and m["msg_type"] == "stream":
                        out.append(m["content"]["text"])
                    if (m["parent_header"].get("msg_id") == msg and m["msg_type"] == "status"
                            and m["content"]["execution_state"] == "idle"):
                        break
                run["interrupt"] = "".join(out).strip()
                run["alive_before_kill"] = km.is_alive()
                os.kill(km.provisioner.pid, signal.SIGKILL)       # the launcher: its kernel goes with it
                deadline = time.time() + 5
                while alive(run["pid"]) and time.time() < deadline:
                    time.sleep(0.05)
                run["kernel_alive_after_launcher_killed"] = alive(run["pid"])
                run["alive_after_kill"] = km.is_alive()
            kc.stop_channels()
            km.shutdown_kernel(now=True)
            processes.kill_others()
            runs.append(run)
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        result["launcher_cpu"] = (cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime) / len(runs)
        result["runs"] = runs
        if server is not None:
            result["stats"] = server.stats()
            result["zygote_alive"] = server.alive()
    finally:
        processes.forkserver = None
        processes.kill_others()
        shutil.rmtree(scratch, ignore_errors=True)
    return result


if __name__ == "__main__":
    sys.stdout.write(json.dumps(main(sys.argv[1])) + "\n")
