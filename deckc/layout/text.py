"""Measured text: inline markup -> runs -> lines wrapped with the real font metrics.

Scripts beyond Latin:

- Chinese, Japanese and Korean have no spaces between words: a line may break between any two
  of their characters (and around emoji), except before closing punctuation (、。」...) and after
  opening punctuation (「（...), as UAX #14 and LibreOffice/PowerPoint do. Like them, a long
  word also breaks after "-", "?", "!", "|" and around dashes, but not after "/" (LibreOffice
  keeps a URL's path together); a word with no such place is broken between characters.
- Right-to-left text (Hebrew, Arabic) is wrapped in logical order, then each wrapped line is
  put in visual (display) order with the Unicode bidirectional algorithm (UAX #9, see .bidi):
  ``Para.lines`` are what the PDF draws, left to right. ``Para.runs`` keep the logical order:
  the PPTX gets those, and PowerPoint/LibreOffice reorder themselves. A paragraph of
  right-to-left letters only (``Para.rtl``) is a right-to-left paragraph: right-aligned, its
  bullet on the right, marked rtl in the PPTX; mixed paragraphs are left to right.
- Arabic letters are shaped by HarfBuzz with DejaVu Sans's own rules (see .bidi): each letter
  becomes the character of the contextual form the font chose (presentation forms, U+FB50-U+FEFF)
  and lam + alef their ligature. Widths are measured on the shaped text. The PDF writer's font
  book places marks (harakat) on their letter with the font's GPOS (deckc.fonts.shaping).
"""
from __future__ import annotations

from functools import lru_cache

from ..fonts import Style, font_book
from .bidi import _ARABIC, rtl_paragraph, shape_arabic, visual_line
from .linebreak import tokens as _tokens
from .plan import Para, Run
from .runs import line_text, merge as _merge, runs_from_markup, style as _style


@lru_cache(maxsize=65536)
def _width(text: str, bold: bool, italic: bool, mono: bool, size: float) -> float:
    if _ARABIC.search(text):
        text = shape_arabic(text)
    return font_book().width(text, Style(bold=bold, italic=italic, mono=mono), size)


def run_width(run: Run, size: float) -> float:
    if run.math is not None:
        return run.math.width * size
    return _width(run.text, run.bold, run.italic, run.mono, size)


def line_width(line: tuple[Run, ...], size: float) -> float:
    return sum(run_width(r, size) for r in line)


def _split_long(word: list[Run], size: float, max_w: float) -> list[list[Run]]:
    """A word wider than the line (a URL, say) is broken between characters."""
    chunks: list[list[Run]] = [[]]
    w = 0.0
    for run in word:
        if run.math is not None:        # a formula is never broken
            if w and w + run_width(run, size) > max_w:
                chunks.append([])
                w = 0.0
            chunks[-1].append(run)
            w += run_width(run, size)
            continue
        for ch in run.text:
            cw = _width(ch, run.bold, run.italic, run.mono, size)
            if w + cw > max_w and chunks[-1]:
                chunks.append([])
                w = 0.0
            chunks[-1].append(Run(ch, run.bold, run.italic, run.mono, run.color, run.highlight))
            w += cw
    return chunks


def widest_word(runs: tuple[Run, ...], size: float) -> float:
    """Width of the widest piece of ``runs`` that no line break can split (its min-content width)."""
    return max((sum(run_width(f, size) for f in frags) for kind, frags in _tokens(runs) if kind == "word"),
               default=0.0)


def wrap(runs: tuple[Run, ...], size: float, max_w: float) -> tuple[tuple[Run, ...], ...]:
    lines: list[list[Run]] = [[]]
    w = 0.0
    pending: list[Run] = []   # spaces, kept only if a word follows on the same line
    at_start = True           # at the paragraph's start or after a hard break (not a wrap)
    for kind, frags in _tokens(runs):
        if kind == "break":
            lines.append([])
            w, pending = 0.0, []
            at_start = True
            continue
        fw = sum(run_width(f, size) for f in frags)
        if kind == "space":
            if lines[-1]:
                pending.extend(frags)
            elif at_start and frags[0].mono:    # code indented at the start of a line keeps it
                lines[-1].extend(frags)
                w += fw
            continue
        at_start = False
        pw = sum(run_width(f, size) for f in pending)
        if lines[-1] and w + pw + fw > max_w:
            lines.append([])
            w, pending = 0.0, []
            pw = 0.0
        if not lines[-1] and fw > max_w:
            chunks = _split_long(frags, size, max_w)
            for chunk in chunks[:-1]:
                lines[-1].extend(chunk)
                lines.append([])
            frags = chunks[-1]
            fw = sum(run_width(f, size) for f in frags)
        lines[-1].extend(pending + frags)
        w += pw + fw
        pending = []
    return tuple(_merge(line) for line in lines)


