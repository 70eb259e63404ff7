"""The page's colours from the deck's theme: CSS custom properties over player.css's defaults
(which are the default theme's), so a dark, high-contrast, theme-file or template deck gives a
page in the same colours. The default theme adds nothing (the page stays as it was)."""
from __future__ import annotations

from ...layout.theme import DEFAULT_THEME, luminance, mix


def theme_css(theme) -> str:
    t = theme or DEFAULT_THEME
    if t == DEFAULT_THEME:
        return ""
    dark = luminance(t.background) < luminance(t.text)
    props = {"text": t.text, "muted": t.muted, "accent": t.accent, "accent-ink": t.accent,
             "bg": mix(t.background, t.text, 0.04), "card": t.background, "line": t.rule,
             "highlight": t.highlight, "chip": t.chip_fill}
    for name, tone in t.tones.items():
        props.update({f"{name}-bg": tone.fill, f"{name}-edge": tone.border, f"{name}-ink": tone.text})
    props.update({"on-accent": t.table_header_text, "stripe": t.table_stripe, "table-line": t.table_border})
    body = "; ".join(f"--{k}: #{v}" for k, v in props.items())
    return f":root {{ {body}; color-scheme: {'dark' if dark else 'light'}; }}\n{RULES}"


# player.css writes a few colours for its light default; under another theme they follow the theme
# (text on the accent in the theme's on-accent colour, cards in the card colour, a code panel light
# with dark text as on the slides).
RULES = """.skip-link { color: var(--card); }
.nav, .token.focus, thead th { color: var(--on-accent); }
.nav.prev, .nav:disabled, .option, .retry { background: var(--card); }
.nav:disabled { color: var(--muted); }
.option:hover:not(:disabled) { background: var(--chip); }
.option.is-right .letter, .option.is-wrong .letter { color: var(--card); }
th, td { border-color: var(--table-line); }
tbody tr:nth-child(even) { background: var(--stripe); }
pre.code { color: #1F2A44; }
.analogy-section { background: linear-gradient(135deg, var(--note-bg), var(--insight-bg)); }
"""


_MIME = {"png": "image/png", "jpeg": "image/jpeg", "svg": "image/svg+xml"}


def logo_html(theme) -> str:
    """The theme file's logo, or the template's first master picture, in the page's header
    (decorative, like on the slides: alt="")."""
    import base64

    t = theme or DEFAULT_THEME
    if t.logo is not None:
        data, fmt = t.logo.data, t.logo.format
    elif t.template is not None and t.template.decor.get("title"):
        d = t.template.decor["title"][0]
        data, fmt = d.data, d.format
    else:
        return ""
    src = f"data:{_MIME[fmt]};base64,{base64.b64encode(data).decode()}"
    return (f'<img class="lesson-logo" alt="" src="{src}" '
            f'style="float: right; max-height: 3.5rem; max-width: 12rem; margin: 0 0 .5rem 1rem">')
