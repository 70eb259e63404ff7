"""Visible tests for attention.ipynb: students see and run these before submitting.

Each test_<name>(fn) is one grade cell (points in exercise.yaml); fn is the function under test.
tests/test_exercises.py runs them against solution.py; tests/test_exercises_bugs.py checks that
they catch the common mistakes of tests/bugs/ and name the fix.
"""
import numpy as np

from deckc.exercises.checks import (call_student, call_student_hinted, expect_array, expect_close,
                                    expect_finite, expect_no_known_mistake, expect_rows_sum_to_one,
                                    expect_tuple, expect_zero_where)


def test_softmax_rows_sum_to_one(softmax):
    """softmax keeps the shape of z, and every row is non-negative and sums to 1."""
    z = np.array([[0.0, 1.0, 2.0, 3.0],
                  [-1.0, 0.5, 0.5, 4.0],
                  [2.0, 2.0, 2.0, 2.0]])
    p = call_student_hinted(softmax, "reduce with keepdims=True (np.max(z, axis=axis, keepdims=True) and "
                            "np.sum(e, axis=axis, keepdims=True)) so the result lines up with z", z)
    p = expect_array("softmax", p, shape=(3, 4), shape_desc="the shape of z")
    if not np.all(p >= 0.0):
        raise AssertionError("softmax returned negative entries; probabilities are >= 0")
    expect_rows_sum_to_one("softmax(z)", p, "divide np.exp(z) by its sum along `axis`, with keepdims=True")


def test_softmax_worked_example(softmax):
    """softmax([1, 2, 3]) = [0.09003057, 0.24472847, 0.66524096]."""
    p = call_student(softmax, np.array([1.0, 2.0, 3.0]))
    p = expect_array("softmax", p, shape=(3,), shape_desc="the shape of z")
    e = np.exp([1.0, 2.0, 3.0])
    expect_close("softmax", p, e / e.sum(), reveal=True)


def test_softmax_along_axis(softmax):
    """softmax(z, axis=0) normalises each column: the axis argument is used."""
    z = np.array([[1.0, 2.0],
                  [3.0, 5.0],
                  [0.0, -1.0]])
    p = call_student_hinted(softmax, "reduce along `axis` with keepdims=True so the result lines up with z",
                            z, 0)       # positionally, as the contract states
    p = expect_array("softmax(z, axis=0)", p, shape=(3, 2), shape_desc="the shape of z")
    expect_no_known_mistake("softmax(z, axis=0)", p, [
        (np.array([[0.26894142, 0.73105858], [0.11920292, 0.88079708], [0.73105858, 0.26894142]]),
         "it normalised along the last axis; use `axis` in both the max and the sum "
         "(np.max(z, axis=axis, keepdims=True), np.sum(e, axis=axis, keepdims=True))"),
    ])
    expect_rows_sum_to_one("softmax(z, axis=0)", p, "with axis=0 each column sums to 1", axis=0)
    expect_close("softmax(z, axis=0)", p, np.array([[0.1141952, 0.04731416], [0.84379473, 0.95033021],
                                                    [0.04201007, 0.00235563]]), reveal=True)


def test_softmax_large_logits(softmax):
    """softmax of rows near +1000 and -1000 is finite: each row is shifted by its own maximum."""
    z = np.array([[1000.0, 1001.0, 1002.0],
                  [-1000.0, -999.0, -998.0]])
    p = call_student(softmax, z)
    p = expect_array("softmax", p, shape=(2, 3), shape_desc="the shape of z")
    expect_finite("softmax of logits near +-1000", p,
                  "subtract the max along `axis` with keepdims=True (z - np.max(z, axis=axis, keepdims=True)): "
                  "each row's own maximum, not the maximum of the whole array, so no row underflows to 0/0")
    e = np.exp([0.0, 1.0, 2.0])
    expect_close("softmax of logits near +-1000", p, np.stack([e / e.sum()] * 2), reveal=True)


