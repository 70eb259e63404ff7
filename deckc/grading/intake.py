"""``deckc grade --from-zip EXPORT.zip``: an LMS export into ``submitted/<student>/<assignment>/``.

One notebook per student and per assignment notebook, the student id in the path or file name,
as nbgrader's zip_collect expects. Accepted entry names (any leading folders are ignored unless
they name the student, ``\\`` counts as ``/``):

======================================  ===========================================
``alice_rnn_step.ipynb``                student ``alice``, notebook ``rnn_step``
``alice-rnn_step.ipynb``                the same, with a dash
``alice/rnn_step.ipynb``                a folder per student
``alice/<assignment>/rnn_step.ipynb``   nbgrader's own submitted/ layout
======================================  ===========================================

The notebook part must be one of the assignment's notebooks (``source/<assignment>/*.ipynb``),
matched tolerantly (``alice/Attention.ipynb``, ``alice_rnn_step (1).ipynb``: see matching.py);
with underscores in both names the longest notebook name wins (``bob_smith_rnn_step.ipynb`` is
student ``bob_smith``). A student id is 1-128 characters of letters, digits and ``. _ @ -``, not
starting with a dot. Rejected, with the reason, and never written: absolute paths, ``..``
components, drive letters, symlinks, entries over 50 MB, unknown notebooks, bad student ids,
a second copy of the same student's notebook. Other files (no ``.ipynb``) are ignored.
A notebook that was already in submitted/ is replaced.

LMS downloads are recognised by their own names (any leading folders ignored):

=====================================================================  ==================================
``smithjohn_12345_67890_rnn_step.ipynb``                               Canvas: user 12345, submission file
``smithjohn_late_12345_67890_rnn_step-1.ipynb``                        67890; ``late`` marked; ``-1`` is
                                                                       Canvas's resubmission suffix
``John Smith_4242_assignsubmission_file_rnn_step.ipynb``               Moodle, flat: participant 4242
``John Smith_4242_assignsubmission_file_/rnn_step.ipynb``              Moodle, a folder per student
=====================================================================  ==================================

With a roster (roster.py) the LMS's user id (Canvas; ``lms_user_id``) or the student's name
(Moodle's files carry only the name and a per-assignment participant id) gives the student id,
a Moodle team submission or a Canvas group submission (named after the group, under one member's
user id) goes to every member of the roster ``group`` it is named after, and a
student not in the roster is rejected, never guessed. Without one, the student id is the
Canvas name (``smithjohn``) or the slugged Moodle name (``john_smith``). The LMS ids and ``late``
marks go to ``COURSE/lms/<assignment>.csv`` (the grade exports read them back), and each LMS
entry's time in the zip (in the LMS server's time zone: ``--lms-timezone``) becomes nbgrader's
``timestamp.txt``, so late penalties work - unless the times of different students' files are
all within two minutes of each other (or there is one student): then they are the time the zip
was made, and no timestamp is set (a note says so) rather than every submission made late.
"""
from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from ..nbgrader import layout

STUDENT = re.compile(r"^[A-Za-z0-9@_-][A-Za-z0-9._@-]{0,127}$")
MAX_ENTRY = 50 * 1024 * 1024
# Canvas (lib/content_zipper.rb, ContentZipper#get_filename and #add_upload_submission):
# "<sortable name>[_LATE]_<user id>_<attachment id>_<file>", where the name is the lowercased
# "Last, First" with every non-word character removed (Unicode letters kept: "müllerjosé") and no
# "_<digits>_" left in it; under anonymous grading there is no name and the id is
# "anon_<anonymous id>". Online text and URL entries end in _text.html / _link.html (ignored).
# A group assignment graded as a group (Assignment#representatives) is downloaded once per group:
# the name is the group's ("Group A" -> "groupa"), the user id one member's. With a roster whose
# `group` column names it, every member gets the notebooks (LMS row "canvas-group"); without one
# it is graded as the one student the name or id says, and the summary says it may be a group's.
CANVAS = re.compile(r"^(?:(?P<name>\w+?)_)??(?:(?P<late>LATE|late)_)?(?P<user>\d+|anon_[A-Za-z0-9]+)_"
                    r"(?P<sub>\d+)_(?P<file>.+)$")
