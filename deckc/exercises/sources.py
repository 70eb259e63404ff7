"""Load one exercise folder (``exercises/<id>/``) into plain data.

Layout (documented in exercises/README.md)::

    exercises/<id>/
        exercise.yaml      title + graded functions, each with its grade cells and their points
        intro.md           student-facing explanation: the contracts, with worked examples
        <function>.md      optional text shown just before that function's solution cell
        solution.py        reference solution, nbgrader ### BEGIN/END SOLUTION markers inside
        visible_tests.py   test_<name>(fn) functions students can run before submitting
        hidden_tests.py    test_<name>(fn, inputs, expected) + inputs_<name>(rng) generators

Nothing here imports nbgrader.
"""
from __future__ import annotations

import ast
import builtins
import hashlib
import importlib.util
import re
import symtable
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import yaml

from ..nbgrader import cells

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
TEST_FILES = ("visible_tests.py", "hidden_tests.py")
# Global names a test function may use: it is pasted alone into a grade cell, after the helpers.
TEST_GLOBALS = {"np", "call_student", "expect_tuple", "expect_array", "expect_close", "isolate",
                "on_its_own", "RTOL", "ATOL",
                # the hint helpers visible tests use to name the fix for a common mistake
                "call_student_hinted", "expect_finite", "expect_no_known_mistake", "expect_rows_sum_to_one",
                "expect_zero_where"}


class ExerciseError(ValueError):
    """An exercise folder is missing something or is inconsistent."""


@dataclass
class Test:
    name: str                 # grade id; the function is test_<name>
    points: float
    hidden: bool
    function: str             # the graded function it tests (its first parameter)
    source: str               # source of `def test_<name>(...)`, dedented
    doc: str                  # first line of its docstring: the student-facing description


@dataclass
class Function:
    name: str
    source: str               # the `def`, cut from solution.py, markers included
    reference_source: str     # the same with the solution markers removed
    text: str                 # markdown shown before the solution cell ('' if none)
    tests: list[Test] = field(default_factory=list)


@dataclass
class Exercise:
    id: str
    path: Path
    title: str
    intro: str
    imports: str              # module-level imports of solution.py (first code cell)
    functions: list[Function]
    solution: ModuleType      # the reference solution, imported
    hidden: ModuleType | None  # hidden_tests.py, imported (for its inputs_<name> generators)

    @property
    def notebook(self) -> str:
        return self.id

    @property
    def points(self) -> float:
        return sum(t.points for f in self.functions for t in f.tests)


def load_exercise(exercises_dir: Path, exercise_id: str) -> Exercise:
    if not isinstance(exercise_id, str) or not SLUG.match(exercise_id):
        raise ExerciseError(f"exercise id {exercise_id!r} is not a slug (a-z, 0-9, '_', '-')")
    path = Path(exercises_dir) / exercise_id
    if not path.is_dir():
        raise ExerciseError(f"no exercise folder {path}")
    meta = _read_yaml(path / "exercise.yaml")
    intro = _read_text(path / "intro.md")
    solution_text = _read_text(path / "solution.py")
    functions_meta = meta.get("functions")
    if not isinstance(functions_meta, dict) or not functions_meta:
        raise ExerciseError(f"{path / 'exercise.yaml'}: 'functions' must map function names to their tests")

    defs, imports = _top_level(solution_text, path / "solution.py")
    tests = {}
    for filename in TEST_FILES:
        file = path / filename
        if file.exists():
            test_defs, _ = _top_level(_read_text(file), file)
            for name, (src, node) in test_defs.items():
                if name.startswith("test_"):
                    if name[5:] in tests:
                        raise ExerciseError(f"{file}: {name} is defined in both test files")
                    tests[name[5:]] = (filename == "hidden_tests.py", src, node)

    functions = []
    listed = set()
    for fname, parts in functions_meta.items():
        if fname not in defs:
            raise ExerciseError(f"{path / 'solution.py'}: no function {fname!r} (listed in exercise.yaml)")
        src = defs[fname][0]
        if not cells.has_solution_region(src):
            raise ExerciseError(f"{path / 'solution.py'}: {fname} has no {cells.SOLUTION_BEGIN} / "
                                f"{cells.SOLUTION_END} markers")
        text_file = path / f"{fname}.md"
        func = Function(fname, src, strip_solution_markers(src),
                        _read_text(text_file) if text_file.exists() else "")
        if not isinstance(parts, dict) or not parts:
            raise ExerciseError(f"{path / 'exercise.yaml'}: {fname} needs its tests, as name: points")
        for tname, points in parts.items():
            if tname not in tests:
                raise ExerciseError(f"{path}: no test_{tname} in {' or '.join(TEST_FILES)}")
            if not isinstance(points, (int, float)) or isinstance(points, bool) or points <= 0:
                raise ExerciseError(f"{path / 'exercise.yaml'}: points of {tname} must be a positive number")
            hidden, tsrc, node = tests[tname]
            params = [a.arg for a in node.args.args]
            want = [fname, "inputs", "expected"] if hidden else [fname]
            if params != want:
                raise ExerciseError(
                    f"{path}: test_{tname} must take ({', '.join(want)}), not ({', '.join(params)})")
            unknown = sorted(_globals_used(tsrc) - TEST_GLOBALS - set(dir(builtins)))
            if unknown:
                raise ExerciseError(
                    f"{path}: test_{tname} uses {', '.join(unknown)}; a test is pasted into its own grade "
                    f"cell, so it may use only its parameters, np and the helpers of deckc.exercises.checks")
            func.tests.append(Test(tname, points, hidden, fname, tsrc, _first_line(ast.get_docstring(node))))
            listed.add(tname)
        functions.append(func)
    unlisted = sorted(set(tests) - listed)
    if unlisted:
        raise ExerciseError(f"{path / 'exercise.yaml'}: tests not listed: {', '.join('test_' + t for t in unlisted)}")

    solution = _import(path / "solution.py", f"deckc_exercise_{exercise_id}_solution")
    hidden = None
    if (path / "hidden_tests.py").exists():
        hidden = _import(path / "hidden_tests.py", f"deckc_exercise_{exercise_id}_hidden_tests")
        for func in functions:
            for test in func.tests:
                if test.hidden and not callable(getattr(hidden, f"inputs_{test.name}", None)):
                    raise ExerciseError(f"{path / 'hidden_tests.py'}: no inputs_{test.name}(rng) for test_{test.name}")
    return Exercise(exercise_id, path, str(meta.get("title") or exercise_id), intro, imports, functions,
                    solution, hidden)


