"""Charts: data computed at build time from the lesson's reference solutions."""
from __future__ import annotations

from typing import Any

from .base import PLOTS, ChartData, ChartKind, Param, Series
from .kinds import CHART_KINDS
from .reference import Reference, ReferenceLookupError, load_reference

__all__ = [
    "CHART_KINDS", "PLOTS", "ChartData", "ChartKind", "Param", "Series",
    "Reference", "ReferenceLookupError", "load_reference", "compute_chart", "resolve_params",
]


def resolve_params(kind: str, params: dict[str, Any] | None) -> dict[str, Any]:
    """Every parameter of the kind: the given ones (the spec schema has checked them, see
    deckc.spec.lesson_schema) with the defaults filled in; whole numbers given for a float
    parameter become floats."""
    k = _kind(kind)
    params = dict(params or {})
    unknown = sorted(set(params) - set(k.params))
    if unknown:     # a caller's mistake, not a spec's: the schema reports unknown keys with their place
        raise TypeError(f"chart kind {kind!r} has no parameter(s) {', '.join(unknown)}")
    return {name: _coerce(p, params.get(name, p.default)) for name, p in k.params.items()}


def compute_chart(kind: str, params: dict[str, Any] | None, reference) -> ChartData:
    """Compute one chart from valid parameters: a missing reference function -> LookupError,
    values that do not fit together (a query word not in the sentence) -> ValueError."""
    k = _kind(kind)
    resolved = resolve_params(kind, params)
    for name in k.needs:
        reference.get(name)   # fails early, naming the missing function and where it looked
    return k.compute(reference, **resolved)


def _kind(kind: str) -> ChartKind:
    try:
        return CHART_KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown chart kind {kind!r} (known: {', '.join(CHART_KINDS)})") from None


def _coerce(p: Param, value: Any) -> Any:
    if p.type is list:
        return [float(v) if p.item is float else v for v in value]
    return float(value) if p.type is float else value
