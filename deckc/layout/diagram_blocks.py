"""Block layouts for the chip diagrams: a sentence (words as chips, one in focus, arrows to it),
steps (a row of chips with states beneath, revealed one per click) and tokens (chips that
attend to a target, coloured by strength). Registered with @block like every block layout.
"""
from __future__ import annotations

from dataclasses import replace

from .. import model as m
from ..markup import plain_text
from .blocks import Measured, _text_box, block
from .plan import Arrow, Element, Shape
from .reveal import step_of
from .text import line_width, make_para, paras_height, runs_from_markup, widest_word
from .theme import Theme, contrast, mix


@block(m.Sentence)
def _sentence(b: m.Sentence, w, s, ctx):
    t = ctx.theme
    pad = (16 * s, 8 * s, 8 * s, 8 * s)
    inner = w - pad[0] - pad[2]
    paras = [make_para(b.text, t.type.at("heading", s), inner, t.text, italic=True, highlight=t.highlight)]
    if b.note:
        paras.append(make_para(b.note, t.type.at("secondary", s), inner, t.text, space_before=4 * s))
    h = paras_height(paras) + pad[1] + pad[3]

    def place(x, y, hh):
        bar = Shape(name=f"{ctx.name}.sentence-bar", x=x, y=y, w=4 * s, h=h, kind="rect", fill=t.accent,
                    decorative=True)
        return [bar, _text_box(ctx, "sentence", x, y, w, paras, pad=pad)]

    return Measured(h, place)


def _chip_rows(labels, w, s, ctx, size, texts):
    """Chips sized to their text at the deck's chip size (never shrunk to keep one row): chips that
    do not fit on a row wrap onto the next. Returns (rows of (index, width), chip height, gap, paras, pad)."""
    pad_x, pad_y, gap = 10 * s, 5 * s, 8 * s
    paras = [make_para(lab, size, 10_000, tc, align="center") for lab, tc in zip(labels, texts)]
    widths = [line_width(p.lines[0], size) + 2 * pad_x + 2 for p in paras]   # +2: renderer rounding
    rows: list[list[tuple[int, float]]] = [[]]
    used = 0.0
    for i, cw in enumerate(widths):
        cw = min(cw, w)
        if rows[-1] and used + gap + cw > w:
            rows.append([])
            used = 0.0
        used += (gap if rows[-1] else 0.0) + cw
        rows[-1].append((i, cw))
    paras = [make_para(lab, size, min(widths[i], w) - 2 * pad_x, tc, align="center")
             for i, (lab, tc) in enumerate(zip(labels, texts))]
    chip_h = max(p.height for p in paras) + 2 * pad_y
    return rows, chip_h, gap, paras, (pad_x, pad_y, pad_x, pad_y)


def step_colors(b: m.Steps, t: Theme) -> tuple[list[str], list[str]]:
    """Each step's chip fill and border: full colour at one end, fading towards the background at the
    other (`fade`). The HTML writer colours its steps with these too."""
    n = len(b.items)
    # The faded end is as pale as a graphic may be: its borders and arrows keep 3:1 against the
    # background (WCAG 1.4.11 non-text contrast); at 0.25 of the accent they were 1.4:1.
    floor = next((f / 100 for f in range(25, 101) if contrast(mix(t.accent, t.background, 1 - f / 100),
                                                              t.background) >= 3.0), 1.0)

    def strength(i):  # 1 = full colour; fading end goes towards the background
        if b.fade == "none" or n == 1:
            return 1.0
        k = i / (n - 1)
        return 1.0 - (1.0 - floor) * (k if b.fade == "forward" else 1 - k)

    return ([mix(t.accent, t.background, 1 - 0.25 * strength(i)) for i in range(n)],
            [mix(t.accent, t.background, 1 - strength(i)) for i in range(n)])