def strip_solution_markers(source: str) -> str:
    return "\n".join(line for line in source.split("\n") if not cells.is_solution_marker(line))


def seed_for(exercise_id: str, test_name: str) -> int:
    """The seed of a hidden test's inputs: fixed (deterministic builds), never written anywhere."""
    digest = hashlib.sha256(f"deckc-exercises:{exercise_id}:{test_name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def load_tests(exercise: Exercise, hidden: bool) -> dict[str, object]:
    """Import visible_tests.py or hidden_tests.py and return {name: test_<name>} (for pytest)."""
    file = exercise.path / ("hidden_tests.py" if hidden else "visible_tests.py")
    module = _import(file, f"deckc_exercise_{exercise.id}_{file.stem}")
    return {t.name: getattr(module, f"test_{t.name}") for f in exercise.functions for t in f.tests
            if t.hidden == hidden}


def _top_level(text: str, file: Path):
    try:
        tree = ast.parse(text, filename=str(file))
    except SyntaxError as e:
        raise ExerciseError(f"{file}:{e.lineno}: {e.msg}") from None
    lines = text.split("\n")
    defs, imports = {}, []
    for node in tree.body:
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        end = node.end_lineno
        # ast ends a function at its last statement; keep the indented comments after it
        # (### END SOLUTION).
        while end < len(lines) and (not lines[end].strip() or (
                lines[end].lstrip().startswith("#") and _indent(lines[end]) > node.col_offset)):
            end += 1
        while end > node.end_lineno and not lines[end - 1].strip():
            end -= 1
        src = "\n".join(lines[start - 1:end])
        if isinstance(node, ast.FunctionDef):
            defs[node.name] = (textwrap.dedent(src), node)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(src)
    return defs, "\n".join(imports)


def _globals_used(function_source: str) -> set[str]:
    table = symtable.symtable(function_source, "<test>", "exec").get_children()[0]
    names = set(table.get_globals())
    stack = list(table.get_children())
    while stack:  # nested functions, comprehensions and lambdas
        child = stack.pop()
        names |= set(child.get_globals())
        stack.extend(child.get_children())
    return names


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n")[0].strip()


def _read_text(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8").replace("\r\n", "\n").strip("\n")
    except FileNotFoundError:
        raise ExerciseError(f"missing {file}") from None


def _read_yaml(file: Path) -> dict:
    try:
        data = yaml.safe_load(_read_text(file))
    except yaml.YAMLError as e:
        raise ExerciseError(f"{file}: {e}") from None
    if not isinstance(data, dict):
        raise ExerciseError(f"{file}: expected a mapping")
    return data


def _import(file: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses/inspect want it registered
    try:
        spec.loader.exec_module(module)
    except Exception:
        sys.modules.pop(name, None)
        raise
    return module


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())
