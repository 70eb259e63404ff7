"""Which language a run of text is in, as far as its script tells: the `lang` a PPTX run and a
tagged PDF's /Lang carry where a run's script differs from the lesson's language.

Only scripts that name a language unambiguously enough for a screen reader to pick the right
voice are mapped (Arabic letters -> ar, Hebrew -> he, kana -> ja, Hangul -> ko, Han without kana
-> zh, Thai -> th, Devanagari -> hi, Greek words -> el, Cyrillic -> ru). Latin text in a Japanese
lesson is left to the lesson's language: nothing in the letters says which one it is. Greek and
Cyrillic count only as words (two letters or more in a row): a lone α or β in an ML lecture is a
symbol, not Greek.
"""
from __future__ import annotations

import re
from functools import lru_cache

# (pattern, language); the first script present wins, in this order (kana before Han: Japanese
# mixes both).
_SCRIPTS = (
    (re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]"), "ar"),
    (re.compile("[\u0590-\u05ff\ufb1d-\ufb4f]"), "he"),
    (re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]"), "ja"),
    (re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]"), "ko"),
    (re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]"), "zh"),
    (re.compile("[\u0e00-\u0e7f]"), "th"),
    (re.compile("[\u0900-\u097f]"), "hi"),
    (re.compile("[\u0370-\u03ff\u1f00-\u1fff]{2,}"), "el"),
    (re.compile("[\u0400-\u04ff]{2,}"), "ru"),
)
# Languages written in a script above besides the one it maps to: a Persian lesson's Arabic-script
# run is Persian, a Chinese lesson's Han is its own Chinese, a Japanese lesson's Han is Japanese.
_SAME_SCRIPT = {"ar": {"fa", "ur", "ps", "sd", "ug", "ku"}, "he": {"yi"}, "zh": {"ja", "ko"},
                "hi": {"mr", "ne", "sa"}, "ru": {"uk", "be", "bg", "sr", "mk", "kk", "ky", "mn"}}
# Office names a run's language with a region (PowerPoint writes "ar-SA", "ja-JP").
_OFFICE_REGION = {"ar": "ar-SA", "he": "he-IL", "ja": "ja-JP", "ko": "ko-KR", "zh": "zh-CN", "th": "th-TH",
                  "hi": "hi-IN", "el": "el-GR", "ru": "ru-RU", "en": "en-US", "de": "de-DE", "fr": "fr-FR",
                  "es": "es-ES", "it": "it-IT", "pt": "pt-BR", "nl": "nl-NL", "fa": "fa-IR", "ur": "ur-PK"}
# Scripts that Office sets with its complex-script face (a:cs) or East Asian face (a:ea).
COMPLEX = frozenset({"ar", "he", "th", "hi"})
EAST_ASIAN = frozenset({"ja", "ko", "zh"})


def primary(tag: str) -> str:
    return tag.split("-")[0].lower()


@lru_cache(maxsize=16384)
def script_language(text: str) -> str | None:
    """The language `text`'s script names (see the module docstring), or None (Latin, digits,
    symbols, emoji)."""
    for pattern, lang in _SCRIPTS:
        if pattern.search(text):
            return lang
    return None


def run_language(text: str, default: str) -> str | None:
    """The language to mark on a run of `text` in a document in language `default`: None when the
    run is in the document's language (or its script says nothing)."""
    lang = script_language(text)
    if lang is None:
        return None
    base = primary(default)
    if base == lang or base in _SAME_SCRIPT.get(lang, ()):
        return None
    return lang


_CJK = "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\u3400-\u4dbf\u4e00-\u9fff" \
       "\uf900-\ufaff\U00020000-\U0002fa1f\u3000-\u303f\uff01-\uff60"
# A stretch of one script, words joined by the spaces between them (an Arabic phrase is one piece).
_PIECE = re.compile("|".join(f"(?:[{c}]{rep}(?:[ \u00a0]+[{c}]+)*)" for c, rep in (
    ("\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff", "+"), ("\u0590-\u05ff\ufb1d-\ufb4f", "+"),
    (_CJK, "+"), ("\u0e00-\u0e7f", "+"), ("\u0900-\u097f", "+"), ("\u0370-\u03ff\u1f00-\u1fff", "{2,}"),
    ("\u0400-\u04ff", "{2,}"))))


@lru_cache(maxsize=16384)
def language_pieces(text: str, default: str) -> tuple[tuple[str, str | None], ...]:
    """`text` cut where its language changes: (piece, language or None for the document's), the
    pieces joining back to `text`. "In Arabic, كتاب means book" -> the Arabic word on its own."""
    out: list[tuple[str, str | None]] = []
    at = 0
    for m in _PIECE.finditer(text):
        lang = run_language(m.group(0), default)
        if lang is None:
            continue
        if m.start() > at:
            out.append((text[at:m.start()], None))
        out.append((m.group(0), lang))
        at = m.end()
    if at < len(text):
        out.append((text[at:], None))
    return tuple(out)


RIGHT_TO_LEFT = frozenset({"ar", "he"})


def logical_text(drawn: str, lang: str) -> str:
    """What a piece of a laid-out line says, for a PDF's /ActualText: a right-to-left piece is drawn
    in display order and (Arabic) as contextual forms, so its letters are put back in reading
    order (each with its marks) and the forms back to letters (NFKC, which maps Arabic
    presentation forms and the lam-alef ligatures to their letters). Other pieces are as drawn."""
    if lang not in RIGHT_TO_LEFT:
        return drawn
    import unicodedata

    clusters: list[str] = []
    for ch in drawn:
        if clusters and unicodedata.combining(ch):
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return unicodedata.normalize("NFKC", "".join(reversed(clusters)))


def office_language(tag: str) -> str:
    """A BCP 47 tag as Office writes a run's `lang` (with a region): "en" -> "en-US", "ar" -> "ar-SA";
    a tag that already has a region is kept."""
    if "-" in tag:
        return tag
    return _OFFICE_REGION.get(tag.lower(), tag)
