"""Images a spec names (`- image: {src: figures/x.png, ...}`): found, checked and measured.

`src` is relative to the spec's folder and must stay inside the course folder: an absolute path,
a `..` that climbs out, or a symlink whose target lies outside is refused (a shared course folder
must not make deckc read, and embed, files from elsewhere). The format is sniffed from the bytes,
never the file name: PNG, JPEG or SVG. Caps: 20 MB a file, 40 megapixels and 16384 px a side
(read from the header, before anything decodes it, so a decompression bomb costs nothing). An SVG
must be self-contained: no DOCTYPE or entities, no reference outside itself (href, url(), CSS
@import), no script or foreignObject.
"""
from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import ImageError

__all__ = ["ImageError", "ImageFile", "load", "resolve"]

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 16384
SVG_NS = "{http://www.w3.org/2000/svg}"




@dataclass(frozen=True)
class ImageFile:
    path: Path
    format: str            # png | jpeg | svg
    width: float           # pixels (SVG: user units of its viewBox or width/height)
    height: float
    data: bytes


def resolve(src: str, spec_dir: Path, course: Path, what: str = "images") -> Path:
    """The file `src` names, or ImageError saying why it may not be used."""
    if not src.strip():
        raise ImageError("is empty")
    if src.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", src) or "://" in src:
        raise ImageError(f"'{src}' is an absolute path or a URL; write a path relative to the spec's folder")
    course = course.resolve()
    target = spec_dir / src
    if not _climbs_inside(target, course):
        raise ImageError(f"'{src}' leads outside the course folder {course}; {what} must live in the course")
    try:
        resolved = target.resolve(strict=True)
    except FileNotFoundError:
        raise ImageError(f"no file '{src}' (looked for {target})") from None
    except (OSError, RuntimeError) as e:
        raise ImageError(f"cannot read '{src}': {e}") from None
    if not (course == resolved or course in resolved.parents):
        raise ImageError(f"'{src}' is a symlink to {resolved}, outside the course folder {course}; "
                         f"{what} must live in the course")
    if not resolved.is_file():
        raise ImageError(f"'{src}' is not a file")
    return resolved


def _climbs_inside(path: Path, course: Path) -> bool:
    """Does the path, read without following symlinks, stay inside the course?"""
    import os

    norm = Path(os.path.normpath(Path(os.path.normpath(path.parent.resolve())) / path.name))
    return course == norm or course in norm.parents


def load(src: str, spec_dir: Path, course: Path) -> ImageFile:
    path = resolve(src, spec_dir, course)
    return _load(path, path.stat().st_mtime_ns, path.stat().st_size)


@lru_cache(maxsize=128)
def _load(path: Path, mtime: int, size: int) -> ImageFile:
    if size > MAX_BYTES:
        raise ImageError(f"is {size / 1e6:.1f} MB; at most {MAX_BYTES // (1024 * 1024)} MB allowed")
    data = path.read_bytes()
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        fmt, (w, h) = "png", _png_size(data)
    elif data.startswith(b"\xff\xd8\xff"):
        fmt, (w, h) = "jpeg", _jpeg_size(data)
    elif _looks_like_svg(data):
        fmt, (w, h) = "svg", _svg_check(data)
    else:
        raise ImageError("is not a PNG, JPEG or SVG image (judged by its content, not its name)")
    if fmt != "svg":
        if w <= 0 or h <= 0:
            raise ImageError("has no size in its header")
        if w > MAX_SIDE or h > MAX_SIDE or w * h > MAX_PIXELS:
            raise ImageError(f"is {w}x{h} pixels; at most {MAX_SIDE} a side and {MAX_PIXELS // 1_000_000} "
                             f"megapixels allowed (a larger image is refused unopened: it could be a "
                             f"decompression bomb)")
        _verify(data, fmt)
    return ImageFile(path=path, format=fmt, width=float(w), height=float(h), data=data)


def sniff_size(data: bytes, fmt: str) -> tuple[int, int]:
    """Pixel size of PNG or JPEG bytes from their header (ImageError when it has none)."""
    return _png_size(data) if fmt == "png" else _jpeg_size(data)


def _png_size(data: bytes) -> tuple[int, int]:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise ImageError("is a damaged PNG (no IHDR header)")
    return struct.unpack(">II", data[16:24])


def _jpeg_size(data: bytes) -> tuple[int, int]:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        seg = struct.unpack(">H", data[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        i += 2 + seg
    raise ImageError("is a damaged JPEG (no frame header)")


def _verify(data: bytes, fmt: str) -> None:
    """Decode it once (within the caps above): a truncated or corrupt file is an error now, not a
    broken picture in the deck."""
    import io

    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
    except Exception as e:      # Pillow raises many kinds for bad data
        raise ImageError(f"cannot be decoded as {fmt.upper()}: {e}") from None


def _looks_like_svg(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    head = re.sub(rb"^(<\?xml[^>]*\?>|<!--.*?-->|\s)+", b"", head, flags=re.S)
    return head.startswith(b"<svg") or head.startswith(b"<!DOCTYPE svg")


_URL = re.compile(r"url\(\s*['\"]?\s*([^)'\"\s]*)", re.I)


def _svg_check(data: bytes) -> tuple[float, float]:
    if re.search(rb"<!DOCTYPE|<!ENTITY", data, re.I):
        raise ImageError("is an SVG with a DOCTYPE or entity declarations; remove them (they can pull in "
                         "outside files)")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        raise ImageError(f"is not well-formed SVG: {e}") from None
    if root.tag != f"{SVG_NS}svg" and root.tag != "svg":
        raise ImageError("is XML but its root element is not <svg>")
    for el in root.iter():
        tag = el.tag.split("}")[-1]
        if tag in ("script", "foreignObject"):
            raise ImageError(f"is an SVG with a <{tag}> element; deckc embeds only self-contained drawings")
        for name, value in el.attrib.items():
            if name.split("}")[-1] == "href" and not value.startswith("#"):
                raise ImageError(f"is an SVG with an external reference <{tag} href=\"{value[:60]}\">; "
                                 f"embed the drawing itself instead")
            for ref in _URL.findall(value):
                if not ref.startswith("#"):
                    raise ImageError(f"is an SVG with an external reference url({ref[:60]}); only #ids are allowed")
        if tag == "style" and el.text:
            if "@import" in el.text or any(not r.startswith("#") for r in _URL.findall(el.text)):
                raise ImageError("is an SVG whose <style> imports or links outside files")
    return _svg_size(root)


def _svg_size(root) -> tuple[float, float]:
    vb = root.get("viewBox")
    if vb:
        parts = [float(v) for v in re.split(r"[\s,]+", vb.strip()) if v]
        if len(parts) == 4 and parts[2] > 0 and parts[3] > 0:
            return parts[2], parts[3]
    w, h = _length(root.get("width")), _length(root.get("height"))
    if w and h:
        return w, h
    raise ImageError("is an SVG without a size (give it a viewBox or width and height)")


def _length(v: str | None) -> float | None:
    if not v:
        return None
    mt = re.match(r"\s*([\d.]+)\s*(px|pt|mm|cm|in)?\s*$", v)
    if not mt:
        return None
    return float(mt.group(1)) * {"px": 1, None: 1, "pt": 4 / 3, "mm": 96 / 25.4, "cm": 96 / 2.54,
                                 "in": 96}[mt.group(2)]
