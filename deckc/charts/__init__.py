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
    """Defaults filled in, values checked against the kind's Param declarations (ValueError)."""
    k = _kind(kind)
    params = dict(params or {})
    unknown = sorted(set(params) - set(k.params))
    if unknown:
        raise ValueError(f"chart kind {kind!r}: unknown parameter(s) {', '.join(unknown)} "
                         f"(allowed: {', '.join(k.params)})")
    resolved = {}
    for name, p in k.params.items():
        value = params.get(name, p.default)
        resolved[name] = _check(f"{kind}.{name}", p, value)
    return resolved


def compute_chart(kind: str, params: dict[str, Any] | None, reference) -> ChartData:
    """Compute one chart: unknown kind/params -> ValueError, missing reference function -> LookupError."""
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


def _check(where: str, p: Param, value: Any) -> Any:
    if p.type is list:
        if not isinstance(value, (list, tuple)) or not value:
            raise ValueError(f"{where}: expected a non-empty list, got {value!r}")
        item = p.item or object
        return [_check_scalar(f"{where}[{i}]", item, p, v) for i, v in enumerate(value)]
    return _check_scalar(where, p.type, p, value)


def _check_scalar(where: str, typ: type, p: Param, value: Any) -> Any:
    # bool is an int in Python, but `seed: true` in a spec is a mistake, not 1.
    if isinstance(value, bool) or (typ is not object and not _is(value, typ)):
        raise ValueError(f"{where}: expected {typ.__name__}, got {value!r}")
    if typ is float:
        value = float(value)
    if p.min is not None and isinstance(value, (int, float)) and value < p.min:
        raise ValueError(f"{where}: {value!r} is below the minimum {p.min}")
    if p.max is not None and isinstance(value, (int, float)) and value > p.max:
        raise ValueError(f"{where}: {value!r} is above the maximum {p.max}")
    if p.choices is not None and value not in p.choices:
        raise ValueError(f"{where}: {value!r} is not one of {p.choices}")
    return value


def _is(value: Any, typ: type) -> bool:
    if typ is float:
        return isinstance(value, (int, float)) and bool(value == value)  # ints welcome, NaN not
    return isinstance(value, typ)