def make_para(text: str, size: float, width: float, color: str, *, bold: bool = False, italic: bool = False,
              align: str = "left", space_before: float = 0.0, bullet: str | None = None,
              highlight: str | None = None, line_spacing: float = 1.2) -> Para:
    runs = runs_from_markup(text, color, bold=bold, italic=italic, highlight=highlight)
    return para_from_runs(runs, size, width, align=align, space_before=space_before, bullet=bullet,
                          line_spacing=line_spacing)


def para_from_runs(runs: tuple[Run, ...], size: float, width: float, *, align: str = "left",
                   space_before: float = 0.0, bullet: str | None = None, line_spacing: float = 1.2) -> Para:
    indent = size * 1.1 if bullet else 0.0
    rtl = rtl_paragraph(line_text(runs))
    if rtl:     # a right-to-left paragraph starts at the right: "left" (the start) becomes "right"
        align = {"left": "right", "right": "left"}.get(align, align)
    lines = tuple(visual_line(line, rtl) for line in wrap(runs, size, max(width - indent, size)))
    tallest = max(((r.math.ascent + r.math.descent) * 1.1 for r in runs if r.math is not None), default=0.0)
    return Para(runs=runs, size=size, lines=lines, line_height=round(size * max(line_spacing, tallest), 2), align=align,
                space_before=space_before, bullet=bullet, indent=indent, rtl=rtl)


def paras_height(paras) -> float:
    return sum(p.height for p in paras)


def paras_fit_width(paras, width: float) -> bool:
    return all(line_width(line, p.size) <= width - p.indent + 0.01 for p in paras for line in p.lines)


# ---- cutting ----------------------------------------------------------------------------------

ELLIPSIS = "…"


def truncate_para(p: Para, n: int, width: float) -> Para:
    """The first ``n`` lines of ``p`` (laid out at ``width``), the last one ending in an ellipsis
    that fits: characters are taken off its (logical) end until it does. ``runs`` become the text
    of the kept lines plus the ellipsis, so a writer that wraps again (PowerPoint) shows the same lines."""
    logical = wrap(p.runs, p.size, max(width - p.indent, p.size))
    if len(logical) != len(p.lines):        # not laid out at this width: keep what was measured
        logical = p.lines
    keep = [list(line) for line in logical[:max(n, 1)]]
    last = keep[-1]
    room = max(width - p.indent, p.size)
    tail = Run(ELLIPSIS, *_style((last or list(p.runs) or [Run("")])[-1]))
    while last and line_width(tuple(last) + (tail,), p.size) > room:
        r = last[-1]
        if r.text[:-1]:
            last[-1] = Run(r.text[:-1], *_style(r))
        else:
            last.pop()
    if last and last[-1].text.rstrip() != last[-1].text:
        last[-1] = Run(last[-1].text.rstrip(), *_style(last[-1]))
    # The kept text is where the kept lines end in the paragraph's own (logical) text.
    source, end = "".join(r.text for r in p.runs), 0
    for line in keep:
        text = line_text(line)
        at = source.find(text, end) if text else end
        if at < 0:                          # lines not taken from these runs: join them with spaces
            runs = [Run((" " if i and line else "") + line_text(line), *_style(line[0])) for i, line in
                    enumerate(keep) if line]
            break
        end = at + len(text)
    else:
        runs, count = [], end
        for r in p.runs:
            if count <= 0:
                break
            runs.append(Run(r.text[:count], *_style(r)))
            count -= len(r.text)
    last.append(tail)
    lines = tuple(visual_line(_merge(line), p.rtl) for line in keep)
    return Para(runs=_merge([*runs, tail]), size=p.size, lines=lines, line_height=p.line_height, align=p.align,
                space_before=p.space_before, bullet=p.bullet, indent=p.indent, rtl=p.rtl)