# Moodle (mod/assign/classes/downloader.php, get_student_prefix and load_submissionplugin_filelist):
# "<Full Name>_<participant id>_assignsubmission_file_<file>" flat, or the folder
# "<Full Name>_<participant id>_assignsubmission_file/<file>" ("..._file_/" before Moodle 4.1),
# underscores of the name turned into spaces; blind marking writes "Participant" for the name;
# team submissions "<group name>_<group id>" (one per group): with a roster whose `group` column
# names that group, each member gets the group's notebooks (their LMS row says "moodle-group", as
# the group id is no participant id); otherwise it is no student and rejected.
# Online text is "..._assignsubmission_onlinetext_onlinetext.html" (ignored).
MOODLE_FILE = re.compile(r"^(?P<name>.+?)_(?P<user>\d+)_assignsubmission_file_(?P<file>.+)$")
MOODLE_FOLDER = re.compile(r"^(?P<name>.+?)_(?P<user>\d+)_assignsubmission_file_?$")
BLIND_NAME = "Participant"   # Moodle's get_string('participant', 'mod_assign') in English
SAME_TIME = 120   # seconds: file times closer than this across students are the zip's own
LMS_FIELDS = ["student", "lms", "lms_id", "submission_id", "lms_name", "late", "timestamp"]


@dataclass
class LmsEntry:
    """What an LMS's file name says about its student."""
    lms: str                    # "canvas" | "moodle"
    name: str                   # Canvas: sortable name, lowercase; Moodle: the full name
    lms_id: str                 # Canvas user id; Moodle participant id (per assignment)
    filename: str               # the student's own file name
    submission_id: str = ""
    late: bool = False
    timestamp: str = ""         # UTC, nbgrader's timestamp.txt format; "" if the zip has none


@dataclass
class Intake:
    added: list = field(default_factory=list)       # (student, notebook)
    rejected: list = field(default_factory=list)    # (entry name, reason)
    ignored: list = field(default_factory=list)     # entry names
    lms: dict = field(default_factory=dict)         # student -> LmsEntry (LMS downloads only)
    notes: list = field(default_factory=list)       # what the grader should know (no timestamps...)

    @property
    def late(self) -> list[str]:
        return sorted(s for s, e in self.lms.items() if e.late)

    @property
    def students(self) -> list[str]:
        return sorted({s for s, _ in self.added})


