"""Chart kinds: numbers checked against independent derivations, not against themselves."""
from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from deckc.charts import CHART_KINDS, PLOTS, ChartData, compute_chart, load_reference, resolve_params
from deckc.charts import attention_demo, rnn
from deckc.charts.reference import clear_cache

pytestmark = pytest.mark.filterwarnings("error")  # no numpy overflow/divide warnings anywhere

EXERCISES = Path(__file__).resolve().parents[1] / "exercises"


@pytest.fixture(scope="module")
def ref():
    return load_reference(EXERCISES)


@pytest.fixture(scope="module")
def defaults(ref):
    return {kind: compute_chart(kind, {}, ref) for kind in CHART_KINDS}


# --- independent helpers (plain loops, column-vector maths; nothing from deckc) ----------------

def tanh_rnn_states(xs, W_xh, W_hh, b, h0=None):
    h = np.zeros(W_hh.shape[0]) if h0 is None else h0
    out = []
    for x in xs:
        h = np.tanh(W_xh.T @ x + W_hh.T @ h + b)
        out.append(h)
    return out


def loss_from(h_t, t, toy, W_hh):
    """L = 1/2 ||h_T - target||^2 when the RNN is restarted from state h_t after step t (1-based)."""
    hs = tanh_rnn_states(toy.xs[t:], toy.W_xh, W_hh, toy.b, h0=h_t)
    h_T = hs[-1] if hs else h_t
    return 0.5 * np.sum((h_T - toy.target) ** 2)


def fd_grad(f, v, eps=1e-6):
    g = np.zeros_like(v)
    for i in range(v.size):
        e = np.zeros_like(v)
        e[i] = eps
        g[i] = (f(v + e) - f(v - e)) / (2 * eps)
    return g


# --- reference loading -------------------------------------------------------------------------

def test_reference_exposes_the_solution_functions(ref):
    assert {"rnn_step", "attention", "softmax"} <= set(ref.names)
    assert "rnn_step" in ref and "nope" not in ref
    assert ref.get("attention") is ref.attention
    assert ref.source("rnn_step") == EXERCISES / "rnn_step" / "solution.py"
    h = ref.rnn_step(np.ones(2), np.zeros(3), np.ones((2, 3)), np.eye(3), np.zeros(3))
    np.testing.assert_allclose(h, np.tanh(2.0) * np.ones(3))
    # numpy is imported by the solutions but is not a reference function.
    assert "np" not in ref and "tanh" not in ref


def test_reference_is_cached_per_resolved_path(ref, monkeypatch):
    monkeypatch.chdir(EXERCISES.parent)
    assert load_reference(Path("exercises")) is ref
    assert load_reference(EXERCISES / "rnn_step" / "..") is ref


def write_solution(root: Path, folder: str, body: str) -> None:
    (root / folder).mkdir(parents=True)
    (root / folder / "solution.py").write_text(body)


def test_reference_leaves_sys_path_and_modules_alone(tmp_path):
    write_solution(tmp_path, "one", "import numpy as np\nfrom numpy import tanh\ndef f(x):\n    return x\n")
    path, modules = list(sys.path), set(sys.modules)
    r = load_reference(tmp_path)
    assert sys.path == path and set(sys.modules) == modules
    assert r.names == ("f",)  # `tanh` was imported, not defined there


def test_missing_folder_is_a_clear_lookup_error(tmp_path):
    with pytest.raises(LookupError, match="exercises folder not found.*nowhere"):
        load_reference(tmp_path / "nowhere")


def test_folder_without_solutions_is_a_lookup_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(LookupError, match=r"solution\.py"):
        load_reference(tmp_path)


def test_missing_function_names_itself_and_where_it_looked(tmp_path):
    write_solution(tmp_path, "other", "def helper():\n    return 1\n")
    r = load_reference(tmp_path)
    for get in (lambda: r.get("rnn_step"), lambda: r.rnn_step):
        with pytest.raises(LookupError) as err:
            get()
        assert "rnn_step" in str(err.value) and str(tmp_path) in str(err.value)
    assert getattr(r, "rnn_step", None) is None  # still behaves like a missing attribute
    with pytest.raises(LookupError, match="rnn_step"):
        compute_chart("memory_fade", {}, r)
    with pytest.raises(LookupError, match="attention"):
        compute_chart("attention_matrix", {}, r)