def test_attention_shapes(attention):
    """attention returns (out, weights) with shapes (..., Lq, dv) and (..., Lq, Lk)."""
    B, Lq, Lk, d, dv = 2, 3, 5, 4, 6
    Q = np.linspace(-1.0, 1.0, B * Lq * d).reshape(B, Lq, d)
    K = np.linspace(1.0, -1.0, B * Lk * d).reshape(B, Lk, d)
    V = np.linspace(0.0, 1.0, B * Lk * dv).reshape(B, Lk, dv)
    result = call_student_hinted(attention, "`K` is (..., Lk, d); use np.swapaxes(K, -1, -2) for K^T "
                                 "(K.T also reverses the batch axes)", Q, K, V)
    out, weights = expect_tuple("attention", result, ("out", "weights"))
    expect_array("attention's out", out, shape=(B, Lq, dv), shape_desc="(..., Lq, dv)")
    expect_array("attention's weights", weights, shape=(B, Lq, Lk), shape_desc="(..., Lq, Lk)")


def test_attention_worked_example(attention):
    """attention gives the numbers of the worked example, with and without the mask."""
    Q = np.array([[1.0, 1.0, 0.0, 0.0]])
    K = np.array([[2.0, 0.0, 0.0, 0.0],
                  [0.0, 0.0, 2.0, 0.0],
                  [1.0, 1.0, 1.0, 1.0]])
    V = np.array([[1.0, 0.0],
                  [0.0, 1.0],
                  [3.0, 3.0]])
    k_hint = "`K` is (..., Lk, d); use np.swapaxes(K, -1, -2) for K^T (K.T also reverses the batch axes)"
    e = np.exp([1.0, 0.0, 1.0])
    expected_weights = (e / e.sum())[None, :]
    out, weights = expect_tuple("attention", call_student_hinted(attention, k_hint, Q, K, V), ("out", "weights"))
    weights = expect_array("attention's weights", weights, shape=(1, 3), shape_desc="(Lq, Lk)")
    out = expect_array("attention's out", out, shape=(1, 2), shape_desc="(Lq, dv)")
    expect_rows_sum_to_one("attention's weights", weights, "take the softmax over the keys, axis=-1")
    expect_no_known_mistake("attention's weights", weights, [
        (np.array([[0.46831053, 0.06337894, 0.46831053]]),
         "the logits are not scaled: divide Q @ K^T by np.sqrt(d), d = Q.shape[-1]"),
    ])
    expect_close("attention's weights", weights, expected_weights, reveal=True)
    expect_close("attention's out", out, expected_weights @ V, reveal=True)

    mask = np.array([[True, False, True]])
    out, weights = expect_tuple("attention with a mask", call_student_hinted(attention, k_hint, Q, K, V, mask),
                                ("out", "weights"))
    weights = expect_array("attention's weights with a mask", weights, shape=(1, 3), shape_desc="(Lq, Lk)")
    out = expect_array("attention's out with a mask", out, shape=(1, 2), shape_desc="(Lq, dv)")
    expect_zero_where("attention", weights, mask, "set their logits to -np.inf (or a large negative number) "
                      "before the softmax")
    expect_rows_sum_to_one("attention's weights with a mask", weights,
                           "take the softmax over the keys (axis=-1) of the masked logits; a mask applied after "
                           "softmax needs renormalising")
    expect_close("attention's weights with a mask", weights, np.array([[0.5, 0.0, 0.5]]), reveal=True)
    expect_close("attention's out with a mask", out, np.array([[2.0, 1.5]]), reveal=True)


