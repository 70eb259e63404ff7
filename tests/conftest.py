"""Shared pytest helpers for the deckc test-suite.

``require_tool(name)``: tests that shell out to an external program (pdftotext,
pdffonts, pdftoppm, ...) call this first.  When the program is not on PATH the
test is skipped with a visible reason -- except on CI (environment variable
``CI=true``), where a missing tool is a broken environment and the test fails.

``require_pg_url()`` / ``pg_schema()``: a PostgreSQL server from DECKC_TEST_PG_URL (.ci/run
starts one), or skip (locally) / fail (CI=true); a schema of its own per use, dropped after.
"""
import contextlib
import os
import shutil
import subprocess
import sys
import uuid

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run (a CI failure is reproducible at once);
# HYPOTHESIS_PROFILE=explore lets a developer search new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def require_tool(name: str) -> str:
    """Return the path of executable ``name``; skip (locally) or fail (CI=true) if absent."""
    path = shutil.which(name)
    if path:
        return path
    msg = f"required tool {name!r} not found on PATH (pdftotext/pdffonts/pdftoppm come with poppler-utils)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(msg + " -- CI=true, so this is an error, not a skip")
    pytest.skip(msg)


def require_pg_url() -> str:
    """DECKC_TEST_PG_URL, or skip (locally) / fail (CI=true)."""
    url = os.environ.get("DECKC_TEST_PG_URL", "")
    if url:
        return url
    msg = "no PostgreSQL server: set DECKC_TEST_PG_URL (.ci/run starts one)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(msg + " -- CI=true, so this is an error, not a skip")
    pytest.skip(msg)


@contextlib.contextmanager
def pg_schema(prefix: str = "deckc_test"):
    """(url whose search_path is a new schema, the plain url, the schema); the schema is dropped after."""
    url = require_pg_url()
    import psycopg

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}", url, schema
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The seed lesson as the course team wrote it (a copy of shared/seed/): every phrase must reach the decks.
SEED_TEXT = os.path.join(ROOT, "tests", "data", "the-sequence-problem.txt")


def copy_course(dest):
    """A writable copy of the course folder (lesson/ + exercises/) for tests that build."""
    from pathlib import Path

    dest = Path(dest)
    for name in ("lesson", "exercises"):
        shutil.copytree(os.path.join(ROOT, name), dest / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory):
    """The seed lesson built once per test session (decks and charts); returns its output folder."""
    from pathlib import Path

    from deckc.build import build_lesson

    course = copy_course(tmp_path_factory.mktemp("course"))
    result = build_lesson(course / "lesson" / "the-sequence-problem.yaml", course / "build",
                          ["pptx", "pdf", "charts"])
    assert not result.errors, [str(e) for e in result.errors]
    return Path(result.out_dir)


def libreoffice_pdf(pptx, outdir):
    """Convert a PPTX to PDF with LibreOffice, seeing only deckc's shipped fonts.

    A private fontconfig (Arial -> Liberation Sans, emoji -> Noto Emoji) makes the render use the
    fonts deckc measured with, whatever the host has installed, and a private profile keeps runs
    independent. Returns the PDF path.
    """
    import subprocess
    from pathlib import Path

    soffice = require_tool("soffice")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    fonts = Path(ROOT) / "deckc" / "fonts"
    conf = outdir / "fonts.conf"
    conf.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>{fonts}</dir>
  <cachedir>{outdir / 'fc-cache'}</cachedir>
  <alias binding="same"><family>Arial</family><prefer><family>Liberation Sans</family></prefer></alias>
  <alias binding="same"><family>Courier New</family><prefer><family>Liberation Mono</family></prefer></alias>
  <alias binding="same"><family>Segoe UI Emoji</family><prefer><family>Noto Emoji</family></prefer></alias>
</fontconfig>
""")
    env = dict(os.environ, FONTCONFIG_FILE=str(conf))
    profile = (outdir / "lo-profile").as_uri()
    proc = subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                           "--outdir", str(outdir), str(pptx)], capture_output=True, text=True, timeout=300, env=env)
    pdf = outdir / (Path(pptx).stem + ".pdf")
    assert proc.returncode == 0 and pdf.exists(), f"LibreOffice failed: {proc.stdout}\n{proc.stderr}"
    return pdf


def seed_quiz():
    """The seed lesson's quick check (the model's Quiz, as the exercise emitter takes it), read
    from the spec, not copied."""
    from pathlib import Path

    from deckc.spec.loader import load_lesson

    return load_lesson(Path(ROOT) / "lesson" / "the-sequence-problem.yaml").lesson.quiz


def build_spec(course, name: str, text: str, *args: str, out: str = "build") -> subprocess.CompletedProcess:
    """Write `text` as course/lesson/<name>.yaml and run `deckc build` on it from the course folder,
    as a user would (a fresh process, only this checkout on PYTHONPATH)."""
    from pathlib import Path
    course = Path(course)
    (course / "lesson").mkdir(parents=True, exist_ok=True)
    (course / "lesson" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "deckc", "build", f"lesson/{name}.yaml", "-o", out, *args],
                          cwd=course, capture_output=True, text=True, env={"PYTHONPATH": ROOT, "PATH": "/usr/bin:/bin"})
