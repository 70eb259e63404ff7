"""The lesson's quick check as a notebook: the model's Quiz -> quick_check.ipynb.

Three cells: the question (text), the student's answer (a solution cell) and a grade cell whose
visible part only checks that the answer is one of the letters; its hidden part checks that it
is the right one. :data:`QUIZ_STEPS` is the chain, run like the exercise chain of steps.py.
"""
from __future__ import annotations

from dataclasses import replace

from nbformat.v4 import new_code_cell

from .. import model as m
from ..nbgrader import cells
from . import steps
from .cell_sources import grader_block, points_text

LETTERS = "ABCDEFGHIJ"


def add_quiz(nb, resources):
    """resources["quiz"]: a model Quiz -> three cells."""
    quiz = validate_quiz(resources["quiz"])
    letters = LETTERS[:len(quiz.options)]
    allowed = ", ".join(repr(x) for x in letters)
    options = "\n".join(f"- **{o.letter}.** {o.text}" for o in quiz.options)
    nb.cells.append(steps.text_cell("quick_check_question", (
        "# Quick check\n\n"
        f"**{quiz.question}**\n\n{options}\n\n"
        "In the cell below, set `answer` to the letter of your choice as a string, for example "
        f"`answer = \"{letters[-1]}\"`. The test cell after it checks that your answer is one of "
        f"{allowed}; whether it is right is checked when your work is graded.")))
    nb.cells.append(steps.with_role(new_code_cell(
        "# Your answer: one letter, as a string.\n" + cells.solution_region(f"answer = {quiz.answer!r}")),
        role=cells.ROLE_SOLUTION, grade_id="quick_check_answer"))
    visible = (
        "def test_quick_check(answer):\n"
        "    if not isinstance(answer, str) or answer.strip().upper().rstrip('.)') not in "
        f"{tuple(letters)!r}:\n"
        f"        raise AssertionError(f\"answer is {{answer!r}}; expected one of {allowed}\")\n")
    graded = (
        "def test_quick_check(answer):\n"
        "    if type(answer) is not str:\n"
        f"        raise AssertionError(f\"answer is a {{type(answer).__name__}}; expected a string, one of {allowed}\")\n"
        "    letter = answer.strip().upper().rstrip('.)')\n"
        f"    if letter not in {tuple(letters)!r}:\n"
        f"        raise AssertionError(f\"answer is {{answer!r}}; expected one of {allowed}\")\n"
        f"    if letter != {quiz.answer!r}:\n"
        "        raise AssertionError(f\"{letter} is not the best answer to this question\")\n")
    source = "\n".join([
        f"# Test quick_check ({points_text(quiz.points)}): your answer is one of {allowed}; "
        "whether it is right is checked when your work is graded.",
        visible,
        cells.HIDDEN_BEGIN,
        grader_block(graded, {"test_quick_check": "test_quick_check"}),
        cells.HIDDEN_END,
        "test_quick_check(answer)",
    ])
    nb.cells.append(steps.with_role(new_code_cell(source), role=cells.ROLE_TEST, grade_id="quick_check",
                                   points=quiz.points))
    return nb, resources


def validate_quiz(quiz) -> m.Quiz:
    """The quiz with its text's white space collapsed; ValueError saying what is wrong.

    A spec's quiz is already valid (the schema checks it); this guards build_course's callers.
    """
    if not isinstance(quiz, m.Quiz):
        raise ValueError(f"quiz must be a deckc.model.Quiz (question, options, answer), got {type(quiz).__name__}")
    question, options, answer = quiz.question, quiz.options, quiz.answer
    if not isinstance(question, str) or not question.strip():
        raise ValueError("quiz.question must be a non-empty string")
    if (not isinstance(options, (list, tuple)) or not 2 <= len(options) <= len(LETTERS)
            or not all(isinstance(o, m.QuizOption) and isinstance(o.text, str) and o.text.strip() for o in options)):
        raise ValueError(f"quiz.options must be a list of 2 to {len(LETTERS)} options with non-empty text")
    letters = LETTERS[:len(options)]
    if [o.letter for o in options] != list(letters):
        raise ValueError(f"quiz.options must be lettered {', '.join(letters)}, in order")
    if not isinstance(answer, str) or answer.strip().upper() not in letters:
        raise ValueError(f"quiz.answer must be one of {', '.join(letters)}")
    points = quiz.points
    if not isinstance(points, (int, float)) or isinstance(points, bool) or not points > 0:
        raise ValueError("quiz.points must be a positive number")
    return replace(quiz, question=" ".join(question.split()), answer=answer.strip().upper(),
                   options=tuple(replace(o, text=" ".join(o.text.split())) for o in options))


MAKE_QUIZ = (add_quiz, steps.assign_nbgrader_metadata, steps.normalise)
QUIZ_STEPS = MAKE_QUIZ + (steps.write_notebook,)
