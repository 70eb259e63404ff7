"""Which Office typefaces and language a PPTX run names, per script.

PowerPoint picks a run's font per character class: a:latin for Latin (and symbols), a:ea for
East Asian characters, a:cs for complex scripts (Arabic, Hebrew, Thai, Devanagari). Each slot has
to name a face that has those letters on the machine showing the deck, and the run's `lang` tells
spelling, hyphenation and screen readers which language it is. The PDF draws with the shipped
fonts; these are the Windows/macOS faces with the same scripts (the layout's line breaks hold for
Latin text, where Arial is Liberation Sans's metric twin; other scripts re-wrap as PowerPoint
measures them).
"""
from __future__ import annotations

from dataclasses import dataclass

from .files import EMOJI, PPTX_TYPEFACES
from .scripts import COMPLEX, EAST_ASIAN, office_language, primary, run_language, script_language

# The East Asian face for each language: Yu Gothic (Windows 8.1+, macOS with Office) for Japanese,
# Malgun Gothic (Windows Vista+) for Korean, Microsoft YaHei for Simplified Chinese.
EA_FACE = {"ja": "Yu Gothic", "ko": "Malgun Gothic", "zh": "Microsoft YaHei"}
# The complex-script face: Tahoma has Arabic and Hebrew on Windows and macOS alike (Segoe UI Symbol,
# named before, has no Arabic letter); Leelawadee UI (Thai) and Nirmala UI (Devanagari) ship with
# Windows. Not Arial: the PPTX writer renames the measured Latin face (Arial) to a theme's own.
CS_FACE = {"ar": "Tahoma", "he": "Tahoma", "th": "Leelawadee UI", "hi": "Nirmala UI"}


@dataclass(frozen=True)
class RunFaces:
    latin: str
    ea: str
    cs: str
    sym: str | None       # a symbol font (emoji): a:sym
    lang: str             # Office's language tag for the run ("en-US", "ar-SA")


def run_faces(face: str, font_name: str | None, text: str, deck_lang: str) -> RunFaces:
    """The faces and language of a run of `text` that the FontBook draws with shipped font
    `font_name` (a segment), in a deck in `deck_lang`; `face` is the style's Latin face (Arial, or
    Courier New for code)."""
    own = run_language(text, deck_lang)
    lang = own or deck_lang
    base = primary(lang)
    if font_name == EMOJI:
        emoji = PPTX_TYPEFACES[EMOJI]
        return RunFaces(emoji, emoji, emoji, emoji, office_language(lang))
    latin = face
    special = PPTX_TYPEFACES.get(font_name, face) if font_name is not None else face
    if special != face and script_language(text) is None:
        latin = special           # symbols the Latin face lacks (arrows, math signs): Segoe UI Symbol
    deck_base = primary(deck_lang)
    ea = EA_FACE.get(base if base in EAST_ASIAN else deck_base, latin)
    cs = CS_FACE.get(base if base in COMPLEX else deck_base, latin)
    return RunFaces(latin, ea, cs, None, office_language(lang))
