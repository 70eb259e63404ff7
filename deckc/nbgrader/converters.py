"""What deckc grade changes in nbgrader's converters (Autograde, GenerateFeedback).

Grading processes only: these import nbgrader when called.
"""
from __future__ import annotations

# GenerateFeedback's chain as deckc runs it: nbgrader's grades first, nbconvert's page header
# (CSS) before deckc's last step, which adds its own style sheet.
GET_GRADES = "nbgrader.preprocessors.GetGrades"
CSS_HEADER = "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"


def feedback_preprocessors(after_grades: list, after_header: list) -> list:
    """GenerateFeedback.preprocessors: GetGrades, `after_grades`, the CSS header, `after_header`."""
    return [GET_GRADES, *after_grades, CSS_HEADER, *after_header]


def quiet_checksum_warnings() -> None:
    """In this (worker) process, nbgrader's OverwriteCells reports no checksum changes; every
    other attribute change (cell type, points...) is still logged.

    autograde restores every locked and test cell from the gradebook and warns "Attribute
    'checksum' for cell X has changed!" whenever a submitted cell's checksum differs from the
    source's: a test cell with a hidden part always differs (the release shows it without the
    hidden part). grading/edits.py names the cells a student really edited instead.
    """
    from nbgrader.preprocessors.overwritecells import OverwriteCells

    if getattr(OverwriteCells.report_change, "_deckc_quiet", False):
        return
    original = OverwriteCells.report_change

    def report_change(self, name, attr, old, new):
        if attr != "checksum":
            original(self, name, attr, old, new)

    report_change._deckc_quiet = True
    OverwriteCells.report_change = report_change
