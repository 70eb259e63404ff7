"""The spec front end: YAML with positions, schema validation, cross-field checks, inline markup,
the JSON Schema, and a property test that hostile edits of the seed spec never crash the loader.

Every error must be *located*: FILE:LINE:COL: field.path: message, all of them in one run.
Expected positions are computed from the text each test writes, never copied from output.
"""
from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deckc.diagnostics import Diagnostic
from deckc.errors import SpecError
from deckc.markup import MarkupError, Span, parse_markup, plain_text
from deckc.spec import yaml_source
from deckc.spec.lesson_schema import json_schema
from deckc.spec.loader import load_lesson

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "lesson" / "the-sequence-problem.yaml"
SEED_TEXT = SEED.read_text(encoding="utf-8")
DIAG_RE = re.compile(r"^(?P<file>[^\n]+?):(?P<line>\d+):(?P<col>\d+):(?: warning:)? (?:(?P<path>[^ ]+): )?(?P<msg>.+)$")


# ---------------------------------------------------------------- helpers

def _copy_course(dest: Path) -> Path:
    """lesson/ + exercises/ copied under dest (the course folder is the parent of lesson/)."""
    shutil.copytree(REPO / "lesson", dest / "lesson")
    shutil.copytree(REPO / "exercises", dest / "exercises",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


@pytest.fixture
def course(tmp_path) -> Path:
    return _copy_course(tmp_path / "course")


@pytest.fixture(scope="module")
def module_course(tmp_path_factory) -> Path:
    return _copy_course(tmp_path_factory.mktemp("course"))


def load(course: Path, data, name: str = "spec.yaml"):
    p = course / "lesson" / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return load_lesson(p)


def where(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based (line, col) of the start of the n-th occurrence of needle in text."""
    i = -1
    for _ in range(occurrence):
        i = text.index(needle, i + 1)
    line = text.count("\n", 0, i) + 1
    col = i - (text.rfind("\n", 0, i) + 1) + 1
    return line, col


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) >= 1, f"seed no longer contains {old!r}"
    return text.replace(old, new, 1)


def errors_at(loaded) -> dict[tuple[int, int], Diagnostic]:
    return {(d.line, d.col): d for d in loaded.errors}


# ---------------------------------------------------------------- the seed

def test_seed_loads_without_problems(module_course):
    loaded = load_lesson(module_course / "lesson" / "the-sequence-problem.yaml")
    assert loaded.problems == []
    lesson = loaded.lesson
    assert lesson is not None
    assert lesson.meta.id == "the-sequence-problem"
    assert lesson.meta.exercises == ("rnn_step", "attention")
    assert len(lesson.slides) == 12      # issue 15: the heatmap has a slide of its own
    assert lesson.slides[0].kind == "title" and lesson.slides[-1].kind == "quiz"


# ---------------------------------------------------------------- located errors, all in one run

def test_every_planted_error_is_reported_in_one_run_at_its_line_and_column(course):
    t = SEED_TEXT
    t = replace_once(t, "  minutes: 9\n", "  minutes: nine\n  mintues: 3\n")
    t = replace_once(t, "kind: memory_fade", "kind: memory_fad")
    t = replace_once(t, "kind: vanishing_gradient\n",
                     "kind: vanishing_gradient\n                  steps: -3\n                  bogus: 1\n")
    t = replace_once(t, "tone: problem\n", "tone: problm\n")
    t = replace_once(t, "    body:\n      - table:", "    bdy:\n      - table:")
    loaded = load(course, t)
    assert loaded.lesson is None
    got = errors_at(loaded)
    expected = {
        where(t, "nine"): ("lesson.minutes", "expected a whole number, got 'nine'"),
        where(t, "mintues"): ("lesson.mintues", "unknown key 'mintues'; did you mean 'minutes'?"),
        where(t, "problm"): ("slides[1].body[0].columns[0].body[3].callout.tone",
                             "expected one of [problem, insight, note], got 'problm'; did you mean 'problem'?"),
        where(t, "memory_fad\n"): ("slides[1].body[0].columns[1].body[0].chart.kind",
                                   "got 'memory_fad'; did you mean 'memory_fade'?"),
        where(t, "-3\n"): ("slides[2].body[0].columns[1].body[0].chart.steps", "must be at least 2, got -3"),
        where(t, "bogus"): ("slides[2].body[0].columns[1].body[0].chart.bogus", "unknown key 'bogus'"),
        where(t, "bdy"): ("slides[5].bdy", "unknown key 'bdy'; did you mean 'body'?"),
    }
    for pos, (path, msg) in expected.items():
        assert pos in got, f"no error at {pos} for {path}; got {[str(d) for d in loaded.errors]}"
        d = got[pos]
        assert d.path == path
        assert msg in d.message
        m = DIAG_RE.match(str(d))
        assert m, str(d)
        assert (int(m["line"]), int(m["col"])) == pos
        assert m["file"].endswith("spec.yaml") and m["path"] == path
    # the renamed `body` also makes the slide miss a required key, located at the slide
    assert any(d.path == "slides[5]" and "missing required key 'body'" in d.message for d in loaded.errors)


def test_diagnostic_format_is_file_line_col_path_message():
    d = Diagnostic("lesson.yaml", 42, 7, "slides[3].chart.kind", "expected one of [a, b], got 'pie3d'")
    assert str(d) == "lesson.yaml:42:7: slides[3].chart.kind: expected one of [a, b], got 'pie3d'"
    w = Diagnostic("lesson.yaml", 3, 1, "slides[0]", "too long", "warning")
    assert str(w) == "lesson.yaml:3:1: warning: slides[0]: too long"
    assert str(Diagnostic("lesson.yaml", 0, 0, "", "cannot read")) == "lesson.yaml: cannot read"
    err = SpecError([d, Diagnostic("a.yaml", 1, 1, "", "x")])
    assert err.exit_code == 2
    assert err.format_message().splitlines() == ["a.yaml:1:1: x", str(d), "2 errors found."]


def test_unknown_keys_everywhere_are_errors_with_did_you_mean(course):
    t = SEED_TEXT
    t = replace_once(t, "  title: The Sequence Problem\n", "  titel: The Sequence Problem\n")
    t = replace_once(t, "    answer: A\n", "    answer: A\n    explaination: x\n")
    t = replace_once(t, "  - kind: title\n", "  - kind: title\n    colour: red\n")
    t = replace_once(t, "      - callout:\n", "      - calout:\n")
    t = t + "extra: 1\n"
    loaded = load(course, t)
    got = errors_at(loaded)
    assert "did you mean 'title'?" in got[where(t, "titel")].message
    assert "did you mean 'explanation'?" in got[where(t, "explaination")].message
    assert got[where(t, "colour")].path == "slides[0].colour"
    assert "unknown block 'calout'; did you mean 'callout'?" in got[where(t, "calout")].message
    assert got[where(t, "extra:")].path == "extra"
    assert "missing required key 'title'" in " ".join(d.message for d in loaded.errors)


def test_wrong_types_are_located(course):
    t = SEED_TEXT
    t = replace_once(t, "  number: 4\n", "  number: [4]\n")
    t = replace_once(t, "  of: 11\n", "  of: true\n")
    t = replace_once(t, "  id: the-sequence-problem\n", "  id: The Sequence Problem\n")
    t = replace_once(t, "    options:\n", "    options: just one\n    opts:\n")
    loaded = load(course, t)
    got = errors_at(loaded)
    assert "expected a whole number, got a list" in got[where(t, "[4]")].message
    assert "got true (a boolean)" in got[where(t, "true\n")].message
    assert got[where(t, "The Sequence Problem\n")].path == "lesson.id"
    assert "expected a list" in got[where(t, "just one")].message


# ---------------------------------------------------------------- broken files

def _bomb() -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


BROKEN = {
    "yaml-syntax": lambda: replace_once(SEED_TEXT, "  number: 4\n", "  number: [4\n"),
    "unknown-key": lambda: replace_once(SEED_TEXT, "  minutes: 9\n", "  minutes: 9\n  minuets: 9\n"),
    "wrong-type": lambda: replace_once(SEED_TEXT, "  minutes: 9\n", "  minutes: {a: 1}\n"),
    "tab-indent": lambda: replace_once(SEED_TEXT, "  minutes: 9\n", "\tminutes: 9\n"),
    "empty": lambda: b"",
    "comments-only": lambda: "# nothing here\n\n",
    "random-bytes": lambda: bytes(range(256))[::-1] * 8,
    "png-header": lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
    "nul-bytes": lambda: SEED_TEXT.encode()[:200] + b"\x00\x00\x00" + SEED_TEXT.encode()[200:],
    "invalid-utf8": lambda: SEED_TEXT.encode().replace(b"  minutes: 9\n", b"  minutes: 9\n  author: caf\xe9\n", 1),
    "python-tag": lambda: "lesson: !!python/object/apply:os.system ['echo pwned']\nslides: []\n",
    "python-tag-on-list-field": lambda: replace_once(
        SEED_TEXT, "exercises: [rnn_step, attention]", "exercises: !!python/object/apply:os.system [rnn_step, attention]"),
    "alias-bomb": _bomb,
    "duplicate-keys": lambda: replace_once(SEED_TEXT, "  minutes: 9\n", "  minutes: 9\n  minutes: 10\n"),
    "three-megabytes": lambda: SEED_TEXT + ("# padding padding padding padding padding\n" * 75_000),
    "not-a-mapping": lambda: "- just\n- a list\n",
    "control-char": lambda: replace_once(SEED_TEXT, "  minutes: 9\n", "  minutes: 9\x07\n"),
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_broken_files_give_located_errors_not_exceptions(module_course, kind):
    data = BROKEN[kind]()
    t0 = time.perf_counter()
    loaded = load(module_course, data, name=f"broken-{kind}.yaml")
    assert time.perf_counter() - t0 < 5
    assert loaded.lesson is None
    assert loaded.errors
    for d in loaded.errors:
        assert d.file.endswith(f"broken-{kind}.yaml")
        assert d.line >= 1 and d.col >= 1, str(d)
        assert DIAG_RE.match(str(d)), str(d)


def test_specific_broken_file_messages(course):
    def only(data) -> Diagnostic:
        loaded = load(course, data)
        assert loaded.lesson is None
        return loaded.errors

    t = BROKEN["tab-indent"]()
    (d,) = only(t)
    assert (d.line, d.col) == where(t, "\t") and "tab" in d.message

    (d,) = only(b"")
    assert (d.line, d.col) == (1, 1) and "empty" in d.message

    t = BROKEN["yaml-syntax"]()
    (d,) = only(t)
    assert d.message.startswith("YAML syntax error") and d.line == where(t, "[4")[0] + 1

    t = "lesson:\n  id: ok\n  title: caf\xe9 ok\n"
    (d,) = only(t.encode("latin-1"))
    assert (d.line, d.col) == where(t, "\xe9") and "UTF-8" in d.message

    t = "lesson:\n  id: a\x00b\n"
    (d,) = only(t.encode())
    assert (d.line, d.col) == where(t, "\x00") and "NUL" in d.message

    t = BROKEN["duplicate-keys"]()
    errs = only(t)
    (d,) = [e for e in errs if "duplicate" in e.message]
    assert (d.line, d.col) == where(t, "minutes", 2)
    assert f"first at line {where(t, 'minutes')[0]}" in d.message

    t = BROKEN["python-tag-on-list-field"]()
    (d,) = only(t)
    assert (d.line, d.col) == where(t, "!!python") and "tag" in d.message

    t = "lesson:\n  title: !!python/name:os.system x\n"
    errs = only(t)
    assert any((e.line, e.col) == where(t, "!!python") and "not allowed" in e.message for e in errs)

    t = _bomb()
    (d,) = only(t)
    assert "alias bomb" in d.message and d.line >= 1

    (d,) = only(BROKEN["three-megabytes"]())
    assert d.line == 1 and "at most" in d.message

    t = "lesson:\n  <<: {id: x}\n"
    assert any("merge keys" in e.message and (e.line, e.col) == where(t, "<<") for e in only(t))

    t = "a: 1\n---\nb: 2\n"
    (d,) = only(t)
    assert d.line == 2 and "YAML syntax error" in d.message

    t = "x: " + "[" * 200 + "]" * 200 + "\n"
    (d,) = only(t)
    assert d.line == 1


def test_yaml_source_keeps_positions_and_plain_values():
    from deckc.diagnostics import Diagnostics

    diags = Diagnostics("f.yaml")
    root = yaml_source.load_yaml(b"a:\n  - 1\n  - x: 2.5\n    y: null\nb: true\n", diags)
    assert diags.items == []
    assert root.plain() == {"a": [1, {"x": 2.5, "y": None}], "b": True}
    knode, vnode = root.value["a"]
    assert (knode.line, knode.col) == (1, 1)
    assert (vnode.value[1].line, vnode.value[1].col) == (3, 5)
    # a BOM is not an error
    assert yaml_source.load_yaml(b"\xef\xbb\xbfa: 1\n", Diagnostics("f")).plain() == {"a": 1}


# ---------------------------------------------------------------- cross-field checks

def test_cross_field_checks(course):
    t = SEED_TEXT
    t = replace_once(t, "    answer: A\n", "    answer: E\n")
    t = replace_once(t, "          focus: it\n", "          focus: its\n")
    t = replace_once(t, "          target: trophy\n", "          target: Trophy\n")
    t = replace_once(t, "exercises: [rnn_step, attention]", "exercises: [rnn_step, attention, no_such_ex]")
    t = replace_once(t, "  number: 4\n", "  number: 12\n")
    loaded = load(course, t)
    assert loaded.lesson is None
    got = errors_at(loaded)
    d = got[where(t, "E\n")]
    assert d.path == "slides[11].answer" and "not one of the options [A, B, C, D]" in d.message
    d = got[where(t, "its\n")]
    assert d.path == "slides[6].body[2].tokens.focus" and "'its' is not one of the tokens" in d.message
    assert got[where(t, "Trophy\n")].path == "slides[6].body[2].tokens.target"
    d = got[where(t, "no_such_ex")]
    assert d.path == "lesson.exercises[2]" and "no exercise 'no_such_ex'" in d.message
    assert "12 of 11" in got[where(t, "12\n")].message
    assert len(loaded.errors) == 5


def test_chart_needs_an_exercise_the_lesson_lists(course):
    t = replace_once(SEED_TEXT, "exercises: [rnn_step, attention]", "exercises: [rnn_step]")
    loaded = load(course, t)
    got = errors_at(loaded)
    for kind in ("attention_weights", "attention_matrix"):
        d = got[where(t, kind + "\n")]
        assert d.path.endswith(".chart.kind") and "needs attention" in d.message
    t = replace_once(SEED_TEXT, "  exercises: [rnn_step, attention]\n", "")
    loaded = load(course, t)
    assert any("list the exercises" in d.message for d in loaded.errors)
    assert all(d.path.endswith(".chart.kind") for d in loaded.errors)


def test_chart_kind_and_param_errors(course):
    t = SEED_TEXT
    t = replace_once(t, "kind: memory_fade", "kind: memory_fades")
    t = replace_once(t, "kind: vanishing_gradient\n",
                     "kind: vanishing_gradient\n                  steps: -3\n                  hidden: 4.5\n"
                     "                  scales: [0.5, huge]\n                  colour: red\n")
    t = replace_once(t, "kind: sequential_steps\n", "kind: sequential_steps\n                  layers: 9\n")
    t = replace_once(t, "kind: attention_matrix\n", "kind: pie3d\n")
    loaded = load(course, t)
    got = errors_at(loaded)
    assert "did you mean 'memory_fade'?" in got[where(t, "memory_fades")].message
    assert "expected one of [" in got[where(t, "pie3d")].message
    assert got[where(t, "-3")].message == "must be at least 2, got -3"
    assert "whole number" in got[where(t, "4.5")].message
    assert got[where(t, "huge")].path.endswith("chart.scales[1]")
    assert "unknown key 'colour'" in got[where(t, "colour")].message
    line, col = where(t, "layers: 9")
    assert got[line, col + len("layers: ")].message == "must be at most 8, got 9"
    assert len(loaded.errors) == 7


def test_speaker_notes_are_plain_text(course):
    """Notes go into the notes pane as typed: characters that would be markup elsewhere are kept."""
    notes = "Say: 2 * 3 = 6, and *stress* the ==memory== part (an unpaired * too)."
    t = ("lesson: {id: plain-notes, title: Notes, course: C, module: M, number: 1, of: 1, minutes: 5}\n"
         "slides:\n"
         f"  - {{kind: title, notes: '{notes}'}}\n"
         f"  - {{title: One, notes: '{notes}', body: [Text with *italic*.]}}\n")
    loaded = load(course, t)
    assert loaded.errors == []
    assert [sl.notes for sl in loaded.lesson.slides] == [notes, notes]
    from deckc.layout.slides import plan_deck
    assert [sp.notes for sp in plan_deck(loaded.lesson)[0].slides] == [notes, notes]
    bad = t.replace("body: [Text with *italic*.]", "body: [Text with *italic.]")
    assert [d.path for d in load(course, bad).errors] == ["slides[1].body[0]"]      # body text is still markup


def test_an_emoji_sequence_the_pdf_cannot_draw_whole_is_a_warning(course):
    t = ("lesson: {id: emoji, title: Emoji, course: C, module: M, number: 1, of: 1, minutes: 5}\n"
         "slides:\n"
         "  - {kind: title, notes: n}\n"
         "  - {title: One, notes: n, body: ['Coder \U0001F469\u200d\U0001F4BB, flag \U0001F1EB\U0001F1F7, "
         "odd \U0001F600\u200d\U0001F600']}\n")
    loaded = load(course, t)
    assert loaded.errors == []
    from deckc.layout.slides import plan_deck
    warnings = [w for w in plan_deck(loaded.lesson, "emoji.yaml")[1] if "emoji sequence" in w.message]
    assert len(warnings) == 1, warnings          # the ZWJ sequence and the flag have glyphs
    assert "U+1F600 U+200D U+1F600" in warnings[0].message and "slide 2" in warnings[0].path


def test_chart_that_cannot_be_computed_is_a_located_error(course):
    """Each parameter valid, together not a chart (a query word not in the sentence): the resolve
    stage computes it once and the loader says where, as for any spec error."""
    t = replace_once(SEED_TEXT, "kind: attention_weights\n", "kind: attention_weights\n                  query: she\n")
    loaded = load(course, t)
    (d,) = loaded.errors
    line, col = where(t, "kind: attention_weights")
    assert (d.line, d.col) == (line, col)       # the chart mapping starts at its first key
    assert d.path.endswith(".chart") and "cannot compute this chart" in d.message and "'she'" in d.message
    assert loaded.lesson is None


def test_loaded_charts_carry_their_data(course):
    loaded = load(course, SEED_TEXT)
    charts = [b for s in loaded.lesson.slides for blk in s.body for b in [blk, *(
        x for col in getattr(blk, "columns", ()) for x in col.body)] if getattr(b, "kind", None) in
        ("memory_fade", "vanishing_gradient", "attention_weights", "attention_matrix", "sequential_steps")]
    assert len(charts) == 5 and all(c.data is not None and c.data.series for c in charts)


def test_chart_params_in_range_are_accepted(course):
    t = replace_once(SEED_TEXT, "kind: vanishing_gradient\n",
                     "kind: vanishing_gradient\n                  steps: 30\n                  scales: [0.5, 2]\n")
    loaded = load(course, t)
    assert loaded.errors == []
    charts = [b for s in loaded.lesson.slides for blk in s.body for col in getattr(blk, "columns", ())
              for b in col.body if getattr(b, "kind", None) == "vanishing_gradient"]
    assert charts[0].params == {"steps": 30, "scales": [0.5, 2]}


def test_chart_without_kind(course):
    t = replace_once(SEED_TEXT, "                  kind: memory_fade\n", "")
    loaded = load(course, t)
    (d,) = loaded.errors
    assert "missing required key 'kind'" in d.message and d.path.endswith(".chart")


# ---------------------------------------------------------------- inline markup

@pytest.mark.parametrize("text,spans", [
    ("plain", [("plain", {})]),
    ("**bold** text", [("bold", {"bold"}), (" text", {})]),
    ("an *italic* word", [("an ", {}), ("italic", {"italic"}), (" word", {})]),
    ("run `x = 2*y` now", [("run ", {}), ("x = 2*y", {"code"}), (" now", {})]),
    ("see ==it== here", [("see ", {}), ("it", {"highlight"}), (" here", {})]),
    ("**a *b* c**", [("a ", {"bold"}), ("b", {"bold", "italic"}), (" c", {"bold"})]),
    ("2 * 3 = 6", [("2 * 3 = 6", {})]),
    ("2 ** 8 is 256", [("2 ** 8 is 256", {})]),
    ("a == b", [("a == b", {})]),
    (r"a \*literal\* and \`tick\` \\ \=\=", [("a *literal* and `tick` \\ ==", {})]),
    ("**2 * 3**", [("2 * 3", {"bold"})]),
])
def test_markup_parses(text, spans):
    got = parse_markup(text)
    styles = ("bold", "italic", "code", "highlight")
    assert [(s.text, {k for k in styles if getattr(s, k)}) for s in got] == [(s, set(k)) for s, k in spans]
    assert all(isinstance(s, Span) for s in got)


def test_plain_text_drops_markers():
    assert plain_text("**The problem:** the *hidden state* is `h` ==here==") == \
        "The problem: the hidden state is h here"


@pytest.mark.parametrize("text,marker,at", [
    ("**unclosed bold", "**", 1),
    ("an *open italic", "*", 4),
    ("look ==there", "==", 6),
    ("code `x = 1", "`", 6),
    ("2*3", "*", 2),
])
def test_unclosed_markup_is_an_error(text, marker, at):
    with pytest.raises(MarkupError) as e:
        parse_markup(text)
    assert f"unclosed '{marker}'" in str(e.value) and f"at character {at}" in str(e.value)


def test_markup_errors_in_a_spec_are_located(course):
    t = SEED_TEXT
    t = replace_once(t, "**backpropagation**", "**backpropagation")
    t = replace_once(t, "note: Now \"it\" refers to **the suitcase**!", "note: Now \"it\" refers to ==the suitcase!")
    t = replace_once(t, "definition: Recurrent Neural Network", "definition: Recurrent `Neural Network")
    loaded = load(course, t)
    got = errors_at(loaded)
    # each at the marker left open, inside the YAML string (a block scalar, plain scalars)
    d = got[where(t, "**backpropagation")]
    assert "unclosed '**'" in d.message and d.path == "slides[2].body[0].columns[0].body[0].text"
    d = got[where(t, "==the suitcase")]
    assert "unclosed '=='" in d.message and d.path.endswith(".sentence.note")
    d = got[where(t, "`Neural")]
    assert "unclosed '`'" in d.message and d.path == "slides[10].body[0].concepts[0].definition"
    assert len(loaded.errors) == 3


def test_markup_not_parsed_where_not_allowed(course):
    # lesson.title is plain text: asterisks are literal, not an error
    t = replace_once(SEED_TEXT, "  title: The Sequence Problem\n", "  title: The *Sequence Problem\n")
    loaded = load(course, t)
    assert loaded.errors == []
    assert loaded.lesson.meta.title == "The *Sequence Problem"


# ---------------------------------------------------------------- JSON Schema

@pytest.fixture(scope="module")
def validator():
    schema = json.loads(json.dumps(json_schema()))   # must be JSON-serialisable
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_seed_validates_against_json_schema(validator):
    data = yaml.safe_load(SEED_TEXT)
    assert [e.message for e in validator.iter_errors(data)] == []


@pytest.mark.parametrize("mutate", [
    lambda d: d["lesson"].__setitem__("mintues", 3),
    lambda d: d.__setitem__("extra", 1),
    lambda d: d["slides"][1].__setitem__("colour", "red"),
    lambda d: d["slides"][-1].__setitem__("answer", "Z"),
    lambda d: d["lesson"].pop("id"),
    lambda d: d["lesson"].__setitem__("minutes", "nine"),
    lambda d: d["slides"][1]["body"][0]["columns"][1]["body"][0]["chart"].__setitem__("kind", "pie3d"),
    lambda d: d["slides"][1]["body"][0]["columns"][1]["body"][0]["chart"].__setitem__("steps", -3),
    lambda d: d["slides"][1]["body"][0]["columns"][0]["body"][3]["callout"].__setitem__("tone", "problm"),
], ids=["unknown-lesson-key", "unknown-top-key", "unknown-slide-key", "answer", "missing-id", "minutes-type",
        "chart-kind", "chart-param-range", "nested-enum"])
def test_json_schema_rejects_invalid_specs(validator, mutate):
    data = yaml.safe_load(SEED_TEXT)
    mutate(data)
    assert not validator.is_valid(data)


# ---------------------------------------------------------------- property: hostile edits never crash

_SEED_TREE = yaml.safe_load(SEED_TEXT)


def _paths(obj, prefix=()):
    """Every (container path, key) in the tree, for deleting keys and replacing scalars."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield prefix, k, v
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield prefix, i, v
            yield from _paths(v, prefix + (i,))


def _get(obj, path):
    for k in path:
        obj = obj[k]
    return obj


_OTHER_VALUES = st.one_of(
    st.integers(min_value=-10**6, max_value=10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.none(), st.text(max_size=30),
    st.lists(st.integers(-5, 5), max_size=3), st.dictionaries(st.text(max_size=6), st.integers(), max_size=2),
)


@st.composite
def mutated_spec(draw) -> bytes:
    op = draw(st.sampled_from(["delete-key", "replace-scalar", "insert-unicode", "truncate", "duplicate-line",
                               "insert-bytes"]))
    if op in ("delete-key", "replace-scalar"):
        import copy
        tree = copy.deepcopy(_SEED_TREE)
        entries = list(_paths(tree))
        if op == "delete-key":
            keyed = [(p, k) for p, k, _ in entries if isinstance(k, str)]
            p, k = draw(st.sampled_from(keyed))
            del _get(tree, p)[k]
        else:
            scalars = [(p, k, v) for p, k, v in entries if not isinstance(v, (dict, list))]
            p, k, v = draw(st.sampled_from(scalars))
            new = draw(_OTHER_VALUES.filter(lambda x: type(x) is not type(v)))
            _get(tree, p)[k] = new
        return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False).encode("utf-8")
    text = SEED_TEXT
    if op == "insert-unicode":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(min_size=1, max_size=8)) + text[at:]
        return text.encode("utf-8", "surrogatepass")
    if op == "truncate":
        data = text.encode("utf-8")
        return data[:draw(st.integers(0, len(data)))]      # may cut a multi-byte character in half
    if op == "duplicate-line":
        lines = text.splitlines(keepends=True)
        i = draw(st.integers(0, len(lines) - 1))
        return "".join(lines[:i + 1] + [lines[i]] + lines[i + 1:]).encode("utf-8")
    data = text.encode("utf-8")
    at = draw(st.integers(0, len(data)))
    return data[:at] + draw(st.binary(min_size=1, max_size=6)) + data[at:]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated_spec())
