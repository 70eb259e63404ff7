"""OUT/index.html: the lessons of a build folder, by module and in lesson order, with their minutes.

Written after a build from the lesson manifests (each HTML lesson records its module, number and
minutes there), so it lists every lesson built into OUT, also by earlier runs, and is the same
bytes for the same lessons. Written to a temporary file and renamed: never half a page.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import quote

INDEX = "index.html"


def _lessons(out_root: Path) -> list[dict]:
    found = []
    for manifest in sorted(out_root.glob("*/manifest.json")):
        try:
            doc = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        rel, info = doc.get("outputs", {}).get("html"), doc.get("lesson_info")
        if not isinstance(rel, str) or not isinstance(info, dict) or not (manifest.parent / rel).is_file():
            continue
        found.append({**info, "href": f"{quote(manifest.parent.name)}/{quote(rel)}"})
    return sorted(found, key=lambda l: (str(l.get("course", "")), str(l.get("module", "")),
                                        l.get("number", 0) if isinstance(l.get("number"), int) else 0,
                                        str(l.get("title", "")), l["href"]))


def _row(l: dict, esc) -> str:
    num, title, minutes = (esc(str(l.get(k, ""))) for k in ("number", "title", "minutes"))
    return (f'<li class="index-item"><a href="{esc(l["href"])}"><span class="index-num">Lesson {num}</span> '
            f'<span class="index-title" dir="auto">{title}</span></a>'
            f'<span class="index-min"><span aria-hidden="true">⏱️</span> {minutes} min</span></li>')


def index_html(lessons: list[dict]) -> str:
    from .blocks import esc
    from .fonts import FAMILY_MONO, FAMILY_SANS, font_face_css
    from .page import asset, visible_text

    groups: dict[tuple, list[dict]] = {}
    for l in lessons:
        groups.setdefault((str(l.get("course", "")), str(l.get("module", ""))), []).append(l)
    parts = []
    for (course, module), items in groups.items():
        total = sum(l.get("minutes", 0) for l in items if isinstance(l.get("minutes"), int))
        rows = "".join(_row(l, esc) for l in items)
        parts.append(f'<section class="lesson-section" aria-labelledby="m-{len(parts)}">'
                     f'<p class="module" dir="auto">{esc(course)}</p>'
                     f'<h2 id="m-{len(parts)}" dir="auto">{esc(module)}</h2>'
                     f'<p class="subtitle">{len(items)} lesson{"s" if len(items) != 1 else ""} · {total} min</p>'
                     f'<ol class="index-list">{rows}</ol></section>')
    body = (f'<div class="page"><header class="lesson-head"><h1>Lessons</h1></header><main>{"".join(parts)}'
            f'{"" if parts else "<p>No HTML lessons built yet.</p>"}</main></div>')
    css = asset("player.css").replace("$FAMILY_SANS", FAMILY_SANS).replace("$FAMILY_MONO", FAMILY_MONO)
    extra = (".index-list{list-style:none;margin:0;padding:0}.index-item{display:flex;justify-content:space-between;"
             "gap:1rem;align-items:center;border-top:1px solid var(--line);padding:.7rem 0}"
             ".index-item a{font-weight:700;text-decoration:none;min-height:24px}.index-item a:hover .index-title"
             "{text-decoration:underline}.index-num{color:var(--muted);font-weight:400}"
             ".index-min{white-space:nowrap;color:var(--muted)}")
    lang = next((str(l.get("language")) for l in lessons if l.get("language")), "en")
    return ("<!DOCTYPE html>\n"
            f'<html lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            "<title>Lessons</title>\n"
            f"<style>\n{font_face_css(visible_text(body))}\n{css}{extra}</style>\n</head>\n"
            f"<body>\n{body}\n</body>\n</html>\n")


def write_index(out_root: Path) -> Path | None:
    """(Re)write OUT/index.html if any lesson in OUT has an HTML page; returns its path."""
    lessons = _lessons(out_root)
    if not lessons:
        return None
    # The page's inputs, recorded in it: an unchanged folder costs no font subsetting (no-op builds).
    from ...code_fingerprint import code_fingerprint
    from ...staging import write_shared

    key = hashlib.sha256(json.dumps([code_fingerprint(), lessons], sort_keys=True).encode()).hexdigest()
    stamp = f'<meta name="deckc-index" content="{key}">'

    def fresh(path: Path) -> bool:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return stamp in f.read(4096)
        except OSError:
            return False

    # Under OUT's index lock, through a temporary file the next run removes if this one is killed.
    return write_shared(out_root, INDEX, lambda: index_html(lessons).replace("<title>", stamp + "\n<title>", 1),
                        fresh)
