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
    body = "; ".join(f"--{k}: #{v}" for k, v in props.items())
    return f":root {{ {body}; color-scheme: {'dark' if dark else 'light'}; }}\n"
