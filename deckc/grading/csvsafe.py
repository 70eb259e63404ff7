"""CSV cells a spreadsheet will not run: every CSV deckc writes goes through here.

A cell that starts with ``= + - @``, a tab or a carriage return is a formula to Excel, LibreOffice
and Google Sheets (CSV injection: a student named ``=HYPERLINK(...)`` or an error message
``-1+cmd|...``). Such text cells get a leading apostrophe, which spreadsheets show as text and
hide; numbers (a negative score is a number, not a formula) are written as numbers.
"""
from __future__ import annotations

import csv
import os
from pathlib import Path

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_START):
        try:
            float(text)            # "-1.5" is a number, not a formula
            return text
        except ValueError:
            return "'" + text
    return text


def write_rows(path: Path, header: list[str], rows, *, bom: bool = False) -> Path:
    """Write header + rows (lists, or dicts keyed by the header) atomically, every cell made safe.

    bom=True starts the file with a UTF-8 byte-order mark (what Excel needs to read UTF-8 names)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([cell(h) for h in header])
        for row in rows:
            values = [row.get(h, "") for h in header] if isinstance(row, dict) else list(row)
            writer.writerow([cell(v) for v in values])
    os.replace(tmp, path)
    return path
