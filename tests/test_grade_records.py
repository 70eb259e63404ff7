"""The grader's stages on their own: the score policy (scoring.py) without kernels, the records'
one JSON form, the message protocol's bounds, and the per-submission unit (grader.py) called by
a plain process outside the worker pool, as a cluster worker would call it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deckc.grading import scoring
from deckc.grading.records import (AssignmentDef, GradeJob, GradeRow, KernelRun, Layout, ManualState,
                                   NotebookResult, Override, Sandbox, StoredGrade, StoredNotebook, StudentResult,
                                   from_json, to_json)
from deckc.grading.verify import Verdict

LAYOUT = Layout(index={"t1": 3, "t2": 5, "t3": 7}, note_to={"t1": "sol1", "t2": "sol2"},
                graded=frozenset({"t1", "t2", "t3"}))


def stored(**scores) -> StoredNotebook:
    return StoredNotebook({gid: StoredGrade(s, 2.0) for gid, s in scores.items()},
                          {"sol1": None, "sol2": "earlier note"}, late_penalty=None)


def test_the_check_overrides_the_kernel_and_says_so_in_the_solution_cells_comment():
    kernel = KernelRun(True, None, {"t1": "", "t2": "AssertionError", "t3": ""})
    verdicts = {"t1": Verdict(False, 0.0, "ValueError", "wrong shape"), "t2": Verdict(True, 2.0),
                "t3": Verdict(True, 2.0)}
    nb = scoring.score_notebook("rnn", stored(t1=2.0, t2=0.0, t3=2.0), True, kernel, verdicts, LAYOUT)
    t1, t2, t3 = nb.grades["t1"], nb.grades["t2"], nb.grades["t3"]
    assert (t1.final, t1.kernel_score, t1.override, t1.verified_error) == (0.0, 2.0, Override.CORRECTED, "ValueError")
    assert (t2.final, t2.override, t2.kernel_error) == (2.0, Override.CORRECTED, "AssertionError")
    assert (t3.final, t3.override) == (2.0, Override.NO)
    assert nb.comments["sol1"] == ("deckc: t1: kernel scored 2/2; the out-of-kernel check scored 0/2 "
                                   "(ValueError: wrong shape). Auto score set to 0.")
    assert nb.comments["sol2"].startswith("earlier note\ndeckc: t2: kernel scored 0/2;")
    assert nb.autograded and nb.submitted


def test_a_dead_kernel_is_rescued_by_the_check_and_unchecked_parts_keep_no_score():
    kernel = KernelRun(False, "DeadKernelError: Kernel died")
    verdicts = {"t1": Verdict(True, 2.0)}
    nb = scoring.score_notebook("rnn", stored(t1=None, t2=None), True, kernel, verdicts, LAYOUT)
    assert (nb.grades["t1"].final, nb.grades["t1"].kernel_score, nb.grades["t1"].override) == (2.0, None,
                                                                                                 Override.RESCUED)
    assert "kernel: DeadKernelError: Kernel died; the out-of-kernel check scored 2/2" in nb.comments["sol1"]
    assert nb.grades["t2"].final is None and nb.grades["t2"].override is Override.NO
    rows = scoring.test_rows(StudentResult("s", True, notebooks={"rnn": nb}))
    assert [(r.test, r.result, r.error_type) for r in rows] == [("t1", "pass", ""),
                                                               ("t2", "needs manual grading", "KernelDied")]


def test_a_notebook_not_handed_in_keeps_nbgraders_zero_and_ignores_verdicts():
    nb = scoring.score_notebook("rnn", stored(t1=0.0), False, None, {"t1": Verdict(True, 2.0)}, LAYOUT)
    assert (nb.grades["t1"].final, nb.grades["t1"].override, nb.submitted) == (0.0, Override.NO, False)
    assert nb.comments["sol1"] is None
    # a grade cell the gradebook does not define as deckc's keeps the kernel's score
    other = scoring.score_notebook("rnn", stored(t9=1.0), True, KernelRun(True), {"t9": Verdict(False, 0.0)}, LAYOUT)
    assert other.grades["t9"].final == 1.0


def test_totals_subtract_late_penalties_and_never_go_below_zero():
    def nb(name, finals, penalty):
        return NotebookResult(name, True, True, {g: GradeRow(g, 2.0, f) for g, f in finals.items()},
                              late_penalty=penalty)
    assert scoring.totals({"a": nb("a", {"x": 2.0, "y": 1.5}, 1.0), "b": nb("b", {"z": None}, None)}) == (2.5, 6.0)
    assert scoring.totals({"a": nb("a", {"x": 1.0}, 3.0)}) == (0.0, 2.0)


def test_test_rows_say_pass_partial_fail_refused_and_not_submitted_in_notebook_order():
    grades = {"b": GradeRow("b", 2.0, 1.0, index=9), "a": GradeRow("a", 2.0, 0.0, verified_error="TypeError", index=4),
              "c": GradeRow("c", 2.0, 2.0, kernel_error="Stderr", index=1)}
    result = StudentResult("s", True, notebooks={
        "n1": NotebookResult("n1", True, True, grades),
        "n2": NotebookResult("n2", True, False, {"d": GradeRow("d", 1.0, None)}, refused="over 10 MB"),
        "n0": NotebookResult("n0", False, False, {"e": GradeRow("e", 1.0, 0.0)})})
    rows = [(r.notebook, r.test, r.result, r.error_type, r.message) for r in scoring.test_rows(result)]
    assert rows == [("n0", "e", "not submitted", "", ""), ("n1", "c", "pass", "", ""),
                    ("n1", "a", "fail", "TypeError", ""), ("n1", "b", "partial", "", ""),
                    ("n2", "d", "refused", "KernelDied", "over 10 MB")]
    assert scoring.full_marks(result)[2] is False
    full = StudentResult("s", True, notebooks={"n": NotebookResult("n", True, True, {"c": GradeRow("c", 2.0, 2.0)})})
    assert scoring.full_marks(full) == (2.0, 2.0, True)


def test_records_cross_a_process_boundary_as_json_and_come_back_equal():
    from deckc.grading.matching import FileOutcome

    result = StudentResult(
        "ann", True, files=(FileOutcome("RNN step.ipynb", "rnn_step", "renamed", "x"),), timestamp="2026-01-01",
        notebooks={"rnn": NotebookResult("rnn", True, True, {"t": GradeRow("t", 2.0, 0.0, 2.0, override=Override.CORRECTED)},
                                         {"sol": "note"}, 0.5)},
        score=1.5, max_score=2.0, edited={"rnn": ("c1",)}, outputs={"feedback": {"rnn.html": b"\x00<html>"}})
    back = from_json(StudentResult, json.loads(json.dumps(to_json(result))))
    assert back == result and back.notebooks["rnn"].grades["t"].override is Override.CORRECTED
    assert back.parts(Override.CORRECTED) == ["rnn/t"]
    job = GradeJob("ann", files={"a.ipynb": b"{}"}, state=ManualState(3600.0, {"rnn": {"t": (1.0, None)}}, {}, True))
    assert from_json(GradeJob, json.loads(json.dumps(to_json(job)))) == job
    for bad in ({"student": 3, "ok": True}, {"student": "a", "ok": True, "notebooks": []}, "x",
                {"student": "a", "ok": True, "files": [{"file": "f"}]}):
        with pytest.raises(ValueError):
            from_json(StudentResult, bad)


def test_the_protocol_reader_drops_long_or_deep_lines_and_counts_them():
    from deckc.grading import _protocol

    r, w = os.pipe()
    reader = _protocol.Reader(r, max_line=100)
    os.write(w, _protocol.encode({"a": 1}) + b"x" * 500 + b"\n" + b"[" * 70 + b"]" * 70 + b"\n" + b'{"b": [2]}\n')
    os.close(w)
    assert list(reader) == [{"a": 1}, {"b": [2]}]
    assert reader.dropped == 2
    os.close(r)


UNIT = """
import json, sys
from pathlib import Path
from deckc.grading.grader import Grader, pack_outputs
from deckc.grading.records import AssignmentDef, GradeJob, Sandbox, from_json, to_json
msg = json.load(sys.stdin)
grader = Grader(from_json(AssignmentDef, msg["definition"]), from_json(Sandbox, msg["sandbox"]), Path(msg["scratch"]))
ready = grader.setup()
out = [to_json(ready)]
for job in msg["jobs"]:
    out.append(to_json(pack_outputs(grader.grade(from_json(GradeJob, job)))))
