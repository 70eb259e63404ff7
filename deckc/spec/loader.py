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

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import model as m
from ..diagnostics import Diagnostic, Diagnostics
from .schema import INVALID, Ctx
from .yaml_source import MAX_FILE_BYTES, Node, load_yaml

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
    """The course folder: the parent of the folder that holds the spec (lesson/..)."""
    return spec.resolve().parent.parent


_PARSED: dict = {}        # (path, stat signature) -> (data, root, problems): one parse per version of a file
_PARSED_MAX = 64


def read_spec(path: Path, diags: Diagnostics) -> tuple[bytes | None, Node | None]:
    """The spec's bytes and its YAML tree, through the one bounded loader; (None, None) when
    unreadable, (data, None) when it does not parse (the reasons are in diags). A file is parsed
    once per version (its stat signature): the folder's id check, the incremental check and the
    load share it (the tree is never modified)."""
    import os

    from .lesson_schema import list_limits

    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            key = (str(path.resolve()), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            if key in _PARSED:
                data, root, problems = _PARSED[key]
                for d in problems:
                    diags.error(d.line, d.col, d.path, d.message)
                return data, root
            data = f.read(MAX_FILE_BYTES + 1)      # never more than the cap, whatever the file is
    except OSError as e:
        diags.error(0, 0, "", f"cannot read: {e.strerror or e}")
        return None, None
    mark = len(diags.items)
    if len(data) > MAX_FILE_BYTES:
        diags.error(1, 1, "", f"file is {max(len(data), st.st_size):,} bytes; a lesson spec may be at most "
                              f"{MAX_FILE_BYTES:,}")
        root = None
    else:
        root = load_yaml(data, diags, list_limits())
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.pop(next(iter(_PARSED)))
    _PARSED[key] = (data, root, [d for d in diags.items[mark:] if d.severity == "error"])
    return data, root


@dataclass
class SpecHead:
    """What incremental builds need of a spec without checking its slides: its bytes, its lesson
    header and its quiz, each in the model's own types (None where the spec has errors there)."""

    path: Path
    data: bytes | None
    meta: m.Meta | None = None
    quiz: m.Quiz | None = None
    id_node: Node | None = None           # where lesson.id is written, to locate a clash
    course_node: Node | None = None       # where lesson.course is written (one course per build)
    problems: list[Diagnostic] = field(default_factory=list)


def read_head(path: Path) -> SpecHead:
    """The lesson header and quiz of a spec, validated by the schema; cheap (no charts, no numpy)."""
    from .lesson_schema import META, SLIDE

    diags = Diagnostics(display_path(path))
    data, root = read_spec(path, diags)
    head = SpecHead(path, data, problems=diags.items)
    if root is None or root.kind != "map":
        return head
    ctx = Ctx(Diagnostics(diags.file))
    lesson = root.value.get("lesson")
    if lesson is not None:
        meta = META.check(lesson[1], "lesson", ctx)
        head.meta = None if meta is INVALID else meta
        if lesson[1].kind == "map" and "id" in lesson[1].value:
            head.id_node = lesson[1].value["id"][1]
        if lesson[1].kind == "map" and "course" in lesson[1].value:
            head.course_node = lesson[1].value["course"][1]
    slides = root.value.get("slides")
    if slides is not None and slides[1].kind == "seq":
        for i, node in enumerate(slides[1].value):
            if node.kind == "map" and "kind" in node.value and node.value["kind"][1].value == "quiz":
                slide = SLIDE.check(node, f"slides[{i}]", ctx)
                head.quiz = None if slide is INVALID else slide.quiz
                break
    return head


def lesson_id_clashes(specs, formats=None) -> dict[Path, list[Diagnostic]]:
    """Specs that cannot build together: the same lesson id (case-folded, since a folder name is
    case-insensitive on some disks) as another spec of the same folder, the id of the course
    folder, or another course than the other lessons of the build that publish an assignment
    (one build, one course: spec/course_id.py; only when `formats` builds the course, and always
    for `formats=None`, as deckc check has it). Each gets a located error naming the other."""
    from collections import defaultdict

    from .course_id import course_clashes, reserved_id

    folders = sorted({s.parent for s in specs})
    out: dict[Path, list[Diagnostic]] = defaultdict(list)
    wanted = {s.resolve() for s in specs}
    built = []
    for folder in folders:
        by_id = defaultdict(list)
        for spec in find_specs(folder):
            head = read_head(spec)
            if head.meta is not None:
                by_id[head.meta.id.casefold()].append(head)
                if spec.resolve() in wanted:
                    built.append(head)
                    out[head.path] += reserved_id(head, display_path)
        for heads in by_id.values():
            for h in heads if len(heads) > 1 else ():
                others = ", ".join(f"{display_path(o.path)}:{o.id_node.line}" for o in heads if o is not h)
                node = h.id_node
                out[h.path].append(Diagnostic(display_path(h.path), node.line, node.col, "lesson.id",
                                              f"lesson id '{h.meta.id}' is also the id of {others}; two lessons "
                                              "would build into one folder: give each its own id"))
    publishing = [h for h in built if h.meta.exercises or h.quiz is not None]
    for path, diags in course_clashes(publishing if formats is None or "exercises" in formats else [],
                                      display_path).items():
        out[path] += diags
    return {p: d for p, d in out.items() if d and p.resolve() in wanted}


def load_lesson(path: Path) -> Loaded:
    from .lesson_schema import SPEC

    diags = Diagnostics(display_path(path))
    _, root = read_spec(path, diags)
    if root is None:
        return Loaded(path, None, diags.items)
    ctx = Ctx(diags)
    value = SPEC.check(root, "", ctx)
    if value is INVALID:
        # every problem in one run: where each error is inside a body block, the blocks reported
        # stand in as plain paragraphs and the rest gets its file, listing and chart checks too
        value = _salvage(root, [d.path for d in diags.errors])
        if value is INVALID:
            return Loaded(path, None, diags.items)
    lesson = m.Lesson(meta=value["lesson"], slides=tuple(value["slides"]), source=path.resolve(),
                      root=course_root(path))
    _cross_checks(lesson, root, ctx)
    from dataclasses import replace

    from .theme_file import resolve_look
    lesson = replace(lesson, theme=resolve_look(lesson, root.at, ctx, display_path))
    lesson = _resolve_charts(lesson, root, ctx)
    return Loaded(path, lesson if not diags.errors else None, diags.items)


_BLOCK = re.compile(r"^(.*?\bbody)\[(\d+)\]")


def _salvage(root: Node, paths: list[str]):
    """The spec checked again (silently) with each block an error is inside replaced by a plain
    paragraph at the same index (so later paths and positions stay right); INVALID when an error
    is not inside a block or the spec still does not pass."""
    from .lesson_schema import SPEC

    blocks = [_BLOCK.match(p) for p in paths]
    if not blocks or not all(blocks):
        return INVALID
    doomed = {(b.group(1), int(b.group(2))) for b in blocks}

    def walk(node, here):
        if node.kind == "map":
            return replace(node, value={k: (kn, walk(vn, f"{here}.{k}" if here else k))
                                        for k, (kn, vn) in node.value.items()})
        if node.kind == "seq":
            return replace(node, value=[Node("scalar", "(a block with errors)", n.line, n.col, "tag:yaml.org,2002:str")
                                        if (here, i) in doomed else walk(n, f"{here}[{i}]")
                                        for i, n in enumerate(node.value)])
        return node
    return SPEC.check(walk(root, ""), "", Ctx(Diagnostics("")))


def _resolve_charts(lesson: m.Lesson, root: Node, ctx: Ctx) -> m.Lesson:
    """The resolve stage (deckc.resolve): chart data computed once; what cannot be, located here."""
    from ..resolve import resolve_charts

    lesson, problems = resolve_charts(lesson)
    for keys, message in problems:
        ctx.error(root.at(*keys), _field_path(keys), message)
    return lesson


def _field_path(keys) -> str:
    return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keys).lstrip(".")


