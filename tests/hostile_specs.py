"""A generated corpus of hostile lesson specs: each must be refused with exit 2 and a located
FILE:LINE:COL message, fast, by `deckc check` and `deckc build` alike.

Used by tests/test_faults.py and benchmarks/hostile_specs.py. Each entry builds bytes from the
seed lesson (so everything else in the file is valid) and names what the message must say.
"""
from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED = (REPO / "lesson" / "the-sequence-problem.yaml").read_text(encoding="utf-8")
HEAD, SLIDES = SEED.split("slides:\n", 1)


def _swap(old: str, new: str) -> str:
    assert old in SEED, old
    return SEED.replace(old, new, 1)


def _laughs(levels: int = 10, width: int = 9, name: str = "l") -> list[str]:
    lines = [f'{name}0: &{name}0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"{name}{i}: &{name}{i} [" + ", ".join([f"*{name}{i - 1}"] * width) + "]")
    return lines


def quiz_alias_bomb() -> str:
    """Billion laughs inside a quiz slide's options: what the fingerprint once re-parsed unbounded."""
    quiz = ("  - kind: quiz\n    notes: n\n    question: q?\n    answer: A\n    x_anchors:\n"
            + "\n".join("      " + ln for ln in _laughs()) + "\n    options: *l9\n")
    return HEAD + "slides:\n" + quiz + SLIDES


def top_alias_bomb() -> str:
    return "\n".join(_laughs()) + "\n" + SEED.replace("lesson:\n", "lesson_x: *l9\nlesson:\n", 1)


def many_slides(n: int = 40_000) -> str:
    return HEAD + "slides:\n" + "".join(f"  - {{title: s{i}, notes: n, body: [x]}}\n" for i in range(n))


def many_keys(n: int = 100_000) -> str:
    return SEED.replace("lesson:\n", "lesson:\n" + "".join(f"  k{i}: 1\n" for i in range(n)), 1)


def many_values(n: int = 900_000) -> str:
    return SEED + "extra: [" + ",".join("1" for _ in range(n)) + "]\n"


def many_small_lists(lists: int = 300, items: int = 500) -> str:
    return SEED + "".join(f"x{i}: [" + ",".join("1" for _ in range(items)) + "]\n" for i in range(lists))


def deep(levels: int = 5_000) -> str:
    return SEED + "extra: " + "[" * levels + "]" * levels + "\n"


def deep_block(levels: int = 200) -> str:
    return SEED + "".join(" " * i + f"k{i}:\n" for i in range(levels)) + " " * levels + "v\n"


def many_aliases(lists: int = 100, per_list: int = 999) -> str:
    """Each list within every per-list bound, 99,900 aliases in all: expansion is what refuses it."""
    return SEED + "pair: &p [1, 2]\n" + "".join(f"x{i}: [" + ", ".join(["*p"] * per_list) + "]\n"
                                               for i in range(lists))


def huge_string() -> str:
    return _swap("  title: The Sequence Problem\n", "  title: " + "x" * 1_900_000 + "\n")


def oversized() -> bytes:
    return SEED.encode() + b"# padding padding padding padding padding\n" * 60_000


CORPUS: dict[str, tuple] = {
    # name: (spec text or bytes, a phrase the message must contain)
    "quiz-alias-bomb": (quiz_alias_bomb, "alias bomb"),
    "top-alias-bomb": (top_alias_bomb, "alias bomb"),
    "40000-slides": (many_slides, "spec has 40,000 slides; at most 200"),
    "100000-unknown-keys": (many_keys, "keys; at most"),
    "900000-values": (many_values, "items; at most"),
    "150000-values-in-small-lists": (many_small_lists, "values (keys, items and texts)"),
    "5000-levels-flow": (deep, "nesting"),
    "200-levels-block": (deep_block, "nesting is deeper than 64 levels"),
    "99900-aliases": (many_aliases, "alias bomb"),
    "1.9MB-title": (huge_string, "characters long"),
    "over-the-size-cap": (oversized, "a lesson spec may be at most"),
    "nul-escape": (lambda: _swap("  title: The Sequence Problem\n", '  title: "a\\0b"\n'), "U+0000"),
    "bell-escape": (lambda: _swap("  title: The Sequence Problem\n", '  title: "a\\ab"\n'), "U+0007"),
    "surrogate-escape": (lambda: _swap("  title: The Sequence Problem\n", '  title: "a\\ud800b"\n'), "Unicode"),
    "noncharacter": (lambda: _swap("  title: The Sequence Problem\n", '  title: "a\\uffffb"\n'), "U+FFFF"),
    "c0-in-key": (lambda: _swap("  minutes: 9\n", '  minutes: 9\n  "a\\x01": 1\n'), "keys must be plain text"),
    "5000-digit-number": (lambda: _swap("  minutes: 9\n", "  minutes: " + "9" * 5000 + "\n"), "out of range"),
    "int64-overflow": (lambda: _swap("  minutes: 9\n", "  minutes: 99999999999999999999\n"), "out of range"),
    "float-overflow": (lambda: _swap("  minutes: 9\n", "  minutes: 1e400\n"), "expected a whole number"),
    "repeated-exercise": (lambda: _swap("exercises: [rnn_step, attention]", "exercises: [rnn_step, rnn_step]"),
                          "listed twice"),
    "undefined-alias": (lambda: _swap("  minutes: 9\n", "  minutes: *nowhere\n"), "names no anchor"),
    "recursive-anchor": (lambda: _swap("  minutes: 9\n", "  minutes: &r [*r]\n"), "names no anchor"),
    "two-documents": (lambda: SEED + "---\nlesson: {}\n", "single document"),
    "python-tag": (lambda: _swap("  minutes: 9\n", "  minutes: !!python/object/apply:os.system [x]\n"),
                   "not allowed"),
}


def make(name: str) -> bytes:
    data = CORPUS[name][0]()
    return data if isinstance(data, bytes) else data.encode("utf-8")
