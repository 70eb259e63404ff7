"""The LaTeX subset deckc accepts in `$...$` and `math:` blocks, and the check that says where
a formula leaves it.

latex2mathml (the parser) turns an unknown command into an identifier that prints as typed
(`\\foo` becomes the text "\\foo"); a lecturer would only see it on the slide. So every command,
environment and brace is checked here first, with its position in the formula, and anything
outside the documented subset is an error (with a "did you mean").
"""
from __future__ import annotations

import difflib
import re

from ..errors import TexError

GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi varpi "
         "rho varrho sigma varsigma tau upsilon phi varphi chi psi omega "
         "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega").split()
# Commands by what they are; README documents the same groups (`deckc math-help` prints them).
GROUPS: dict[str, tuple[str, ...]] = {
    "Greek letters": tuple(GREEK),
    "structures": ("frac", "dfrac", "tfrac", "sqrt", "binom"),
    "big operators (limits below and above)": ("sum", "prod", "int", "iint", "oint", "bigcup", "bigcap", "lim",
                                               "max", "min", "sup", "inf", "argmax", "argmin"),
    "functions": ("log", "ln", "exp", "sin", "cos", "tan", "tanh", "sinh", "cosh", "det", "dim", "ker", "Pr",
                  "operatorname"),
    "relations and operators": ("leq", "le", "geq", "ge", "neq", "ne", "approx", "equiv", "sim", "simeq", "propto",
                                "in", "notin", "subset", "subseteq", "supset", "cup", "cap", "setminus", "to",
                                "rightarrow", "leftarrow", "Rightarrow", "Leftarrow", "leftrightarrow", "iff",
                                "mapsto", "implies", "cdot", "times", "div", "pm", "mp", "circ", "odot", "otimes",
                                "oplus", "ast", "star", "wedge", "vee", "neg", "mid", "ll", "gg", "coloneqq",
                                "top", "intercal", "perp", "parallel", "prime"),
    "symbols": ("infty", "partial", "nabla", "forall", "exists", "emptyset", "ell", "hbar", "Re", "Im", "ldots",
                "cdots", "vdots", "ddots", "dots", "aleph", "angle", "triangle", "checkmark"),
    "accents": ("hat", "bar", "tilde", "vec", "dot", "ddot", "overline", "underline", "widehat", "widetilde",
                "overbrace", "underbrace"),
    "fonts": ("mathbf", "mathrm", "mathit", "mathcal", "mathbb", "mathsf", "mathtt", "boldsymbol", "text", "textbf",
              "textit", "textrm"),
    "delimiters": ("left", "right", "big", "Big", "bigg", "Bigg", "langle", "rangle", "lfloor", "rfloor", "lceil",
                   "rceil", "lvert", "rvert", "lVert", "rVert", "vert", "Vert", "{", "}", "|"),
    "spacing": (",", ":", ";", "!", " ", "quad", "qquad"),
    "environments": ("begin", "end", "\\"),
    "escaped characters": ("%", "$", "#", "&", "_"),
}
COMMANDS = frozenset(c for cs in GROUPS.values() for c in cs)
ENVIRONMENTS = ("matrix", "pmatrix", "bmatrix", "Bmatrix", "vmatrix", "Vmatrix", "cases")
MAX_TEX = 2000

_TOKEN = re.compile(r"\\([A-Za-z]+|.)|([{}])|(\^|_)|(&)")


__all__ = ["COMMANDS", "ENVIRONMENTS", "GROUPS", "TexError", "check_tex"]


def check_tex(tex: str) -> None:
    """Raise TexError at the first place `tex` leaves the subset (unknown command, unbalanced
    braces, \\left without \\right, unknown environment, a dangling ^ or _)."""
    if not tex.strip():
        raise TexError("the formula is empty")
    if len(tex) > MAX_TEX:
        raise TexError(f"the formula is {len(tex):,} characters long; at most {MAX_TEX:,} allowed")
    braces: list[int] = []
    lefts: list[int] = []
    envs: list[tuple[str, int]] = []
    for mt in _TOKEN.finditer(tex):
        at = mt.start()
        name, brace, script, amp = mt.group(1), mt.group(2), mt.group(3), mt.group(4)
        if (amp or name == "\\") and not envs:
            what = "'&'" if amp else "'\\\\'"
            raise TexError(f"{what} only separates cells and rows inside \\begin{{pmatrix}}...\\end{{pmatrix}} "
                           f"(or another matrix or cases environment)", at)
        if name is not None:
            if name == "\n" or name == "":
                raise TexError("a formula cannot end with a backslash", at)
            if name not in COMMANDS:
                raise TexError(f"unknown command \\{name}{_did_you_mean(name)} (the supported LaTeX subset is "
                               f"listed in the README, section 'Math')", at)
            if name in ("begin", "end"):
                env = re.match(r"\s*\{([A-Za-z*]+)\}", tex[mt.end():])
                if not env or env.group(1) not in ENVIRONMENTS:
                    got = f"{{{env.group(1)}}}" if env else "nothing"
                    raise TexError(f"\\{name} needs one of the environments {{{', '.join(ENVIRONMENTS)}}}, got {got}",
                                   at)
                if name == "begin":
                    envs.append((env.group(1), at))
                elif not envs or envs[-1][0] != env.group(1):
                    raise TexError(f"\\end{{{env.group(1)}}} without a matching \\begin{{{env.group(1)}}}", at)
                else:
                    envs.pop()
            elif name == "left":
                lefts.append(at)
            elif name == "right":
                if not lefts:
                    raise TexError("\\right without a matching \\left", at)
                lefts.pop()
        elif brace == "{":
            braces.append(at)
        elif brace == "}":
            if not braces:
                raise TexError("'}' without a matching '{'", at)
            braces.pop()
        elif script is not None:
            rest = tex[mt.end():].lstrip()
            if not rest or rest[0] in "}^_&":
                raise TexError(f"'{script}' needs something after it (write {script}{{...}})", at)
    if braces:
        raise TexError("'{' is never closed", braces[-1])
    if lefts:
        raise TexError("\\left without a matching \\right", lefts[-1])
    if envs:
        raise TexError(f"\\begin{{{envs[-1][0]}}} is never ended", envs[-1][1])


def _did_you_mean(name: str) -> str:
    close = difflib.get_close_matches(name, [c for c in COMMANDS if c.isalpha()], n=1, cutoff=0.7)
    return f"; did you mean \\{close[0]}?" if close else ""