def test_two_definitions_of_one_function_are_refused(tmp_path):
    write_solution(tmp_path, "a", "def softmax(z):\n    return z\n")
    write_solution(tmp_path, "b", "def softmax(z):\n    return z\n")
    with pytest.raises(ValueError, match="softmax.*twice"):
        load_reference(tmp_path)


def test_cache_can_be_cleared(tmp_path):
    write_solution(tmp_path, "a", "def f():\n    return 1\n")
    first = load_reference(tmp_path)
    clear_cache()
    assert load_reference(tmp_path) is not first


# --- vanishing / exploding gradients -----------------------------------------------------------

def test_bptt_matches_finite_differences(ref):
    seed, hidden, steps, scales = 3, 5, 8, [0.5, 1.5, 3.0]
    chart = compute_chart("vanishing_gradient", dict(seed=seed, hidden=hidden, steps=steps, scales=scales), ref)
    toy = rnn.toy_rnn(seed, hidden, rnn.GRADIENT_INPUT_DIM, steps)
    for scale, series in zip(scales, chart.series):
        W_hh = scale * toy.Q
        hs = tanh_rnn_states(toy.xs, toy.W_xh, W_hh, toy.b)
        norms = np.array([
            np.linalg.norm(fd_grad(lambda h: loss_from(h, t, toy, W_hh), hs[t - 1]))
            for t in range(1, steps + 1)
        ])
        np.testing.assert_allclose(series.values, norms / norms[-1], rtol=1e-5)


def test_bptt_default_matches_explicit_jacobian_products(defaults):
    chart = defaults["vanishing_gradient"]
    p = resolve_params("vanishing_gradient", {})
    toy = rnn.toy_rnn(p["seed"], p["hidden"], rnn.GRADIENT_INPUT_DIM, p["steps"])
    for scale, series in zip(p["scales"], chart.series):
        W_hh = scale * toy.Q
        hs = tanh_rnn_states(toy.xs, toy.W_xh, W_hh, toy.b)
        e = hs[-1] - toy.target
        P = np.eye(p["hidden"])                     # d h_T / d h_t, built as full matrices
        norms = []
        for t in range(p["steps"], 0, -1):
            norms.append(np.linalg.norm(P.T @ e))
            P = P @ (np.diag(1 - hs[t - 1] ** 2) @ W_hh.T)
        expected = np.array(norms[::-1]) / norms[0]
        np.testing.assert_allclose(series.values, expected, rtol=1e-8)


def test_small_scales_vanish_and_large_scale_explodes(defaults):
    chart = defaults["vanishing_gradient"]
    assert chart.log_y
    first = {s.name: s.values[0] for s in chart.series}  # step 1, relative to step T
    assert first["W_hh scale 0.5"] < 1e-15
    assert first["W_hh scale 1"] < 1e-6
    assert first["W_hh scale 3"] > 1e3
    for s in chart.series:
        assert s.values[-1] == 1.0 and all(0 < v < np.inf for v in s.values)
    assert f"{first['W_hh scale 3']:.1e}" in chart.description


# --- memory fade -------------------------------------------------------------------------------

def test_memory_fade_matches_finite_differences(ref):
    seed, hidden, input_dim, steps, scale = 1, 6, 3, 10, 1.0
    chart = compute_chart("memory_fade", dict(seed=seed, hidden=hidden, input_dim=input_dim,
                                              steps=steps, scale=scale), ref)
    toy = rnn.toy_rnn(seed, hidden, input_dim, steps)

    def states_given_x1(x1):
        xs = toy.xs.copy()
        xs[0] = x1
        return np.array(tanh_rnn_states(xs, toy.W_xh, scale * toy.Q, toy.b))

    eps = 1e-6
    cols = []
    for i in range(input_dim):
        e = np.zeros(input_dim)
        e[i] = eps
        cols.append((states_given_x1(toy.xs[0] + e) - states_given_x1(toy.xs[0] - e)) / (2 * eps))
    jac = np.stack(cols, axis=-1)                        # (steps, hidden, input_dim): d h_t / d x_1
    norms = np.array([np.linalg.svd(j, compute_uv=False)[0] for j in jac])
    np.testing.assert_allclose(chart.series[0].values, norms / norms[0], rtol=1e-6)


