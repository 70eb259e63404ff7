"""``deckc grades``: what happens to grades after grading (``deckc grades export``)."""
from __future__ import annotations

from pathlib import Path

import click

from .cli import require_grade_extra


@click.group("grades")
def grades():
    """The course's grades, for the LMS: `deckc grades export --to canvas|moodle|moodle-grades|csv`.

    \b
    Examples:
      deckc grades export build/course -a the-sequence-problem --to canvas --roster students.csv
      deckc grades export course --to moodle
    """


@grades.command("export")
@click.argument("course", type=click.Path(path_type=Path, file_okay=False, exists=True), default=Path("."),
                required=False)
@click.option("-a", "--assignment", help="Assignment (default: the only one in COURSE/source/).")
@click.option("--to", "fmt", type=click.Choice(["canvas", "moodle", "moodle-grades", "csv"]), required=True,
              help="canvas: Canvas's gradebook import. moodle: the assignment's grading worksheet "
                   "(needs Moodle participant ids from --from-zip). moodle-grades: Moodle's gradebook CSV "
                   "import (mapped by email or ID number). csv: everything deckc knows, with a "
                   "note column (empty submissions graded 0, refused uploads not graded).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Output file (default: COURSE/reports/<assignment>/<format>-grades.csv).")
@click.option("--roster", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="students.csv with the LMS's ids (lms_user_id, sis_user_id, sis_login_id, section).")
@click.option("--title", help="The assignment column's name (default: the assignment id).")
@click.option("--lms-assignment-id", default="", help="Canvas assignment id: the column becomes 'TITLE (ID)', "
                                                      "which updates that assignment instead of creating one.")
@click.option("--db", help="Gradebook URL (default: the course's nbgrader db_url, else COURSE/gradebook.db).")
def export_cmd(course, assignment, fmt, output, roster, title, lms_assignment_id, db):
    """Write the grades of one assignment in an LMS's own grade-import CSV.

    \b
    Examples:
      deckc grades export course --to canvas --roster students.csv --lms-assignment-id 4711
      deckc grades export course --to moodle      # after deckc grade --from-zip moodle.zip
      deckc grades export course --to moodle-grades --roster students.csv
    """
    require_grade_extra("deckc grades export")
    from . import roster as roster_mod
    from .lms_export import export
    from .run import GradeError, find_assignment, normalize_db_url, read_config

    try:
        assignment = find_assignment(course, assignment)
        ros = roster_mod.load(roster) if roster else None
    except (GradeError, roster_mod.RosterError) as e:
        raise click.UsageError(str(e)) from None
    cfg = read_config(course)
    out = output or course / "reports" / assignment / f"{fmt}-grades.csv"
    try:
        path, n, problems = export(course, assignment, fmt, out, db_url=normalize_db_url(db or cfg["db_url"]),
                                   course_id=cfg["course_id"], roster=ros, title=title,
                                   lms_assignment_id=lms_assignment_id)
    except Exception as e:  # noqa: BLE001 - nbgrader's MissingEntry / SQLAlchemy errors, said plainly
        raise click.ClickException(f"cannot read the grades of {assignment!r}: {str(e).splitlines()[0]}") from None
    for p in problems:
        click.echo(f"warning: {p}", err=True)
    if n == 0:      # an import file with no student in it: the grader must not upload it believing it done
        raise click.ClickException(
            f"wrote no student row of {assignment!r} as {fmt} ({path}): "
            + ("every student was left out, see the warnings above" if problems
               else f"no student of {assignment!r} is in the gradebook yet (run deckc grade first)"))
    click.echo(f"wrote {n} student row(s) of {assignment!r} as {fmt}: {path}")
