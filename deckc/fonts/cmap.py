"""What the layout needs from a TrueType font, read straight from its tables.

- coverage: which characters a font has (the `cmap` table). Deciding which font draws a
  character needs every font's coverage; parsing whole fonts with reportlab just to learn that
  costs 0.4 s at start-up (the CJK font alone is 3.4 MB).
- metrics: advance widths per character and the hhea line metrics (`cmap`, `hmtx`, `head`,
  `hhea`), as reportlab computes them, so measuring text imports no reportlab; only the PDF
  writer registers fonts with it.

Only the table directory and the tables named are parsed, once per font: milliseconds.
"""
from __future__ import annotations

import struct
from functools import lru_cache
from pathlib import Path


def _subtables(data: bytes, cmap_off: int):
    _, count = struct.unpack_from(">HH", data, cmap_off)
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", data, cmap_off + 4 + 8 * i)
        yield platform, encoding, cmap_off + offset


def _format12(data: bytes, off: int) -> dict[int, int]:
    """code point -> glyph of a format 12 subtable (sequential groups)."""
    n_groups, = struct.unpack_from(">I", data, off + 12)
    out: dict[int, int] = {}
    for g in range(n_groups):
        start, end, glyph = struct.unpack_from(">III", data, off + 16 + 12 * g)
        out.update(zip(range(start, end + 1), range(glyph, glyph + end + 1 - start)))
    return out


def _format4(data: bytes, off: int) -> dict[int, int]:
    """code point -> glyph of a format 4 subtable (BMP segments)."""
    seg_x2, = struct.unpack_from(">H", data, off + 6)
    n = seg_x2 // 2
    ends = struct.unpack_from(f">{n}H", data, off + 14)
    starts = struct.unpack_from(f">{n}H", data, off + 16 + seg_x2)
    deltas = struct.unpack_from(f">{n}h", data, off + 16 + 2 * seg_x2)
    ro_off = off + 16 + 3 * seg_x2
    range_offsets = struct.unpack_from(f">{n}H", data, ro_off)
    out: dict[int, int] = {}
    for i in range(n):
        start, end, delta, ro = starts[i], ends[i], deltas[i], range_offsets[i]
        if start == 0xFFFF:
            continue
        if ro == 0:
            out.update((cp, (cp + delta) & 0xFFFF) for cp in range(start, end + 1))
            continue
        for cp in range(start, end + 1):
            glyph, = struct.unpack_from(">H", data, ro_off + 2 * i + ro + 2 * (cp - start))
            out[cp] = (glyph + delta) & 0xFFFF if glyph else 0
    return out


def _tables(data: bytes) -> dict[bytes, int]:
    n_tables, = struct.unpack_from(">H", data, 4)
    out = {}
    for i in range(n_tables):
        tag, _, offset, _ = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        out[tag] = offset
    return out


def _char_to_glyph(data: bytes, tables: dict[bytes, int]) -> dict[int, int]:
    """The Unicode cmap (format 12, else format 4). As reportlab: NO-BREAK SPACE always gets the
    space's glyph, and the space NO-BREAK SPACE's when the font has no space."""
    cmap_off = tables.get(b"cmap")
    if cmap_off is None:
        return {}
    found = {}
    for platform, encoding, off in _subtables(data, cmap_off):
        fmt, = struct.unpack_from(">H", data, off)
        found.setdefault((platform, encoding, fmt), off)
    for key, parse in (((3, 10, 12), _format12), ((0, 4, 12), _format12), ((3, 1, 4), _format4),
                       ((0, 3, 4), _format4)):
        if key in found:
            glyphs = parse(data, found[key])
            if 0x20 in glyphs:
                glyphs[0xA0] = glyphs[0x20]
            elif 0xA0 in glyphs:
                glyphs[0x20] = glyphs[0xA0]
            return glyphs
    return {}


@lru_cache(maxsize=16)
def _font(path: Path) -> tuple[bytes, dict[bytes, int], dict[int, int]]:
    """(file bytes, table offsets, cmap) of a font, read and parsed once for coverage and metrics."""
    data = Path(path).read_bytes()
    tables = _tables(data)
    return data, tables, _char_to_glyph(data, tables)


def coverage(path: Path) -> frozenset[int]:
    """Code points that map to a real glyph (not .notdef) in the font's Unicode cmap."""
    return frozenset(cp for cp, glyph in _font(Path(path))[2].items() if glyph)


def metrics(path: Path) -> tuple[dict[int, float], float, tuple[float, float, float]]:
    """(widths, default width, (ascender, -descender, lineGap)), all per 1000 em.

    widths maps each code point with a glyph to that glyph's advance; anything else is drawn
    as glyph 0 (.notdef) and has the default width. Same numbers as reportlab's TTFontFace
    charWidths / defaultWidth (tests/test_fonts.py compares them)."""
    data, tables, cmap = _font(Path(path))
    units_per_em, = struct.unpack_from(">H", data, tables[b"head"] + 18)
    asc, desc, gap = struct.unpack_from(">hhh", data, tables[b"hhea"] + 4)
    n_hmetrics, = struct.unpack_from(">H", data, tables[b"hhea"] + 34)
    k = 1000 / units_per_em
    advances = struct.unpack_from(f">{2 * n_hmetrics}H", data, tables[b"hmtx"])[0::2]
    if units_per_em != 1000:                  # reportlab: x * (1000 / unitsPerEm), exactly this float
        advances = [a * k for a in advances]
    last = advances[-1]                       # glyphs past numberOfHMetrics share the last advance
    widths = {cp: (advances[g] if g < n_hmetrics else last) for cp, g in cmap.items() if g}
    return widths, advances[0], (asc * k, -desc * k, gap * k)


@lru_cache(maxsize=16)
def glyph_chars(path: Path) -> dict[int, tuple[int, ...]]:
    """glyph -> the code points that map to it, smallest first (what can draw a glyph a shaping
    engine chose)."""
    out: dict[int, list[int]] = {}
    for cp, glyph in sorted(_font(Path(path))[2].items()):
        if glyph:
            out.setdefault(glyph, []).append(cp)
    return {g: tuple(cps) for g, cps in out.items()}
