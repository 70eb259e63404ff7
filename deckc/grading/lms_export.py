"""``deckc grades export --to canvas|moodle|moodle-grades|csv``: the gradebook in the LMS's own import format.

One assignment, one row per student of the gradebook (those a roster brought in included; a
student without a submission gets an empty grade, which both LMSs read as "no change"):

- ``canvas``: Canvas's gradebook import (Grades > Import; app/models/gradebook_importer.rb: a header
  whose first cell holds "Student", the second "ID", the student columns ending in "Section",
  SIS User ID then SIS Login ID between; a first cell holding "Points Possible" marks that row;
  "<title> (<id>)" names an existing assignment; an empty grade or "-" is no change): the columns of Canvas's own export,
  ``Student`` ("Last, First"), ``ID`` (the Canvas user id), ``SIS User ID``, ``SIS Login ID``,
  ``Section``, then the assignment column, and the ``Points Possible`` row Canvas writes second.
  Canvas matches a row by ID, else SIS User ID, else SIS Login ID; the assignment column is
  ``<title> (<Canvas assignment id>)`` with ``--lms-assignment-id`` (updates that assignment),
  else ``<title>`` (Canvas offers to create a new assignment).
- ``moodle``: the assignment's offline grading worksheet (Assignment > Upload grading worksheet):
  ``Identifier`` ("Participant <id>", the id in the file names of Moodle's submission download,
  which ``--from-zip`` recorded), ``Full name``, ``Email address``, ``Status``, ``Grade``,
  ``Maximum Grade``, ``Grade can be changed``, ``Last modified (submission)``, ``Last modified
  (grade)``, ``Feedback comments``. Students without a participant id are listed and left out.
  Moodle's importer (mod/assign/feedback/offline/importgradeslib.php) needs exactly the headers
  ``Identifier``, ``Grade`` and ``Last modified (grade)``, strips "Participant " to get the id and
  reads the last one with PHP's strtotime; locallib.php then skips a row whose Moodle grade was
  changed more than 60 s after that time (unless the teacher ticks "allow updating records that
  have been modified more recently"). So that column says when deckc graded: the time of
  ``reports/<assignment>/tests.csv`` (written by every grading run), as ``YYYY-MM-DD HH:MM:SS UTC``.
- ``moodle-grades``: the gradebook's CSV import (Grades > Import > CSV file), mapped in Moodle
  by ``Email address`` or ``ID number``: ``First name``, ``Last name``, ``ID number``,
  ``Email address``, then the assignment column.
- ``csv``: everything deckc knows, one row per student: ids, names, score, maximum, lateness, and a
  ``note``: an empty submission (graded 0) or a student whose files were all refused (not graded,
  no grade; listed even without a gradebook row). Moodle's worksheet carries an empty submission's
  note as its feedback comment.

Ids come from the gradebook (first/last name, email, lms_user_id: a roster imported by ``deckc
grade --roster`` or ``nbgrader db student import``), then ``--roster`` (SIS ids, section), then
``COURSE/lms/<assignment>.csv`` (ids seen by ``--from-zip``). UTF-8, every cell formula-safe (csv_reports.py).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from .roster import Student

FORMATS = ("canvas", "moodle", "moodle-grades", "csv")
CANVAS_IDS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_WORKSHEET = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                    "Grade can be changed", "Last modified (submission)", "Last modified (grade)",
                    "Feedback comments"]
MOODLE_GRADES = ["First name", "Last name", "ID number", "Email address"]
PLAIN = ["student", "first_name", "last_name", "email", "lms_user_id", "sis_user_id", "section", "score",
         "max_score", "submitted", "timestamp", "late_seconds", "lms_late_mark", "note"]


@dataclass
class Row:
    """One student's line of an export: who they are (the roster's Student, merged with what the
    gradebook and the LMS download know) and their grade."""
    who: Student
    moodle_id: str = ""
    score: float | None = None
    timestamp: object = None           # datetime of the submission (nbgrader's), or None
    late_seconds: float = 0.0
    lms_late: bool = False
    note: str = ""                     # an empty submission (graded 0) or a refused file (not graded): why

    @property
    def student(self) -> str:
        return self.who.id


def _points(x: float | None) -> str:
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}"


def collect(gb, assignment: str, roster=None, lms_ids: dict | None = None) -> tuple[list[Row], float]:
    """(rows sorted by student id, the assignment's maximum score) from an open nbgrader Gradebook."""
    a = gb.find_assignment(assignment)
    rows = []
    for st in gb.students:
        who = Student(st.id, st.first_name or "", st.last_name or "", st.email or "", st.lms_user_id or "")
        extra = roster.by_id.get(st.id) if roster is not None else None
        if extra is not None:       # the gradebook's own values first, the roster fills the gaps
            who = replace(who, **{k: getattr(extra, k) for k in ("first_name", "last_name", "email", "lms_user_id",
                                                                  "sis_user_id", "sis_login_id", "section")
                                  if not getattr(who, k)})
        r = Row(who)
        seen = (lms_ids or {}).get(st.id)
        if seen:
            if seen.get("lms") == "canvas" and not who.lms_user_id:
                r.who = replace(who, lms_user_id=seen.get("lms_id", ""))
            if seen.get("lms") == "moodle":
                r.moodle_id = seen.get("lms_id", "")
            r.lms_late = seen.get("late") == "yes"
        try:
            sub = gb.find_submission(assignment, st.id)
        except Exception:  # noqa: BLE001 - nbgrader's MissingEntry: no submission
            sub = None
        if sub is not None:
            r.score, r.timestamp = float(sub.score or 0.0), sub.timestamp
            r.late_seconds = float(sub.total_seconds_late or 0.0)
        rows.append(r)
    return sorted(rows, key=lambda r: r.student), float(a.max_score or 0.0)


def _moodle_time(ts) -> str:
    # Moodle's worksheet writes userdate(): "Monday, 5 February 2024, 10:00 AM"; upload ignores it.
    return ts.strftime("%A, %-d %B %Y, %I:%M %p") if ts is not None else "-"


def _graded_time(ts) -> str:
    # "Last modified (grade)": read by strtotime(), so an unambiguous form it parses.
    return ts.strftime("%Y-%m-%d %H:%M:%S UTC") if ts is not None else "-"


def table(fmt: str, rows: list[Row], max_score: float, title: str, lms_assignment_id: str = "", graded_at=None):
    """(header, data rows, problems) of one export format. graded_at: when deckc graded (UTC
    datetime), the Moodle worksheet's "Last modified (grade)" of every graded row."""
    problems = []
    if fmt == "canvas":
        column = f"{title} ({lms_assignment_id})" if lms_assignment_id else title
        out = [["    Points Possible", "", "", "", "", _points(max_score)]]
        for r in rows:
            if not (r.who.lms_user_id or r.who.sis_user_id or r.who.sis_login_id):
                problems.append(f"{r.student}: no Canvas ID, SIS User ID or SIS Login ID; Canvas can match "
                                "the row by name only (give --roster with lms_user_id)")
            name = ", ".join(p for p in (r.who.last_name, r.who.first_name) if p) or r.student
            out.append([name, r.who.lms_user_id, r.who.sis_user_id, r.who.sis_login_id, r.who.section, _points(r.score)])
        return CANVAS_IDS + [column], out, problems
    if fmt == "moodle":
        out = []
        for r in rows:
            if not r.moodle_id:
                problems.append(f"{r.student}: no Moodle participant id (take the Moodle download in with "
                                "--from-zip first); left out")
                continue
            full = " ".join(p for p in (r.who.first_name, r.who.last_name) if p) or r.student
            status = "Submitted for grading" if r.score is not None else "No submission"
            out.append([f"Participant {r.moodle_id}", full, r.who.email, status, _points(r.score), _points(max_score),
                        "Yes", _moodle_time(r.timestamp), _graded_time(graded_at) if r.score is not None else "-",
                        r.note if r.score is not None else ""])
        return MOODLE_WORKSHEET, out, problems
    if fmt == "moodle-grades":
        out = []
        for r in rows:
            if not (r.who.email or r.who.sis_user_id):
                problems.append(f"{r.student}: no email or ID number; Moodle cannot map the row")
            out.append([r.who.first_name, r.who.last_name, r.who.sis_user_id, r.who.email, _points(r.score)])
        return MOODLE_GRADES + [title], out, problems
    out = [[r.student, r.who.first_name, r.who.last_name, r.who.email, r.who.lms_user_id, r.who.sis_user_id, r.who.section,
            _points(r.score), _points(max_score), "yes" if r.score is not None else "no",
            r.timestamp.isoformat() if r.timestamp is not None else "", _points(r.late_seconds),
            "yes" if r.lms_late else "", r.note] for r in rows]
    return PLAIN, out, problems


def grading_notes(reports: Path) -> dict[str, str]:
    """{student: why} from deckc grade's reports: an empty submission (graded 0; tests.csv says so)
    or handed-in files refused (a cut-off upload; not graded; submissions.csv)."""
    from .csv_reports import read_csv

    notes = {}
    for r in read_csv(reports / "tests.csv"):
        if r.get("result") == "not submitted" and r.get("message", "").startswith("empty submission:"):
            notes.setdefault(r["student"], r["message"])
    graded = {r.get("student") for r in read_csv(reports / "tests.csv")}
    for r in read_csv(reports / "submissions.csv"):
        if r.get("action") == "refused" and r.get("student") not in graded:
            why = f"{r.get('file')}: {r.get('note')}"
            notes[r["student"]] = f"{notes[r['student']]}; {why}" if r["student"] in notes else f"not graded: {why}"
    return notes


def write_table(path: Path, header: list[str], data: list[list]) -> None:
    """The rows as CSV, every text cell formula-safe (csv_reports); the grade columns are numbers."""
    from .csv_reports import write_csv

    numeric = {h for h in header if h not in CANVAS_IDS + MOODLE_WORKSHEET[:4] + MOODLE_GRADES + PLAIN[:7]}
    numeric |= {"Grade", "Maximum Grade", "score", "max_score", "late_seconds"}
    write_csv(Path(path), header, [dict(zip(header, row)) for row in data], numeric)


def export(course: Path, assignment: str, fmt: str, out: Path, *, db_url: str, course_id: str, roster=None,
           title: str | None = None, lms_assignment_id: str = "") -> tuple[Path, int, list[str]]:
    """Write the export; returns (path, rows written, problems)."""
    from ..nbgrader.gradebook import open_gradebook
    from .intake import load_lms_ids

    with open_gradebook(db_url, course_id) as gb:
        rows, max_score = collect(gb, assignment, roster, load_lms_ids(course, assignment))
    tests = Path(course) / "reports" / assignment / "tests.csv"
    graded_at = None
    if tests.is_file():
        from datetime import datetime, timezone
        graded_at = datetime.fromtimestamp(int(tests.stat().st_mtime), tz=timezone.utc)
    notes = grading_notes(Path(course) / "reports" / assignment)
    rows = [replace(r, note=notes[r.student]) if r.student in notes else r for r in rows]
    if fmt == "csv":     # everything deckc knows: also who handed in only refused files (not in the gradebook)
        known = {r.student for r in rows}
        rows = sorted(rows + [Row(Student(s), note=n) for s, n in notes.items() if s not in known],
                      key=lambda r: r.student)
    header, data, problems = table(fmt, rows, max_score, title or assignment, lms_assignment_id, graded_at)
    write_table(out, header, data)
    return out, len(data) - (1 if fmt == "canvas" else 0), problems
