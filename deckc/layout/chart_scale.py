"""Numbers on chart axes: Excel-style number formats and the value scale ("nice" linear ticks or
a log axis at powers of ten). Pure arithmetic: no fonts, no boxes."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

_FMT = re.compile(r"([#,0]*)(?:\.([0#]+))?(?:[Ee]([+-])(0+))?")


@lru_cache(maxsize=8192)       # axis and cell labels repeat across the layout's size probes
def format_number(value: float, fmt: str) -> str:
    """Format like an Excel/PowerPoint number format of the common forms:
    ``0``, ``0.00``, ``#,##0.0``, ``0%``, ``0.0E+00``, ``0E+0``; anything else -> ``%g``."""
    v = float(value)
    if not math.isfinite(v):
        return str(v)
    core = (fmt or "").strip()
    pct = core.endswith("%")
    if pct:
        core, v = core[:-1], v * 100.0
    m = _FMT.fullmatch(core) if core and core.lower() != "general" else None
    if not m or not (m.group(1) or m.group(2)):
        return f"{v:g}"
    int_part, dec, e_sign, e_digits = m.groups()
    d = len(dec or "")
    if e_sign:
        mant, exp = f"{v:.{d}e}".split("e")
        exp = int(exp)
        sign = "-" if exp < 0 else ("+" if e_sign == "+" else "")
        out = f"{mant}E{sign}{str(abs(exp)).zfill(len(e_digits))}"
    else:
        out = f"{v:,.{d}f}" if "," in int_part else f"{v:.{d}f}"
    if out.startswith("-") and not re.search(r"[1-9]", out.split("E")[0]):
        out = out[1:]                      # no "-0.00"
    return out + ("%" if pct else "")


def _decimals(fmt: str) -> int:
    m = _FMT.fullmatch((fmt or "").strip().rstrip("%"))
    return len(m.group(2) or "") if m else 0


@dataclass(frozen=True)
class Scale:
    """A value axis. Linear: `step` is added between ticks; log: `step` multiplies (10**k)."""

    log: bool
    lo: float
    hi: float
    step: float
    ticks: tuple[float, ...]
    fmt: str                      # number format of the tick labels

    def frac(self, v: float) -> float | None:
        """Position of v along the axis, 0 at lo .. 1 at hi; None if v cannot be shown (NaN, log of <= 0)."""
        if v is None or not math.isfinite(v):
            return None
        if self.log:
            if not (v > 0):
                return None
            a, b = math.log10(self.lo), math.log10(self.hi)
            return (math.log10(v) - a) / (b - a)
        return (v - self.lo) / (self.hi - self.lo)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(format_number(t, self.fmt) for t in self.ticks)

    @property
    def parts(self) -> tuple[tuple[str, str], ...]:
        """Each tick label as (text, superscript): a log axis says 10 with the exponent raised
        (10⁻²⁴, with a real minus), not "1E-24"; a linear axis has no superscript."""
        if not self.log:
            return tuple((lab, "") for lab in self.labels)
        return tuple(("10", f"{round(math.log10(t)):d}".replace("-", "\u2212")) for t in self.ticks)


def linear_scale(vmin: float, vmax: float, max_ticks: int, fmt: str) -> Scale:
    """Ticks at multiples of 1, 2 or 5 x 10^e; the axis includes 0 and ends on ticks."""
    lo, hi = min(0.0, vmin), max(0.0, vmax)
    if hi - lo <= 0:
        hi = lo + 1.0
    max_ticks = max(2, max_ticks)
    step = None
    e = math.floor(math.log10((hi - lo) / max_ticks)) - 1
    while step is None:
        for m in (1, 2, 5):
            s = m * 10.0 ** e
            n = math.ceil(hi / s - 1e-9) - math.floor(lo / s + 1e-9) + 1
            if n <= max_ticks:
                step = s
                break
        e += 1
    a, b = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    ticks = tuple(_clean(i * step) for i in range(a, b + 1))
    need = max(0, -math.floor(math.log10(step) + 1e-9))
    if "E" not in fmt.upper() and _decimals(fmt) < need:
        fmt = "0." + "0" * need            # the data format would print two ticks alike
    return Scale(False, ticks[0], ticks[-1], step, ticks, fmt)


def log_scale(vmin: float, vmax: float, max_ticks: int) -> Scale:
    """Log10 axis: bounds at powers of ten, ticks every k decades (k chosen to fit), lo a multiple of k."""
    if not (vmin > 0):
        vmin = 1.0
    if not (vmax > 0):
        vmax = vmin
    lo_e, hi_e = math.floor(math.log10(vmin) + 1e-9), math.ceil(math.log10(vmax) - 1e-9)
    if hi_e <= lo_e:
        hi_e = lo_e + 1
    max_ticks = max(2, max_ticks)
    for k in (1, 2, 3, 4, 5, 6, 10, 20, 50, 100):
        a = math.floor(lo_e / k) * k
        b = -(-hi_e // k) * k            # the top is a tick too
        if (b - a) // k + 1 <= max_ticks:
            break
    ticks = tuple(10.0 ** e for e in range(a, b + 1, k))
    return Scale(True, 10.0 ** a, 10.0 ** b, 10.0 ** k, ticks, "0E+0")


def finite(v) -> bool:
    return v is not None and math.isfinite(v)


def _clean(x: float) -> float:
    return float(f"{x:.12g}")
