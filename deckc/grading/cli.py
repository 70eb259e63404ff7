"""``deckc grade``: the Click command. Cheap to import (nbgrader loads only when it runs).

Register it with ``cli.add_command(grade)`` in deckc/cli.py.
"""
from __future__ import annotations

from pathlib import Path

import click


def require_grade_extra(command: str) -> None:
    """Exit 2 with the install command if nbgrader (the `grade` extra) is missing."""
    from ..nbgrader.installed import missing_grade_modules

    missing = missing_grade_modules()
    if missing:
        click.echo(f"Error: {command} needs nbgrader and its stack ({', '.join(missing)} not installed): "
                   "pip install 'deckc[grade]'", err=True)
        raise click.exceptions.Exit(2)


@click.command("grade")
@click.argument("course", type=click.Path(path_type=Path, file_okay=False), default=Path("."), required=False)
@click.option("-a", "--assignment", help="Grade only this assignment (default: every assignment of "
              "COURSE/source/ that has submissions, one after another in this run).")
@click.option("-j", "--jobs", type=click.IntRange(0, 256), default=0,
              help="Parallel grading workers (default 0: one per core).")
@click.option("-t", "--timeout", type=click.FloatRange(1, 3600), default=None,
              help="Seconds per cell (default: the course's nbgrader config, else 30).")
@click.option("--notebook-timeout", type=click.FloatRange(5, 86400), default=None,
              help="Seconds per notebook, fixed before grading (default: timeout x (code cells of "
                   "the source notebook + 2) + 30; cells a student adds do not raise it).")
@click.option("-m", "--memory", "memory_mb", type=click.IntRange(128, 1 << 20), default=2048, show_default=True,
              help="Address-space cap per student process, in MB (RLIMIT_AS).")
@click.option("--db", help="Gradebook URL, e.g. postgresql://user:pw@host/db "
                           "(default: the course's nbgrader db_url, else COURSE/gradebook.db).")
@click.option("-s", "--student", "students", multiple=True, help="Grade only this student (repeatable).")
@click.option("--from-zip", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="First take an LMS export of one assignment into COURSE/submitted/: Canvas's submission "
                   "download (smithjohn_LATE_12345_67890_rnn_step.ipynb, anon_Xk3p9_... when anonymous), "
                   "Moodle's (John Smith_4242_assignsubmission_file/rnn_step.ipynb, flat or a folder per "
                   "student; team submissions go to the roster's group), or entries named like "
                   "alice_rnn_step.ipynb, alice/rnn_step.ipynb, alice/<assignment>/rnn_step.ipynb; "
                   "unsafe paths are rejected.")
@click.option("--roster", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="students.csv (id, first_name, last_name, email, lms_user_id, ...; what `nbgrader db "
                   "student import` reads): maps the LMS's ids and names of --from-zip to student ids, "
                   "and its students are written into the gradebook. A `group` column names each "
                   "student's group: a Canvas group submission (named after the group, one member's "
                   "id) or a Moodle team submission then goes to every member, each graded.")
@click.option("--lms-timezone", default="UTC", show_default=True,
              help="The LMS server's time zone (e.g. Europe/Berlin): the times in a Canvas or Moodle "
                   "download, which become nbgrader's submission timestamps (late penalties).")
@click.option("--feedback/--no-feedback", default=True, show_default=True,
              help="Write sanitised HTML feedback to COURSE/feedback/.")
@click.option("--verify/--no-verify", default=True, show_default=True,
              help="Re-check every deckc test outside the student's kernel (authoritative scores).")
@click.option("--isolation", type=click.Choice(["auto", "namespace", "none"]), default="auto", show_default=True,
              help="namespace: as root, no network, private PID namespace, read-only file view, "
                   "unprivileged uid for student code. auto: namespace when possible.")
@click.option("--preflight/--no-preflight", default=True, show_default=True,
              help="First grade the reference solution (COURSE/source/) in the same jail and workers; "
                   "anything but full marks stops the run (exit 1) before any student is graded, "
                   "with the cause (e.g. a Python the jail cannot see).")
@click.option("--cluster", metavar="local:N|ADDRESS",
              help="Grade on a Dask cluster instead of local workers: local:N starts N worker processes "
                   "here; tcp://scheduler:8786 uses a running cluster (deckc installed on its workers). "
                   "Same jail and scores; this process alone writes the gradebook. Needs deckc[cluster].")
