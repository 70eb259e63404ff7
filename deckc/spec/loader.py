"""Spec loader: find lesson files, read them, validate, and return typed Lessons.

Layout on disk (documented in the README):
    lesson/<lesson-id>.yaml          one file per lesson
    exercises/<exercise-id>/         exercises a lesson names by id
The course folder is the parent of the folder that holds the spec.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import model as m
from ..diagnostics import Diagnostic, Diagnostics
from .schema import INVALID, Ctx
from .yaml_source import Node, load_yaml

SPEC_SUFFIXES = (".yaml", ".yml")


@dataclass
class Loaded:
    path: Path
    lesson: m.Lesson | None
    problems: list[Diagnostic]

    @property
    def errors(self) -> list[Diagnostic]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [p for p in self.problems if p.severity == "warning"]


def find_specs(path: Path) -> list[Path]:
    """A spec file, or every `*.yaml` in a folder (sorted, so builds are ordered the same everywhere)."""
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in SPEC_SUFFIXES and p.is_file())
    return []


def display_path(path: Path) -> str:
    """Paths in messages are relative to where the user is, like a compiler's."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def course_root(spec: Path) -> Path:
    return spec.resolve().parent.parent


def load_lesson(path: Path) -> Loaded:
    from .lesson_schema import SPEC

    diags = Diagnostics(display_path(path))
    try:
        data = path.read_bytes()
    except OSError as e:
        diags.error(0, 0, "", f"cannot read: {e.strerror or e}")
        return Loaded(path, None, diags.items)
    root = load_yaml(data, diags)
    if root is None:
        return Loaded(path, None, diags.items)
    ctx = Ctx(diags)
    value = SPEC.check(root, "", ctx)
    if value is INVALID:
        return Loaded(path, None, diags.items)
    lesson = m.Lesson(meta=value["lesson"], slides=tuple(value["slides"]), source=path.resolve(),
                      root=course_root(path))
    _cross_checks(lesson, root, ctx)
    return Loaded(path, lesson if not diags.errors else None, diags.items)


def _at(root: Node, *keys) -> Node:
    """The node at a path of keys/indices, or the deepest one that exists (for locating a message)."""
    node = root
    for k in keys:
        if node.kind == "map" and k in node.value:
            node = node.value[k][1]
        elif node.kind == "seq" and isinstance(k, int) and k < len(node.value):
            node = node.value[k]
        else:
            break
    return node


def _cross_checks(lesson: m.Lesson, root: Node, ctx: Ctx) -> None:
    """Rules that span fields: things a per-field schema cannot see."""
    meta = lesson.meta
    if meta.number > meta.of:
        ctx.error(_at(root, "lesson", "number"), "lesson.number", f"lesson {meta.number} of {meta.of} is impossible")
    exercises_dir = lesson.root / "exercises"
    for i, ex in enumerate(meta.exercises):
        if not (exercises_dir / ex / "solution.py").is_file():
            ctx.error(_at(root, "lesson", "exercises", i), f"lesson.exercises[{i}]",
                      f"no exercise '{ex}': expected {display_path(exercises_dir / ex / 'solution.py')}")
    for si, slide in enumerate(lesson.slides):
        path = f"slides[{si}]"
        if isinstance(slide, m.QuizSlide):
            letters = [o.letter for o in slide.quiz.options]
            if slide.quiz.answer not in letters:
                ctx.error(_at(root, "slides", si, "answer"), f"{path}.answer",
                          f"answer '{slide.quiz.answer}' is not one of the options [{', '.join(letters)}]")
        for bi, block in enumerate(slide.body):
            _check_block(block, lesson, root, ctx, ("slides", si, "body", bi), f"{path}.body[{bi}]")


def compute_chart_cached(kind: str, params: dict, reference):
    """Chart data by (kind, params, reference): checking and planning compute each chart once."""
    from ..charts import compute_chart

    key = (kind, repr(sorted(params.items())), id(reference))
    if key not in _CHART_CACHE:
        _CHART_CACHE[key] = compute_chart(kind, dict(params), reference)
    return _CHART_CACHE[key]


_CHART_CACHE: dict = {}


def _check_block(block, lesson, root, ctx, keys, path) -> None:
    if isinstance(block, m.Tokens):
        for role in ("focus", "target"):
            word = getattr(block, role)
            if word is not None and word not in block.tokens:
                ctx.error(_at(root, *keys, "tokens", role), f"{path}.tokens.{role}",
                          f"'{word}' is not one of the tokens")
    elif isinstance(block, m.Code):
        n = len(block.source.rstrip("\n").split("\n"))
        for i, line in enumerate(block.highlight):
            if line > n:
                ctx.error(_at(root, *keys, "code", "highlight", i), f"{path}.code.highlight[{i}]",
                          f"line {line} is past the end of the listing ({n} line{'s' * (n != 1)})")
    elif isinstance(block, m.Image):
        from ..images import ImageError, load

        if not block.alt and not block.decorative:
            ctx.error(_at(root, *keys, "image"), f"{path}.image", "missing 'alt': say what the image shows "
                      "(or mark it 'decorative: true' if it carries no information)")
        try:
            load(block.src, lesson.source.parent, lesson.root)
        except ImageError as e:
            ctx.error(_at(root, *keys, "image", "src"), f"{path}.image.src", str(e))
    elif isinstance(block, m.Columns):
        for ci, col in enumerate(block.columns):
            for bi, inner in enumerate(col.body):
                _check_block(inner, lesson, root, ctx, keys + ("columns", ci, "body", bi),
                             f"{path}.columns[{ci}].body[{bi}]")
    elif isinstance(block, m.Chart):
        from ..charts import CHART_KINDS
        from ..charts.reference import load_reference

        needs = CHART_KINDS[block.kind].needs
        if not needs:
            return
        node = _at(root, *keys, "chart", "kind")
        if not lesson.meta.exercises:
            ctx.error(node, f"{path}.chart.kind", f"chart '{block.kind}' computes with the reference "
                      f"{', '.join(needs)}; list the exercises that define them in lesson.exercises")
            return
        try:
            ref = load_reference(lesson.root / "exercises")
        except Exception as e:  # a broken solution.py is the instructor's to fix; say where
            ctx.error(node, f"{path}.chart.kind", f"cannot load the reference solutions: {e}")
            return
        missing = [n for n in needs if n not in ref or ref.source(n).parent.name not in lesson.meta.exercises]
        if missing:
            ctx.error(node, f"{path}.chart.kind", f"chart '{block.kind}' needs {', '.join(missing)}, "
                      f"which no exercise in lesson.exercises defines")
            return
        # Parameters can be valid one by one and still not make a chart (sentences of different
        # lengths, a query word that is not in the sentence): compute it now to say where.
        try:
            compute_chart_cached(block.kind, block.params, ref)
        except ValueError as e:
            ctx.error(_at(root, *keys, "chart"), f"{path}.chart", f"cannot compute this chart: {e}")
