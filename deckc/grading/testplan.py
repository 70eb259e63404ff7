"""The *plan* stage: what a worker knows of an assignment before any submission, loaded once.

From the assignment's definition (the gradebook's grade and source cells, the source notebooks
as records.AssignmentDef laid them out) each notebook gets a NotebookPlan: every deckc grade
cell parsed into a verify.TestSpec whose calls are planned on the reference solution
(verify.plan); the reference values a feedback page must never show (the long numbers of the
hidden regions the release does not show); where its grade cells are (records.Layout: order
for the report, the solution cell before each grade cell for a correction note); and its wall
time cap, fixed here from the *source* notebook so cells a student adds do not raise it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .records import Layout


@dataclass
class NotebookPlan:
    name: str
    grades: dict                  # grade id -> (max score, cell type), from the gradebook
    source: dict                  # cell id -> (locked, cell type, source), from the gradebook
    tests: dict = field(default_factory=dict)      # grade id -> verify.TestSpec (planned)
    secrets: set = field(default_factory=set)
    layout: Layout = Layout()
    timeout: float = 600.0        # wall time of the notebook's kernel run


def load(source_dir: Path, definitions: dict, cell_timeout: float,
         notebook_timeout: float | None) -> dict[str, NotebookPlan]:
    """{notebook: NotebookPlan}. definitions: gradebook.definitions() of the assignment;
    source_dir: its source/<assignment>/ folder."""
    import nbformat

    from ..nbgrader import cells as nbcells
    from . import verify
    from .feedback import NUMBER, secrets_of, strip_hidden

    visible = set()
    for d in definitions.values():
        for _, _, text in d["source"].values():
            visible.update(NUMBER.findall(strip_hidden(text)))
    plans = {}
    for name, d in definitions.items():
        source_path = source_dir / f"{name}.ipynb"
        cells = list(nbformat.read(source_path, as_version=4).cells) if source_path.is_file() else []
        code_cells = [c for c in cells if c.cell_type == "code"]
        reference = verify.reference_namespace(
            [c.source for c in code_cells if not nbcells.is_grade(c)])
        tests = {}
        for gid, (max_score, cell_type) in d["grades"].items():
            if cell_type != "code":
                continue
            src = d["source"].get(gid, (True, cell_type, ""))[2]
            spec = verify.parse_test_cell(name, gid, max_score, src)
            verify.plan(spec, reference)
            tests[gid] = spec
        secrets = set().union(*[secrets_of(s[2]) for s in d["source"].values()] or [set()]) - visible
        index, note_to = nbcells.grade_positions(cells), nbcells.solution_before(cells)
        n_code = len(code_cells) or len(d["source"])
        timeout = float(notebook_timeout) if notebook_timeout else cell_timeout * (n_code + 2) + 30
        plans[name] = NotebookPlan(name, d["grades"], d["source"], tests, secrets,
                                   Layout(index, note_to, frozenset(d["grades"])), timeout)
    return plans
