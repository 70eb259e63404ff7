"""Which characters a TrueType font has, read straight from its `cmap` table.

Deciding which font draws a character needs every font's coverage; parsing whole fonts with
reportlab just to learn that costs 0.4 s at start-up (the CJK font alone is 3.4 MB). This reads
only the table directory and the Unicode subtable (format 12, else format 4): milliseconds.
"""
from __future__ import annotations

import struct
from pathlib import Path


def _subtables(data: bytes, cmap_off: int):
    _, count = struct.unpack_from(">HH", data, cmap_off)
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", data, cmap_off + 4 + 8 * i)
        yield platform, encoding, cmap_off + offset


def _format12(data: bytes, off: int) -> set[int]:
    n_groups, = struct.unpack_from(">I", data, off + 12)
    out: set[int] = set()
    for g in range(n_groups):
        start, end, glyph = struct.unpack_from(">III", data, off + 16 + 12 * g)
        out.update(range(start + (glyph == 0), end + 1))     # a group starting at glyph 0 maps its first to .notdef
    return out


def _format4(data: bytes, off: int) -> set[int]:
    seg_x2, = struct.unpack_from(">H", data, off + 6)
    n = seg_x2 // 2
    ends = struct.unpack_from(f">{n}H", data, off + 14)
    starts = struct.unpack_from(f">{n}H", data, off + 16 + seg_x2)
    deltas = struct.unpack_from(f">{n}h", data, off + 16 + 2 * seg_x2)
    ro_off = off + 16 + 3 * seg_x2
    range_offsets = struct.unpack_from(f">{n}H", data, ro_off)
    out: set[int] = set()
    for i in range(n):
        start, end, delta, ro = starts[i], ends[i], deltas[i], range_offsets[i]
        if start == 0xFFFF:
            continue
        for cp in range(start, end + 1):
            if ro == 0:
                glyph = (cp + delta) & 0xFFFF
            else:
                addr = ro_off + 2 * i + ro + 2 * (cp - start)
                glyph, = struct.unpack_from(">H", data, addr)
                if glyph:
                    glyph = (glyph + delta) & 0xFFFF
            if glyph:
                out.add(cp)
    return out


def coverage(path: Path) -> frozenset[int]:
    """Code points that map to a real glyph (not .notdef) in the font's Unicode cmap."""
    data = Path(path).read_bytes()
    n_tables, = struct.unpack_from(">H", data, 4)
    cmap_off = None
    for i in range(n_tables):
        tag, _, offset, _ = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        if tag == b"cmap":
            cmap_off = offset
    if cmap_off is None:
        return frozenset()
    found = {}
    for platform, encoding, off in _subtables(data, cmap_off):
        fmt, = struct.unpack_from(">H", data, off)
        found.setdefault((platform, encoding, fmt), off)
    for key, parse in (((3, 10, 12), _format12), ((0, 4, 12), _format12), ((3, 1, 4), _format4),
                       ((0, 3, 4), _format4)):
        if key in found:
            cps = parse(data, found[key])
            if 0x20 in cps:
                cps.add(0xA0)    # as reportlab does: a font without NO-BREAK SPACE draws it as a space
            return frozenset(cps)
    return frozenset()
