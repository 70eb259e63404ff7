"""Where a character of a YAML text value was written: a problem found at offset N of the value
(an unknown TeX command) is reported at its own FILE:LINE:COL, like a compiler's, not at the
start of the string. The value is mapped back through the scalar's style: plain, '...' ('' is
one quote), "..." (backslash escapes), and block scalars (| and >, any indentation)."""
from __future__ import annotations

_ESCAPE_LEN = {"x": 4, "u": 6, "U": 10}


def _decode_line(segment: str, style) -> tuple[str, list[int]]:
    """One source line's characters as they appear in the value, with the column of each."""
    out, cols, j = [], [], 0
    while j < len(segment):
        ch = segment[j]
        if style == "'" and segment.startswith("''", j):
            out.append("'"), cols.append(j)
            j += 2
        elif style == '"' and ch == "\\" and j + 1 < len(segment):
            width = _ESCAPE_LEN.get(segment[j + 1], 2)
            out.append("\0"), cols.append(j)       # stands for the escaped character; never searched for
            j += width
        else:
            out.append(ch), cols.append(j)
            j += 1
    return "".join(out), cols


def locate(node, value: str, offset: int) -> tuple[int, int] | None:
    """(line, col), 1-based, of value[offset] in the spec, or None when it cannot be told."""
    raw, style = node.raw, node.style
    if not raw or not 0 <= offset < len(value):
        return None
    lines = raw.split("\n")
    block = style in ("|", ">")
    start = 1 if block else 0                      # a block scalar's first line is its header
    pos = 0                                        # how far into the value the lines so far reach
    for k in range(start, len(lines)):
        line = lines[k]
        first_col = node.col if k == 0 else 1      # the scalar starts mid-line; later lines at column 1
        indent = 0 if k == 0 else len(line) - len(line.lstrip(" \t"))
        body = line[indent:]
        if k == 0 and style in ("'", '"'):
            body, indent = body[1:], indent + 1     # the opening quote
        if k == len(lines) - 1 and style in ("'", '"') and body.endswith(style):
            body = body[:-1]
        text, cols = _decode_line(body.rstrip(" \t") if not block else body, style)
        if not text:
            continue
        # The decoded line appears in the value at or after pos: folding only changes what joins lines.
        probe = text.split("\0", 1)[0] if style == '"' else text
        at = value.find(probe, pos) if probe else pos
        if at < 0:
            return None
        if at <= offset < at + len(text):
            i = offset - at
            return node.line + k, first_col + indent + cols[i]
        pos = at + len(text)
    return None
