"""The `deckc` command line: exit codes (0 ok, 2 usage/spec errors, 1 anything else), compiler-style
messages, no tracebacks, `check` writes nothing, and a failed build never touches an earlier build.

Most runs call `deckc.cli.main(argv)` in-process; two tests run the real console script.
Builds use `--format charts,pdf`.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import deckc
from deckc.cli import cli, main

REPO = Path(__file__).resolve().parents[1]
SPEC_NAME = "the-sequence-problem.yaml"
SEED_TEXT = (REPO / "lesson" / SPEC_NAME).read_text(encoding="utf-8")
FORMATS = "charts,pdf"
LOCATED = re.compile(r"^(?P<file>\S.*?):(?P<line>\d+):(?P<col>\d+):(?: warning:)? (?:(?P<path>\S+): )?\S.*$")


# ---------------------------------------------------------------- helpers

def run(*argv) -> tuple[int, str, str]:
    """deckc in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main([str(a) for a in argv])
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return code, out.getvalue(), err.getvalue()


def copy_course(dest: Path) -> Path:
    shutil.copytree(REPO / "lesson", dest / "lesson")
    shutil.copytree(REPO / "exercises", dest / "exercises",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def tree(root: Path) -> dict[str, str]:
    """Every file and folder under root -> sha256 (folders: 'dir'); hidden staging leftovers included."""
    if not root.exists():
        return {}
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if "__pycache__" in p.parts:
            continue
        out[rel] = "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def where(text: str, needle: str) -> tuple[int, int]:
    i = text.index(needle)
    return text.count("\n", 0, i) + 1, i - (text.rfind("\n", 0, i) + 1) + 1


@pytest.fixture(scope="module")
def built_template(tmp_path_factory) -> Path:
    """A course with a good earlier build in out/ (built once, copied by each test)."""
    root = copy_course(tmp_path_factory.mktemp("template"))
    code, out, err = run("build", root / "lesson" / SPEC_NAME, "-o", root / "out", "--format", FORMATS)
    assert code == 0, err
    lesson_out = root / "out" / "the-sequence-problem"
    assert (lesson_out / "the-sequence-problem.pdf").stat().st_size > 10_000
    assert sorted(p.name for p in (lesson_out / "charts").iterdir()) == [
        "attention_matrix.csv", "attention_weights.csv", "memory_fade.csv", "sequential_steps.csv",
        "vanishing_gradient.csv"]
    manifest = json.loads((lesson_out / "manifest.json").read_text())
    assert set(manifest["outputs"]) == {"charts", "pdf"}
    return root


@pytest.fixture
def built(built_template, tmp_path, monkeypatch) -> Path:
    """A private copy of the built course; the working directory is the course folder."""
    root = tmp_path / "course"
    shutil.copytree(built_template, root)
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def course(tmp_path, monkeypatch) -> Path:
    root = copy_course(tmp_path / "course")
    monkeypatch.chdir(root)
    return root


# ---------------------------------------------------------------- version, help, usage errors

def test_version():
    code, out, _ = run("--version")
    assert code == 0
    assert out.strip() == f"deckc, version {deckc.__version__}"


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_help_of_every_command_shows_examples(command):
    code, out, err = run(command, "--help")
    assert code == 0, err
    assert "Example" in out
    assert f"deckc {command}" in out.split("Example", 1)[1]


def test_top_level_help_shows_examples():
    code, out, _ = run("--help")
    assert code == 0
    for command in ("build", "check", "schema"):
        assert f"deckc {command}" in out
    assert run("-h")[0] == 0


@pytest.mark.parametrize("argv,needle", [
    (["build", "lesson", "--format", "pptx,pie"], "unknown format 'pie'"),
    (["build", "lesson", "--format", ""], "unknown format"),
    (["build", "no/such/lesson.yaml"], "no such file or folder"),
    (["check", "no/such/lesson.yaml"], "no such file or folder"),
    (["check", "empty-folder"], "no lesson specs"),
    (["build", "lesson", "--jobs", "999"], "--jobs"),
    (["check", "--no-such-option"], "No such option"),
    (["frobnicate"], "No such command"),
], ids=["bad-format", "empty-format", "build-missing-path", "check-missing-path", "no-specs", "jobs-range",
        "bad-option", "bad-command"])
def test_usage_errors_exit_2(course, argv, needle):
    (course / "empty-folder").mkdir()
    before = tree(course)
    code, out, err = run(*argv)
    assert code == 2, (out, err)
    assert needle in err
    assert "Traceback" not in out + err
    assert tree(course) == before


# ---------------------------------------------------------------- check

def test_check_good_spec_exits_0_and_writes_nothing(course):
    before = tree(course)
    code, out, err = run("check")              # default: lesson/
    assert code == 0, err
    assert "ok: 1 lesson checked" in err
    code, _, err = run("check", f"lesson/{SPEC_NAME}", "--strict")
    assert code == 0, err
    assert not (course / "build").exists()
    assert tree(course) == before


def test_check_reports_every_error_in_one_run_with_line_and_column(course):
    t = SEED_TEXT
    t = t.replace("  minutes: 9\n", "  minutes: nine\n  mintues: 3\n", 1)
    t = t.replace("kind: memory_fade", "kind: memory_fad", 1)
    t = t.replace("kind: vanishing_gradient\n", "kind: vanishing_gradient\n                  steps: -3\n", 1)
    t = t.replace("kind: sequential_steps\n", "kind: pie3d\n", 1)
    spec = course / "lesson" / SPEC_NAME
    spec.write_text(t, encoding="utf-8")
    before = tree(course)
    code, out, err = run("check")
    assert code == 2
    lines = err.strip().splitlines()
    assert lines[-1].startswith("5 errors found")
    problems = lines[:-1]
    assert len(problems) == 5 and all(LOCATED.match(p) for p in problems), problems
    f = f"lesson/{SPEC_NAME}"
    expect = [
        (where(t, "nine"), "lesson.minutes: expected a whole number, got 'nine'"),
        (where(t, "mintues"), "lesson.mintues: unknown key 'mintues'; did you mean 'minutes'?"),
        (where(t, "memory_fad\n"), "slides[1].body[0].columns[1].body[0].chart.kind: expected one of ["),
        (where(t, "-3"), "slides[2].body[0].columns[1].body[0].chart.steps: must be at least 2, got -3"),
        (where(t, "pie3d"), "slides[4].body[1].columns[2].body[0].chart.kind: expected one of ["),
    ]
    for ((line, col), start), problem in zip(expect, problems):
        assert problem.startswith(f"{f}:{line}:{col}: {start}"), problem
    assert "did you mean 'memory_fade'?" in problems[2]
    assert "got 'pie3d'" in problems[4]
    assert tree(course) == before


def test_warnings_print_and_strict_exits_1(course):
    bullets = "".join(f"          - A long bullet point number {i} with many words to overflow the slide\n"
                      for i in range(40))
    spec = course / "lesson" / "long.yaml"
    spec.write_text("lesson:\n  id: long\n  title: Long\n  course: C\n  module: M\n  number: 1\n  of: 1\n"
                    # split: false (issue 15): else the list would continue on "(cont.)" slides, no warning
                    "  minutes: 5\nslides:\n  - title: Too much\n    notes: n\n    split: false\n    body:\n"
                    "      - bullets:\n"
                    + bullets, encoding="utf-8")
    code, _, err = run("check", spec)
    assert code == 0
    warning = next(line for line in err.splitlines() if "warning:" in line)
    assert LOCATED.match(warning) and warning.startswith("lesson/long.yaml:10:")
    code, _, err = run("check", spec, "--strict")
    assert code == 1
    assert "--strict" in err and "Traceback" not in err
    code, _, err = run("build", spec, "-o", "out", "--format", FORMATS, "--strict")
    assert code == 1


# ---------------------------------------------------------------- schema

def test_schema_prints_valid_json_schema_that_accepts_the_seed(course):
    code, out, err = run("schema")
    assert code == 0, err
    schema = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)
    seed = yaml.safe_load(SEED_TEXT)
    assert [e.message for e in v.iter_errors(seed)] == []
    seed["lesson"]["mintues"] = 9
    assert not v.is_valid(seed)
    code, _, _ = run("schema", "-o", "lesson.schema.json")
    assert code == 0
    assert json.loads((course / "lesson.schema.json").read_text(encoding="utf-8")) == schema