def test_mutated_seed_loads_or_gives_only_located_diagnostics(module_course, data):
    spec = module_course / "lesson" / "mutant.yaml"
    spec.write_bytes(data)
    loaded = load_lesson(spec)             # must never raise
    n_lines = data.count(b"\n") + 1
    for d in loaded.problems:
        assert d.file.endswith("mutant.yaml")
        assert 1 <= d.line <= n_lines + 1, str(d)
        assert d.col >= 1, str(d)
        assert d.severity in ("error", "warning")
        assert DIAG_RE.match(str(d)), str(d)     # one line: FILE:LINE:COL: ...
    if loaded.lesson is None:
        assert loaded.errors, "no lesson and no error"
    else:
        assert loaded.errors == []


def test_quiz_points_come_from_the_spec_and_must_be_positive(course):
    """The quick check's worth is the quiz slide's `points` (default 1); 0 is a located error."""
    def seed_slides(course):
        return load(course, SEED_TEXT).lesson.slides

    assert load(course, SEED_TEXT).lesson.quiz.points == 1
    text = replace_once(SEED_TEXT, "  - kind: quiz\n", "  - kind: quiz\n    points: 2.5\n")
    assert load(course, text).lesson.quiz.points == 2.5
    text = replace_once(SEED_TEXT, "  - kind: quiz\n", "  - kind: quiz\n    points: 0\n")
    loaded = load(course, text)
    line, col = where(text, "points: 0")
    assert [(d.line, d.col, d.path, d.message) for d in loaded.errors] == [
        (line, col + len("points: "), f"slides[{len(seed_slides(course)) - 1}].points", "must be more than 0, got 0")]