def test_attention_batched_mask(attention):
    """attention with batched Q, K, V (B = 2) and one (Lq, Lk) mask for every batch element."""
    Q = np.array([[[1.0, 0.0], [0.0, 2.0]],
                  [[1.0, 1.0], [-1.0, 0.5]]])
    K = np.array([[[1.0, 1.0], [2.0, 0.0], [0.0, -1.0]],
                  [[0.5, 0.5], [-1.0, 1.0], [1.0, 0.0]]])
    V = np.array([[[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]],
                  [[-1.0, 1.0], [0.0, 3.0], [1.0, -2.0]]])
    mask = np.array([[True, False, True],
                     [True, True, False]])
    result = call_student_hinted(attention, "`K` is (..., Lk, d); use np.swapaxes(K, -1, -2) for K^T "
                                 "(K.T also reverses the batch axes); a mask of shape (Lq, Lk) broadcasts "
                                 "against logits of shape (B, Lq, Lk) as it is", Q, K, V, mask)
    out, weights = expect_tuple("attention with a mask", result, ("out", "weights"))
    weights = expect_array("attention's weights with a mask", weights, shape=(2, 2, 3),
                           shape_desc="(..., Lq, Lk)")
    out = expect_array("attention's out with a mask", out, shape=(2, 2, 2), shape_desc="(..., Lq, dv)")
    expect_zero_where("attention", weights, mask, "set their logits to -np.inf (or a large negative number) "
                      "before the softmax")
    expect_rows_sum_to_one("attention's weights with a mask", weights,
                           "take the softmax over the keys (axis=-1) of the masked logits; a mask applied after "
                           "softmax needs renormalising")
    expect_close("attention's weights with a mask", weights, np.array(
        [[[0.66976155, 0.0, 0.33023845], [0.80442968, 0.19557032, 0.0]],
         [[0.5, 0.0, 0.5], [0.22488245, 0.77511755, 0.0]]]), reveal=True)
    expect_close("attention's out with a mask", out, np.array(
        [[[1.33023845, 0.6604769], [0.80442968, 0.19557032]],
         [[0.0, -0.5], [-0.22488245, 2.5502351]]]), reveal=True)


def test_self_attention_shapes(self_attention):
    """self_attention returns (out, weights) with shapes (..., L, dv) and (..., L, L)."""
    B, L, d_model, d, dv = 2, 5, 8, 4, 6
    X = np.linspace(-1.0, 1.0, B * L * d_model).reshape(B, L, d_model)
    W_q = np.linspace(-0.5, 0.5, d_model * d).reshape(d_model, d)
    W_k = np.linspace(0.5, -0.5, d_model * d).reshape(d_model, d)
    W_v = np.linspace(0.0, 0.3, d_model * dv).reshape(d_model, dv)
    result = call_student_hinted(self_attention, "X is (..., L, d_model) and W_q, W_k, W_v are (d_model, .): "
                                 "project with X @ W_q, X @ W_k, X @ W_v", X, W_q, W_k, W_v)
    out, weights = expect_tuple("self_attention", result, ("out", "weights"))
    expect_array("self_attention's out", out, shape=(B, L, dv), shape_desc="(..., L, dv)")
    expect_array("self_attention's weights", weights, shape=(B, L, L), shape_desc="(..., L, L)")


def test_self_attention_causal_example(self_attention):
    """self_attention with a causal mask: position i attends to positions 0..i only (L = 3)."""
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]])
    W_q = np.array([[1.0, 0.5], [0.0, 1.0]])
    W_k = np.array([[0.5, 0.0], [1.0, -1.0]])
    W_v = np.array([[1.0, 2.0], [-1.0, 0.0]])
    causal = np.tril(np.ones((3, 3), dtype=bool))
    result = call_student(self_attention, X, W_q, W_k, W_v, causal)
    out, weights = expect_tuple("self_attention with a causal mask", result, ("out", "weights"))
    weights = expect_array("self_attention's weights with a causal mask", weights, shape=(3, 3),
                           shape_desc="(L, L)")
    out = expect_array("self_attention's out with a causal mask", out, shape=(3, 2), shape_desc="(L, dv)")
    expect_zero_where("self_attention (causal)", weights, causal,
                      "position i may not look at later positions: pass `mask` on to attention")
    expect_close("self_attention's weights with a causal mask", weights, np.array(
        [[1.0, 0.0, 0.0], [0.66976155, 0.33023845, 0.0], [0.29635406, 0.60104011, 0.10260583]]), reveal=True)
    expect_close("self_attention's out with a causal mask", out, np.array(
        [[1.0, 2.0], [0.3395231, 1.3395231], [-0.0994744, 0.79791978]]), reveal=True)
