"""The *record* and *replay* stages: the out-of-kernel check of one submission (see verify.py).

record: the checking runner (_runner.py) runs in the jail, as the student, with a job of steps
(the student's cells in their order, locked cells restored as nbgrader restores them, each
grade cell a probe with the planned call arguments); its events are collected into one record
per grade cell. replay: verify.replay judges each grade cell on its record, in the grader (no
student code). A test that makes a call nobody planned is planned again and its notebook run
again, up to verify.MAX_ROUNDS rounds.
"""
from __future__ import annotations

import copy
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..nbgrader import cells
from . import _protocol, verify

HERE = Path(__file__).resolve().parent
IN_JAIL = "/opt/deckc"                 # where the runner and its modules are inside the jail
RUNNER_FILES = ("_runner.py", "_codec.py", "_protocol.py")
MAX_RUNNER_OUTPUT = 512 * 1024 * 1024


def jail_files() -> dict[str, str]:
    """The runner's files, bound read-only into every jail."""
    return {f"{IN_JAIL}/{name}": str(HERE / name) for name in RUNNER_FILES}


@dataclass(frozen=True)
class CheckRun:
    """The check's outcome for one submission: {notebook: {grade id: verify.Verdict}}."""
    verdicts: dict = field(default_factory=dict)
    silent: bool = False           # the runner sent not one event: it never ran (diagnose.py)


def probe_step(spec, verify=verify) -> dict:
    """A grade cell's step: its target and planned calls; nothing of the reference."""
    step = {"probe": spec.grade_id, "target": spec.target,
            "calls": verify.encode_calls(spec.calls) if spec.kind == "call" else []}
    if spec.earlier:
        step["trace"] = {name: spec.trace.get(name, []) for name in spec.earlier}
    return step


def steps(plan, path: Path, specs: dict) -> list:
    """The runner's steps for one submitted notebook (see the module docstring)."""
    import nbformat

    try:
        notebook = list(nbformat.read(path, as_version=4).cells)
    except Exception:  # noqa: BLE001 - unreadable: nbgrader fails it too; nothing runs
        notebook = []
    out, seen = [], set()
    for cell in notebook:
        if cell.get("cell_type") != "code":
            continue
        gid = cells.grade_id(cell)
        if gid in plan.grades and gid not in seen:
            seen.add(gid)
            spec = specs.get(gid)
            if spec is not None and spec.verifiable:
                out.append(probe_step(spec))
            continue
        source = cell.get("source", "")
        if gid in plan.source and gid not in seen and plan.source[gid][0]:
            seen.add(gid)
            source = plan.source[gid][2]        # locked: nbgrader restores it
        elif gid:
            seen.add(gid)
        out.append({"code": source if isinstance(source, str) else "".join(source)})
    for gid, spec in specs.items():                    # grade cells the student deleted
        if gid not in seen and spec.verifiable:
            out.append(probe_step(spec))
    return out


def collect(events: list) -> dict:
    """Runner events -> {notebook: {grade_id: record}}; the first answer for a call wins."""
    out = {}
    for e in events:
        nb, probe = e.get("nb"), e.get("probe")
        if not isinstance(nb, str) or not isinstance(probe, str):
            continue
        rec = out.setdefault(nb, {}).setdefault(probe, {})
        if "missing" in e or "value" in e:
            if "calls" not in rec and "value" not in rec and "missing" not in rec:
                rec.update({"missing": True} if e.get("missing") else {"value": e["value"]})
        elif isinstance(e.get("call"), int) and ("result" in e or "raised" in e):
            calls = rec.setdefault("calls", {})
            k = e["call"]
            if k not in calls and "missing" not in rec and "value" not in rec:
                calls[k] = {"result": e["result"]} if "result" in e else {"raised": e["raised"]}
                if isinstance(e.get("subcalls"), list):
                    calls[k]["subcalls"] = e["subcalls"]
    return out


def run_runner(job: dict, cwd: Path, deadline_s: float, isolate: bool, kill_others) -> list:
    """The runner in the jail on one job; its events (bounded, malformed ones dropped)."""
    runner = f"{IN_JAIL}/_runner.py" if isolate else str(HERE / "_runner.py")
    cmd = [sys.executable, "-I", "-S", str(HERE / "jail.py"), "--run", sys.executable, "-I", runner]
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "DECKC_JAIL")}
    proc = subprocess.Popen(cmd, cwd=str(cwd), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, start_new_session=True, env=env)
    data = _protocol.encode(dict(job, cwd=str(cwd), kill_all=isolate))

    def feed():
        try:
            proc.stdin.write(data)
            proc.stdin.close()
        except OSError:
            pass

    threading.Thread(target=feed, daemon=True).start()
    events = []
    reader = _protocol.Reader(proc.stdout.fileno())
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    end = time.monotonic() + deadline_s
    try:
        while True:
            left = end - time.monotonic()
            if left <= 0 or not sel.select(timeout=left):
                if time.monotonic() >= end:
                    break
                continue
            messages = reader.read()
            if messages is None:
                break
            events.extend(messages)
            if reader.total > MAX_RUNNER_OUTPUT:
                break
    finally:
        sel.close()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        proc.kill()
        proc.wait()
        kill_others()
    return events


def record_and_replay(plans: dict, sub_dir: Path, submitted: list[str], cell_timeout: float, isolate: bool,
                      kill_others) -> CheckRun:
    """Record the submitted notebooks in the jail and replay every test on the records."""
    specs = {nb: {gid: copy.copy(s) for gid, s in plans[nb].tests.items()} for nb in submitted}
    records = {nb: {} for nb in submitted}
    verdicts = {nb: {} for nb in submitted}
    silent = False
    todo = list(submitted)
    for round_ in range(verify.MAX_ROUNDS):
        job = {"cell_timeout": cell_timeout,
               "notebooks": [{"name": nb, "steps": steps(plans[nb], sub_dir / f"{nb}.ipynb", specs[nb])}
                             for nb in todo]}
        deadline = sum(plans[nb].timeout for nb in todo) + 30
        events = run_runner(job, sub_dir, deadline, isolate, kill_others)
        if not events and round_ == 0 and any(nb["steps"] for nb in job["notebooks"]):
            silent = True          # not one event: the runner never ran (diagnose.not_the_students_fault)
        fresh = collect(events)
        again = []
        for nb in todo:
            records[nb].update(fresh.get(nb, {}))
            for gid, spec in specs[nb].items():
                if not spec.verifiable:
                    continue
                try:
                    v = verify.replay(spec, records[nb].get(gid))
                except Exception as e:  # noqa: BLE001 - a bad record fails its own check only
                    v = verify.Verdict(False, 0.0, "BadRecord", f"the check's record could not be read "
                                                                 f"({type(e).__name__})")
                if v.unplanned is not None and round_ < verify.MAX_ROUNDS - 1:
                    index, args, kwargs = v.unplanned
                    spec.calls = list(spec.calls[:index]) + [(args, kwargs)]
                    records[nb].pop(gid, None)
                    if nb not in again:
                        again.append(nb)
                elif v.unplanned is not None:
                    v = verify.Verdict(False, 0.0, "Unverified", "the test's calls could not be recorded")
                verdicts[nb][gid] = v
        if not again:
            break
        todo = again
    return CheckRun(verdicts, silent)
