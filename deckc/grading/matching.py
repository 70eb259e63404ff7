"""Which handed-in file is which notebook of the assignment: tolerant, and always reported.

Students and LMSs rename notebooks: ``Attention.ipynb``, ``rnn_step (1).ipynb`` (a second
download), ``rnn_step-1.ipynb``, ``rnn_step copy.ipynb``, ``Copy of rnn_step.ipynb``. A file
matches a notebook of the assignment, from the most to the least exact:

1. its exact name;
2. the same name ignoring case, spaces, dashes and underscores (``RNN-Step.ipynb``);
3. that, after removing copy marks at the end (`` (1)``, ``-1``, ``_2``, `` copy``, `` - Copy``)
   or a ``Copy of`` in front, repeatedly.

A notebook in a subfolder (``work/rnn_step.ipynb``, a zip of a folder) matches the same way but
after every file at the top; folders whose name starts with a dot (``.ipynb_checkpoints``) and
``__MACOSX`` are not looked into. For each notebook a file whose solution cells differ from the
release's wins over one that is the untouched release notebook (a student who hands in the
download and a worked ``Copy of ...``), then the most exact, then the most recently modified,
then the name.
Every ``.ipynb`` file of the submission gets one outcome, written to the report: ``graded``
(exact name), ``renamed`` (graded as NAME.ipynb), ``duplicate`` (another file was graded as that
notebook), ``refused`` (over the size or cell limits: checked on the file size before anything
parses it; empty, or not JSON), or ``unmatched`` (no notebook of that name; not graded, never silently ignored).
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

MAX_NOTEBOOK_BYTES = 10 * 1024 * 1024
MAX_CELLS = 2000
_COPY_MARK = re.compile(r"(?:\s*\(\s*\d+\s*\)|[\s_-]+\d{1,3}|[\s_-]*-?\s*copy(?:\s*\d+)?|[\s_-]*\(copy\))\s*$",
                        re.IGNORECASE)
_COPY_OF = re.compile(r"^\s*copy\s+of\s+", re.IGNORECASE)


@dataclass
class FileOutcome:
    file: str
    notebook: str          # the notebook it was matched to ("" if none)
    action: str            # graded | renamed | duplicate | refused | unmatched
    note: str = ""

    def as_dict(self) -> dict:
        return {"file": self.file, "notebook": self.notebook, "action": self.action, "note": self.note}


def key(stem: str) -> str:
    """Case, Unicode form and separators folded: 'RNN-Step ' -> 'rnnstep'."""
    s = unicodedata.normalize("NFKC", stem).casefold()
    return re.sub(r"[\s_\-.]+", "", s)


def variants(stem: str):
    """(level, stem) candidates, most exact first."""
    yield 1, stem
    seen, current = {stem}, stem
    for _ in range(6):
        shorter = _COPY_OF.sub("", _COPY_MARK.sub("", current))
        if shorter == current or not shorter.strip() or shorter in seen:
            return
        seen.add(shorter)
        current = shorter
        yield 2, current


def match_name(filename: str, notebooks) -> tuple[str | None, int]:
    """(notebook, level) for one file name: level 0 exact, 1 folded, 2 copy marks removed."""
    if not filename.lower().endswith(".ipynb"):
        return None, -1
    stem = filename[:-len(".ipynb")]
    if stem in notebooks:
        return stem, 0
    by_key = {}
    for nb in sorted(notebooks):
        by_key.setdefault(key(nb), nb)
    for level, variant in variants(stem):
        nb = by_key.get(key(variant))
        if nb is not None:
            return nb, level
    return None, -1


def _refusal(path: Path) -> str:
    """Why a notebook file is not graded at all, or ''. The size is checked before parsing."""
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        return (f"{size / 1048576:.1f} MB, over the {MAX_NOTEBOOK_BYTES // 1048576} MB limit for a notebook: "
                "not graded (clear the outputs and hand it in again)")
    if size == 0:
        return "an empty file, not a notebook: not graded"
    try:
        with open(path, "rb") as f:
            data = json.load(f)
    except ValueError as e:     # a cut-off upload, a file saved as text: say so, not "softmax is not defined"
        where = f" (line {e.lineno}: {e.msg})" if isinstance(e, json.JSONDecodeError) else ""
        return f"not a notebook: the file is not valid JSON{where}: not graded"
    except (RecursionError, OSError):
        return ""               # unreadable: nbgrader reports it as it always does
    if not isinstance(data, dict):
        return "not a notebook: the file holds JSON but not a notebook: not graded"
    cells = data.get("cells", [])
    if isinstance(cells, list) and len(cells) > MAX_CELLS:
        return f"{len(cells)} cells, over the limit of {MAX_CELLS}: not graded"
    return ""


_NESTED = 3      # a notebook in a subfolder ranks after every file at the top


def _notebook_files(folder: Path):
    """(relative posix name, path, depth) of the submission's .ipynb files, in subfolders too."""
    for path in sorted(folder.rglob("*.ipynb")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") or part == "__MACOSX" for part in rel.parts) or path.is_symlink() \
                or not path.is_file() or any(p.is_symlink() for p in list(path.parents)[:len(rel.parts) - 1]):
            continue
        yield rel.as_posix(), path, len(rel.parts) - 1


def match_folder(folder: Path, notebooks, release: Path | None = None) -> list[FileOutcome]:
    """Match the .ipynb files of a submission folder (see the module docstring); `release` is the
    assignment's release folder, to tell an untouched download from the worked copy."""
    outcomes, claims = [], {}
    for rel, path, depth in _notebook_files(folder):
        nb, level = match_name(path.name, notebooks)
        if nb is None:
            outcomes.append(FileOutcome(rel, "", "unmatched",
                                        f"no notebook of this name in the assignment ({', '.join(sorted(notebooks))})"))
            continue
        claims.setdefault(nb, []).append([False, level + (_NESTED if depth else 0), -path.stat().st_mtime, rel, path])
    for nb, candidates in sorted(claims.items()):
        if release is not None and len(candidates) > 1:
            from .diagnose import same_solutions
            for c in candidates:
                c[0] = same_solutions(release / f"{nb}.ipynb", c[4])
        candidates.sort(key=lambda c: tuple(c[:4]))
        chosen = None
        for untouched, level, _, name, path in candidates:
            why = _refusal(path)
            if why:
                outcomes.append(FileOutcome(name, nb, "refused", why))
            elif chosen is None:
                chosen = name
                where = f" (found in {name.rsplit('/', 1)[0]}/)" if "/" in name else ""
                outcomes.append(FileOutcome(name, nb, "graded" if level == 0 else "renamed",
                                            "" if level == 0 else f"graded as {nb}.ipynb{where}"))
            else:
                why = " (this one is the release's notebook, unchanged)" if untouched else ""
                outcomes.append(FileOutcome(name, nb, "duplicate", f"not graded: {chosen} was graded as {nb}.ipynb{why}"))
    outcomes.sort(key=lambda o: o.file)
    return outcomes


def apply(folder: Path, outcomes: list[FileOutcome]) -> list[str]:
    """In a private copy of a submission: give the graded files their notebook's name and remove
    the other notebook files (nbgrader would try them). Returns the notebooks to grade."""
    graded = {o.file: o.notebook for o in outcomes if o.action in ("graded", "renamed")}
    staged = []
    for o in outcomes:
        path = folder / o.file
        if o.file in graded:
            tmp = folder / f".deckc-{len(staged)}.ipynb.part"
            path.rename(tmp)
            staged.append((tmp, folder / f"{graded[o.file]}.ipynb"))
        else:
            path.unlink(missing_ok=True)
    for tmp, dest in staged:
        tmp.rename(dest)
    return sorted(graded.values())
