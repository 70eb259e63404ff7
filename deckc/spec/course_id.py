"""The course of a build: one nbgrader course (OUT/course/) per module, named by the lessons' `course:`.

Every lesson of one build that publishes an assignment (it has exercises or a quiz, and the build
includes the exercises format) must name the same course (compared by its id, the slug of the text);
a lesson that disagrees with the others gets a located error at its `lesson.course`, and so does
a lesson whose course is not the one OUT/course/ already holds (checked by build.py, which knows
OUT). The id is also nbgrader's `CourseDirectory.course_id` and the name JupyterHub's exchange
files assignments under.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter

from ..diagnostics import Diagnostic

COURSE_FOLDER = "course"     # OUT/course/: so no lesson may have this id (it would build into it)


def course_slug(name: str) -> str:
    """"Transformers from First Principles" -> "transformers-from-first-principles".

    Accents are dropped (NFKD); a name with no Latin letter or digit at all ("机器学习") gets
    "course-" and a hash of the name, so it is still stable and file-safe."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:64].strip("-")
    return slug or "course-" + hashlib.sha256(name.strip().encode("utf-8")).hexdigest()[:8]


def course_clashes(heads, display) -> dict:
    """{spec path: [Diagnostic]} for lessons of one build whose course differs from the others'.

    heads: the SpecHeads of the build (valid headers only). The course most lessons name wins
    (on a tie, the first spec's); each other lesson gets an error naming a spec of that course.
    """
    valid = [h for h in heads if h.meta is not None]
    by_id = Counter(course_slug(h.meta.course) for h in valid)
    if len(by_id) <= 1:
        return {}
    first = {}
    for h in valid:
        first.setdefault(course_slug(h.meta.course), h)
    winner = max(by_id, key=lambda c: (by_id[c], -valid.index(first[c])))
    model = first[winner]
    out = {}
    for h in valid:
        if course_slug(h.meta.course) == winner:
            continue
        node = h.course_node
        out.setdefault(h.path, []).append(Diagnostic(
            display(h.path), node.line if node else 0, node.col if node else 0, "lesson.course",
            f"course '{h.meta.course}' is not the course of the other lessons of this build "
            f"('{model.meta.course}', {display(model.path)}:{model.course_node.line if model.course_node else 0}): "
            f"one build makes one nbgrader course ({COURSE_FOLDER}/); give every lesson the same course, "
            "or build this one into another folder (-o)"))
    return out


def reserved_id(head, display) -> list:
    """A lesson id that is the course folder's name would build into OUT/course/."""
    if head.meta is None or head.meta.id.casefold() != COURSE_FOLDER:
        return []
    node = head.id_node
    return [Diagnostic(display(head.path), node.line if node else 0, node.col if node else 0, "lesson.id",
                       f"lesson id '{head.meta.id}' is reserved: OUT/{COURSE_FOLDER}/ is the module's nbgrader "
                       "course; give the lesson another id")]


def outside_clash(head, course_id: str | None, display) -> list:
    """OUT/course/ is already course `course_id` and this lesson names another one."""
    if head.meta is None or course_id is None or course_slug(head.meta.course) == course_id:
        return []
    node = head.course_node
    return [Diagnostic(display(head.path), node.line if node else 0, node.col if node else 0, "lesson.course",
                       f"course '{head.meta.course}' (id '{course_slug(head.meta.course)}') is not the course the "
                       f"output folder's {COURSE_FOLDER}/ holds (id '{course_id}'): one output folder holds one "
                       "course; use the same course, or build into another folder (-o)")]


def existing_course_id(out_root) -> str | None:
    """The course id of OUT/course/ as deckc's nbgrader_config.py names it, or None (no course
    yet, or a config deckc did not write)."""
    from ..nbgrader.config import written_course_id

    return written_course_id(out_root / COURSE_FOLDER)