def test_memory_fades_by_default(defaults):
    values = defaults["memory_fade"].series[0].values
    assert values[0] == 1.0 and values[-1] < 0.01 and max(values[5:]) < 0.5


# --- attention demo ----------------------------------------------------------------------------

def test_tokenizer_keeps_contractions_and_drops_punctuation():
    assert attention_demo.tokenize("The trophy didn\u2019t fit in the suitcase because it was too big.") == [
        "The", "trophy", "didn't", "fit", "in", "the", "suitcase", "because", "it", "was", "too", "big"]


def test_it_attends_to_trophy_when_big_and_suitcase_when_small(defaults):
    chart = defaults["attention_weights"]
    assert chart.categories[1] == "trophy" and chart.categories[6] == "suitcase"
    assert chart.categories[-1] == "big / small"
    big, small = chart.series
    assert big.name == '"big" sentence' and small.name == '"small" sentence'
    for s in chart.series:
        assert sum(s.values) == pytest.approx(1.0)
    assert int(np.argmax(big.values)) == 1 and big.values[1] > 0.5
    assert int(np.argmax(small.values)) == 6 and small.values[6] > 0.5
    assert f"{big.values[1]:.2f}" in chart.description


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("dim", [9, 16, 64])
def test_demo_is_robust_to_its_noise(ref, seed, dim):
    big, small = compute_chart("attention_weights", {"seed": seed, "dim": dim}, ref).series
    assert int(np.argmax(big.values)) == 1 and int(np.argmax(small.values)) == 6


def test_attention_matrix_rows_sum_to_one_and_share_the_model(defaults):
    m = defaults["attention_matrix"]
    assert m.plot == "heatmap" and [s.name for s in m.series] == list(m.categories)
    for row in m.series:
        assert sum(row.values) == pytest.approx(1.0) and min(row.values) > 0
    it_row = m.series[m.categories.index("it")]
    assert it_row.values == defaults["attention_weights"].series[0].values


def test_attention_charts_call_the_reference_attention(ref):
    calls = []

    class Spy:
        def get(self, name):
            return getattr(self, name)

        def attention(self, *args, **kw):
            calls.append(args[0].shape)
            return ref.attention(*args, **kw)

    compute_chart("attention_matrix", {}, Spy())
    assert len(calls) == 2  # the context layer and the layer shown


def test_attention_rejects_bad_sentences(ref):
    with pytest.raises(ValueError, match="query token 'she'"):
        compute_chart("attention_weights", {"query": "she"}, ref)
    with pytest.raises(ValueError, match="same number of words"):
        compute_chart("attention_weights", {"sentences": ["it was big.", "it was too big."]}, ref)


# --- sequential steps --------------------------------------------------------------------------

def test_sequential_steps_are_length_for_rnn_and_layers_for_attention(ref):
    chart = compute_chart("sequential_steps", {}, ref)
    lengths = [int(c) for c in chart.categories]
    assert lengths[-1] == 64
    rnn_series, att_series = chart.series
    assert list(rnn_series.values) == lengths
    assert set(att_series.values) == {1.0}
    deep = compute_chart("sequential_steps", {"max_len": 10, "layers": 3}, ref)
    lengths = [int(c) for c in deep.categories]
    assert list(deep.series[0].values) == [L + 2 for L in lengths]   # wavefront through 3 layers
    assert set(deep.series[1].values) == {3.0}


