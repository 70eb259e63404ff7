"""`chart:` with the lecturer's own numbers (kinds line, bar, heatmap): inline `data` or a `csv`
file beside the spec. Each number and label is checked where it is written; the CSV is read by
the resolve stage (deckc.resolve), which locates its problems at `csv`."""
from __future__ import annotations

from .. import model as m
from .schema import INVALID, Bool, Field, Number, Obj, Schema, Seq, Text, _type_name

_LABELS = Seq(item=Text(markup=False, max_len=80), min_items=1, max_items=500)
_NUMBERS = Seq(item=Number(), min_items=1, max_items=500)


class _Scalar(Schema):
    """An x value: a number or a label."""

    def check(self, node, path, ctx):
        if node.kind != "scalar" or node.value is None or isinstance(node.value, bool):
            return ctx.error(node, path, f"expected a number or a label, got {_type_name(node)}")
        return node.value

    def json(self):
        return {"type": ["number", "string"]}


class _Named(Schema):
    """`{name: [numbers], ...}`: the series of a line or bar chart, in the order written."""

    def check(self, node, path, ctx):
        if node.kind != "map" or not node.value:
            return ctx.error(node, path, f"expected series as a mapping of name: [numbers], got {_type_name(node)}")
        out, ok = {}, True
        for name, (_, vnode) in node.value.items():
            v = _NUMBERS.check(vnode, f"{path}.{name}", ctx)
            ok &= v is not INVALID
            out[name] = v
        return out if ok else INVALID

    def json(self):
        return {"type": "object", "additionalProperties": _NUMBERS.json(), "minProperties": 1}


XY_DATA = Obj(name="chart data (x and series)", fields={
    "x": Field(Seq(item=_Scalar(), min_items=1, max_items=500), required=True),
    "series": Field(_Named(), required=True),
})
GRID_DATA = Obj(name="heatmap data (rows, cols, values)", fields={
    "rows": Field(_LABELS, required=True),
    "cols": Field(_LABELS, required=True),
    "values": Field(Seq(item=_NUMBERS, min_items=1, max_items=100), required=True),
})


def user_chart_fields(kind: str) -> dict:
    return {
        "caption": Field(Text(doc="The chart's heading, drawn in the chart (else its own title).")),
        "data": Field(GRID_DATA if kind == "heatmap" else XY_DATA),
        "csv": Field(Text(markup=False, max_len=500, doc="A CSV file relative to the spec's folder, inside the "
                                                         "course (instead of data).")),
        "title": Field(Text(markup=False, max_len=200)),
        "x_label": Field(Text(markup=False, max_len=120)),
        "y_label": Field(Text(markup=False, max_len=120)),
        "log_y": Field(Bool(doc="A logarithmic value axis."), default=False),
    }


def check_user_chart(kind: str, node, path, ctx):
    values = Obj(fields=user_chart_fields(kind), name=f"a '{kind}' chart").check_items(
        node, path, ctx, node.value, skip=("kind",))
    if values is INVALID:
        return INVALID
    if (values["data"] is None) == (values["csv"] is None):
        return ctx.error(node, path, f"a '{kind}' chart needs its numbers: either 'data' or 'csv' (not both)")
    caption = values.pop("caption")
    params = {k: v for k, v in values.items() if v is not None and v is not False}
    chart = m.Chart(kind=kind, params=params, caption=caption)
    if values["data"] is not None:
        from ..charts.user_data import build

        try:
            chart = m.Chart(kind=kind, params=params, caption=caption, data=build(kind, params, values["data"]))
        except ValueError as e:
            return ctx.error(node.value["data"][1], f"{path}.data", str(e))
    return chart


def user_chart_json(kind: str) -> dict:
    props = {"kind": {"const": kind, "description": f"A {kind} chart of your own numbers."}}
    props.update({k: f.schema.json() for k, f in user_chart_fields(kind).items()})
    return {"type": "object", "properties": props, "required": ["kind"], "additionalProperties": False}