@click.option("--resume", is_flag=True,
              help="Grade only the students not graded yet (no grade in the gradebook or no rows in "
                   "tests.csv): after a run that stopped early.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def grade(course, assignment, jobs, timeout, notebook_timeout, memory_mb, db, students, from_zip, roster,
          lms_timezone, feedback, verify, isolation, preflight, cluster, resume, quiet):
    """Autograde every submission in COURSE/submitted/ (default COURSE: the current folder).

    \b
    COURSE is the module's course, OUT/course/ of `deckc build` (or any nbgrader course
    folder); every assignment with submissions is graded in this one run (one lock, one
    summary per assignment), or only the one of -a.

    \b
    Each of N workers grades one student at a time with nbgrader's own autograde, in a
    private scratch copy of the course; the main process merges every result into the
    gradebook (SQLite or PostgreSQL), so parallel grading gives the same grades as serial
    `nbgrader autograde`. Every deckc test is then re-checked outside the student's kernel
    and that verdict is the score: rebinding numpy, rigged __eq__, edited tests or fake
    files gain nothing. Student code runs with per-cell and per-notebook time limits, a
    memory cap, a process cap and, as root, no network and no view of the course; every
    kernel and checker gets fresh IPC/UTS/mount/PID namespaces, keyring, /dev/shm and /tmp,
    and every submission its own uid. It works from any Python (venv under /tmp, pyenv
    under a 0700 /root, Debian's python3): the jail binds what this Python needs.

    \b
    First the reference solution (COURSE/source/) is graded in the same jail (preflight):
    less than full marks stops the run with the cause. A submission that cannot be graded
    for a reason not the student's (its kernel never started) is NOT GRADED: nothing is
    written over an earlier grade, and the exit code is 1; so is one whose only notebooks
    were refused (empty or cut-off files). A submission with no notebook of the assignment
    (and none refused) is an empty submission: graded 0, as nbgrader grades missing
    notebooks, and listed. One run per course at a time
    (a lock); Ctrl-C / SIGTERM stop it cleanly ("Interrupted.", exit 130 / 143), keeping
    whole students only; nothing it started outlives it.

    \b
    Exit codes: 0 all graded, 1 some not graded / preflight failed / course busy,
    2 usage errors, 130 / 143 interrupted.

    \b
    Environment (speed switches, for measuring; grades are the same either way):
      DECKC_GRADE_FORKSERVER=0  kernels exec'd, not forked from the worker's zygote
      DECKC_GRADE_PRESTART=0    no next kernel started while a notebook runs
      DECKC_GRADE_TIMINGS=1     each submission's seconds by stage and its CPU, on stderr

    \b
    Writes, in COURSE:
      gradebook.db (or --db)             grades, as `nbgrader autograde` would
      autograded/<student>/<assignment>/ the executed notebooks
      feedback/<student>/<assignment>/   HTML feedback without hidden tests or reference values
      reports/<assignment>/grades.csv    nbgrader's export, one row per student
      reports/<assignment>/tests.csv     one row per student x notebook x test cell
      reports/<assignment>/pass_rates.csv per test: pass rate, the most common failure messages
      reports/<assignment>/items.html    item analysis: pass rates and score histogram as charts
      reports/<assignment>/scores.csv    the score histogram
      lms/<assignment>.csv               LMS ids and late marks of a --from-zip export
      reports/<assignment>/grading.log   the workers' logs

    \b
    Examples:
      deckc grade build/course                    # every assignment of the module
      deckc grade build/course -a the-sequence-problem
      deckc grade course --jobs 4 --timeout 20 --memory 1024
      deckc grade course --from-zip moodle-export.zip --roster students.csv --lms-timezone Europe/Berlin
      deckc grade course --db postgresql://grader:secret@127.0.0.1/course -s alice
      deckc grade course --cluster local:4
      deckc grade course --cluster tcp://scheduler:8786 --db postgresql://grader@db/course --resume
    """
    require_grade_extra("deckc grade")
    if cluster:
        from .cluster import check_spec, missing_extra
        if missing_extra():
            click.echo(f"Error: {missing_extra()}", err=True)
            raise click.exceptions.Exit(2)
    from .course_run import format_course, grade_course
    from .run import GradeError, GradeFailure, Options

    opts = Options(course=course, assignment=assignment, jobs=jobs, timeout=timeout,
                   notebook_timeout=notebook_timeout, memory_mb=memory_mb, db=db, students=tuple(students),
                   from_zip=from_zip, roster=roster, lms_timezone=lms_timezone, feedback=feedback, verify=verify,
                   isolation=isolation, quiet=quiet,
                   preflight=preflight, cluster=cluster, resume=resume)
    try:
        if cluster:
            check_spec(cluster)
        summary = grade_course(opts)
    except GradeError as e:
        raise click.UsageError(str(e)) from None
    except GradeFailure as e:
        raise click.ClickException(str(e)) from None
    click.echo(format_course(summary))
    if not summary.ok:
        raise click.exceptions.Exit(1)
