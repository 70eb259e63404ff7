"""Hostile students against the fork server (forkserver.py): real submissions through `deckc grade`.

Kernels and checking runners are forked from each worker's zygote; isolation must be the exec
path's. One `deckc grade --jobs 1` run (one worker, one zygote, students in order) over:

- peek_grader_env: looks for the grader's environment (a marker value this test puts there, as a
  database password would be) in os.environ, /proc, the frames it runs under, the GC and its own
  memory;
- poke_zygote: looks for the zygote's socket and connections, and for any process outside its jail;
- patch_preloaded then find_preloaded: the first rebinds numpy, IPython, ipykernel and the fork
  server's own modules in its forked kernel and runner, the second (next, same zygote) looks for it;
- a fork bomb and a daemon before them, a reference after them;
- wrong, crashing, kernel-killing and numpy-rebinding submissions, whose grades must be the exec
  path's (the same submissions graded with DECKC_GRADE_FORKSERVER=0).

Each attacker answers wrong if its attack worked, so full marks everywhere means it held.
"""
from __future__ import annotations

import os
import secrets
import signal
import threading
import time
from pathlib import Path

import pytest

from grade_support import (ASSIGNMENT, TIMEOUT, expected_parts, grade, new_course, observed, require_namespace_isolation,
                           scores, submit)

pytestmark = pytest.mark.slow

STUDENTS = {"aa_bomb": "fork_bomb", "ab_daemon": "daemon", "a_peek": "peek_grader_env", "b_poke": "poke_zygote",
            "c_patch": "patch_preloaded", "d_find": "find_preloaded", "e_ref": "reference"}
# wrong or crashing ones: only compared with the exec path (their parts lost: test_grade_hostile's tables)
PARTIAL = {"f_no_tanh": "no_tanh", "g_crash": "crash_at_top", "h_kill": "kernel_kill", "i_rebind": "rebind_numpy",
           "j_always": "always_equal"}


def _run(tmp_path_factory, forkserver: str) -> dict:
    course = new_course(tmp_path_factory.mktemp(f"forkattacks{forkserver}") / "course")
    handed = {s: submit(course, s, k) for s, k in {**STUDENTS, **PARTIAL}.items()}
    marker = "h4leak-" + secrets.token_hex(8)
    old = {k: os.environ.get(k) for k in ("DECKC_ATTACK_SECRET", "DECKC_GRADE_FORKSERVER")}
    os.environ.update({"DECKC_ATTACK_SECRET": marker, "DECKC_GRADE_FORKSERVER": forkserver})
    try:
        result = grade(course, "--jobs", "1", "--timeout", TIMEOUT, "--no-feedback", "-q")
    finally:
        for k, v in old.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    return {"course": course, "handed": handed, "result": result, "scores": scores(course), "marker": marker}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """{"1": the run with the fork server, "0": the same submissions the exec way}"""
    require_namespace_isolation()
    return {mode: _run(tmp_path_factory, mode) for mode in ("1", "0")}


@pytest.mark.parametrize("mode", ["1", "0"])
@pytest.mark.parametrize("student", sorted(STUDENTS))
def test_attack_gains_nothing(runs, student, mode):
    run = runs[mode]
    assert run["result"].exit_code == 0, run["result"].output
    got = observed(run["scores"][student])
    assert got == expected_parts(run["handed"][student], set()), (student, got)


@pytest.mark.parametrize("mode", ["1", "0"])
def test_the_grader_environment_is_nowhere_in_the_outputs(runs, mode):
    # the kernel's own answer is overruled by the out-of-kernel check: what it printed shows the leak
    for path in (runs[mode]["course"] / "autograded").rglob("*.ipynb"):
        assert runs[mode]["marker"] not in path.read_text(encoding="utf-8"), path


def test_forked_and_exec_grades_are_identical(runs):
    assert set(runs["1"]["scores"]) == set(STUDENTS) | set(PARTIAL)
    assert runs["1"]["scores"] == runs["0"]["scores"]
    assert observed(runs["1"]["scores"]["f_no_tanh"]) != observed(runs["1"]["scores"]["e_ref"])   # not all full


@pytest.mark.parametrize("mode", ["1", "0"])
def test_the_attacks_ran_and_reached_nothing(runs, mode):
    """What the kernels printed: each attack ran to its end (the checking runner's side is in the
    scores: the runner ran the same cells and would have answered wrong)."""
    printed = {s: "".join(p.read_text(encoding="utf-8") for p in
                          (runs[mode]["course"] / "autograded" / s).rglob("rnn_step.ipynb")) for s in STUDENTS}
    assert "grader environment seen by student code: []" in printed["a_peek"]
    assert "reached: []" in printed["b_poke"]
    assert "patches seen: []" in printed["d_find"]


def _forked() -> tuple[dict, dict]:
    """({pid: parent} of the fork servers' processes, {pid: "kernel" or "runner"} of the students'
    (their uids): a kernel has ipykernel's threads, a checking runner one)."""
    procs, kinds = {}, {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if b"forkserver.py" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                continue
            procs[int(pid)] = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
            uid, threads = int(status["Uid"].split()[0]), int(status["Threads"])
        except (OSError, ValueError, IndexError, KeyError):
            continue
        if uid >= 200000:
            kinds[int(pid)] = "kernel" if threads >= 3 else "runner"
    return procs, kinds


@pytest.mark.parametrize("when", ["preflight", "kernel1", "runner1"])
def test_a_zygote_killed_mid_notebook_costs_no_student_anything(tmp_path, monkeypatch, when):
    """The zygote SIGKILLed (the OOM killer, a bug) while a process it forked runs: the first
    kernel (the preflight's reference), or the first kernel or checking runner busy for
    over a second (only the students' two-second cell is): the worker goes on the exec way,
    every student graded right, once."""
    require_namespace_isolation()
    monkeypatch.setenv("DECKC_GRADE_FORKSERVER", "1")
    course = new_course(tmp_path / "course")
    handed = {s: submit(course, s, "slow_cells") for s in ("s1", "s2", "s3")}
    killed, first_seen, busy, stop = [], {}, [], threading.Event()

    def zygote_of(pid, procs):
        while procs.get(pid) in procs:
            pid = procs[pid]
        return pid

    def killer():
        while not stop.is_set() and not killed:
            procs, kinds = _forked()
            now = time.monotonic()
            kind, nth = when[:-1], int(when[-1:] or 0) if when != "preflight" else 0
            for pid in kinds:
                first_seen.setdefault(pid, now)
                if now - first_seen[pid] > 1.0 and kinds[pid] == kind and pid not in busy:
                    busy.append(pid)
                target = (pid if when == "preflight" and kinds[pid] == "kernel" else
                          busy[nth - 1] if nth and len(busy) >= nth else None)
                if target is not None and target in kinds:
                    try:
                        os.kill(zygote_of(target, procs), signal.SIGKILL)
                        killed.append(target)
                    except ProcessLookupError:
                        pass
                    break
            time.sleep(0.02)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    try:
        result = grade(course, "--jobs", "1", "--timeout", TIMEOUT, "--no-feedback", "-q")
    finally:
        stop.set()
        thread.join()
    assert killed, "no zygote was seen forking"
    assert result.exit_code == 0, result.output
    got = scores(course)
    assert set(got) == set(handed)
    for student, notebooks in handed.items():
        assert observed(got[student]) == expected_parts(notebooks, set()), (student, result.output)
    rows = [line.split(",")[3] for line in
            (course / "reports" / ASSIGNMENT / "grades.csv").read_text(encoding="utf-8").splitlines()[1:]]
    assert sorted(rows) == sorted(handed), rows
