"""`deckc init` and `deckc new`: a starter course folder, and a new lesson spec from a template.

`init DIR` writes DIR/lesson/<id>.yaml (the template below), DIR/exercises/softmax/ (one small,
complete exercise: solution, visible and hidden tests, texts) and DIR/README.md; it refuses to
write over anything that exists. Both build with no warnings (tests/test_scaffold.py builds them).
`new LESSON-ID` writes lesson/<LESSON-ID>.yaml in the course folder it is run in.
"""
from __future__ import annotations

import re
from pathlib import Path

from .errors import DeckcError
from .nbgrader.cells import SOLUTION_BEGIN, SOLUTION_END

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")


class ScaffoldError(DeckcError):
    exit_code = 2


LESSON = '''# {title}: a deckc lesson spec. Build it with `deckc build`; `deckc schema` prints every key.
lesson:
  id: {id}
  title: {title}
  course: {course}
  module: Module 1
  number: 1
  of: 1
  minutes: 15
  exercises: [{exercises}]

slides:
  - kind: title
    notes: Welcome. Say what the lesson is for and what students will be able to do after it.

  - kind: section
    title: The idea

  - title: One formula, explained
    notes: Read the formula left to right; point at each symbol as you name it.
    body:
      - text: The softmax turns any scores $z_i$ into probabilities that sum to one.
      - math:
          tex: '\\mathrm{{softmax}}(z)_i = \\frac{{e^{{z_i}}}}{{\\sum_{{j=1}}^{{n}} e^{{z_j}}}}'
          caption: Exponentiate, then normalise.
      - bullets:
          reveal: true
          items:
            - Every output is positive
            - text: The outputs sum to one
              items: [so they can weigh other vectors]
            - Adding a constant to every $z_i$ changes nothing

  - title: The same in code
    notes: Stress the max subtraction; ask what happens to exp(1000) without it.
    body:
      - code:
          lang: python
          highlight: [3]
          caption: Subtracting the maximum keeps exp from overflowing.
          source: |
            def softmax(z, axis=-1):
                z = np.asarray(z, dtype=float)
                z = z - z.max(axis=axis, keepdims=True)
                e = np.exp(z)
                return e / e.sum(axis=axis, keepdims=True)

  - title: Your own numbers
    notes: The chart is drawn from the numbers in the spec; edit them and rebuild.
    body:
      - chart:
          kind: line
          title: Softmax of [t, 0, 0] as t grows
          x_label: t
          y_label: probability of the first entry
          data: {{x: [0, 1, 2, 4, 8], series: {{first: [0.333, 0.576, 0.787, 0.965, 0.999]}}}}
        # images: - image: {{src: figures/diagram.svg, alt: "What the figure shows"}}

  - kind: quiz
    question: What does softmax([1, 2, 3]) have in common with softmax([11, 12, 13])?
    options: [They are equal, The second is ten times larger, The second sums to ten, Nothing]
    answer: A
    explanation: Adding the same constant to every score does not change the softmax.
    notes: Give the room thirty seconds.
'''

README = '''# {title}

A course built with [deckc](https://pypi.org/project/deckc/): one YAML spec per lesson compiles
into an editable PPTX, the same deck as PDF, chart data, and an nbgrader assignment.

```
lesson/        one spec per lesson (deckc new LESSON-ID adds one)
exercises/     exercises the lessons name by id: solution, tests, texts (softmax is an example)
build/         deckc build writes here (do not edit)
```

    deckc build              # every lesson in lesson/ -> build/<lesson-id>/
    deckc check              # validate only
    deckc watch              # rebuild on save
'''