def _cross_checks(lesson: m.Lesson, root: Node, ctx: Ctx) -> None:
    """Rules that span fields: things a per-field schema cannot see."""
    meta = lesson.meta
    if meta.number > meta.of:
        ctx.error(root.at("lesson", "number"), "lesson.number", f"lesson {meta.number} of {meta.of} is impossible")
    exercises_dir = lesson.root / "exercises"
    for i, ex in enumerate(meta.exercises):
        if not (exercises_dir / ex / "solution.py").is_file():
            ctx.error(root.at("lesson", "exercises", i), f"lesson.exercises[{i}]",
                      f"no exercise '{ex}': expected {display_path(exercises_dir / ex / 'solution.py')}")
    for si, slide in enumerate(lesson.slides):
        path = f"slides[{si}]"
        if isinstance(slide, m.QuizSlide):
            letters = [o.letter for o in slide.quiz.options]
            if slide.quiz.answer not in letters:
                ctx.error(root.at("slides", si, "answer"), f"{path}.answer",
                          f"answer '{slide.quiz.answer}' is not one of the options [{', '.join(letters)}]")
        for bi, block in enumerate(slide.body):
            _check_block(block, lesson, root, ctx, ("slides", si, "body", bi), f"{path}.body[{bi}]")


def _check_block(block, lesson, root, ctx, keys, path) -> None:
    if isinstance(block, m.Tokens):
        for role in ("focus", "target"):
            word = getattr(block, role)
            if word is not None and word not in block.tokens:
                ctx.error(root.at(*keys, "tokens", role), f"{path}.tokens.{role}",
                          f"'{word}' is not one of the tokens")
    elif isinstance(block, m.Code):
        n = len(block.source.rstrip("\n").split("\n"))
        for i, line in enumerate(block.highlight):
            if line > n:
                ctx.error(root.at(*keys, "code", "highlight", i), f"{path}.code.highlight[{i}]",
                          f"line {line} is past the end of the listing ({n} line{'s' * (n != 1)})")
    elif isinstance(block, m.Image):
        from ..images import ImageError, load

        if not block.alt and not block.decorative:
            ctx.error(root.at(*keys, "image"), f"{path}.image", "missing 'alt': say what the image shows "
                      "(or mark it 'decorative: true' if it carries no information)")
        try:
            load(block.src, lesson.source.parent, lesson.root)
        except ImageError as e:
            ctx.error(root.at(*keys, "image", "src"), f"{path}.image.src", str(e))
    elif isinstance(block, m.Columns):
        for ci, col in enumerate(block.columns):
            for bi, inner in enumerate(col.body):
                _check_block(inner, lesson, root, ctx, keys + ("columns", ci, "body", bi),
                             f"{path}.columns[{ci}].body[{bi}]")