def test_critical_path_of_a_small_dag():
    deps = {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"], "e": []}
    assert rnn.critical_path(deps) == 3


# --- every kind --------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(CHART_KINDS))
def test_chart_is_well_formed_and_deterministic(ref, defaults, kind):
    chart = defaults[kind]
    assert isinstance(chart, ChartData) and chart.plot in PLOTS
    assert re.fullmatch(r"[a-z0-9_]+", chart.name)
    assert chart.title and chart.x_label and chart.y_label and chart.notes
    assert re.search(r"\d", chart.description)
    for s in chart.series:
        assert len(s.values) == len(chart.categories) and all(np.isfinite(s.values))
    assert compute_chart(kind, {}, ref) == chart
    assert compute_chart(kind, resolve_params(kind, {}), ref) == chart
    for name, p in CHART_KINDS[kind].params.items():
        assert p.doc, f"{kind}.{name} has no doc"


@pytest.mark.parametrize("kind", ["memory_fade", "vanishing_gradient", "attention_weights", "attention_matrix"])
def test_seed_changes_the_data(ref, defaults, kind):
    assert compute_chart(kind, {"seed": 1}, ref).series != defaults[kind].series


@pytest.mark.parametrize("kind", sorted(CHART_KINDS))
def test_csv_round_trip(defaults, kind):
    chart = defaults[kind]
    rows = list(csv.reader(io.StringIO(chart.to_csv())))
    if chart.plot == "heatmap":
        assert rows[0][1:] == list(chart.categories)
        for row, s in zip(rows[1:], chart.series, strict=True):
            assert row[0] == s.name and tuple(float(v) for v in row[1:]) == s.values
    else:
        assert rows[0] == [chart.x_label] + [s.name for s in chart.series]
        for i, row in enumerate(rows[1:]):
            assert row[0] == chart.categories[i]
            assert [float(v) for v in row[1:]] == [s.values[i] for s in chart.series]
        assert len(rows) == len(chart.categories) + 1


def chart_problems(yaml_text: str) -> list[tuple[int, int, str, str]]:
    """(line, col, field path, message) of what the spec schema says about one `chart:` mapping."""
    from deckc.diagnostics import Diagnostics
    from deckc.spec.lesson_schema import ChartSpec
    from deckc.spec.schema import Ctx
    from deckc.spec.yaml_source import load_yaml

    diags = Diagnostics("chart.yaml")
    root = load_yaml(yaml_text.encode(), diags)
    ChartSpec().check(root.value["chart"][1], "chart", Ctx(diags))
    return [(d.line, d.col, d.path, d.message) for d in diags.errors]


def test_chart_params_are_validated_once_by_the_schema(ref):
    """Parameters are checked where the spec is read, each problem located; compute_chart takes
    valid parameters (and fills in the defaults)."""
    def one(text):
        (problem,) = chart_problems(text)
        return problem
    assert one("chart:\n  kind: memory_fade\n  colour: red\n")[1:3] == (3, "chart.colour")
    assert "unknown key 'colour'" in one("chart:\n  kind: memory_fade\n  colour: red\n")[3]
    assert "expected one of [" in one("chart: {kind: pie}\n")[3]
    line, col, path, msg = one("chart:\n  kind: memory_fade\n  hidden: 0\n")
    assert (line, col, path) == (3, 11, "chart.hidden") and msg.startswith("must be at least")
    assert "whole number" in one("chart: {kind: memory_fade, seed: '0'}\n")[3]
    assert "whole number" in one("chart: {kind: memory_fade, seed: true}\n")[3]
    line, col, path, msg = one("chart: {kind: vanishing_gradient, scales: [1.0, 50.0]}\n")
    assert path == "chart.scales[1]" and msg.startswith("must be at most")
    assert "at least 1 item" in one("chart: {kind: vanishing_gradient, scales: []}\n")[3]
    assert chart_problems("chart: {kind: vanishing_gradient, scales: [1, 2], steps: 30}\n") == []
    with pytest.raises(ValueError, match="unknown chart kind"):
        compute_chart("pie", {}, ref)
    with pytest.raises(TypeError, match="colour"):
        compute_chart("memory_fade", {"colour": "red"}, ref)
    assert resolve_params("vanishing_gradient", {"scales": [1, 2]})["scales"] == [1.0, 2.0]
