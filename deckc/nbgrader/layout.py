"""The nbgrader course folder: where nbgrader's CourseDirectory (default settings) keeps what.

    COURSE/nbgrader_config.py                 the course's config (config.py writes deckc's)
    COURSE/gradebook.db                       the SQLite gradebook (unless the config names a db_url)
    COURSE/source/<assignment>/               the instructor's notebooks
    COURSE/release/<assignment>/              what students get
    COURSE/submitted/<student>/<assignment>/  what they hand in
    COURSE/autograded/<student>/<assignment>/ autograde's notebooks
    COURSE/feedback/<student>/<assignment>/   generate_feedback's HTML
"""
from __future__ import annotations

from pathlib import Path

CONFIG_FILE = "nbgrader_config.py"
GRADEBOOK_FILE = "gradebook.db"
SOURCE, RELEASE, SUBMITTED, AUTOGRADED, FEEDBACK = "source", "release", "submitted", "autograded", "feedback"
DOWNLOADED = "downloaded"           # nbgrader's zip collect folder
DEFAULT_COURSE_ID = "default_course"
# What graders make in a course folder: a rebuild of the assignment must never lose it.
GRADER_STATE = (SUBMITTED, AUTOGRADED, FEEDBACK, DOWNLOADED, GRADEBOOK_FILE)


def config_path(course: Path) -> Path:
    return Path(course) / CONFIG_FILE


def gradebook_path(course: Path) -> Path:
    return Path(course) / GRADEBOOK_FILE


def sqlite_url(path: Path) -> str:
    return "sqlite:///" + str(path)


def default_db_url(course: Path) -> str:
    """nbgrader's default db_url for a course folder: its gradebook.db."""
    return sqlite_url(gradebook_path(course))


def source_root(course: Path) -> Path:
    return Path(course) / SOURCE


def source_dir(course: Path, assignment: str) -> Path:
    return Path(course) / SOURCE / assignment


def release_dir(course: Path, assignment: str) -> Path:
    return Path(course) / RELEASE / assignment


def submitted_root(course: Path) -> Path:
    return Path(course) / SUBMITTED


def submitted_dir(course: Path, student: str, assignment: str) -> Path:
    return Path(course) / SUBMITTED / student / assignment


def autograded_dir(course: Path, student: str, assignment: str) -> Path:
    return Path(course) / AUTOGRADED / student / assignment


def feedback_dir(course: Path, student: str, assignment: str) -> Path:
    return Path(course) / FEEDBACK / student / assignment


def student_dir(course: Path, kind: str, student: str) -> Path:
    """COURSE/<kind>/<student>, kind one of SUBMITTED, AUTOGRADED, FEEDBACK."""
    if kind not in (SUBMITTED, AUTOGRADED, FEEDBACK):
        raise ValueError(f"not a per-student folder of a course: {kind!r}")
    return Path(course) / kind / student