def test_block_errors_do_not_hide_the_file_and_chart_checks(tmp_path):
    """A lecturer's first draft: a LaTeX typo, a language typo and a bad number no longer hide the
    escaping image, the missing alt and the missing CSV until they are fixed: one run, each at its
    own line with its own path (the broken blocks keep their indices)."""
    from deckc.spec.loader import load_lesson

    lesson = tmp_path / "course" / "lesson"
    lesson.mkdir(parents=True)
    spec = lesson / "draft.yaml"
    spec.write_text("""lesson: {id: draft, title: Draft, course: C, module: M, number: 1, of: 1, minutes: 5}
slides:
  - {kind: title, notes: hi}
  - title: First draft
    notes: n
    body:
      - math: '\\\\frac{a}{b} + \\\\foo{x}'
      - code: {lang: pythn, source: "x = 1"}
      - image: {src: ../../outside.png, alt: x}
      - image: {src: figures/missing.png}
      - chart: {kind: line, csv: data/nope.csv}
      - chart: {kind: heatmap, data: {rows: [a], cols: [a, b], values: [[1, x]]}}
""")
    loaded = load_lesson(spec)
    assert loaded.lesson is None
    got = sorted((d.line, d.path) for d in loaded.problems if d.severity == "error")
    assert got == [(7, "slides[1].body[0].math"), (8, "slides[1].body[1].code.lang"),
                   (9, "slides[1].body[2].image.src"), (10, "slides[1].body[3].image"), (10, "slides[1].body[3].image.src"),
                   (11, "slides[1].body[4].chart.csv"), (12, "slides[1].body[5].chart.data.values[0][1]")], got
