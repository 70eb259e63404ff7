"""The feedback stage: nbgrader's generate_feedback for one student, then its pages checked.

The preprocessors are small steps over (notebook, resources), nbconvert's way: nbgrader's
GetGrades, deckc's DeckcFeedback (constructed here with the check's verdicts of this student,
so nothing is handed over through a class attribute), NameTheTests, the CSS header, WrapMessages.
Each written page is then sanitised (feedback.sanitise_html) and searched for the hidden tests'
markers and reference values (feedback.check_html): redacted, or the page withheld.
"""
from __future__ import annotations

import copy
from pathlib import Path

from ..nbgrader import layout


def generate(config, root: Path, assignment: str, student: str, verdicts: dict, secrets: dict,
             notebooks: set) -> tuple[str | None, list[str]]:
    """(the feedback folder or None, problems). verdicts: {notebook: {grade id: Verdict}};
    secrets: {notebook: reference values}; notebooks: the assignment's notebook names."""
    from nbgrader.converters import GenerateFeedback
    from nbgrader.coursedir import CourseDirectory

    from ..nbgrader.converters import feedback_preprocessors
    from .feedback import DeckcFeedback, check_html, sanitise_html
    from .feedback_view import NameTheTests, WrapMessages, configure

    if not any(layout.autograded_dir(root, student, assignment).glob("*.ipynb")):
        return None, []          # nothing nbgrader could autograde: no feedback to show
    shown = {nb: {gid: (v.passed, v.error_type, v.message) for gid, v in vs.items()} for nb, vs in verdicts.items()}
    config = copy.deepcopy(config)
    config.GenerateFeedback.preprocessors = feedback_preprocessors([DeckcFeedback(verdicts=shown), NameTheTests],
                                                                   [WrapMessages])
    configure(config)            # deckc's template: each test named in the summary
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = assignment
    coursedir.student_id = student
    problems = []
    try:
        GenerateFeedback(coursedir=coursedir, config=config).start()
    except BaseException as e:  # noqa: BLE001
        return None, [f"generate_feedback failed: {type(e).__name__}: {e}"]
    out = layout.feedback_dir(root, student, assignment)
    if not out.is_dir():
        return None, ["generate_feedback wrote nothing"]
    for path in sorted(out.rglob("*")):
        if path.is_dir():
            continue
        if path.suffix != ".html" or path.stem not in notebooks:
            path.unlink()            # reference files nbgrader copied from source/
            continue
        html = sanitise_html(path.read_text(encoding="utf-8", errors="replace"))
        cleaned, found = check_html(html, secrets.get(path.stem, set()))
        path.write_text(cleaned, encoding="utf-8")
        if found:
            _, again = check_html(cleaned, secrets.get(path.stem, set()))
            if again:
                path.unlink()
                problems.append(f"{path.name}: withheld ({', '.join(found)})")
                continue
            path.write_text(cleaned, encoding="utf-8")
            problems.append(f"{path.name}: redacted {', '.join(found)}")
    for d in sorted((p for p in out.rglob("*") if p.is_dir()), reverse=True):
        if not any(d.iterdir()):
            d.rmdir()
    return str(out), problems
