"""Hostile students against the fork server (forkserver.py): real submissions through `deckc grade`.

Kernels and checking runners are forked from each worker's zygote; isolation must be the exec
path's. One `deckc grade --jobs 1` run (one worker, one zygote, students in order) over:

- peek_grader_env: looks for the grader's environment (a marker value this test puts there, as a
  database password would be) in os.environ, /proc, the frames it runs under, the GC and its own
  memory;
- poke_zygote: looks for the zygote's socket and connections, and for any process outside its jail;
- patch_preloaded then find_preloaded: the first rebinds numpy, IPython, ipykernel and the fork
  server's own modules in its forked kernel and runner, the second (next, same zygote) looks for it;
- a reference submission.

Each attacker answers wrong if its attack worked, so full marks everywhere means it held.
"""
from __future__ import annotations

import os
import secrets

import pytest

from grade_support import (TIMEOUT, expected_parts, grade, new_course, observed, require_namespace_isolation,
                           scores, submit)

pytestmark = pytest.mark.slow

STUDENTS = {"a_peek": "peek_grader_env", "b_poke": "poke_zygote", "c_patch": "patch_preloaded",
            "d_find": "find_preloaded", "e_ref": "reference"}


def _run(tmp_path_factory, forkserver: str) -> dict:
    course = new_course(tmp_path_factory.mktemp(f"forkattacks{forkserver}") / "course")
    handed = {s: submit(course, s, k) for s, k in STUDENTS.items()}
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
    assert runs["1"]["scores"] == runs["0"]["scores"]


@pytest.mark.parametrize("mode", ["1", "0"])
def test_the_attacks_ran_and_reached_nothing(runs, mode):
    """What the kernels printed: each attack ran to its end (the checking runner's side is in the
    scores: the runner ran the same cells and would have answered wrong)."""
    printed = {s: "".join(p.read_text(encoding="utf-8") for p in
                          (runs[mode]["course"] / "autograded" / s).rglob("rnn_step.ipynb")) for s in STUDENTS}
    assert "grader environment seen by student code: []" in printed["a_peek"]
    assert "reached: []" in printed["b_poke"]
    assert "patches seen: []" in printed["d_find"]
