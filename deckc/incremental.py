"""Incremental builds: what each output is made from, which outputs are stale, and the manifest
that records both.

Each output records in manifest.json a fingerprint of its inputs: deckc's own code, the
document date and the part of the spec its writer declares (`Writer.inputs`; by default the
whole spec, the files it names and exercises/*/solution.py, which charts compute from). An
output whose fingerprint matches and whose files still have their recorded sha256 is up to date, and so is a format that had nothing to
write (a lesson without charts): the manifest lists it with no files.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path

from . import __version__
from .code_fingerprint import code_fingerprint
from .diagnostics import Diagnostic
from .tree_hash import update_tree

# Outputs embed one date (document properties). Reproducible builds cannot use "now":
# SOURCE_DATE_EPOCH (reproducible-builds.org) wins, else this fixed date.
DEFAULT_DATE = datetime(2024, 1, 1, tzinfo=timezone.utc)
MANIFEST = "manifest.json"


def build_date() -> datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    return DEFAULT_DATE


def input_fingerprints(head, course: Path, formats) -> dict[str, str]:
    """One fingerprint per format, from what its writer declares it is made of (`head` is the
    spec's SpecHead: its bytes, header and quiz, read through the bounded loader)."""
    from .writers import WRITERS

    base = hashlib.sha256(code_fingerprint().encode())
    base.update(build_date().isoformat().encode())
    out = {}
    for fmt in formats:
        h = base.copy()
        h.update(fmt.encode() + b"\0")
        declared = WRITERS[fmt].inputs
        part = declared(head) if declared is not None and head.meta is not None else None
        if part is None:
            h.update(head.data or b"")
            h.update(_referenced_files_hash(head.path, head.data or b""))
            h.update(_look_hash(head, course))
            # Charts compute from every exercise's reference solution (charts/reference.py).
            update_tree(h, course / "exercises", "solution.py")
        else:
            h.update(json.dumps(_plain(part), sort_keys=True, default=str).encode())
        out[fmt] = h.hexdigest()
    return out


_REFERENCE = re.compile(rb"""(?:^|[\s{,])(?:src|csv|logo)\s*:\s*["']?([^"'\n,}#]+?)["']?\s*(?:[,}\n#]|$)""", re.M)


def referenced_files(spec: Path, data: bytes) -> list[tuple[str, Path]]:
    """The files a spec names (`image: {src: ...}`, `csv: ...`) as (text as written, path), found
    without loading the spec. Shared by the build fingerprint and `deckc watch`, so both agree on
    what a lesson is made of. Over-matching only costs a hash or a stat."""
    folder = spec.resolve().parent
    out = []
    for mt in _REFERENCE.finditer(data):
        rel = mt.group(1).decode("utf-8", "replace").strip()
        try:
            out.append((rel, folder / rel))
        except ValueError:                      # e.g. a NUL byte in the name
            pass
    return out


def _referenced_files_hash(spec: Path, data: bytes) -> bytes:
    """A changed figure or data file rebuilds the lesson."""
    h = hashlib.sha256()
    for rel, f in referenced_files(spec, data):
        h.update(rel.encode() + b"\0")
        try:
            if f.is_file() and f.stat().st_size <= 64 * 1024 * 1024:
                h.update(f.read_bytes())
        except (OSError, ValueError):
            pass
    return h.digest()


def _look_hash(head, course: Path) -> bytes:
    """A changed theme file (or its logo), course theme.yaml or template rebuilds the decks."""
    h = hashlib.sha256()
    meta = head.meta
    files = [course / "theme.yaml"]
    for rel in (meta.theme, meta.template):
        if rel and rel.endswith((".yaml", ".yml", ".pptx")):
            files.append(course / rel)
    for f in files:
        try:
            if f.is_file() and f.stat().st_size <= 128 * 1024 * 1024:
                data = f.read_bytes()
                h.update(str(f).encode() + b"\0" + data)
                if f.suffix in (".yaml", ".yml"):
                    for _, logo in referenced_files(f, data):
                        if logo.is_file():
                            h.update(logo.read_bytes())
        except (OSError, ValueError):
            pass
    return h.digest()


def _plain(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__type__": type(value).__name__, **{k: _plain(v) for k, v in dataclasses.asdict(value).items()}}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def read_manifest(out_dir: Path) -> dict:
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def stale_formats(out_dir: Path, formats, fingerprints: dict, result) -> list[str]:
    """Formats whose recorded inputs differ, or whose outputs are missing or were changed by hand.
    When some are up to date, `result` gets what the manifest says of them."""
    manifest = read_manifest(out_dir)
    if not manifest:
        return list(formats)
    inputs = manifest.get("inputs", {})
    hashes = manifest.get("sha256", {})
    stale = []
    for fmt in formats:
        rels = manifest.get("outputs", {}).get(fmt)
        if inputs.get(fmt) != fingerprints[fmt] or rels is None:
            stale.append(fmt)
            continue
        owned = [r for r in hashes if _belongs(r, rels)]
        if (rels and not owned) or any(not (out_dir / r).is_file() or sha256(out_dir / r) != hashes[r]
                                       for r in owned):
            stale.append(fmt)
    if len(stale) < len(formats):
        result.lesson_id = manifest.get("lesson")
        result.out_dir = out_dir
        result.outputs = manifest
        if not stale:   # nothing rebuilt: show the warnings the last build found
            result.problems = [Diagnostic(**w) for w in manifest.get("warnings", [])]
    return stale


def _belongs(rel: str, owned) -> bool:
    for o in (owned if isinstance(owned, list) else [owned]):
        if rel == o or rel.startswith(o.rstrip("/") + "/"):
            return True
    return False


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_manifest(out_dir: Path, previous_dir: Path, lesson, deck, outputs, inputs: dict, warnings) -> dict:
    """manifest.json in the staged folder: what was built, with checksums; entries of formats not
    rebuilt this time are kept from the previous manifest while their files are still there. A
    format rebuilt with nothing to write is listed with no files, so it stays up to date."""
    from .writers import WRITERS, state_files

    path = out_dir / MANIFEST
    previous = read_manifest(previous_dir)

    def present(v) -> bool:
        paths = v if isinstance(v, list) else [v]
        return all(isinstance(x, str) and (out_dir / x).exists() for x in paths)

    listed = {k: v for k, v in previous.get("outputs", {}).items()
              if k in WRITERS and k not in inputs and present(v)}
    recorded = {k: v for k, v in previous.get("inputs", {}).items() if k in listed}
    # Fields a writer adds (the course's assignment and notebooks) stay while its output does.
    extra_top = {k: v for fmt, fields in previous.get("fields", {}).items() if fmt in listed
                 for k, v in previous.items() if k in fields}
    fields = {fmt: f for fmt, f in previous.get("fields", {}).items() if fmt in listed}
    listed.update({fmt: [] for fmt in inputs})
    for out in outputs:
        fields[out.key] = sorted(k for k in (out.extra or {}) if k != "files")
        extra = dict(out.extra or {})
        # A folder output may list its files (charts/*.csv); the manifest lists them, not the folder.
        listed[out.key] = extra.pop("files", out.path)
        extra_top.update(extra)
    unhashed = state_files()
    files = []
    for rel in (x for v in listed.values() for x in (v if isinstance(v, list) else [v])):
        p = out_dir / rel
        if p.is_dir():
            files += [f for f in sorted(p.rglob("*")) if f.is_file() and f.name not in unhashed]
        elif p.is_file():
            files.append(p)
    manifest = {
        "lesson": lesson.meta.id,
        "title": lesson.meta.title,
        "slides": len(deck.slides),
        "deckc": __version__,
        "outputs": dict(sorted(listed.items())),
        **extra_top,
        "sha256": {f.relative_to(out_dir).as_posix(): sha256(f) for f in sorted(set(files))},
        # For incremental builds: a fingerprint of the inputs of each output.
        "inputs": dict(sorted({**recorded, **inputs}.items())),
        "warnings": [w.__dict__ for w in warnings],
        "fields": dict(sorted(fields.items())),
    }
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest
