"""`deckc grade` gives the right scores wherever Python lives, says so when it cannot, and keeps
students apart.

- Python in several places: a venv under /var/tmp, a venv inside a 0700 home folder, and a venv
  of Debian's /usr/bin/python3, each graded through the console script as root (the namespace
  jail): the reference earns 36/36, a wrong submission exactly its parts. The venvs borrow this
  environment's packages through a .pth file (installing the project into each would take
  minutes); the interpreter, its prefix and the folders around it are the venv's own. The
  suite itself runs from a venv under /tmp in .ci/run (this machine's python3 is pyenv's, under
  a 0700 /root), which the other grading tests cover. And as an ordinary user (`nobody`, no
  root, so isolation none) from a venv of Debian's python3.
- Preflight: a jail that cannot see the interpreter stops the run before anyone is graded,
  exit 1, naming the interpreter; a student who cannot be graded for such a reason keeps an
  earlier grade and the run exits 1 (through the console script: click's Exit used to be lost).
- No channel between students: a submission leaves SysV shared memory, keyring keys and files
  in /dev/shm and /tmp; the next one graded by the same worker finds none of them.
- A second `deckc grade` on the course while one runs is refused.
"""
from __future__ import annotations

import re

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import pytest

from grade_support import (ASSIGNMENT, NO_TANH, RNN_STEP, TIMEOUT, expected_parts, grade, new_course, observed,
                           require_namespace_isolation, scores, submit)

DECKC = [sys.executable, "-m", "deckc"]


def _console(*args, python=None, env=None, timeout=600):
    """`deckc ...` as a user runs it: a fresh process, the console script's exit code."""
    exe = [python, "-m", "deckc"] if python else DECKC
    return subprocess.run([*exe, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          env=env or dict(os.environ), cwd="/")


def _venv_borrowing_packages(where: Path, base_python: str) -> str:
    """A venv at `where` made by `base_python`, seeing this environment's packages via a .pth
    file (the interpreter, prefix and base prefix are the new venv's). Returns its python."""
    subprocess.run([base_python, "-m", "venv", "--without-pip", str(where)], check=True, capture_output=True)
    python = where / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    import deckc

    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
            str(Path(deckc.__file__).resolve().parents[1])}        # an editable install's checkout
    Path(purelib, "deckc-test-borrow.pth").write_text("\n".join(sorted(ours)) + "\n")
    return str(python)


def _debian_python() -> str:
    py = "/usr/bin/python3"
    if not os.path.exists(py):
        pytest.skip("no /usr/bin/python3")
    want = f"{sys.version_info.major}.{sys.version_info.minor}"
    got = subprocess.run([py, "-c", "import sys; print(f'{sys.version_info.major}.{sys.version_info.minor}')"],
                         capture_output=True, text=True).stdout.strip()
    if got != want or subprocess.run([py, "-c", "import venv, ensurepip"], capture_output=True).returncode:
        pytest.skip(f"/usr/bin/python3 is {got} (packages here are for {want}) or has no venv module")
    return py


@pytest.mark.slow
@pytest.mark.parametrize("place", ["var-tmp-venv", "0700-home-venv", "debian-venv"])
def test_right_scores_wherever_python_lives(tmp_path, place):
    require_namespace_isolation()
    holder = None
    if place == "var-tmp-venv":
        holder = Path(tempfile.mkdtemp(prefix="deckc-venv-", dir="/var/tmp"))
        python = _venv_borrowing_packages(holder / "venv", sys.executable)
    elif place == "0700-home-venv":
        holder = Path(tempfile.mkdtemp(prefix="deckc-home-"))
        home = holder / "home" / "lecturer"
        home.mkdir(parents=True)
        os.chmod(holder / "home", 0o700)
        os.chmod(home, 0o700)                       # the grading uid may not enter it
        python = _venv_borrowing_packages(home / ".venv", sys.executable)
    else:
        holder = Path(tempfile.mkdtemp(prefix="deckc-debian-"))
        python = _venv_borrowing_packages(holder / "venv", _debian_python())
    try:
        course = new_course(tmp_path / "course")
        handed = {"ann": submit(course, "ann", "reference"), "ben": submit(course, "ben", "no_tanh")}
        run = _console("grade", course, "--jobs", "2", "--timeout", TIMEOUT, "--no-feedback", "-q", python=python)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "isolation: namespace" in run.stdout and "preflight: the reference solution scored 36/36" in run.stdout
        got = scores(course)
        assert observed(got["ann"]) == expected_parts(handed["ann"], set())
        assert observed(got["ben"]) == expected_parts(handed["ben"], NO_TANH)
    finally:
        shutil.rmtree(holder, ignore_errors=True)


