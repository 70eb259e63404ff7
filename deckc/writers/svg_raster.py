"""An SVG's fallback picture for the PPTX: PowerPoint 2016+ draws the SVG itself (asvg:svgBlip);
older Office and LibreOffice show this PNG. resvg renders it (a complete SVG renderer in Rust,
shipped as a self-contained wheel), with system fonts off and deckc's shipped fonts given
explicitly, so the PNG is the same on every machine."""
from __future__ import annotations

from pathlib import Path

PX_PER_PT = 2.0          # 144 dpi at the size the slide shows it


def svg_png(data: bytes, w_pt: float, h_pt: float) -> bytes:
    import resvg_py

    fonts = sorted(str(p) for p in (Path(__file__).resolve().parent.parent / "fonts").glob("Liberation*.ttf"))
    return bytes(resvg_py.svg_to_bytes(svg_string=data.decode("utf-8"), width=max(int(round(w_pt * PX_PER_PT)), 1),
                                       height=max(int(round(h_pt * PX_PER_PT)), 1), skip_system_fonts=True,
                                       font_files=fonts, font_family="Liberation Sans",
                                       sans_serif_family="Liberation Sans", serif_family="Liberation Sans",
                                       monospace_family="Liberation Mono"))