EXERCISE = {
    "exercise.yaml": '''# One notebook: softmax.ipynb. Graded functions, in order, with the points of each test.
title: "A numerically stable softmax"
functions:
  softmax:
    softmax_sums_to_one: 1     # visible
    softmax_random: 2          # hidden: reference outputs on seeded random inputs
    softmax_stable: 1          # hidden: logits around 1e4
''',
    "intro.md": '''# Softmax

`softmax(z, axis=-1)` returns `exp(z) / sum(exp(z))` along `axis`, with the shape of `z`.
Computed literally, `np.exp(1e4)` overflows; subtract the maximum along the axis first.

Worked example: `softmax([1, 2, 3]) = [0.09003057, 0.24472847, 0.66524096]`.
''',
    "solution.py": '''"""Reference solution: the one implementation the notebook, the tests and any chart use."""
import numpy as np


def softmax(z, axis=-1):
    """Numerically stable softmax along `axis`."""
    {solution_begin}
    z = np.asarray(z, dtype=float)
    z = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)
    {solution_end}
''',
    "visible_tests.py": '''"""Visible tests: students see and run these. Each test_<name>(fn) is one grade cell."""
import numpy as np

from deckc.exercises.checks import call_student, expect_array, expect_close


def test_softmax_sums_to_one(softmax):
    """softmax keeps the shape of z, and every row sums to 1."""
    z = np.array([[0.0, 1.0, 2.0], [3.0, -1.0, 0.5]])
    p = expect_array("softmax", call_student(softmax, z), shape=(2, 3), shape_desc="the shape of z")
    expect_close("the row sums of softmax", p.sum(axis=-1), np.ones(2), reveal=True)
''',
    "hidden_tests.py": '''"""Hidden tests: run at grading time only. inputs_<name>(rng) makes the inputs; the reference
solution's outputs on them are the expected values."""
import numpy as np

from deckc.exercises.checks import call_student, expect_array, expect_close


def inputs_softmax_random(rng):
    return {"z": 3.0 * rng.standard_normal((4, 6))}


def test_softmax_random(softmax, inputs, expected):
    """softmax matches the reference solution on random logits."""
    p = expect_array("softmax", call_student(softmax, **inputs), shape=expected.shape, shape_desc="the shape of z")
    expect_close("softmax", p, expected)


def inputs_softmax_stable(rng):
    return {"z": np.array([[1e4], [-1e4]]) + rng.integers(-6, 7, (2, 5)).astype(float)}


def test_softmax_stable(softmax, inputs, expected):
    """softmax stays finite for logits around 1e4."""
    p = expect_array("softmax", call_student(softmax, **inputs), shape=expected.shape, shape_desc="the shape of z")
    expect_close("softmax of logits near 1e4", p, expected)
''',
}


# The reference solution marks its region with nbgrader's markers (deckc.nbgrader.cells).
EXERCISE["solution.py"] = (EXERCISE["solution.py"].replace("{solution_begin}", SOLUTION_BEGIN)
                           .replace("{solution_end}", SOLUTION_END))


def lesson_spec(lesson_id: str, title: str, course: str, exercises: str = "") -> str:
    return LESSON.format(id=lesson_id, title=title, course=course, exercises=exercises)


def _title(lesson_id: str) -> str:
    return re.sub(r"[-_]+", " ", lesson_id).strip().capitalize() or lesson_id


def _write_new(files: dict[Path, str]) -> list[Path]:
    clash = [p for p in files if p.exists()]
    if clash:
        raise ScaffoldError("will not overwrite: " + ", ".join(str(p) for p in clash))
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return sorted(files)


def init_course(folder: Path) -> list[Path]:
    """Write a starter course into `folder` (created if missing); returns the files written."""
    if folder.exists() and not folder.is_dir():
        raise ScaffoldError(f"{folder} exists and is not a folder")
    name = folder.resolve().name or "course"
    title = _title(name)
    files = {folder / "README.md": README.format(title=title),
             folder / "lesson" / "introduction.yaml": lesson_spec("introduction", "Introduction", title, "softmax")}
    files.update({folder / "exercises" / "softmax" / n: t for n, t in EXERCISE.items()})
    gitignore = folder / ".gitignore"
    if not gitignore.exists():
        files[gitignore] = "build/\n"
    return _write_new(files)


def new_lesson(lesson_id: str, course: Path) -> Path:
    """Write lesson/<lesson_id>.yaml in the course folder `course`; returns its path."""
    if not SLUG.match(lesson_id):
        raise ScaffoldError(f"'{lesson_id}' is not a lesson id: use lowercase letters, digits, '-' and '_' "
                            f"(like 'queries-keys-values')")
    lesson_dir = course / "lesson"
    if not lesson_dir.is_dir():
        raise ScaffoldError(f"no lesson/ folder in {course.resolve()}: run this in a course folder "
                            f"(`deckc init` makes one)")
    title = _title(lesson_id)
    course_name = _title(course.resolve().name)
    exercises = "softmax" if (course / "exercises" / "softmax" / "solution.py").is_file() else ""
    text = lesson_spec(lesson_id, title, course_name, exercises)
    if not exercises:       # the template's chart needs no exercise; its quiz needs none either
        text = text.replace("  exercises: []\n", "")
    return _write_new({lesson_dir / f"{lesson_id}.yaml": text})[0]