@pytest.mark.slow
def test_an_ordinary_user_grades_without_root(tmp_path):
    """As `nobody` (no root: isolation none), from a venv of Debian's python3 (pyenv's, under a
    0700 /root, is out of its reach): right scores, preflight passed."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root (to become another user) and util-linux setpriv")
    import deckc

    for path in (sysconfig.get_paths()["purelib"], str(Path(deckc.__file__).resolve().parent)):
        for folder in [Path(path), *Path(path).parents]:
            if not folder.stat().st_mode & 0o005:
                pytest.skip(f"{folder} is closed to other users: this environment's packages cannot be lent")
    holder = Path(tempfile.mkdtemp(prefix="deckc-user-"))
    try:
        os.chmod(holder, 0o755)
        python = _venv_borrowing_packages(holder / "venv", _debian_python())
        course = new_course(holder / "course")
        handed = {"ann": submit(course, "ann", "reference"), "ben": submit(course, "ben", "no_tanh")}
        (holder / "home").mkdir()
        for path in [holder / "home", *course.rglob("*"), course]:
            os.chown(path, 65534, 65534, follow_symlinks=False)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(holder / "home"),
               "TMPDIR": str(holder / "home"), "LANG": "C.UTF-8"}
        run = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", python, "-m", "deckc",
                              "grade", str(course), "--jobs", "2", "--timeout", str(TIMEOUT), "--no-feedback", "-q"],
                             capture_output=True, text=True, timeout=600, env=env, cwd=str(holder / "home"))
        assert run.returncode == 0, run.stdout + run.stderr
        assert "isolation: none" in run.stdout
        assert re.search(r"preflight: the reference solution scored (\d+)/\1 ", run.stdout), run.stdout
        got = scores(course)
        assert observed(got["ann"]) == expected_parts(handed["ann"], set())
        assert observed(got["ben"]) == expected_parts(handed["ben"], NO_TANH)
        assert [p.name for p in (holder / "home").iterdir() if p.name.startswith("deckc-grade-")] == []
    finally:
        shutil.rmtree(holder, ignore_errors=True)


def test_jail_view_holds_this_python_at_its_real_paths():
    from deckc.grading.sandbox import jail_view

    ro, links = jail_view()
    covered = lambda p: any(p == r or p.startswith(r.rstrip("/") + "/") for r in ro)  # noqa: E731
    for p in (sys.prefix, sys.base_prefix, sysconfig.get_paths()["purelib"], os.path.realpath(sys.executable)):
        assert covered(os.path.realpath(p)), (p, ro)
    assert not any(r.startswith(("/proc", "/dev")) for r in ro)
    assert all(covered(target) for path, target in links.items() if target.startswith("/"))
    own = str(Path(__file__).resolve().parents[1])          # the checkout holds the reference solutions
    assert not any(own == r or own.startswith(r.rstrip("/") + "/") for r in ro), ro


def _break_the_jail(monkeypatch):
    """A jail that sees /etc only: no interpreter, wherever it lives."""
    import deckc.grading.run as run

    monkeypatch.setattr(run, "jail_view", lambda: (["/etc"], {}))


def test_preflight_stops_a_broken_jail_and_names_the_cause(tmp_path, monkeypatch):
    require_namespace_isolation()
    course = new_course(tmp_path / "course")
    submit(course, "ann", "reference")
    _break_the_jail(monkeypatch)
    result = grade(course, "--jobs", "1", "--timeout", TIMEOUT, "--no-feedback", "-q")
    assert result.exit_code == 1, result.output
    assert "preflight failed" in result.output
    assert f"the jailed kernel cannot start: {sys.executable} is not visible inside the jail" in result.output
    assert scores(course) == {}                               # nobody was graded


def test_a_student_who_cannot_be_graded_keeps_the_earlier_grade(tmp_path, monkeypatch):
    require_namespace_isolation()
    course = new_course(tmp_path / "course")
    handed = submit(course, "ann", "reference")
    first = grade(course, "--jobs", "1", "--timeout", TIMEOUT, "--no-feedback", "-q")
    assert first.exit_code == 0, first.output
    assert observed(scores(course)["ann"]) == expected_parts(handed, set())
    _break_the_jail(monkeypatch)
    again = grade(course, "--jobs", "1", "--timeout", TIMEOUT, "--no-feedback", "-q", "--no-preflight")
    assert again.exit_code == 1, again.output
    assert "NOT GRADED: 1" in again.output and "the jailed kernel cannot start" in again.output
    assert observed(scores(course)["ann"]) == expected_parts(handed, set())      # no zero over the 36


def test_console_script_exit_code_when_a_submission_fails(tmp_path):
    """click's Exit(1) must reach the shell (main() runs click with standalone_mode=False)."""
    course = new_course(tmp_path / "course")
    submit(course, "ann", "reference")
    empty = course / "submitted" / "zed" / ASSIGNMENT
    empty.mkdir(parents=True)
    (empty / "rnn_step.ipynb").write_text("")     # a cut-off upload: not graded (an empty folder is graded 0)
    run = _console("grade", course, "--jobs", "1", "--timeout", TIMEOUT, "--no-feedback", "-q")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "NOT GRADED: 1" in run.stdout and "zed" in run.stdout
    assert "Traceback" not in run.stderr


