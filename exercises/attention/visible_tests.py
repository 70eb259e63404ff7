"""Visible tests for attention.ipynb: students see and run these before submitting.

Each test_<name>(fn) is one grade cell (points in exercise.yaml); fn is the function under test.
tests/test_exercises.py runs them against solution.py.
"""
import numpy as np

from deckc.exercises.checks import call_student, expect_array, expect_close, expect_tuple


def test_softmax_rows_sum_to_one(softmax):
    """softmax keeps the shape of z, and every row is non-negative and sums to 1."""
    z = np.array([[0.0, 1.0, 2.0, 3.0],
                  [-1.0, 0.5, 0.5, 4.0],
                  [2.0, 2.0, 2.0, 2.0]])
    p = call_student(softmax, z)
    p = expect_array("softmax", p, shape=(3, 4), shape_desc="the shape of z")
    if not np.all(p >= 0.0):
        raise AssertionError("softmax returned negative entries; probabilities are >= 0")
    expect_close("the row sums of softmax", p.sum(axis=-1), np.ones(3), reveal=True)


def test_softmax_worked_example(softmax):
    """softmax([1, 2, 3]) = [0.09003057, 0.24472847, 0.66524096]."""
    p = call_student(softmax, np.array([1.0, 2.0, 3.0]))
    p = expect_array("softmax", p, shape=(3,), shape_desc="the shape of z")
    e = np.exp([1.0, 2.0, 3.0])
    expect_close("softmax", p, e / e.sum(), reveal=True)


def test_attention_shapes(attention):
    """attention returns (out, weights) with shapes (..., Lq, dv) and (..., Lq, Lk)."""
    B, Lq, Lk, d, dv = 2, 3, 5, 4, 6
    Q = np.linspace(-1.0, 1.0, B * Lq * d).reshape(B, Lq, d)
    K = np.linspace(1.0, -1.0, B * Lk * d).reshape(B, Lk, d)
    V = np.linspace(0.0, 1.0, B * Lk * dv).reshape(B, Lk, dv)
    result = call_student(attention, Q, K, V)
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
    e = np.exp([1.0, 0.0, 1.0])
    expected_weights = (e / e.sum())[None, :]
    out, weights = expect_tuple("attention", call_student(attention, Q, K, V), ("out", "weights"))
    weights = expect_array("attention's weights", weights, shape=(1, 3), shape_desc="(Lq, Lk)")
    out = expect_array("attention's out", out, shape=(1, 2), shape_desc="(Lq, dv)")
    expect_close("attention's weights", weights, expected_weights, reveal=True)
    expect_close("attention's out", out, expected_weights @ V, reveal=True)

    mask = np.array([[True, False, True]])
    out, weights = expect_tuple("attention with a mask", call_student(attention, Q, K, V, mask),
                                ("out", "weights"))
    weights = expect_array("attention's weights with a mask", weights, shape=(1, 3), shape_desc="(Lq, Lk)")
    out = expect_array("attention's out with a mask", out, shape=(1, 2), shape_desc="(Lq, dv)")
    expect_close("attention's weights with a mask", weights, np.array([[0.5, 0.0, 0.5]]), reveal=True)
    expect_close("attention's out with a mask", out, np.array([[2.0, 1.5]]), reveal=True)


def test_self_attention_shapes(self_attention):
    """self_attention returns (out, weights) with shapes (..., L, dv) and (..., L, L)."""
    B, L, d_model, d, dv = 2, 5, 8, 4, 6
    X = np.linspace(-1.0, 1.0, B * L * d_model).reshape(B, L, d_model)
    W_q = np.linspace(-0.5, 0.5, d_model * d).reshape(d_model, d)
    W_k = np.linspace(0.5, -0.5, d_model * d).reshape(d_model, d)
    W_v = np.linspace(0.0, 0.3, d_model * dv).reshape(d_model, dv)
    result = call_student(self_attention, X, W_q, W_k, W_v)
    out, weights = expect_tuple("self_attention", result, ("out", "weights"))
    expect_array("self_attention's out", out, shape=(B, L, dv), shape_desc="(..., L, dv)")
    expect_array("self_attention's weights", weights, shape=(B, L, L), shape_desc="(..., L, L)")