# ---------------------------------------------------------------- broken specs never touch an earlier build

def _bomb() -> bytes:
    """Billion laughs: 9**10 strings once aliases are expanded."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return ("\n".join(lines) + "\nlesson: *a9\n").encode()


def _seed_with(old: str, new: str) -> bytes:
    assert old in SEED_TEXT
    return SEED_TEXT.replace(old, new, 1).encode("utf-8")


BROKEN = {
    "yaml-syntax": lambda: _seed_with("  number: 4\n", "  number: [4\n"),
    "unknown-key": lambda: _seed_with("  minutes: 9\n", "  minutes: 9\n  minuets: 9\n"),
    "wrong-type": lambda: _seed_with("  minutes: 9\n", "  minutes: {a: 1}\n"),
    "tab-indent": lambda: _seed_with("  minutes: 9\n", "\tminutes: 9\n"),
    "empty": lambda: b"",
    "random-bytes": lambda: bytes((i * 131 + 7) % 256 for i in range(4096)),
    "png-header": lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x04\x00\x00\x00\x03\x00\x08\x06",
    "nul-bytes": lambda: SEED_TEXT.encode()[:120] + b"\x00" * 16 + SEED_TEXT.encode()[120:],
    "invalid-utf8": lambda: SEED_TEXT.encode().replace(b"  author: deckc course team", b"  author: caf\xe9 team", 1),
    "python-tag": lambda: _seed_with("  minutes: 9\n", "  minutes: !!python/object/apply:os.system ['touch PWNED']\n"),
    "alias-bomb": _bomb,
    "duplicate-keys": lambda: _seed_with("  minutes: 9\n", "  minutes: 9\n  minutes: 10\n"),
    "three-megabytes": lambda: SEED_TEXT.encode() + b"# padding padding padding padding padding\n" * 75_000,
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_broken_spec_exits_2_located_and_leaves_earlier_build_untouched(built, kind):
    spec = built / "lesson" / SPEC_NAME
    spec.write_bytes(BROKEN[kind]())
    before = tree(built)
    assert any(k.endswith(".pdf") for k in before)

    for argv in (["check"], ["check", spec], ["build", "lesson", "-o", "out", "--format", FORMATS],
                 ["build", spec, "-o", "out", "--format", FORMATS, "--force"]):
        code, out, err = run(*argv)
        assert code == 2, (argv, out, err)
        assert "Traceback" not in out + err
        assert "internal error" not in err
        assert re.search(rf"(^|\s|/){re.escape(SPEC_NAME)}:\d+:\d+: ", err, re.M), err
        assert re.search(r"\d+ errors? found", err)
        assert tree(built) == before, f"{argv} changed files"
    assert not (built / "PWNED").exists()


def test_broken_spec_build_into_fresh_folder_creates_nothing(course):
    (course / "lesson" / SPEC_NAME).write_bytes(BROKEN["unknown-key"]())
    code, _, err = run("build", "-o", "fresh", "--format", FORMATS)
    assert code == 2 and "did you mean 'minutes'?" in err
    assert not (course / "fresh").exists()


def test_failed_writer_exits_1_and_leaves_earlier_build_untouched(built, monkeypatch):
    from deckc.writers import WRITERS, Writer

    def boom(ctx):
        (ctx.stage / "the-sequence-problem.pdf").write_bytes(b"%PDF-1.4 half a file")
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(WRITERS, "pdf", Writer("pdf", "broken", boom))
    before = tree(built)
    code, out, err = run("build", "lesson", "-o", "out", "--format", FORMATS, "--force")
    assert code == 1, (out, err)
    assert "disk on fire" in err and "Traceback" not in out + err
    assert tree(built) == before            # charts were staged too, but nothing was moved into place


def test_folder_with_one_broken_lesson_still_builds_the_good_one(course):
    (course / "lesson" / "broken.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00")
    code, out, err = run("build", "-o", "out", "--format", FORMATS, "-j", "1")
    assert code == 2
    assert re.search(r"lesson/broken\.yaml:1:1: ", err)
    assert (course / "out" / "the-sequence-problem" / "the-sequence-problem.pdf").is_file()


def test_rebuild_is_byte_identical(built):
    before = tree(built)
    code, _, err = run("build", "lesson", "-o", "out", "--format", FORMATS, "--force")
    assert code == 0, err
    assert tree(built) == before


# ---------------------------------------------------------------- the real console script

def _deckc() -> list[str]:
    exe = shutil.which("deckc")
    return [exe] if exe else [sys.executable, "-m", "deckc"]


def test_console_script_end_to_end(course):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    (course / "lesson" / SPEC_NAME).write_bytes(BROKEN["alias-bomb"]())
    p = subprocess.run(_deckc() + ["build", "-o", "out", "--format", FORMATS], capture_output=True, text=True,
                       env=env, timeout=60)
    assert p.returncode == 2, p.stderr
    assert "Traceback" not in p.stdout + p.stderr
    assert re.search(rf"lesson/{re.escape(SPEC_NAME)}:\d+:\d+: ", p.stderr), p.stderr
    assert not (course / "out").exists()

    data = bytes(range(256))        # 0x0a is a line break; 0x80 is the first byte that is not UTF-8
    (course / "lesson" / SPEC_NAME).write_bytes(data)
    p = subprocess.run(_deckc() + ["check"], capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 2 and "Traceback" not in p.stdout + p.stderr
    line, col = 2, data.index(b"\x80") - data.index(b"\n")
    assert f"lesson/{SPEC_NAME}:{line}:{col}: not UTF-8 text: byte 0x80" in p.stderr, p.stderr

    p = subprocess.run(_deckc() + ["build", "--format", "pptx,nope"], capture_output=True, text=True, env=env,
                       timeout=60)
    assert p.returncode == 2 and "unknown format 'nope'" in p.stderr and "Traceback" not in p.stderr


# ---------------------------------------------------------------- property: hostile edits, exit 0 or 2

@st.composite
def edited_seed(draw) -> bytes:
    data = SEED_TEXT.encode("utf-8")
    op = draw(st.sampled_from(["truncate", "insert-text", "insert-bytes", "duplicate-line", "delete-line"]))
    if op == "truncate":
        return data[:draw(st.integers(0, len(data)))]
    if op in ("insert-text", "insert-bytes"):
        at = draw(st.integers(0, len(data)))
        junk = draw(st.text(min_size=1, max_size=8)).encode("utf-8") if op == "insert-text" \
            else draw(st.binary(min_size=1, max_size=8))
        return data[:at] + junk + data[at:]
    lines = data.splitlines(keepends=True)
    i = draw(st.integers(0, len(lines) - 1))
    extra = [lines[i]] if op == "duplicate-line" else []
    return b"".join(lines[:i] + extra + lines[i + 1:] if op == "delete-line" else lines[:i + 1] + extra + lines[i + 1:])


@pytest.fixture(scope="module")
def fuzz_course(tmp_path_factory) -> Path:
    return copy_course(tmp_path_factory.mktemp("fuzz"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=edited_seed())
def test_check_on_edited_seed_exits_0_or_2_with_located_messages(fuzz_course, data):
    spec = fuzz_course / "lesson" / "edited.yaml"
    spec.write_bytes(data)
    code, out, err = run("check", spec)
    assert code in (0, 2), err
    assert "Traceback" not in out + err and "internal error" not in err
    if code == 2:
        *problems, summary = err.strip().splitlines()
        assert re.fullmatch(r"\d+ errors? found\.?.*", summary), summary
        assert problems and all(LOCATED.match(p) and "edited.yaml:" in p for p in problems), problems


def test_full_builds_into_two_folders_are_byte_identical(tmp_path):
    """Every output of every format, the nbgrader course's notebooks included, whatever the folder,
    the course copy and the time; the gradebook is nbgrader's state (random row ids), not an output."""
    import time

    trees = []
    for name in ("first", "second"):
        course = copy_course(tmp_path / name)
        code, _, err = run("build", course / "lesson" / SPEC_NAME, "-o", course / "build-out")
        assert code == 0, err
        trees.append({rel: digest for rel, digest in tree(course / "build-out").items()
                      if not rel.endswith("gradebook.db")})
        time.sleep(1.1)             # zip entry times and dates would differ by a second
    assert trees[0] == trees[1]
    assert any(rel.endswith("release/the-sequence-problem/attention.ipynb") for rel in trees[0])
