"""The class list: ``deckc grade --roster students.csv`` (and ``deckc grades export --roster``).

One row per student, a header row naming the columns (any order, case and spaces ignored):

=====================  ===========================================================
``id``                 the nbgrader student id (required; the folder name in submitted/)
``first_name``         also ``first name``, ``given name``
``last_name``          also ``last name``, ``surname``, ``family name``
``email``              also ``email address``
``lms_user_id``        also ``lms_id``, ``canvas_id``: the LMS's numeric user id (Canvas's ``ID``)
``sis_user_id``        Canvas's ``SIS User ID`` / Moodle's ``idnumber``
``sis_login_id``       Canvas's ``SIS Login ID`` / Moodle's ``username``
``section``            Canvas's ``Section``
``group``              also ``team``: the Moodle group of a team submission (its members
                       each get the group's notebooks: see intake.py)
=====================  ===========================================================

It is a superset of what nbgrader's ``nbgrader db student import`` reads (id, first_name,
last_name, email, lms_user_id), so the same file works there. Intake uses it to map an LMS
export's ids and names to student ids; grading writes its students into the gradebook; the grade
exports take the LMS's ids from it.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

ALIASES = {
    "id": "id", "student": "id", "student_id": "id", "username": "id",
    "first_name": "first_name", "firstname": "first_name", "given_name": "first_name",
    "last_name": "last_name", "lastname": "last_name", "surname": "last_name", "family_name": "last_name",
    "email": "email", "email_address": "email", "e_mail": "email",
    "lms_user_id": "lms_user_id", "lms_id": "lms_user_id", "canvas_id": "lms_user_id",
    "sis_user_id": "sis_user_id", "idnumber": "sis_user_id", "id_number": "sis_user_id",
    "sis_login_id": "sis_login_id", "login_id": "sis_login_id",
    "section": "section",
    "group": "group", "team": "group", "group_name": "group",
}
STUDENT_ID = re.compile(r"^[A-Za-z0-9@_-][A-Za-z0-9._@-]{0,127}$")


class RosterError(ValueError):
    """The roster file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Student:
    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_user_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    group: str = ""

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


def name_key(name: str) -> str:
    """A name compared as LMSs write it: accents, case, punctuation and spaces ignored."""
    text = unicodedata.normalize("NFKD", name)
    return "".join(c for c in text.casefold() if c.isalnum())


def slug(name: str) -> str:
    """A student id made from a name (no roster): "Ana María López" -> "ana_maria_lopez"."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")[:128]


class Roster:
    def __init__(self, students: list[Student]):
        self.students = students
        self.by_id = {s.id: s for s in students}
        self._lms = {s.lms_user_id: s for s in students if s.lms_user_id}
        names: dict[str, list[Student]] = {}
        for s in students:
            for key in {name_key(s.full_name), name_key(f"{s.last_name}{s.first_name}")}:
                if key:
                    names.setdefault(key, []).append(s)
        self._names = names

    def members(self, group: str) -> list[Student]:
        """The students of a group (its name compared as names are: accents, case, spaces ignored)."""
        key = name_key(group)
        return [s for s in self.students if key and name_key(s.group) == key]

    def by_lms_id(self, lms_id: str) -> Student | None:
        return self._lms.get(str(lms_id))

    def by_name(self, name: str) -> Student | None:
        """The one student with this name (either order), or None (no one, or two of them)."""
        found = {s.id: s for s in self._names.get(name_key(name), [])}
        return next(iter(found.values())) if len(found) == 1 else None


def load(path: Path) -> Roster:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise RosterError(f"{path}: cannot read the roster ({e})") from None
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if not header:
        raise RosterError(f"{path}: empty; expected a header row with at least an 'id' column")
    columns = [ALIASES.get(re.sub(r"[^a-z0-9]+", "_", h.strip().lower()).strip("_")) for h in header]
    if "id" not in columns:
        raise RosterError(f"{path}:1: no 'id' column (the nbgrader student id); columns: {', '.join(header)}")
    students, seen, lms_seen = [], set(), {}
    for line, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        values = {col: row[i].strip() for i, col in enumerate(columns) if col and i < len(row)}
        sid = values.get("id", "")
        if not STUDENT_ID.match(sid):
            raise RosterError(f"{path}:{line}: id {sid!r} is not a student id (1-128 letters, digits, . _ @ -)")
        if sid in seen:
            raise RosterError(f"{path}:{line}: student {sid!r} appears twice")
        lms = values.get("lms_user_id", "")
        if lms and lms in lms_seen:
            raise RosterError(f"{path}:{line}: lms_user_id {lms} is also {lms_seen[lms]!r}'s")
        seen.add(sid)
        if lms:
            lms_seen[lms] = sid
        students.append(Student(**values))
    return Roster(students)


def import_students(gradebook, roster: Roster) -> int:
    """Create or update every roster student in an open nbgrader Gradebook; returns how many."""
    for s in roster.students:
        gradebook.update_or_create_student(s.id, first_name=s.first_name or None, last_name=s.last_name or None,
                                           email=s.email or None, lms_user_id=s.lms_user_id or None)
    return len(roster.students)
