"""The resolve stage, between validation and layout: every chart of a lesson gets its data.

A chart's parameters are each valid (the schema checked them) and can still not make a chart:
the kind needs reference functions the lesson's exercises do not define, or the values do not
fit together (sentences of different lengths, a query word that is not in the sentence). Here
each distinct (kind, parameters) is computed once, and what cannot be computed comes back as a
problem with the keys of its place in the spec, which the loader turns into FILE:LINE:COL.

Nothing here knows YAML, and charts (numpy) are imported only for a lesson that has one.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Iterator

from . import model as m

Keys = tuple  # the place in the spec: ("slides", 3, "body", 1, "chart", "kind")


def resolve_charts(lesson: m.Lesson) -> tuple[m.Lesson, list[tuple[Keys, str]]]:
    """The lesson with `data` filled in on every chart that computes, and the problems of the others."""
    charts = list(_charts(lesson.slides, ("slides",)))
    if not charts:
        return lesson, []
    from .charts import CHART_KINDS, compute_chart
    from .charts.reference import load_reference
    from .charts.user_data import USER_KINDS
    from .errors import ImageError

    problems: list[tuple[Keys, str]] = []
    computed: dict[tuple, Any] = {}
    reference = None
    for keys, block in charts:
        if block.kind in USER_KINDS:        # the lecturer's numbers: given inline, or in a CSV file
            key = (block.kind, repr(sorted(block.params.items())))
            try:
                computed[key] = block.data if block.data is not None else _csv_chart(lesson, block)
            except (ImageError, ValueError) as e:
                problems.append((keys + ("chart", "csv"), str(e)))
            continue
        needs = CHART_KINDS[block.kind].needs
        where = keys + ("chart", "kind")
        if needs and not lesson.meta.exercises:
            problems.append((where, f"chart '{block.kind}' computes with the reference {', '.join(needs)}; "
                                    f"list the exercises that define them in lesson.exercises"))
            continue
        if needs and reference is None:
            try:
                reference = load_reference(lesson.root / "exercises")
            except Exception as e:  # a broken solution.py is the instructor's to fix; say where
                problems.append((where, f"cannot load the reference solutions: {e}"))
                continue
        missing = [n for n in needs if n not in reference
                   or reference.source(n).parent.name not in lesson.meta.exercises]
        if missing:
            problems.append((where, f"chart '{block.kind}' needs {', '.join(missing)}, "
                                    f"which no exercise in lesson.exercises defines"))
            continue
        key = (block.kind, repr(sorted(block.params.items())))
        if key not in computed:
            try:
                computed[key] = compute_chart(block.kind, block.params, reference)
            except ValueError as e:
                computed[key] = e
        if isinstance(computed[key], ValueError):
            problems.append((keys + ("chart",), f"cannot compute this chart: {computed[key]}"))
    if problems:
        return lesson, problems
    computed = _unique_names(computed)
    # _fill walks the model in the order _charts did, so the n-th chart met gets the n-th data
    data = iter([computed[(block.kind, repr(sorted(block.params.items())))] for _, block in charts])
    return dataclasses.replace(lesson, slides=tuple(_fill(s, data) for s in lesson.slides)), []


def _unique_names(computed: dict) -> dict:
    """Each chart's CSV its own name: a kind drawn with one set of parameters keeps charts/<kind>.csv;
    drawn with different numbers, each gets charts/<kind>-<hash of its numbers>.csv, so neither overwrites
    the other and the name does not move when slides are reordered."""
    import hashlib

    def digest(data) -> str:           # the same numbers under one name are one file, not a clash
        return hashlib.sha256((data.title + "\n" + data.to_csv()).encode()).hexdigest()[:8]

    names: dict[str, set] = {}
    for data in computed.values():
        names.setdefault(data.name, set()).add(digest(data))
    out = dict(computed)
    for key, data in computed.items():
        if len(names[data.name]) > 1:
            out[key] = dataclasses.replace(data, name=f"{data.name}-{digest(data)}")
    return out


def _csv_chart(lesson: m.Lesson, block: m.Chart):
    """A chart's numbers from its CSV file: beside the spec, inside the course (as images are)."""
    from .charts.user_data import build, table_from_csv
    from .images import resolve

    path = resolve(block.params["csv"], lesson.source.parent, lesson.root, what="data files")
    if path.stat().st_size > 5 * 1024 * 1024:
        raise ValueError(f"'{block.params['csv']}' is larger than 5 MB")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"'{block.params['csv']}' is not UTF-8 text") from None
    try:
        return build(block.kind, block.params, table_from_csv(block.kind, text))
    except ValueError as e:
        raise ValueError(f"{block.params['csv']}: {e}") from None


def _charts(items, keys: Keys) -> Iterator[tuple[Keys, m.Chart]]:
    """(keys, chart) for every chart in a tuple of model objects, at any depth (columns, ...)."""
    for i, item in enumerate(items):
        if isinstance(item, m.Chart):
            yield keys + (i,), item
        elif dataclasses.is_dataclass(item):
            for f in dataclasses.fields(item):
                value = getattr(item, f.name)
                if isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
                    yield from _charts(value, keys + (i, f.name))


def _fill(item, data: Iterator[Any]):
    """`item` with its charts' data filled in, in _charts' order (the same object where nothing below
    it changes)."""
    if isinstance(item, m.Chart):
        return dataclasses.replace(item, data=next(data))
    if not dataclasses.is_dataclass(item):
        return item
    changes = {}
    for f in dataclasses.fields(item):
        value = getattr(item, f.name)
        if isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            new = tuple(_fill(v, data) for v in value)
            if any(a is not b for a, b in zip(new, value)):
                changes[f.name] = new
    return dataclasses.replace(item, **changes) if changes else item
