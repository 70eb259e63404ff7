"""The deck pipeline's layers, read from the source: who imports whom (at module level or inside a
function, both count), so a shortcut back up the pipeline or an import cycle fails here.

spec (YAML -> model) -> resolve (chart data) -> layout (plan) -> writers; charts, fonts and
pdf_fixes are libraries below them.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "deckc"


def _modules() -> dict[str, Path]:
    out = {}
    for p in PACKAGE.rglob("*.py"):
        parts = p.relative_to(PACKAGE.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    return out


def _imports(name: str, path: Path, modules) -> set[str]:
    """The deckc modules `name` imports anywhere in its code."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    deps = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package[:len(package) - (node.level - 1)]
                base = ".".join(up + ([node.module] if node.module else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        deps.update(t for t in targets if t in modules and t != name)
    return deps


@pytest.fixture(scope="module")
def graph():
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _under(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("layer,forbidden", [
    ("deckc.layout", ("deckc.spec", "deckc.writers", "deckc.build", "deckc.cli", "deckc.resolve")),
    ("deckc.charts", ("deckc.spec", "deckc.layout", "deckc.writers", "deckc.build")),
    ("deckc.fonts", ("deckc.spec", "deckc.layout", "deckc.writers", "deckc.charts")),
    ("deckc.resolve", ("deckc.spec", "deckc.layout", "deckc.writers")),
    ("deckc.model", ("deckc.spec", "deckc.layout", "deckc.writers", "deckc.charts")),
    ("deckc.pdf_fixes", ("deckc",)),
])
def test_layers_do_not_reach_up(graph, layer, forbidden):
    bad = sorted((m, d) for m, deps in graph.items() if _under(m, layer) for d in deps if _under(d, *forbidden))
    assert bad == []


def _cycles(graph, nodes) -> list[list[str]]:
    """Every import cycle among `nodes`, each as the path that closes it (a -> b -> a)."""
    cycles, done = [], set()

    def walk(m, trail):
        if m in trail:
            cycles.append(trail[trail.index(m):] + [m])
            return
        if m in done:
            return
        for d in sorted(graph[m] & nodes):
            walk(d, trail + [m])
        done.add(m)

    for m in sorted(nodes):
        walk(m, [])
    return cycles


def _deck(graph) -> set[str]:
    """The deck pipeline: all of deckc but the grader (its own half, layered separately)."""
    return {m for m in graph if not _under(m, "deckc.grading")}


def test_deck_pipeline_has_no_import_cycles(graph):
    assert _cycles(graph, _deck(graph)) == []


def test_the_cycle_check_finds_a_reintroduced_cycle(graph):
    """Put back an edge that once closed a cycle (the registry's code list read by the HTML index
    through incremental.py; omml reaching into drawingml): the check names the cycle."""
    for a, b in (("deckc.code_fingerprint", "deckc.incremental"), ("deckc.writers.ooxml", "deckc.writers.drawingml")):
        broken = {m: set(deps) for m, deps in graph.items()}
        broken[a].add(b)
        found = _cycles(broken, _deck(broken))
        assert found and all(c[0] == c[-1] for c in found)
        assert any(a in c and b in c for c in found)


def test_the_check_sees_a_cycle(graph):
    """The cycle check above is not vacuous: fonts -> pdf_fixes is a real edge it follows."""
    assert "deckc.pdf_fixes" in graph["deckc.fonts"]
    assert "deckc.fonts" in graph["deckc.fonts.canvas"]
