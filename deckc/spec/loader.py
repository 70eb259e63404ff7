"""Spec loader: find lesson files, read them, validate, and return typed Lessons.

The stages: YAML with positions (yaml_source) -> the schema (lesson_schema) -> checks that span
fields -> the resolve stage (deckc.resolve: chart data computed once) -> a Lesson the layout
can plan without looking back. Every problem of every stage is located FILE:LINE:COL.

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
    lesson = _resolve_charts(lesson, root, ctx)
    return Loaded(path, lesson if not diags.errors else None, diags.items)


def _resolve_charts(lesson: m.Lesson, root: Node, ctx: Ctx) -> m.Lesson:
    """The resolve stage (deckc.resolve): chart data computed once; what cannot be, located here."""
    from ..resolve import resolve_charts

    lesson, problems = resolve_charts(lesson)
    for keys, message in problems:
        ctx.error(_at(root, *keys), _field_path(keys), message)
    return lesson


def _field_path(keys) -> str:
    return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keys).lstrip(".")


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


def _check_block(block, lesson, root, ctx, keys, path) -> None:
    if isinstance(block, m.Tokens):
        for role in ("focus", "target"):
            word = getattr(block, role)
            if word is not None and word not in block.tokens:
                ctx.error(_at(root, *keys, "tokens", role), f"{path}.tokens.{role}",
                          f"'{word}' is not one of the tokens")
    elif isinstance(block, m.Columns):
        for ci, col in enumerate(block.columns):
            for bi, inner in enumerate(col.body):
                _check_block(inner, lesson, root, ctx, keys + ("columns", ci, "body", bi),
                             f"{path}.columns[{ci}].body[{bi}]")