def test_summary_lists_missing_and_unchanged_notebooks_and_reports_pass_rates(tmp_path):
    import csv

    course = new_course(tmp_path / "course")
    submit(course, "ann", "reference")
    submit(course, "ben", "no_tanh")                        # hands in rnn_step only
    release = course / "release" / ASSIGNMENT
    cat = course / "submitted" / "cat" / ASSIGNMENT
    cat.mkdir(parents=True)
    shutil.copy2(release / "attention.ipynb", cat / "attention.ipynb")     # opened, nothing done
    result = grade(course, "--jobs", "2", "--timeout", TIMEOUT, "--no-feedback", "-q")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "missing notebooks:" in out and "  ben: attention, quick_check" in out
    assert "unchanged from the release: 1 notebook(s) of 1 student(s)" in out and "  cat: attention" in out
    with open(course / "reports" / ASSIGNMENT / "pass_rates.csv", newline="") as f:
        rates = {(r["notebook"], r["test"]): r for r in csv.DictReader(f)}
    batch = rates[("rnn_step", "rnn_step_batch")]
    # ann passes, ben (no tanh) fails, cat did not hand rnn_step in
    assert (batch["passed"], batch["failed"], batch["not_submitted"], batch["pass_rate"]) == ("1", "1", "1", "0.500")
    shape = rates[("rnn_step", "rnn_step_shape")]
    assert shape["pass_rate"] == "1.000"


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the marks use x86_64 syscall numbers")
def test_no_channel_between_submissions_of_one_worker(tmp_path):
    require_namespace_isolation()
    course = new_course(tmp_path / "course")
    handed = {s: submit(course, s, k) for s, k in (("leaver", "leave_marks"), ("seeker", "seek_marks"))}
    result = grade(course, "--jobs", "1", "--timeout", TIMEOUT, "--no-feedback", "-q")   # one worker, in order
    assert result.exit_code == 0, result.output
    got = scores(course)
    # the leaver's full marks prove its five marks were made; the seeker's that none reached it
    assert observed(got["leaver"]) == expected_parts(handed["leaver"], set())
    assert observed(got["seeker"]) == expected_parts(handed["seeker"], set()), got["seeker"]["rnn_step"]
    assert RNN_STEP <= set(got["seeker"]["rnn_step"])


@pytest.mark.parametrize("isolation", ["none", "namespace"])
def test_what_a_student_starts_does_not_outlive_the_grading(tmp_path, isolation):
    if isolation == "namespace":
        require_namespace_isolation()

    def sleepers():
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if b"313.25" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    found.append(pid)
            except OSError:
                pass
        return found

    assert sleepers() == []
    course = new_course(tmp_path / "course")
    handed = submit(course, "dee", "daemon")
    result = grade(course, "--jobs", "1", "--timeout", TIMEOUT, "--no-feedback", "-q", "--isolation", isolation)
    assert result.exit_code == 0, result.output
    assert observed(scores(course)["dee"]) == expected_parts(handed, set())
    assert sleepers() == []


def test_a_second_run_on_the_course_is_refused(tmp_path):
    from deckc.grading.guard import course_lock

    course = new_course(tmp_path / "course")
    submit(course, "ann", "reference")
    with course_lock(course):                  # as a live `deckc grade` holds it
        t0 = time.monotonic()
        run = _console("grade", course, "--jobs", "1", "-q")
        assert run.returncode == 1, run.stdout + run.stderr
        assert "another `deckc grade` is grading" in run.stderr and time.monotonic() - t0 < 30
    assert scores(course) == {}