@block(m.Steps)
def _steps(b: m.Steps, w, s, ctx):
    """A row of chips at the chip size (never shrunk); when the row would make a chip narrower than
    its longest word, the chips flow onto more rows (arrows join the chips of one row)."""
    t = ctx.theme
    n = len(b.items)
    size = t.type.at("secondary", s)
    arrow_w = 26 * s
    words = max(widest_word(runs_from_markup(it.token, t.text, bold=True), size) for it in b.items)
    least = min(max(words + 16 * s + 2, 3 * size), w)
    per_row = max(1, min(n, int((w + arrow_w) // (least + arrow_w))))
    chip_w = min((w - arrow_w * (per_row - 1)) / per_row, 170 * s)

    fills, borders = step_colors(b, t)
    chip_paras = [make_para(it.token, size, chip_w - 16 * s, t.text, align="center", bold=True) for it in b.items]
    chip_h = max(p.height for p in chip_paras) + 12 * s
    state_paras = [make_para(it.state, t.type.at("caption", s), chip_w + arrow_w * 0.8, t.muted, align="center",
                             italic=True) if it.state else None for it in b.items]
    state_h = max((p.height for p in state_paras if p), default=0.0)
    row_h = chip_h + (6 * s + state_h if state_h else 0)
    rows = -(-n // per_row)
    row_gap = 10 * s
    cap = make_para(b.caption, t.type.at("caption", s), w, t.muted, italic=True) if b.caption else None
    h = rows * row_h + (rows - 1) * row_gap + (8 * s + cap.height if cap else 0)

    def place(x, y, hh):
        out: list[Element] = []
        row_w = chip_w * per_row + arrow_w * (per_row - 1)
        x0 = x + (w - row_w) / 2 if b.fade == "backward" else x
        for i, it in enumerate(b.items):
            r, c = divmod(i, per_row)
            cx, cy = x0 + c * (chip_w + arrow_w), y + r * (row_h + row_gap)
            out.append(_text_box(ctx, f"step{i + 1}", cx, cy, chip_w, [chip_paras[i]], h=chip_h,
                                 pad=(8 * s, 6 * s, 8 * s, 6 * s), valign="middle", fill=fills[i],
                                 border=borders[i], radius=8 * s, alt=f"Step {i + 1}: {plain_text(it.token)}"))
            if i < n - 1 and c < per_row - 1:
                ax = cx + chip_w + 4 * s
                out.append(Arrow(name=f"{ctx.name}.step-arrow{i + 1}", x=ax, y=cy + chip_h / 2, w=arrow_w - 8 * s,
                                 h=0.0, color=borders[i + 1] if b.fade == "forward" else borders[i], width=2 * s,
                                 decorative=True))   # the chips are read in order
            if state_paras[i]:
                sw = chip_w + arrow_w * 0.8
                out.append(_text_box(ctx, f"state{i + 1}", cx + chip_w / 2 - sw / 2, cy + chip_h + 6 * s, sw,
                                     [state_paras[i]], role="label"))   # a chip's label, not the slide's body
        if cap:
            out.append(_text_box(ctx, "caption", x, y + h - cap.height, w, [cap], role="caption"))
        if b.reveal:        # step k's chip and state on click k, the arrow into it with it
            out = [replace(el, step=step_of(el.name)) for el in out]
        return out

    return Measured(h, place)


@block(m.Tokens)
def _tokens(b: m.Tokens, w, s, ctx):
    t = ctx.theme
    texts = [("FFFFFF" if tok == b.focus else t.text) for tok in b.tokens]
    rows, chip_h, gap, paras, pad = _chip_rows(b.tokens, w, s, ctx, t.type.at("secondary", s), texts)
    row_of = {i: r for r, row in enumerate(rows) for i, _ in row}
    ids = {tok: i for i, tok in reversed(list(enumerate(b.tokens)))}   # first occurrence
    has_arrow = (b.focus in ids and b.target in ids and row_of[ids[b.focus]] == row_of[ids[b.target]])
    bow = 26 * s if has_arrow else 0.0
    row_gap = 8 * s
    chips_h = len(rows) * chip_h + (len(rows) - 1) * row_gap
    cap = make_para(b.caption, t.type.at("caption", s), w, t.text) if b.caption else None
    h = bow + chips_h + (10 * s + cap.height if cap else 0)

    def place(x, y, hh):
        out: list[Element] = []
        centres, tops = {}, {}
        for r, row in enumerate(rows):
            cx, cy = x, y + bow + r * (chip_h + row_gap)
            for i, cw in row:
                tok = b.tokens[i]
                fill, border = t.chip_fill, t.chip_border
                if tok == b.focus:
                    fill, border = t.accent, t.accent
                elif tok == b.target:
                    fill, border = t.highlight, "B08900"
                out.append(_text_box(ctx, f"token{i + 1}", cx, cy, cw, [paras[i]], h=chip_h, pad=pad,
                                     valign="middle", fill=fill, border=border, radius=6 * s,
                                     alt=f"Token {i + 1}: {tok}"))
                centres.setdefault(tok, cx + cw / 2)
                tops.setdefault(tok, cy)
                cx += cw + gap
        if has_arrow:
            x1, x2 = centres[b.focus], centres[b.target]
            out.append(Arrow(name=f"{ctx.name}.attends", x=x1, y=tops[b.focus], w=x2 - x1, h=0.0, color=t.accent,
                             width=2.5 * s, bow=bow - 4 * s, alt=f'Arrow: "{b.focus}" attends to "{b.target}"'))
        if cap:
            out.append(_text_box(ctx, "caption", x, y + bow + chips_h + 10 * s, w, [cap], role="caption"))
        return out

    return Measured(h, place)
