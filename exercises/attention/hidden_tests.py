"""Hidden tests for attention.ipynb: they run at grading time only.

Each test_<name>(fn, inputs, expected) is one grade cell (points in exercise.yaml). At build time
deckc calls inputs_<name>(rng) with a fixed seed, runs the reference solution on the inputs
(expected = solution.<fn>(**inputs)), and embeds inputs and expected inside the cell's hidden
part: they never reach the release. tests/test_exercises.py runs these against solution.py.
"""
import numpy as np

from deckc.exercises.checks import call_student, expect_array, expect_close, expect_tuple


def _mask(rng, Lq, Lk):
    """A random boolean mask in which every query may attend to at least one key."""
    mask = rng.random((Lq, Lk)) < 0.6
    mask[np.arange(Lq), rng.integers(0, Lk, Lq)] = True
    return mask


def inputs_softmax_random(rng):
    return {"z": 3.0 * rng.standard_normal((4, 6))}


def test_softmax_random(softmax, inputs, expected):
    """softmax matches the reference solution on random logits."""
    p = call_student(softmax, *inputs.values())
    p = expect_array("softmax", p, shape=expected.shape, shape_desc="the shape of z")
    expect_close("softmax", p, expected)


def inputs_softmax_axis(rng):
    return {"z": 2.0 * rng.standard_normal((5, 3)), "axis": 0}


def test_softmax_axis(softmax, inputs, expected):
    """softmax(z, axis=0) normalises along axis 0."""
    p = call_student(softmax, *inputs.values())
    p = expect_array("softmax(z, axis=0)", p, shape=expected.shape, shape_desc="the shape of z")
    expect_close("softmax(z, axis=0)", p, expected)


def inputs_softmax_stable(rng):
    # Integer logits near +-1e4: exact in float32 too, so any correct precision passes.
    base = np.array([[1e4], [-1e4], [5e3]])
    return {"z": base + rng.integers(-6, 7, (3, 5)).astype(float)}


def test_softmax_stable(softmax, inputs, expected):
    """softmax stays finite for logits around 1e4 and -1e4."""
    p = call_student(softmax, *inputs.values())
    p = expect_array("softmax of logits near 1e4", p, shape=expected.shape, shape_desc="the shape of z")
    expect_close("softmax of logits near 1e4", p, expected)


def inputs_attention_random(rng):
    Lq, Lk, d, dv = 4, 6, 8, 3
    return {"Q": rng.standard_normal((Lq, d)), "K": rng.standard_normal((Lk, d)),
            "V": rng.standard_normal((Lk, dv))}


def test_attention_random(attention, inputs, expected):
    """attention matches the reference solution on random Q, K, V (scaled by sqrt(d))."""
    result = call_student(attention, *inputs.values())
    out, weights = expect_tuple("attention", result, ("out", "weights"))
    weights = expect_array("attention's weights", weights, shape=expected[1].shape, shape_desc="(Lq, Lk)")
    out = expect_array("attention's out", out, shape=expected[0].shape, shape_desc="(Lq, dv)")
    expect_close("attention's weights", weights, expected[1])
    expect_close("attention's out", out, expected[0])


def inputs_attention_batched(rng):
    B, heads, Lq, Lk, d, dv = 2, 3, 4, 5, 6, 2
    return {"Q": rng.standard_normal((B, heads, Lq, d)), "K": rng.standard_normal((B, heads, Lk, d)),
            "V": rng.standard_normal((B, heads, Lk, dv))}


def test_attention_batched(attention, inputs, expected):
    """attention works with leading batch dimensions (B, heads, L, d)."""
    result = call_student(attention, *inputs.values())
    out, weights = expect_tuple("attention", result, ("out", "weights"))
    weights = expect_array("attention's weights", weights, shape=expected[1].shape, shape_desc="(..., Lq, Lk)")
    out = expect_array("attention's out", out, shape=expected[0].shape, shape_desc="(..., Lq, dv)")
    expect_close("attention's weights", weights, expected[1])
    expect_close("attention's out", out, expected[0])


def inputs_attention_mask(rng):
    B, Lq, Lk, d, dv = 2, 4, 6, 8, 3
    return {"Q": rng.standard_normal((B, Lq, d)), "K": rng.standard_normal((B, Lk, d)),
            "V": rng.standard_normal((B, Lk, dv)), "mask": _mask(rng, Lq, Lk)}