print(json.dumps(out))
"""


@pytest.mark.slow      # two submissions with kernels: ~20 s on an idle machine
def test_one_submission_is_graded_by_the_unit_alone_from_its_bytes(tmp_path):
    """What a cluster worker does: no pool, no course folder, the submission's bytes in, a typed
    result out with the same scores as `deckc grade` gives (grade_support's expectations)."""
    from grade_support import ASSIGNMENT, NO_TANH, TIMEOUT, expected_parts, new_course, submit

    from deckc.grading.records import Limits, StudentResult, submission_files
    from deckc.grading.run import prepare_gradebook, read_config
    from deckc.grading.sandbox import jail_view

    course = new_course(tmp_path / "course")
    handed = {s: submit(course, s, kind) for s, kind in (("ann", "reference"), ("ben", "no_tanh"))}
    cfg = read_config(course)
    (tmp_path / "prep").mkdir()
    template = prepare_gradebook(course, ASSIGNMENT, cfg["db_url"], cfg["course_id"], tmp_path / "prep")
    definition = AssignmentDef.from_course(course, ASSIGNMENT, template, Limits(cell_timeout=TIMEOUT), feedback=True)
    ro, links = jail_view()
    jobs = []
    for student in handed:
        accepted, _ = submission_files(course / "submitted" / student / ASSIGNMENT)
        jobs.append(to_json(GradeJob(student, files={rel: p.read_bytes() for rel, p in accepted}, uid=None)))
    msg = {"definition": to_json(definition), "sandbox": to_json(Sandbox(False, tuple(ro), links)),
           "scratch": str(tmp_path / "scratch"), "jobs": jobs}
    run = subprocess.run([sys.executable, "-c", UNIT], input=json.dumps(msg), capture_output=True, text=True,
                         timeout=600, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    ready, *results = json.loads(run.stdout.strip().splitlines()[-1])
    assert sorted(ready["notebooks"]) == sorted(n for n in handed["ann"])
    results = [from_json(StudentResult, r) for r in results]
    for r, lost in zip(results, (set(), NO_TANH)):
        assert r.ok, r.error
        got = {nb: {gid: g.final for gid, g in n.grades.items()} for nb, n in r.notebooks.items()}
        assert got == expected_parts(handed[r.student], lost)
        assert r.score == sum(v for parts in got.values() for v in parts.values()) and r.max_score == 36
        assert r.autograded_dir is None and set(r.outputs) == {"autograded", "feedback"}
        assert {Path(f).suffix for f in r.outputs["feedback"]} == {".html"}
    assert not (course / "autograded").exists()           # nothing of the course was touched


def test_progress_is_clicks_bar_on_a_terminal_lines_elsewhere_and_nothing_when_quiet(monkeypatch):
    import io

    from deckc.grading.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    import click._termui_impl as impl

    clock = iter(range(0, 10_000, 10))             # each submission takes 10 s
    monkeypatch.setattr(impl.time, "time", lambda: next(clock))
    shown = Terminal()
    bar = Progress(3, quiet=False, stream=shown)
    for student in ("ann", "ben", "cat"):
        bar.update(student, "30/36")
    text = shown.getvalue()
    assert "\r" in text and "grading" in text and "cat: 30/36" in text and text.endswith("\n")
    import re
    assert re.search(r"1/3  \d\d:\d\d:\d\d  ann: 30/36", text) and re.search(r"2/3  \d\d:\d\d:\d\d  ben", text)
    assert "3/3  cat" in text                     # the ETA: shown while there is something left

    plain = io.StringIO()
    log = Progress(2, quiet=False, stream=plain)
    log.update("ann", "36/36")
    log.update("ben", "NOT GRADED (x)")
    lines = plain.getvalue().splitlines()
    assert re.fullmatch(r"\[1/2, ETA \d\d:\d\d:\d\d\] ann: 36/36", lines[0]), lines
    assert "\r" not in plain.getvalue()
    assert lines[1] == "[2/2] ben: NOT GRADED (x)"

    quiet = Terminal()
    q = Progress(2, quiet=True, stream=quiet)
    q.update("ann", "1")
    q.update("ben", "2")
    assert quiet.getvalue() == ""


ECHO_WORKER = r"""
import os, sys
sys.path.insert(0, sys.argv[1])
import _protocol
for msg in _protocol.Reader(0):
    if msg.get("op") == "init":
        _protocol.write(1, {"ok": True})
    elif msg["key"] == "dies" and not os.path.exists(sys.argv[2]):
        open(sys.argv[2], "w").close()
        os._exit(3)                               # dies once: the pool tries the task again
    elif msg["key"] == "babbles":
        os.write(1, b"x" * 5000 + b"\n")          # a line over the limit: a broken worker
    elif msg["key"] == "hangs":
        import time; time.sleep(60)
    else:
        _protocol.write(1, {"key": msg["key"], "pid": os.getpid()})
"""


def test_the_pool_retries_a_death_once_replaces_broken_or_slow_workers_and_knows_nothing_of_grading(tmp_path):
    from deckc.grading import pool

    here = str(Path(pool.__file__).parent)
    answers, lost = {}, {}

    class Handler:
        def init_message(self, proc):
            return {"op": "init"}

        def ready(self, proc, reply):
            assert reply == {"ok": True}

        def task_message(self, key):
            return {"key": key}

        def answer(self, proc, key, reply):
            answers[key] = reply["key"]
            return True

        def lost(self, proc, key, why):
            lost[key] = why

        def budget(self):
            return 3.0

    (tmp_path / "w").mkdir()
    procs = [pool.WorkerProcess(i, [sys.executable, "-c", ECHO_WORKER, here, str(tmp_path / "died")],
                                tmp_path / "w" / str(i), subprocess.DEVNULL, max_message=1000) for i in range(2)]
    p = pool.Pool(procs, Handler(), died="it died")
    try:
        p.run(["a", "dies", "b", "babbles", "hangs", "c"])
    finally:
        for proc in p.procs:
            proc.kill()
    assert answers == {"a": "a", "b": "b", "c": "c", "dies": "dies"}
    assert lost == {"babbles": "it died", "hangs": "time limit of the whole submission reached"}


def test_a_broken_worker_reply_is_a_student_not_graded_not_a_crash():
    from deckc.grading.dispatch import result_of

    ok = to_json(StudentResult("ann", True, score=3.0, max_score=3.0))
    assert result_of("ann", {"ok": True, "result": ok}).score == 3.0
    for reply, why in (({"ok": False, "error": "boom"}, "boom"), ({"ok": True}, "grading failed"),
                       ({"ok": True, "result": {"student": "ann", "ok": "yes"}}, "could not be read"),
                       ({"ok": True, "result": ok | {"student": "bob"}}, "answered for 'bob'")):
        result = result_of("ann", reply)
        assert result.student == "ann" and not result.ok and why in result.error, (reply, result.error)


# UNIT, counting the kernels nbclient took from the kernel pool (kernelpool.py) instead of starting one
UNIT_POOL = """
import atexit, sys
from deckc.grading import kernelpool
taken, _take = [], kernelpool.KernelPool.take
def take(self, cwd):
    km = _take(self, cwd)
    taken.append(km is not None)
    return km
kernelpool.KernelPool.take = take
atexit.register(lambda: sys.stderr.write(f"pre-started kernels used: {sum(taken)}\\n"))
""" + UNIT


@pytest.mark.slow      # one submission with kernels: ~10 s on an idle machine
def test_the_stage_times_add_up_and_a_slow_cell_is_student_code_not_kernel_start(tmp_path):
    """Each stage is timed where it runs (stagetimes.py): a student's cell that sleeps 1.5 s shows up
    in student_code, not in the kernel's start, and the stages add up to the submission's time.
    Every notebook after the first runs in the kernel pre-started while the one before ran."""
    import nbformat
    from grade_support import ASSIGNMENT, TIMEOUT, new_course, submit

    from deckc.grading.records import Limits, StageTimes
    from deckc.grading.run import prepare_gradebook, read_config
    from deckc.grading.sandbox import jail_view

    course = new_course(tmp_path / "course")
    handed = submit(course, "sam", "reference")
    path = course / "submitted" / "sam" / ASSIGNMENT / f"{sorted(handed)[0]}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell("import time\ntime.sleep(1.5)"))
    nbformat.write(nb, path)
    cfg = read_config(course)
    (tmp_path / "prep").mkdir()
    template = prepare_gradebook(course, ASSIGNMENT, cfg["db_url"], cfg["course_id"], tmp_path / "prep")
    definition = AssignmentDef.from_course(course, ASSIGNMENT, template, Limits(cell_timeout=TIMEOUT), feedback=False)
    ro, links = jail_view()
    msg = {"definition": to_json(definition), "sandbox": to_json(Sandbox(False, tuple(ro), links)),
           "scratch": str(tmp_path / "scratch"),
           "jobs": [to_json(GradeJob("sam", folder=str(course / "submitted" / "sam" / ASSIGNMENT), uid=None))]}
    run = subprocess.run([sys.executable, "-c", UNIT_POOL], input=json.dumps(msg), capture_output=True, text=True,
                         timeout=600, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    result = from_json(StudentResult, json.loads(run.stdout.strip().splitlines()[-1])[1])
    assert len(handed) >= 2 and f"pre-started kernels used: {len(handed) - 1}\n" in run.stderr, run.stderr[-2000:]
    assert result.ok and result.score == result.max_score, result.error
    times = result.timings
    assert isinstance(times, StageTimes) and times.feedback == 0.0
    assert abs(times.total - result.seconds) < 0.01, (times, result.seconds)
    assert times.student_code >= 1.4 and times.kernel < times.student_code, times
    assert times.kernel > 0 and times.gradebook > 0 and times.check > 0 and times.other > 0, times
