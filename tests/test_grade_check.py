"""The out-of-kernel check on its own (runner + replay, no nbgrader, no jail): fast.

Each case runs deckc's checking runner (`_runner.py`, as the worker starts it but without the
jail) on student cells of rnn_step.ipynb / attention.ipynb and replays the grade cells in the
grader (verify.py, compose.py), then compares per-part verdicts.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from grade_support import notebooks

HERE = Path(__file__).resolve().parents[1] / "deckc" / "grading"


def _specs(name):
    from deckc.grading import verify

    source, _ = notebooks()[name]
    reference = verify.reference_namespace([c.source for c in source.cells if c.cell_type == "code"
                                            and not c.metadata.get("nbgrader", {}).get("grade")])
    specs = {}
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            spec = verify.parse_test_cell(name, meta["grade_id"], meta["points"], cell.source)
            verify.plan(spec, reference)
            specs[meta["grade_id"]] = spec
    return source, specs


def check(name: str, cells: dict, tmp_path: Path, extra_lines: bytes = b"") -> dict:
    """{grade_id: Verdict} for the source notebook with the solution cells in `cells` replaced."""
    from deckc.grading import verify
    from deckc.grading._protocol import LineReader, read_message as read_event
    from deckc.grading.checking import collect, probe_step

    source, specs = _specs(name)
    steps = []
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code":
            continue
        if meta.get("grade"):
            steps.append(probe_step(specs[meta["grade_id"]], verify))
        else:
            steps.append({"code": cells.get(meta.get("grade_id"), cell.source)})
    job = {"cell_timeout": 10, "cwd": str(tmp_path), "notebooks": [{"name": name, "steps": steps}]}
    out = subprocess.run([sys.executable, "-I", str(HERE / "_runner.py")], input=json.dumps(job).encode(),
                         capture_output=True, timeout=120, cwd=tmp_path, env={"PATH": "/usr/bin:/bin",
                                                                               "HOME": str(tmp_path)}).stdout
    events = [e for e in (read_event(line) for line in LineReader().feed(extra_lines + out)) if e]
    records = collect(events).get(name, {})
    return {gid: verify.replay(spec, records.get(gid)) for gid, spec in specs.items()}


def failed(verdicts: dict) -> set:
    return {gid for gid, v in verdicts.items() if not v.passed}


RNN_STEP_VALUES = {"rnn_step_worked_example", "rnn_step_batch", "rnn_step_unbatched"}
RNN_STEP = RNN_STEP_VALUES | {"rnn_step_shape"}
RNN_FORWARD = {"rnn_forward_shape", "rnn_forward_sequence", "rnn_forward_unbatched"}
# the values rnn_forward's tests check (the worked example is visible, with a non-symmetric W_hh)
FORWARD_VALUES = {"rnn_forward_worked_example", "rnn_forward_sequence", "rnn_forward_unbatched"}

NO_TANH = "import numpy as np\ndef rnn_step(x_t, h_prev, W_xh, W_hh, b_h):\n    return x_t @ W_xh + h_prev @ W_hh + b_h\n"
RAISES = "def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):\n    raise NotImplementedError()\n"
FORWARD_OFF_BY_ONE = ("import numpy as np\ndef rnn_forward(xs, h0, W_xh, W_hh, b_h):\n    h, hs = h0, [h0]\n"
                      "    for x in xs[:-1]:\n        h = rnn_step(x, h, W_xh, W_hh, b_h)\n        hs.append(h)\n"
                      "    return np.stack(hs)\n")
FORWARD_INLINED = ("import numpy as np\ndef rnn_forward(xs, h0, W_xh, W_hh, b_h):\n    h, hs = h0, []\n"
                   "    for x in xs:\n        h = np.tanh(x @ W_xh + h @ W_hh + b_h)\n        hs.append(h)\n"
                   "    return np.stack(hs)\n")
FORWARD_WRONG_ARGS = ("import numpy as np\ndef rnn_forward(xs, h0, W_xh, W_hh, b_h):\n    h, hs = h0, []\n"
                      "    for x in xs:\n        h = rnn_step(x, h, W_xh, W_hh.T, b_h)\n        hs.append(h)\n"
                      "    return np.stack(hs)\n")


def test_reference_passes_everything(tmp_path):
    assert failed(check("rnn_step", {}, tmp_path)) == set()


@pytest.mark.parametrize("rnn_step, rnn_forward, lost", [
    # a wrong or unimplemented rnn_step costs rnn_step's parts only: rnn_forward is graded on its own
    (NO_TANH, None, RNN_STEP_VALUES),
    (RAISES, None, RNN_STEP),
    # a wrong rnn_forward fails whatever rnn_step does
    (None, FORWARD_OFF_BY_ONE, FORWARD_VALUES),
    (NO_TANH, FORWARD_OFF_BY_ONE, RNN_STEP_VALUES | FORWARD_VALUES),
    (None, FORWARD_WRONG_ARGS, FORWARD_VALUES),
    # not calling rnn_step at all is fine: judged on its own output
    (NO_TANH, FORWARD_INLINED, RNN_STEP_VALUES),
])
def test_each_function_is_graded_on_its_own(tmp_path, rnn_step, rnn_forward, lost):
    cells = {k: v for k, v in (("rnn_step", rnn_step), ("rnn_forward", rnn_forward)) if v}
    assert failed(check("rnn_step", cells, tmp_path)) == lost


def test_attention_on_its_own_with_a_wrong_softmax(tmp_path):
    wrong_axis = ("import numpy as np\ndef softmax(z, axis=-1):\n    e = np.exp(z - np.max(z, axis=0, keepdims=True))\n"
                  "    return e / e.sum(axis=0, keepdims=True)\n")
    got = failed(check("attention", {"softmax": wrong_axis}, tmp_path))
    assert got and all(g.startswith("softmax") for g in got), got


def test_ipython_syntax_runs_as_in_the_kernel(tmp_path):
    cell = ("import numpy as np\n!true\nfiles = !ls\n%time _ = 1\nget_ipython().run_line_magic('precision', '3')\n"
            "display('hello')\n"
            "def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):\n    display(get_ipython() is not None)\n"
            "    return np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h)\n")
    assert failed(check("rnn_step", {"rnn_step": cell}, tmp_path)) == set()


def test_malformed_runner_lines_fail_nothing_else(tmp_path):
    garbage = (b"[" * 100000 + b"\n" + b'{"nb": ' * 50000 + b"\n" + b"\xff\n" + b"x" * 100 + b"\n"
               + b'{"nb": "rnn_step", "probe": "rnn_step_batch", "call": 0, "result": {"t": "nd", "npy": "!!"}}\n'
               + b'{"nb": "rnn_step", "probe": "rnn_step_unbatched", "call": 0, "raised": 7}\n')
    verdicts = check("rnn_step", {}, tmp_path, extra_lines=garbage)
    # the forged records came first and are malformed: those two checks fail, cleanly
    assert failed(verdicts) == {"rnn_step_batch", "rnn_step_unbatched"}
    assert verdicts["rnn_step_batch"].error_type in ("ValueError", "BadRecord")


def test_read_event_bounds():
    from deckc.grading._protocol import MAX_LINE, LineReader, read_message as read_event

    assert read_event(b"[" * 5000) is None and read_event(b'{"a":' * 5000 + b"1" + b"}" * 5000) is None
    assert read_event(b'{"a": [1, 2]}') == {"a": [1, 2]}
    reader = LineReader(max_line=10)
    assert reader.feed(b"x" * 50 + b"\nok\n" + b"y" * 5) == [b"ok"] and reader.dropped == 1
    assert reader.feed(b"y\n") == [b"yyyyyy"]
    assert MAX_LINE >= 1 << 20


def test_outputs_are_capped_in_bytes_as_they_arrive():
    import nbformat

    from deckc.grading.outputs import CappedExecute

    ex = CappedExecute(cell_bytes=1000, notebook_bytes=2500)
    ex._used_notebook, ex._used_cell, ex._noted = 0, {}, set()
    cell = nbformat.v4.new_code_cell("print('x' * 10**6)")

    def stream(text):
        return {"msg_type": "stream", "content": {"name": "stdout", "text": text}}

    kept = []
    for i in range(5):
        msg = stream("x" * 400)
        if ex._admit(msg, "stream", cell, 0):
            kept.append(msg["content"]["text"])
    assert sum(len(t) for t in kept) < 1000 + 200 and "output truncated" in kept[-1]
    image = {"msg_type": "display_data", "content": {"data": {"image/png": "A" * 5000}, "metadata": {}}}
    assert not ex._admit(image, "display_data", cell, 1)          # does not fit: dropped, with a note
    assert "output truncated" in cell.outputs[-1]["text"]
    for index in (2, 3, 4):                                       # the notebook's budget runs out
        ex._admit(stream("y" * 900), "stream", cell, index)
    assert ex._used_notebook <= 2500