def test_attention_mask(attention, inputs, expected):
    """attention gives masked positions weight 0 (a (Lq, Lk) mask applies to every batch element)."""
    result = call_student(attention, *inputs.values())
    out, weights = expect_tuple("attention with a mask", result, ("out", "weights"))
    weights = expect_array("attention's weights with a mask", weights, shape=expected[1].shape,
                           shape_desc="(..., Lq, Lk)")
    out = expect_array("attention's out with a mask", out, shape=expected[0].shape, shape_desc="(..., Lq, dv)")
    masked = ~np.broadcast_to(inputs["mask"], weights.shape)
    if np.any(np.abs(weights[masked]) > 1e-5):
        raise AssertionError("attention gives weight to masked-out positions (mask False); "
                             "their weights must be 0")
    expect_close("attention's weights with a mask", weights, expected[1])
    expect_close("attention's out with a mask", out, expected[0])


def inputs_attention_stable(rng):
    # Logits 1e4 + (small integer) / 2 or -1e4 + ...: integers, so exact in float32 too, and the
    # weights are neither uniform nor one-hot, so the 1/sqrt(d) scaling still matters.
    Lq, Lk, dv = 3, 5, 2
    sign = np.where(np.arange(Lq) % 2 == 0, 1.0, -1.0)
    Q = np.column_stack([100.0 * sign, rng.integers(-2, 3, (Lq, 2)), np.zeros(Lq)])
    K = np.column_stack([np.full(Lk, 200.0), rng.integers(-2, 3, (Lk, 2)), np.ones(Lk)])
    return {"Q": Q, "K": K, "V": rng.standard_normal((Lk, dv))}


def test_attention_stable(attention, inputs, expected):
    """attention stays finite when the logits are of order 1e4."""
    result = call_student(attention, *inputs.values())
    out, weights = expect_tuple("attention", result, ("out", "weights"))
    weights = expect_array("attention's weights for logits near 1e4", weights, shape=expected[1].shape,
                           shape_desc="(Lq, Lk)")
    out = expect_array("attention's out for logits near 1e4", out, shape=expected[0].shape, shape_desc="(Lq, dv)")
    expect_close("attention's weights for logits near 1e4", weights, expected[1])
    expect_close("attention's out for logits near 1e4", out, expected[0])


def _projections(rng, d_model, d, dv):
    scale = 1.0 / np.sqrt(d_model)
    return {"W_q": scale * rng.standard_normal((d_model, d)), "W_k": scale * rng.standard_normal((d_model, d)),
            "W_v": scale * rng.standard_normal((d_model, dv))}


def inputs_self_attention_random(rng):
    B, L, d_model, d, dv = 2, 5, 6, 4, 3
    return {"X": rng.standard_normal((B, L, d_model)), **_projections(rng, d_model, d, dv)}


def test_self_attention_random(self_attention, inputs, expected):
    """self_attention matches the reference solution on a random batch of sequences."""
    result = call_student(self_attention, *inputs.values())
    out, weights = expect_tuple("self_attention", result, ("out", "weights"))
    weights = expect_array("self_attention's weights", weights, shape=expected[1].shape, shape_desc="(..., L, L)")
    out = expect_array("self_attention's out", out, shape=expected[0].shape, shape_desc="(..., L, dv)")
    expect_close("self_attention's weights", weights, expected[1])
    expect_close("self_attention's out", out, expected[0])


def inputs_self_attention_causal(rng):
    L, d_model, d, dv = 6, 5, 4, 4
    return {"X": rng.standard_normal((L, d_model)), **_projections(rng, d_model, d, dv),
            "mask": np.tril(np.ones((L, L), dtype=bool))}


def test_self_attention_causal(self_attention, inputs, expected):
    """self_attention with a causal mask: position i attends to positions 0..i only."""
    result = call_student(self_attention, *inputs.values())
    out, weights = expect_tuple("self_attention with a causal mask", result, ("out", "weights"))
    weights = expect_array("self_attention's weights with a causal mask", weights, shape=expected[1].shape,
                           shape_desc="(L, L)")
    out = expect_array("self_attention's out with a causal mask", out, shape=expected[0].shape,
                       shape_desc="(L, dv)")
    expect_close("self_attention's weights with a causal mask", weights, expected[1])
    expect_close("self_attention's out with a causal mask", out, expected[0])
