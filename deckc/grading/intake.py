"""``deckc grade --from-zip EXPORT.zip``: an LMS export into ``submitted/<student>/<assignment>/``.

One notebook per student and per assignment notebook, the student id in the path or file name,
as nbgrader's zip_collect expects. Accepted entry names (any leading folders are ignored unless
they name the student, ``\\`` counts as ``/``):

======================================  ===========================================
``alice_rnn_step.ipynb``                student ``alice``, notebook ``rnn_step``
``alice-rnn_step.ipynb``                the same, with a dash
``alice/rnn_step.ipynb``                a folder per student
``alice/<assignment>/rnn_step.ipynb``   nbgrader's own submitted/ layout
======================================  ===========================================

The notebook part must be one of the assignment's notebooks (``source/<assignment>/*.ipynb``),
matched tolerantly (``alice/Attention.ipynb``, ``alice_rnn_step (1).ipynb``: see matching.py);
with underscores in both names the longest notebook name wins (``bob_smith_rnn_step.ipynb`` is
student ``bob_smith``). A student id is 1-128 characters of letters, digits and ``. _ @ -``, not
starting with a dot. Rejected, with the reason, and never written: absolute paths, ``..``
components, drive letters, symlinks, entries over 50 MB, unknown notebooks, bad student ids,
a second copy of the same student's notebook. Other files (no ``.ipynb``) are ignored.
A notebook that was already in submitted/ is replaced.
"""
from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

STUDENT = re.compile(r"^[A-Za-z0-9@_-][A-Za-z0-9._@-]{0,127}$")
MAX_ENTRY = 50 * 1024 * 1024


@dataclass
class Intake:
    added: list = field(default_factory=list)       # (student, notebook)
    rejected: list = field(default_factory=list)    # (entry name, reason)
    ignored: list = field(default_factory=list)     # entry names

    @property
    def students(self) -> list[str]:
        return sorted({s for s, _ in self.added})


def _split(name: str):
    """Entry name -> path parts, or None if it could escape the destination."""
    name = name.replace("\\", "/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return None
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if any(p == ".." or ":" in p for p in parts):
        return None
    return parts


def identify(parts: list[str], notebooks: set[str], assignment: str):
    """(student, notebook) for an entry's path parts, or (None, reason). Notebook names are
    matched as matching.py does (case, copy marks like `` (1)`` or ``-1``)."""
    from .matching import match_name, variants

    filename = parts[-1]
    stem = filename[:-len(".ipynb")]
    nb, _level = match_name(filename, notebooks)
    if nb is not None and len(parts) >= 2:
        owner = parts[-2]
        if owner == assignment and len(parts) >= 3:
            owner = parts[-3]
        return owner, nb
    for variant in [stem] + [v for _, v in variants(stem)]:
        for nb in sorted(notebooks, key=len, reverse=True):
            for sep in ("_", "-"):
                suffix = f"{sep}{nb}"
                if variant.lower().endswith(suffix.lower()) and len(variant) > len(suffix):
                    return variant[:-len(suffix)], nb
    return None, f"no notebook of the assignment ({', '.join(sorted(notebooks))}) in the name"


def from_zip(zip_path: Path, course: Path, assignment: str, notebooks: set[str]) -> Intake:
    report = Intake()
    seen = set()
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            name = info.filename
            if info.is_dir():
                continue
            parts = _split(name)
            if parts is None or not parts:
                report.rejected.append((name, "path traversal (absolute path, '..' or drive)"))
                continue
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                report.rejected.append((name, "symbolic link"))
                continue
            if not parts[-1].endswith(".ipynb"):
                report.ignored.append(name)
                continue
            if parts[-1].startswith(".") or "__MACOSX" in parts:
                report.ignored.append(name)
                continue
            student, notebook = identify(parts, notebooks, assignment)
            if student is None:
                report.rejected.append((name, notebook))
                continue
            if not STUDENT.match(student) or student in (".", ".."):
                report.rejected.append((name, f"bad student id {student!r}"))
                continue
            if info.file_size > MAX_ENTRY:
                report.rejected.append((name, f"larger than {MAX_ENTRY // (1024 * 1024)} MB"))
                continue
            if (student, notebook) in seen:
                report.rejected.append((name, f"a second {notebook}.ipynb for {student}"))
                continue
            seen.add((student, notebook))
            dest_dir = course / "submitted" / student / assignment
            dest = dest_dir / f"{notebook}.ipynb"
            if not dest.resolve().is_relative_to((course / "submitted").resolve()):
                report.rejected.append((name, "path traversal"))
                continue
            data = zf.read(info)
            if len(data) > MAX_ENTRY:
                report.rejected.append((name, "larger than its header said"))
                continue
            dest_dir.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_suffix(".ipynb.part")
            tmp.write_bytes(data)
            tmp.replace(dest)
            report.added.append((student, notebook))
    return report