def _split(name: str):
    """Entry name -> path parts, or None if it could escape the destination."""
    name = name.replace("\\", "/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return None
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if any(p == ".." or ":" in p for p in parts):
        return None
    return parts


def identify(parts: list[str], notebooks: set[str], assignment: str):
    """(student, notebook) for an entry's path parts, or (None, reason). Notebook names are
    matched as matching.py does (case, copy marks like `` (1)`` or ``-1``)."""
    from .matching import match_name, variants

    filename = parts[-1]
    stem = filename[:-len(".ipynb")]
    nb, _level = match_name(filename, notebooks)
    if nb is not None and len(parts) >= 2:
        owner = parts[-2]
        if owner == assignment and len(parts) >= 3:
            owner = parts[-3]
        return owner, nb
    for variant in [stem] + [v for _, v in variants(stem)]:
        for nb in sorted(notebooks, key=len, reverse=True):
            for sep in ("_", "-"):
                suffix = f"{sep}{nb}"
                if variant.lower().endswith(suffix.lower()) and len(variant) > len(suffix):
                    return variant[:-len(suffix)], nb
    return None, f"no notebook of the assignment ({', '.join(sorted(notebooks))}) in the name"


def lms_entry(parts: list[str]) -> LmsEntry | None:
    """The Canvas or Moodle reading of an entry's path, or None if it is neither."""
    filename = parts[-1]
    m = CANVAS.match(filename)
    if m:
        return LmsEntry("canvas", m["name"] or "", m["user"], m["file"], m["sub"], bool(m["late"]))
    m = MOODLE_FILE.match(filename)
    if m:
        return LmsEntry("moodle", m["name"].strip(), m["user"], m["file"])
    for folder in reversed(parts[:-1]):
        m = MOODLE_FOLDER.match(folder)
        if m:
            return LmsEntry("moodle", m["name"].strip(), m["user"], filename)
    return None


def entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's name as its writer meant it. A zip entry without the UTF-8 flag (bit 11) is
    cp437 by the zip spec, and Python reads it so; but Canvas's rubyzip (unicode_names off) and
    other tools write UTF-8 bytes without the flag: "müllerjosé" would read "m├╝llerjos├⌐".
    Such a name is read as UTF-8 when its bytes are valid UTF-8 (cp437 text rarely is)."""
    name = info.filename
    if info.flag_bits & 0x800 or name.isascii():
        return name
    try:
        return name.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return name


def _lms_notebook(filename: str, notebooks: set[str]) -> str | None:
    """The assignment's notebook an LMS file is (matching.py: Canvas's rnn_step-1.ipynb, a
    student's "RNN_Step (1).ipynb" ...), or None."""
    from .matching import match_name

    return match_name(filename, notebooks)[0]


def _lms_students(entry: LmsEntry, roster, owners: dict):
    """([student ids], None, team) or ([], reason, False) for an LMS entry: one student, or
    (team=True) the members of the roster group a Moodle team submission is named after."""
    from .roster import slug

    what = f"{entry.lms.capitalize()} {'user' if entry.lms == 'canvas' else 'participant'} {entry.lms_id} " \
           f"({entry.name})"
    if roster is not None:
        found = roster.by_lms_id(entry.lms_id) or roster.by_name(entry.name)
        team = roster.members(entry.name) if entry.name else []
        if team and entry.lms == "canvas" and roster.by_lms_id(entry.lms_id) is not None:
            member = roster.by_lms_id(entry.lms_id)
            if member not in team:
                return [], f"{what}: the file is named after roster group {team[0].group!r}, but user " \
                           f"{entry.lms_id} is {member.id}, and {member.id} is not in roster group " \
                           f"{team[0].group!r} (fix the roster's group column)", False
            return [m.id for m in team], None, True                         # Canvas: one member's id
        if team and (found is None or entry.lms == "canvas"):
            return [m.id for m in team], None, True    # a team submission
        if found is None:
            return [], f"{what} is not in the roster (no lms_user_id {entry.lms_id}, no one student of that " \
                       "name, no group of that name)", False
        student = found.id
    elif entry.lms_id.startswith("anon_") or (entry.lms == "moodle" and entry.name == BLIND_NAME):
        student = slug(entry.lms_id if entry.lms == "canvas" else f"participant_{entry.lms_id}")   # anonymous
    else:
        student = slug(entry.name)
        if not student:
            return [], f"{what}: no usable student id in the name; give --roster", False
    other = owners.setdefault(student, (entry.lms, entry.lms_id))
    if other != (entry.lms, entry.lms_id):
        return [], f"{what} and {other[0]} id {other[1]} would both be student {student!r}; give --roster", False
    return [student], None, False


def _group_note(report: Intake, entry: LmsEntry, students: list[str], team: bool, roster) -> None:
    """What the summary says of a Canvas entry that is, or may be, a group's (once per name)."""
    from .roster import name_key

    if entry.lms != "canvas" or not entry.name:
        return
    if team:
        note = (f"Canvas group submission {entry.name!r} (user {entry.lms_id}) given to every member of its "
                f"roster group: {', '.join(students)}")
    elif roster is None:
        return          # one note for the whole download (from_zip)
    else:
        who = roster.by_id[students[0]]
        if not who.full_name or name_key(entry.name) in {name_key(who.full_name),
                                                         name_key(f"{who.last_name}{who.first_name}")}:
            return
        note = (f"Canvas user {entry.lms_id} is {who.id} ({who.full_name}), but the file is named {entry.name!r}: "
                "it may be a group's (Canvas names a group's submission after the group); only "
                f"{who.id} is graded: give the roster a group column naming {entry.name!r} to grade every member")
    if note not in report.notes:
        report.notes.append(note)


def _zip_time(info: zipfile.ZipInfo, tz) -> str:
    """The entry's time in the zip, as nbgrader's timestamp.txt in UTC; "" if the zip has none."""
    if info.date_time[0] <= 1980:
        return ""
    local = datetime(*info.date_time, tzinfo=tz)
    return local.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def from_zip(zip_path: Path, course: Path, assignment: str, notebooks: set[str], roster=None,
             lms_timezone: str = "UTC") -> Intake:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(lms_timezone)
    report = Intake()
    seen = set()
    owners: dict = {}
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            name = entry_name(info)
            if info.is_dir():
                continue
            parts = _split(name)
            if parts is None or not parts:
                report.rejected.append((name, "path traversal (absolute path, '..' or drive)"))
                continue
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                report.rejected.append((name, "symbolic link"))
                continue
            if not parts[-1].endswith(".ipynb"):
                report.ignored.append(name)
                continue
            if parts[-1].startswith(".") or "__MACOSX" in parts:
                report.ignored.append(name)
                continue
            entry = lms_entry(parts)
            if entry is not None:
                notebook = _lms_notebook(entry.filename, notebooks)
                if notebook is None:
                    report.rejected.append((name, f"{entry.filename!r} is no notebook of the assignment "
                                                  f"({', '.join(sorted(notebooks))})"))
                    continue
                students, why, team = _lms_students(entry, roster, owners)
                if not students:
                    report.rejected.append((name, why))
                    continue
                _group_note(report, entry, students, team, roster)
                entry.timestamp = _zip_time(info, tz)
            else:
                student, notebook = identify(parts, notebooks, assignment)
                if student is None:
                    report.rejected.append((name, notebook))
                    continue
                students, team = [student], False
            if info.file_size > MAX_ENTRY:
                report.rejected.append((name, f"larger than {MAX_ENTRY // (1024 * 1024)} MB"))
                continue
            for student in students:
                why = _put(zf, info, course, assignment, student, notebook, seen)
                if why:
                    report.rejected.append((name, why))
                    continue
                report.added.append((student, notebook))
                if entry is not None:
                    mine = LmsEntry(f"{entry.lms}-group", entry.name, entry.lms_id, entry.filename,
                                    entry.submission_id, entry.late, entry.timestamp) if team else entry
                    kept = report.lms.get(student)
                    if kept is not None:
                        mine.late = mine.late or kept.late
                        mine.timestamp = max(mine.timestamp, kept.timestamp)
                    report.lms[student] = mine
    times = sorted(e.timestamp for e in report.lms.values() if e.timestamp)
    if times and (len(times) < 2 or _seconds_between(times[0], times[-1]) < SAME_TIME):
        # One time for everyone is when the zip was made, not when each student submitted: a
        # download time would make every submission late. Set none, and say so.
        report.notes.append(f"the zip's file times ({times[0]}) are all within {SAME_TIME} s of each other: "
                            "the time of the download, not of the submissions; no timestamps set")
        for e in report.lms.values():
            e.timestamp = ""
    named = sorted({s for s, e in report.lms.items() if e.lms == "canvas" and e.name})
    if roster is None and named:
        report.notes.append(
            "Canvas downloads a group assignment once per group, named after the group under one member's user "
            f"id: each submission may be a group's, graded here as the one student its name says ({', '.join(named[:5])}"
            f"{', ...' if len(named) > 5 else ''}); if this is a group assignment, give --roster with a group column "
            "naming the groups, so every member is graded")
    for student, entry in report.lms.items():
        if entry.timestamp:
            (layout.submitted_dir(course, student, assignment) / "timestamp.txt").write_text(
                entry.timestamp + "\n", encoding="utf-8")
    if report.lms:
        save_lms_ids(course, assignment, report.lms)
    return report


def _put(zf, info, course: Path, assignment: str, student: str, notebook: str, seen: set) -> str | None:
    """Write one entry as submitted/<student>/<assignment>/<notebook>.ipynb; why not, or None."""
    if not STUDENT.match(student) or student in (".", ".."):
        return f"bad student id {student!r}"
    if (student, notebook) in seen:
        return f"a second {notebook}.ipynb for {student}"
    seen.add((student, notebook))
    dest_dir = layout.submitted_dir(course, student, assignment)
    dest = dest_dir / f"{notebook}.ipynb"
    if not dest.resolve().is_relative_to(layout.submitted_root(course).resolve()):
        return "path traversal"
    data = zf.read(info)
    if len(data) > MAX_ENTRY:
        return "larger than its header said"
    dest_dir.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".ipynb.part")
    tmp.write_bytes(data)
    tmp.replace(dest)
    return None


def _seconds_between(a: str, b: str) -> float:
    fmt = "%Y-%m-%d %H:%M:%S.%f UTC"
    return abs((datetime.strptime(b, fmt) - datetime.strptime(a, fmt)).total_seconds())


def lms_ids_path(course: Path, assignment: str) -> Path:
    return Path(course) / "lms" / f"{assignment}.csv"


def load_lms_ids(course: Path, assignment: str) -> dict[str, dict]:
    """{student: row} of COURSE/lms/<assignment>.csv ({} if there is none)."""
    import csv

    path = lms_ids_path(course, assignment)
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def save_lms_ids(course: Path, assignment: str, entries: dict) -> None:
    """Merge this intake's LMS ids into COURSE/lms/<assignment>.csv (one row per student)."""
    from .csv_reports import write_csv

    rows = load_lms_ids(course, assignment)
    for student, e in entries.items():
        rows[student] = {"student": student, "lms": e.lms, "lms_id": e.lms_id, "submission_id": e.submission_id,
                         "lms_name": e.name, "late": "yes" if e.late else "", "timestamp": e.timestamp}
    write_csv(lms_ids_path(course, assignment), LMS_FIELDS, [rows[s] for s in sorted(rows)])
